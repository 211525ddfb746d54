import { describe, expect, it } from '@jest/globals';
import {
  NotLeaderError,
  RelationError,
  RelationNotFoundError,
} from '../../lib/relations/errors.js';
import { MemoryBackend, MemoryModel } from '../../lib/relations/memory-backend.js';
import { Relation } from '../../lib/relations/relation.js';
import { active, blocked, errorStatus, maintenance, waiting } from '../../lib/relations/status.js';

function twoApps() {
  const model = new MemoryModel({ name: 'media' });
  model.addUnits('storage/0', 'radarr/0', 'radarr/1');
  const id = model.relate(
    { app: 'storage', endpoint: 'share' },
    { app: 'radarr', endpoint: 'storage' },
  );
  const provider = model.backend('storage/0', { leader: true });
  const requirer = model.backend('radarr/0', { leader: true });
  const follower = model.backend('radarr/1');
  return { model, id, provider, requirer, follower };
}

describe('MemoryModel with two related applications', () => {
  it('shares one relation id, each side under its own endpoint name', async () => {
    const { id, provider, requirer } = twoApps();
    expect(await provider.relationIds('share')).toEqual([id]);
    expect(await provider.relationIds('storage')).toEqual([]);
    expect(await requirer.relationIds('storage')).toEqual([id]);
    expect(await provider.remoteApp(id)).toBe('radarr');
    expect(await requirer.remoteApp(id)).toBe('storage');
    expect(await provider.remoteUnits(id)).toEqual(['radarr/0', 'radarr/1']);
    expect(await requirer.remoteUnits(id)).toEqual(['storage/0']);
  });

  it('shows what one side writes to the other', async () => {
    const { id, provider, requirer, follower, model } = twoApps();
    await provider.setBag(id, 'app', { 'pvc-name': 'shared', gone: '' });
    await requirer.setBag(id, 'unit', { hostname: 'r0' });
    expect(await requirer.getBag(id, { scope: 'app', name: 'storage' })).toEqual({
      'pvc-name': 'shared',
    });
    expect(await follower.getBag(id, { scope: 'app', name: 'storage' })).toEqual({
      'pvc-name': 'shared',
    });
    expect(await provider.getBag(id, { scope: 'unit', name: 'radarr/0' })).toEqual({
      hostname: 'r0',
    });
    expect(model.writes).toEqual([
      {
        relationId: id,
        unit: 'storage/0',
        scope: 'app',
        changes: { 'pvc-name': 'shared', gone: '' },
      },
      { relationId: id, unit: 'radarr/0', scope: 'unit', changes: { hostname: 'r0' } },
    ]);
  });

  it('tracks leadership per application', async () => {
    const { provider, requirer, follower, model } = twoApps();
    expect([
      await provider.isLeader(),
      await requirer.isLeader(),
      await follower.isLeader(),
    ]).toEqual([true, true, false]);
    model.setLeader('radarr/1');
    expect([await requirer.isLeader(), await follower.isLeader()]).toEqual([false, true]);
    expect(model.leaderOf('radarr')).toBe('radarr/1');
  });

  it('models units joining and departing', async () => {
    const { id, provider, model } = twoApps();
    model.join(id, 'radarr/2');
    expect(await provider.remoteUnits(id)).toEqual(['radarr/0', 'radarr/1', 'radarr/2']);
    model.depart(id, 'radarr/0');
    expect(await provider.remoteUnits(id)).toEqual(['radarr/1', 'radarr/2']);
    expect(() => model.join(id, 'sonarr/0')).toThrow('"sonarr" is not part of relation');
  });

  it('breaks a relation: gone from relationIds, no units, remote bags empty, writes refused', async () => {
    const { id, provider, requirer, model } = twoApps();
    await provider.setBag(id, 'app', { 'pvc-name': 'shared' });
    await requirer.setBag(id, 'unit', { mine: 'yes' });
    model.unrelate(id);
    expect(await requirer.relationIds('storage')).toEqual([]);
    expect(await requirer.remoteUnits(id)).toEqual([]);
    expect(await requirer.remoteApp(id)).toBe('storage');
    expect(await requirer.getBag(id, { scope: 'app', name: 'storage' })).toEqual({});
    expect(await requirer.getBag(id, { scope: 'unit', name: 'radarr/0' })).toEqual({ mine: 'yes' });
    await expect(requirer.setBag(id, 'unit', { a: 'b' })).rejects.toThrow(RelationNotFoundError);
  });

  it('refuses unknown relations, strangers and peer relations', async () => {
    const { id, model } = twoApps();
    const stranger = model.backend('sonarr/0');
    await expect(stranger.remoteApp(id)).rejects.toThrow(
      `Relation ${id} not found: sonarr is not part of it`,
    );
    await expect(stranger.getBag(99, { scope: 'app', name: 'x' })).rejects.toThrow(
      RelationNotFoundError,
    );
    expect(() => model.relate({ app: 'a', endpoint: 'p' }, { app: 'a', endpoint: 'p' })).toThrow(
      'does not model peer relations',
    );
    expect(() => model.addUnits('no-slash')).toThrow('is not a unit name');
  });

  it('records status history per unit and the application version', async () => {
    const { provider, requirer, model } = twoApps();
    await requirer.setStatus(maintenance('mounting'));
    await requirer.setStatus(blocked('no storage'));
    await provider.setStatus(errorStatus('boom'));
    await requirer.setApplicationVersion('5.2.1');
    expect(requirer.statusHistory).toEqual([maintenance('mounting'), blocked('no storage')]);
    expect(requirer.status).toEqual(blocked('no storage'));
    expect(model.statusHistory('storage/0')).toEqual([errorStatus('boom')]);
    expect(model.statusHistory('nobody/0')).toEqual([]);
    expect(model.applicationVersion('radarr')).toBe('5.2.1');
  });

  it('records the application status from the leader, and refuses it to a follower', async () => {
    const { requirer, follower, model } = twoApps();
    await requirer.setApplicationStatus(waiting('for storage'));
    await requirer.setApplicationStatus(active());
    await expect(follower.setApplicationStatus(blocked('x'))).rejects.toThrow(NotLeaderError);
    expect(model.applicationStatusHistory('radarr')).toEqual([waiting('for storage'), active()]);
    expect(model.applicationStatusHistory('storage')).toEqual([]);
    expect(requirer.statusHistory).toEqual([]);
  });

  it('records log lines with their unit and level', async () => {
    const { provider, requirer, model } = twoApps();
    await requirer.log('INFO', 'patched');
    await provider.log('ERROR', 'boom');
    expect(model.logs).toEqual([
      { unit: 'radarr/0', level: 'INFO', message: 'patched' },
      { unit: 'storage/0', level: 'ERROR', message: 'boom' },
    ]);
  });

  it('loads a relation in its own -broken hook as inactive, and leaves it out of forEndpoint', async () => {
    const { id, requirer, model } = twoApps();
    model.unrelate(id);
    requirer.relationHook(id, 'broken');
    const relation = await Relation.load(requirer, 'storage', id);
    expect([relation.active, relation.remoteApp, relation.remoteUnits]).toEqual([
      false,
      'storage',
      [],
    ]);
    expect(await Relation.forEndpoint(requirer, 'storage')).toEqual([]);
  });

  it('lets interceptors inject faults, and removes them on request', async () => {
    const { id, requirer, model } = twoApps();
    const seen: string[] = [];
    const remove = model.intercept((call) => {
      seen.push(`${call.unit} ${call.method}`);
      if (call.method === 'setBag') throw new RelationError('injected');
    });
    await expect(requirer.setBag(id, 'unit', { a: '1' })).rejects.toThrow('injected');
    expect(model.writes).toHaveLength(0);
    expect(seen).toEqual(['radarr/0 setBag']);
    remove();
    await requirer.setBag(id, 'unit', { a: '1' });
    expect(model.writes).toHaveLength(1);
  });
});

