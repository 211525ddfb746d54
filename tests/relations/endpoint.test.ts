import { describe, expect, it } from '@jest/globals';
import type { HookContext } from '../../lib/relations/backend.js';
import { ProviderEndpoint, RequirerEndpoint } from '../../lib/relations/endpoint.js';
import {
  HookContextError,
  RelationDataAccessError,
  RelationDataValidationError,
} from '../../lib/relations/errors.js';
import type { RelationChangedEvent, RelationEvent } from '../../lib/relations/events.js';
import type { Relation } from '../../lib/relations/relation.js';
import { MemoryModel, type MemoryBackend } from '../../lib/relations/memory-backend.js';
import { SchemaRegistry } from '../../lib/relations/schema-registry.js';
import type { ExampleProvider, ExampleRequirer } from './support/example-interface.js';

const schema = new SchemaRegistry().get<ExampleProvider, ExampleRequirer>('example', 1);

/** Domain events a real requirer would add on top of the lifecycle ones. */
interface ExampleRequirerEvents {
  ready: [event: { relation: Relation; volume: ExampleProvider['app'] }];
  invalid: [event: { relation: Relation; error: RelationDataValidationError }];
  gone: [event: { relation: Relation }];
}

class ExampleRequirerEndpoint extends RequirerEndpoint<
  ExampleProvider,
  ExampleRequirer,
  ExampleRequirerEvents
> {
  protected override async onRelationEvent(event: RelationEvent): Promise<void> {
    if (event.kind === 'broken') {
      await this.emitAsync('gone', { relation: event.relation });
      return;
    }
    if (event.kind !== 'changed') return;
    try {
      const volume = await this.remoteAppData(event.relation);
      if (volume !== undefined) await this.emitAsync('ready', { relation: event.relation, volume });
    } catch (error) {
      if (!(error instanceof RelationDataValidationError)) throw error;
      await this.emitAsync('invalid', { relation: event.relation, error });
    }
  }
}

function world() {
  const model = new MemoryModel();
  model.addUnits('store/0', 'radarr/0', 'radarr/1');
  const id = model.relate(
    { app: 'store', endpoint: 'share' },
    { app: 'radarr', endpoint: 'storage' },
  );
  const providerBackend = model.backend('store/0', { leader: true });
  const requirerBackend = model.backend('radarr/0', { leader: true });
  const provider = new ProviderEndpoint({ backend: providerBackend, endpoint: 'share', schema });
  const requirer = new ExampleRequirerEndpoint({
    backend: requirerBackend,
    endpoint: 'storage',
    schema,
  });
  return { model, id, providerBackend, requirerBackend, provider, requirer };
}

const VOLUME: ExampleProvider['app'] = { 'pvc-name': 'shared', 'mount-path': '/data', puid: 1000 };

