import { describe, expect, it } from '@jest/globals';
import { RelationDataAccessError, RelationDataTypeError } from '../../lib/relations/errors.js';
import { MemoryBackend, MemoryModel } from '../../lib/relations/memory-backend.js';
import { Relation } from '../../lib/relations/relation.js';

function setup(options: { leader: boolean }) {
  const backend = new MemoryBackend({ unit: 'radarr/0', leader: options.leader });
  const id = backend.addRelation({
    endpoint: 'storage',
    remoteApp: 'storage-app',
    remoteUnits: ['storage-app/0', 'storage-app/1'],
    remoteAppData: { 'pvc-name': 'shared' },
    remoteUnitsData: { 'storage-app/1': { zone: 'b' } },
    localAppData: { existing: 'yes' },
    localUnitData: { hostname: 'radarr-0' },
  });
  return { backend, model: backend.model, id };
}

describe('Relation', () => {
  it('loads id, endpoint, remote app and units, and reads every kind of bag', async () => {
    const { backend, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    expect(relation.id).toBe(id);
    expect(relation.endpoint).toBe('storage');
    expect(relation.toString()).toBe(`storage:${id}`);
    expect(relation.remoteApp).toBe('storage-app');
    expect(relation.remoteUnits).toEqual(['storage-app/0', 'storage-app/1']);
    expect(await relation.data.remoteApp.read()).toEqual({ 'pvc-name': 'shared' });
    expect(await relation.data.remoteUnit('storage-app/1').get('zone')).toBe('b');
    expect(await relation.data.remoteUnit('storage-app/0').read()).toEqual({});
    expect(await relation.data.localApp.get('existing')).toBe('yes');
    expect(await relation.data.localUnit.get('hostname')).toBe('radarr-0');
    expect(await relation.data.localUnit.get('missing')).toBeUndefined();
  });

  it('lists the relations of an endpoint only', async () => {
    const { backend, id } = setup({ leader: true });
    const other = backend.addRelation({ endpoint: 'vpn', remoteApp: 'gluetun' });
    const second = backend.addRelation({ endpoint: 'storage', remoteApp: 'other-storage' });
    const storage = await Relation.forEndpoint(backend, 'storage');
    expect(storage.map((r) => [r.id, r.remoteApp])).toEqual([
      [id, 'storage-app'],
      [second, 'other-storage'],
    ]);
    expect((await Relation.forEndpoint(backend, 'vpn')).map((r) => r.id)).toEqual([other]);
  });

  it('refuses a remote unit bag for a unit of another application', async () => {
    const { backend, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    expect(() => relation.data.remoteUnit('radarr/1')).toThrow(RelationDataAccessError);
    expect(() => relation.data.remoteUnit('radarr/1')).toThrow(
      'not a unit of the remote application',
    );
  });
});

describe('DataBag semantics', () => {
  it('writes several keys in one backend call, and "" deletes', async () => {
    const { backend, model, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    expect(await relation.data.localApp.update({ a: '1', b: '2', existing: '' })).toBe(true);
    expect(model.writes).toEqual([
      { relationId: id, unit: 'radarr/0', scope: 'app', changes: { a: '1', b: '2', existing: '' } },
    ]);
    expect(model.bag(id, { scope: 'app', name: 'radarr' })).toEqual({ a: '1', b: '2' });
    expect(await relation.data.localApp.read()).toEqual({ a: '1', b: '2' });
  });

  it('makes no write when nothing changes (same values, deleting absent keys)', async () => {
    const { backend, model, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    expect(await relation.data.localUnit.update({ hostname: 'radarr-0', never: '' })).toBe(false);
    expect(await relation.data.localUnit.set('hostname', 'radarr-0')).toBe(false);
    expect(model.writes).toHaveLength(0);
  });

  it('writes only the keys that differ', async () => {
    const { backend, model, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    await relation.data.localUnit.update({ hostname: 'radarr-0', port: '7878' });
    expect(model.writes.map((w) => w.changes)).toEqual([{ port: '7878' }]);
    expect(await relation.data.localUnit.delete('port')).toBe(true);
    expect(model.writes.map((w) => w.changes)).toEqual([{ port: '7878' }, { port: '' }]);
    expect(model.bag(id, { scope: 'unit', name: 'radarr/0' })).toEqual({ hostname: 'radarr-0' });
  });

  it('rejects writes to remote bags, naming the bag', async () => {
    const { backend, model, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    const remoteApp = relation.data.remoteApp as unknown as { update(c: object): Promise<boolean> };
    await expect(remoteApp.update({ x: '1' })).rejects.toThrow(RelationDataAccessError);
    await expect(remoteApp.update({ x: '1' })).rejects.toThrow(
      `Cannot write the remote app bag of "storage-app" on storage:${id}: remote bags are read-only`,
    );
    expect(relation.data.remoteApp.writable).toBe(false);
    expect(model.writes).toHaveLength(0);
  });

  it('lets only the leader read or write the local app bag', async () => {
    const { backend, model, id } = setup({ leader: false });
    const relation = await Relation.load(backend, 'storage', id);
    await expect(relation.data.localApp.set('a', '1')).rejects.toThrow(RelationDataAccessError);
    await expect(relation.data.localApp.set('a', '1')).rejects.toThrow(
      'Cannot write the local app bag of "radarr"',
    );
    await expect(relation.data.localApp.read()).rejects.toThrow('only the leader unit may read');
    // The unit bag is fine off-leader.
    expect(await relation.data.localUnit.set('a', '1')).toBe(true);
    expect(model.writes).toEqual([
      { relationId: id, unit: 'radarr/0', scope: 'unit', changes: { a: '1' } },
    ]);
  });

  it('follows leadership changes between calls (it asks the backend, it does not cache)', async () => {
    const { backend, model, id } = setup({ leader: false });
    const relation = await Relation.load(backend, 'storage', id);
    await expect(relation.data.localApp.set('a', '1')).rejects.toThrow(RelationDataAccessError);
    model.setLeader('radarr/0');
    expect(await relation.data.localApp.set('a', '1')).toBe(true);
  });

  it('rejects non-string values and empty keys before writing anything', async () => {
    const { backend, model, id } = setup({ leader: true });
    const bag = (await Relation.load(backend, 'storage', id)).data.localUnit;
    const bad = { ok: 'x', port: 7878, flag: null, '': 'v' } as unknown as Record<string, string>;
    const failure = bag.update(bad);
    await expect(failure).rejects.toThrow(RelationDataTypeError);
    await expect(bag.update(bad)).rejects.toThrow(
      'port: values must be strings, got number ; flag: values must be strings, got null ; keys must not be empty',
    );
    await expect(bag.update(null as unknown as Record<string, string>)).rejects.toThrow(
      'must be an object of strings',
    );
    expect(model.writes).toHaveLength(0);
  });

  it('caches reads for the life of the relation object, and invalidate() re-reads', async () => {
    const { backend, model, id } = setup({ leader: true });
    const reads: string[] = [];
    model.intercept((call) => {
      if (call.method === 'getBag') reads.push(JSON.stringify(call.args[1]));
    });
    const relation = await Relation.load(backend, 'storage', id);
    await relation.data.remoteApp.read();
    await relation.data.remoteApp.get('pvc-name');
    expect(reads).toHaveLength(1);
    model.seedBag(id, { scope: 'app', name: 'storage-app' }, { 'pvc-name': 'changed' });
    expect(await relation.data.remoteApp.get('pvc-name')).toBe('shared');
    (relation.data.remoteApp as unknown as { invalidate(): void }).invalidate();
    expect(await relation.data.remoteApp.get('pvc-name')).toBe('changed');
    expect(reads).toHaveLength(2);
  });

  it('returns copies, so callers cannot edit the cache', async () => {
    const { backend, id } = setup({ leader: true });
    const relation = await Relation.load(backend, 'storage', id);
    const contents = (await relation.data.remoteApp.read()) as Record<string, string>;
    contents['pvc-name'] = 'tampered';
    expect(await relation.data.remoteApp.get('pvc-name')).toBe('shared');
  });

  it('describes bags by side, scope, owner and relation', async () => {
    const model = new MemoryModel();
    const backend = model.backend('radarr/0', { leader: true });
    const id = backend.addRelation({ endpoint: 'storage', remoteApp: 'store' });
    const relation = await Relation.load(backend, 'storage', id);
    expect(relation.data.localUnit.description).toBe(
      `local unit bag of "radarr/0" on storage:${id}`,
    );
    expect(relation.data.remoteUnit('store/0').description).toBe(
      `remote unit bag of "store/0" on storage:${id}`,
    );
  });
});
