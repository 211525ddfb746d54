import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Dispatcher, type ActionEvent, type HookEvent } from '../../lib/relations/dispatcher.js';
import { ProviderEndpoint, RequirerEndpoint } from '../../lib/relations/endpoint.js';
import { HookContextError, RelationError } from '../../lib/relations/errors.js';
import { parseHookName } from '../../lib/relations/hook-names.js';
import { JujuBackend } from '../../lib/relations/juju-backend.js';
import { MemoryBackend } from '../../lib/relations/memory-backend.js';
import { SchemaRegistry } from '../../lib/relations/schema-registry.js';
import { FakeHookTools } from './support/fake-hook-tools.js';

const schema = new SchemaRegistry().get('example', 1);

describe('parseHookName', () => {
  it.each([
    ['storage-relation-joined', 'storage', 'joined'],
    ['storage-relation-changed', 'storage', 'changed'],
    ['shared-storage-relation-departed', 'shared-storage', 'departed'],
    ['vpn-gateway-relation-broken', 'vpn-gateway', 'broken'],
    ['db-relation-created', 'db', 'created'],
  ])('reads %s as a relation hook on %s (%s)', (name, endpoint, event) => {
    expect(parseHookName(name)).toEqual({ kind: 'relation', name, endpoint, event });
  });

  it.each([
    'install',
    'config-changed',
    'upgrade-charm',
    'start',
    'update-status',
    'leader-elected',
    'radarr-pebble-ready',
    'data-storage-attached',
    'relation-changed',
    'storage-relation-exploded',
  ])('passes %s through as a generic hook', (name) => {
    expect(parseHookName(name)).toEqual({ kind: 'hook', name });
  });
});

function memorySetup() {
  const backend = new MemoryBackend({ unit: 'radarr/0', leader: true });
  const id = backend.addRelation({ endpoint: 'storage', remoteApp: 'store' });
  const storage = new RequirerEndpoint({ backend, endpoint: 'storage', schema });
  const shares = new ProviderEndpoint({ backend, endpoint: 'shares', schema });
  const dispatcher = new Dispatcher(backend).register(storage, shares);
  return { backend, id, storage, shares, dispatcher };
}

describe('Dispatcher', () => {
  it('routes a relation hook to its endpoint, then emits the generic hook event', async () => {
    const { backend, id, storage, shares, dispatcher } = memorySetup();
    const order: string[] = [];
    storage.on('joined', (e) => void order.push(`storage joined ${e.remoteUnit}`));
    shares.on('joined', () => void order.push('shares joined'));
    dispatcher.on(
      'hook',
      (e: HookEvent) => void order.push(`hook ${e.hook.name} -> ${e.relationEvent?.kind}`),
    );
    backend.relationHook(id, 'joined', { remoteUnit: 'store/0' });
    const result = await dispatcher.dispatch();
    expect(order).toEqual(['storage joined store/0', 'hook storage-relation-joined -> joined']);
    expect(result.hook).toEqual({
      kind: 'relation',
      name: 'storage-relation-joined',
      endpoint: 'storage',
      event: 'joined',
    });
    expect(result.relationEvent?.relation.id).toBe(id);
  });

  it('surfaces non-relation hooks as a generic event only', async () => {
    const { backend, storage, dispatcher } = memorySetup();
    const hooks: string[] = [];
    storage.on('changed', () => void hooks.push('endpoint must not see this'));
    dispatcher.on('hook', async (e) => {
      await Promise.resolve();
      hooks.push(`${e.hook.kind}:${e.hook.name}`);
    });
    for (const name of ['install', 'config-changed', 'upgrade-charm', 'start', 'update-status']) {
      backend.setContext({ hookName: name, dispatchPath: `hooks/${name}` });
      const result = await dispatcher.dispatch();
      expect(result.relationEvent).toBeUndefined();
    }
    expect(hooks).toEqual([
      'hook:install',
      'hook:config-changed',
      'hook:upgrade-charm',
      'hook:start',
      'hook:update-status',
    ]);
  });

  it('still emits the hook event for relation hooks of endpoints nobody registered', async () => {
    const backend = new MemoryBackend({ unit: 'radarr/0' });
    const id = backend.addRelation({ endpoint: 'metrics', remoteApp: 'prometheus' });
    const dispatcher = new Dispatcher(backend);
    const seen: HookEvent[] = [];
    dispatcher.on('hook', (e) => void seen.push(e));
    const result = await dispatcher.dispatch(backend.relationHook(id, 'changed'));
    expect(result.relationEvent).toBeUndefined();
    expect(seen.map((e) => e.hook.name)).toEqual(['metrics-relation-changed']);
  });

  it('accepts an explicit context instead of a source', async () => {
    const { backend, id } = memorySetup();
    const storage = new RequirerEndpoint({ backend, endpoint: 'storage', schema });
    const result = await new Dispatcher()
      .register(storage)
      .dispatch(backend.relationHook(id, 'changed'));
    expect(result.relationEvent?.kind).toBe('changed');
  });

  it('refuses to dispatch without a hook, a relation, or any context', async () => {
    const { backend, dispatcher } = memorySetup();
    backend.setContext({});
    await expect(dispatcher.dispatch()).rejects.toThrow(
      'neither JUJU_DISPATCH_PATH nor JUJU_HOOK_NAME is set',
    );
    backend.setContext({ hookName: 'storage-relation-changed' });
    await expect(dispatcher.dispatch()).rejects.toThrow(HookContextError);
    await expect(dispatcher.dispatch()).rejects.toThrow(
      'is a relation hook but JUJU_RELATION_ID is not set',
    );
    await expect(new Dispatcher().dispatch()).rejects.toThrow('No hook context');
  });

  it('refuses two endpoints with one name', () => {
    const { backend, dispatcher } = memorySetup();
    expect(() =>
      dispatcher.register(new RequirerEndpoint({ backend, endpoint: 'storage', schema })),
    ).toThrow(RelationError);
  });

  it('tells actions apart: an action event, and no hook event unless asked for', async () => {
    const { backend, storage } = memorySetup();
    const seen: string[] = [];
    const listen = (dispatcher: Dispatcher) => {
      dispatcher.on('action', (e: ActionEvent) => void seen.push(`action ${e.action}`));
      dispatcher.on('hook', (e: HookEvent) => void seen.push(`hook ${e.hook.kind} ${e.hook.name}`));
      return dispatcher;
    };
    backend.setContext({
      hookName: 'backup',
      dispatchPath: 'actions/backup',
      actionName: 'backup',
    });
    const result = await listen(new Dispatcher(backend).register(storage)).dispatch();
    expect(result.hook).toEqual({ kind: 'action', name: 'backup' });
    expect(result.relationEvent).toBeUndefined();
    expect(seen).toEqual(['action backup']);
    seen.length = 0;
    await listen(new Dispatcher(backend, { hookOnActions: true })).dispatch();
    expect(seen).toEqual(['action backup', 'hook action backup']);
  });

  it('does not mistake an action named like a relation hook for one', async () => {
    const { backend, storage, dispatcher } = memorySetup();
    storage.on('changed', () => {
      throw new Error('an action must not reach the endpoint');
    });
    backend.setContext({
      hookName: 'storage-relation-changed',
      dispatchPath: 'actions/storage-relation-changed',
      actionName: 'storage-relation-changed',
    });
    expect((await dispatcher.dispatch()).hook.kind).toBe('action');
  });
});