describe('publishing and reading typed data', () => {
  it('carries typed data from a provider to a requirer through string bags', async () => {
    const { model, id, provider, requirer } = world();
    const [relation] = await provider.relations();
    expect(relation?.id).toBe(id);
    expect(await provider.publishAppData(relation!, VOLUME)).toBe(true);
    expect(model.bag(id, { scope: 'app', name: 'store' })).toEqual({
      'pvc-name': 'shared',
      'mount-path': '/data',
      puid: '1000',
    });
    const seen = await requirer.remoteAppData(await requirer.relation(id));
    expect(seen).toEqual(VOLUME);
    expect(provider.side).toBe('provider');
    expect(requirer.side).toBe('requirer');
    expect(requirer.interfaceLabel).toBe('example v1');
  });

  it('reads an unpublished bag as undefined, not as invalid', async () => {
    const { id, requirer, model } = world();
    const relation = await requirer.relation(id);
    expect(await requirer.remoteAppData(relation)).toBeUndefined();
    // A unit bag holding only what the agent writes is still "nothing published".
    model.seedBag(id, { scope: 'unit', name: 'store/0' }, { 'ingress-address': '10.0.0.1' });
    expect(await requirer.remoteUnitData(relation, 'store/0')).toBeUndefined();
  });

  it('throws a validation error listing every bad field of a remote bag', async () => {
    const { id, requirer, model } = world();
    model.seedBag(id, { scope: 'app', name: 'store' }, { 'mount-path': 'data', puid: 'x' });
    const relation = await requirer.relation(id);
    const failure = requirer.remoteAppData(relation);
    await expect(failure).rejects.toBeInstanceOf(RelationDataValidationError);
    await expect(requirer.remoteAppData(relation)).rejects.toThrow(
      `Invalid relation data in remote app bag of "store" on storage:${id} (example v1 provider): ` +
        'mount-path: must be an absolute path ; puid: must be an integer-as-string ; pvc-name: is required',
    );
  });

  it('validates before writing: invalid local data never reaches the bag', async () => {
    const { model, id, provider } = world();
    const relation = await provider.relation(id);
    const bad = { 'pvc-name': 'Not A Name', 'mount-path': '/data' };
    await expect(provider.publishAppData(relation, bad)).rejects.toThrow(
      'nothing was written): pvc-name: must be a DNS-1123 label',
    );
    expect(model.writes).toHaveLength(0);
  });

  it('writes once for the same data, and deletes owned fields that are no longer set', async () => {
    const { model, id, provider } = world();
    model.seedBag(id, { scope: 'app', name: 'store' }, { 'someone-else': 'keep me' });
    const relation = await provider.relation(id);
    expect(await provider.publishAppData(relation, VOLUME)).toBe(true);
    expect(await provider.publishAppData(relation, VOLUME)).toBe(false);
    expect(
      await provider.publishAppData(relation, { ...VOLUME, puid: undefined, 'read-only': true }),
    ).toBe(true);
    expect(model.writes.map((w) => w.changes)).toEqual([
      { 'pvc-name': 'shared', 'mount-path': '/data', puid: '1000' },
      { puid: '', 'read-only': 'true' },
    ]);
    expect(model.bag(id, { scope: 'app', name: 'store' })).toEqual({
      'someone-else': 'keep me',
      'pvc-name': 'shared',
      'mount-path': '/data',
      'read-only': 'true',
    });
    // The example schema forbids undeclared keys, so reading it back flags the foreign one.
    await expect(provider.localAppData(relation)).rejects.toThrow(
      'someone-else: is not a field of this interface',
    );
  });

  it('lets only the leader publish app data; any unit publishes its own unit data', async () => {
    const { model, id } = world();
    const follower = new ExampleRequirerEndpoint({
      backend: model.backend('radarr/1'),
      endpoint: 'storage',
      schema,
    });
    const relation = await follower.relation(id);
    await expect(follower.publishAppData(relation, { 'client-name': 'radarr' })).rejects.toThrow(
      RelationDataAccessError,
    );
    expect(model.writes).toHaveLength(0);
    expect(await follower.publishUnitData(relation, { hostname: 'radarr-1' })).toBe(true);
    expect(await follower.localUnitData(relation)).toEqual({ hostname: 'radarr-1' });
    expect(model.writes).toEqual([
      { relationId: id, unit: 'radarr/1', scope: 'unit', changes: { hostname: 'radarr-1' } },
    ]);
  });
});

