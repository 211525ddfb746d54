import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { RelationDataValidationError } from '../../lib/relations/errors.js';
import {
  StorageProviderEndpoint,
  StorageRequirerEndpoint,
  storageInterfaceSchema,
} from '../../lib/storage/interface.js';

function related() {
  const model = new MemoryModel({ name: 'media' });
  const storage = model.backend('storage/0', { leader: true });
  const radarr = model.backend('radarr/0', { leader: true });
  const id = model.relate(
    { app: 'storage', endpoint: 'storage' },
    { app: 'radarr', endpoint: 'storage' },
  );
  return { model, storage, radarr, id };
}

describe('storage v1 through the relations layer', () => {
  it('loads from the package schemas with string codecs derived from the types', () => {
    const schema = storageInterfaceSchema();
    expect(schema.provider.app.fields.get('puid')?.kind).toBe('integer');
    expect(schema.provider.app.fields.get('mount-path')?.kind).toBe('string');
    expect(schema.requirer.app.ownedKeys).toEqual(['instance-name', 'config']);
  });

  it('a provider publishes strings that the requirer reads back typed', async () => {
    const { model, storage, radarr, id } = related();
    const provider = new StorageProviderEndpoint(storage);
    const requirer = new StorageRequirerEndpoint(radarr);
    const [rel] = await provider.relations();
    await provider.publishAppData(rel!, {
      'pvc-name': 'shared-media',
      namespace: 'media',
      'mount-path': '/data',
      puid: 1000,
      pgid: 1001,
      'access-mode': 'ReadWriteMany',
      size: '100Gi',
    });
    expect(model.bag(id, { scope: 'app', name: 'storage' })).toEqual({
      'pvc-name': 'shared-media',
      namespace: 'media',
      'mount-path': '/data',
      puid: '1000',
      pgid: '1001',
      'access-mode': 'ReadWriteMany',
      size: '100Gi',
    });
    const [mine] = await requirer.relations();
    expect(await requirer.remoteAppData(mine!)).toMatchObject({ puid: 1000, pgid: 1001 });
  });

  it('rejects untrusted provider data naming every bad field', async () => {
    const { model, radarr, id } = related();
    model.seedBag(
      id,
      { scope: 'app', name: 'storage' },
      {
        'pvc-name': 'Bad_Name',
        namespace: 'media',
        'mount-path': 'relative',
        puid: 'root',
      },
    );
    const requirer = new StorageRequirerEndpoint(radarr);
    const [rel] = await requirer.relations();
    const failure = await requirer.remoteAppData(rel!).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RelationDataValidationError);
    // Every bad field, each exactly once, and nothing else.
    expect([...(failure as RelationDataValidationError).fields].sort()).toEqual([
      'mount-path',
      'puid',
      'pvc-name',
    ]);
  });
});