describe('Dispatcher under Juju (JujuBackend and the fake hook tools)', () => {
  let tools: FakeHookTools;
  beforeEach(() => {
    tools = new FakeHookTools().addRelation({
      id: 5,
      endpoint: 'storage',
      remoteApp: 'store',
      remoteAppData: { 'pvc-name': 'shared', 'mount-path': '/data' },
    });
  });
  afterEach(() => tools.remove());

  it('dispatches a relation hook with the fewest calls', async () => {
    const backend = new JujuBackend({
      env: tools.hookEnv('storage-relation-changed', { relationId: 5 }),
    });
    const storage = new RequirerEndpoint({ backend, endpoint: 'storage', schema });
    const mounts: unknown[] = [];
    storage.on('changed', async (e) => {
      mounts.push(await storage.remoteAppData(e.relation));
    });
    await new Dispatcher(backend).register(storage).dispatch();
    expect(mounts).toEqual([{ 'pvc-name': 'shared', 'mount-path': '/data' }]);
    expect(tools.argvs().map((a) => a.join(' '))).toEqual([
      'relation-list -r 5 --format=json',
      'relation-get -r 5 --app --format=json -- - store',
    ]);
  });

  const published = { 'pvc-name': 'shared', 'mount-path': '/data' };
  it.each([
    // Juju still serves the remote data in the relation's own -broken hook.
    ['broken in its own hook', (t: FakeHookTools) => t.breakRelation(5), published],
    ['gone from the agent', (t: FakeHookTools) => t.forgetRelation(5, 'not-found'), undefined],
    [
      'forgotten by Juju',
      (t: FakeHookTools) => t.forgetRelation(5, 'permission-denied'),
      undefined,
    ],
  ])('ends a -relation-broken hook normally when the relation is %s', async (_, end, data) => {
    end(tools);
    const backend = new JujuBackend({
      env: tools.hookEnv('storage-relation-broken', { relationId: 5 }),
    });
    const storage = new RequirerEndpoint({ backend, endpoint: 'storage', schema });
    const seen: unknown[] = [];
    storage.on('broken', async (e) => {
      seen.push([e.relation.active, e.relation.remoteApp, await storage.remoteAppData(e.relation)]);
    });
    const dispatcher = new Dispatcher(backend).register(storage);
    dispatcher.on('hook', async () => void seen.push(await storage.relations()));
    await dispatcher.dispatch();
    expect(seen).toEqual([[false, 'store', data], []]);
  });

  it('sends an action to the action event only', async () => {
    const backend = new JujuBackend({ env: tools.actionEnv('backup') });
    const dispatcher = new Dispatcher(backend);
    const seen: string[] = [];
    dispatcher.on('action', (e) => void seen.push(`action ${e.action}`));
    dispatcher.on('hook', () => void seen.push('hook'));
    await dispatcher.dispatch();
    expect(seen).toEqual(['action backup']);
    expect(tools.argvs()).toEqual([]);
  });
});