describe('MemoryBackend on its own', () => {
  it('seeds a relation to a remote app nobody runs', async () => {
    const backend = new MemoryBackend({ unit: 'radarr/0', leader: true });
    const id = backend.addRelation({
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteEndpoint: 'share',
      remoteAppData: { a: '1' },
    });
    expect(await backend.remoteUnits(id)).toEqual(['storage/0']);
    expect(await backend.getBag(id, { scope: 'app', name: 'storage' })).toEqual({ a: '1' });
  });

  it('uses a requested relation id, and refuses one already in use', async () => {
    const backend = new MemoryBackend({ unit: 'radarr/0' });
    expect(backend.addRelation({ endpoint: 'storage', remoteApp: 'a', id: 7 })).toBe(7);
    expect(backend.addRelation({ endpoint: 'storage', remoteApp: 'b' })).toBe(8);
    expect(() => backend.addRelation({ endpoint: 'storage', remoteApp: 'c', id: 7 })).toThrow(
      'Relation id 7 is invalid or already in use',
    );
    expect(() => backend.addRelation({ endpoint: 'storage', remoteApp: 'c', id: -1 })).toThrow(
      RelationError,
    );
    expect(await backend.relationIds('storage')).toEqual([7, 8]);
  });

  it('reports a no-hook context by default and a relation hook context on request', () => {
    const backend = new MemoryBackend({ unit: 'radarr/0' });
    expect(backend.context).toEqual({
      hookName: undefined,
      dispatchPath: undefined,
      modelName: 'memory',
      relation: undefined,
      unitName: 'radarr/0',
      appName: 'radarr',
    });
    const id = backend.addRelation({ endpoint: 'storage', remoteApp: 'store' });
    const context = backend.relationHook(id, 'departed', {
      remoteUnit: 'store/0',
      departingUnit: 'store/0',
    });
    expect(context).toEqual({
      hookName: 'storage-relation-departed',
      dispatchPath: 'hooks/storage-relation-departed',
      modelName: 'memory',
      unitName: 'radarr/0',
      appName: 'radarr',
      relation: {
        endpoint: 'storage',
        id,
        remoteApp: 'store',
        remoteUnit: 'store/0',
        departingUnit: 'store/0',
      },
    });
    expect(backend.context).toEqual(context);
    backend.setContext({ hookName: 'config-changed', unitName: 'ignored/9' });
    expect(backend.context.hookName).toBe('config-changed');
    expect(backend.context.unitName).toBe('radarr/0');
  });

  it('refuses to pretend a unit is not leader when the model says it is', () => {
    const model = new MemoryModel().setLeader('radarr/0');
    expect(() => model.backend('radarr/0', { leader: false })).toThrow('already the leader');
  });
});