describe('events', () => {
  function changedHook(backend: MemoryBackend, id: number, remoteUnit?: string): HookContext {
    return backend.relationHook(id, 'changed', { remoteUnit });
  }

  it('emits a typed lifecycle event, then the domain event, awaiting async listeners in order', async () => {
    const { id, provider, requirer, requirerBackend } = world();
    await provider.publishAppData(await provider.relation(id), VOLUME);
    const order: string[] = [];
    requirer.on('changed', async (event: RelationChangedEvent) => {
      await new Promise((resolve) => setImmediate(resolve));
      order.push(`changed ${event.relation.toString()} from ${event.remoteUnit ?? 'app'}`);
    });
    requirer.on('changed', () => {
      order.push('second changed listener');
    });
    requirer.on('ready', (event) => {
      order.push(`ready ${event.volume['mount-path']} puid=${event.volume.puid ?? '-'}`);
    });
    const event = await requirer.handle(changedHook(requirerBackend, id, 'store/0'));
    expect(event?.kind).toBe('changed');
    expect(order).toEqual([
      `changed storage:${id} from store/0`,
      'second changed listener',
      'ready /data puid=1000',
    ]);
  });

  it('turns invalid remote data into a domain event carrying the failing fields', async () => {
    const { id, model, requirer, requirerBackend } = world();
    model.seedBag(id, { scope: 'app', name: 'store' }, { 'pvc-name': 'x', 'mount-path': 'nope' });
    const fields: string[][] = [];
    requirer.on('invalid', ({ error }) => {
      fields.push(error.fields);
    });
    requirer.on('ready', () => {
      throw new Error('must not be ready');
    });
    await requirer.handle(changedHook(requirerBackend, id));
    expect(fields).toEqual([['mount-path']]);
  });

  it('emits joined, departed and broken with the units Juju named', async () => {
    const { id, model, requirer, requirerBackend } = world();
    const seen: string[] = [];
    requirer.on('joined', (e) => void seen.push(`joined ${e.remoteUnit}`));
    requirer.on(
      'departed',
      (e) => void seen.push(`departed ${e.remoteUnit} leaving=${e.departingUnit}`),
    );
    requirer.on(
      'broken',
      (e) =>
        void seen.push(`broken ${e.relation.remoteApp} units=${e.relation.remoteUnits.length}`),
    );
    requirer.on('gone', (e) => void seen.push(`gone ${e.relation.id}`));
    await requirer.handle(requirerBackend.relationHook(id, 'joined', { remoteUnit: 'store/0' }));
    await requirer.handle(
      requirerBackend.relationHook(id, 'departed', {
        remoteUnit: 'store/0',
        departingUnit: 'store/0',
      }),
    );
    model.unrelate(id);
    await requirer.handle(requirerBackend.relationHook(id, 'broken'));
    expect(seen).toEqual([
      'joined store/0',
      'departed store/0 leaving=store/0',
      'broken store units=0',
      `gone ${id}`,
    ]);
  });

  it('runs once() listeners a single time', async () => {
    const { id, requirer, requirerBackend } = world();
    let calls = 0;
    requirer.once('changed', () => void calls++);
    await requirer.handle(changedHook(requirerBackend, id));
    await requirer.handle(changedHook(requirerBackend, id));
    expect(calls).toBe(1);
  });

  it('fails the hook when a listener throws, and skips the listeners after it', async () => {
    const { id, requirer, requirerBackend } = world();
    const after: string[] = [];
    requirer.on('changed', async () => {
      throw new Error('listener failed');
    });
    requirer.on('changed', () => void after.push('ran'));
    await expect(requirer.handle(changedHook(requirerBackend, id))).rejects.toThrow(
      'listener failed',
    );
    expect(after).toEqual([]);
  });

  it('ignores hooks of other endpoints and non-relation hooks', async () => {
    const { id, requirer, requirerBackend, provider } = world();
    let calls = 0;
    requirer.on('changed', () => void calls++);
    provider.on('changed', () => void calls++);
    expect(await provider.handle(changedHook(requirerBackend, id))).toBeUndefined();
    expect(
      await requirer.handle({
        ...requirerBackend.context,
        hookName: 'config-changed',
        relation: undefined,
      }),
    ).toBeUndefined();
    expect(
      await requirer.handle({ ...requirerBackend.context, hookName: undefined }),
    ).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('refuses a relation hook whose context names no relation of this endpoint', async () => {
    const { requirer, requirerBackend } = world();
    const context = {
      ...requirerBackend.context,
      hookName: 'storage-relation-changed',
      relation: undefined,
    };
    await expect(requirer.handle(context)).rejects.toThrow(HookContextError);
  });

  it('types listeners from the event map', () => {
    const { requirer } = world();
    // These lines are checked by `tsc --noEmit`, which covers tests.
    requirer.on('departed', (e) => void e.departingUnit);
    // @ts-expect-error -- 'changed' events have no departingUnit
    requirer.on('changed', (e) => void e.departingUnit);
    // @ts-expect-error -- no such event
    requirer.on('exploded', () => undefined);
    expect(requirer.listenerCount('changed')).toBe(1);
  });
});
