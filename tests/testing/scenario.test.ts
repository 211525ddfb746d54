import { describe, expect, it } from '@jest/globals';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import type { KubePort, ObjectRef, Patch, RequestRecord } from '../../lib/kube/port.js';
import {
  Dispatcher,
  RelationDataValidationError,
  RequirerEndpoint,
  SchemaRegistry,
  active,
  blocked,
  maintenance,
  type RelationBackend,
} from '../../lib/relations/index.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { statusForFailure } from '../../lib/workload/failure-status.js';
import { Scenario, ScenarioError, on, type ScenarioRelation } from '../../lib/testing/scenario.js';

/**
 * A deliberately tiny KubePort for this test: it serves one StatefulSet and records requests,
 * which is all the example controller needs. (FakeCluster is the real test double; this file
 * only tests the harness.)
 */
class OneStatefulSet implements KubePort {
  readonly requests: RequestRecord[] = [];
  constructor(private sts: StatefulSet) {}

  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    this.requests.push({
      verb: 'get',
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      namespace: ref.namespace,
      status: 200,
    });
    return structuredClone(this.sts) as unknown as T;
  }
  async patch<T extends KubeObject = KubeObject>(ref: ObjectRef, patch: Patch): Promise<T> {
    this.requests.push({
      verb: 'patch',
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      namespace: ref.namespace,
      patchType: patch.type,
      status: 200,
    });
    if (patch.type !== 'strategic')
      throw new Error('this test double only takes strategic patches');
    const template = (patch.body.spec as { template: { spec: { volumes: unknown[] } } }).template;
    this.sts.spec.template.spec = {
      ...this.sts.spec.template.spec,
      volumes: template.spec.volumes as never,
    };
    return structuredClone(this.sts) as unknown as T;
  }
  list(): never {
    throw new Error('not used by this test');
  }
  create(): never {
    throw new Error('not used by this test');
  }
  replace(): never {
    throw new Error('not used by this test');
  }
  delete(): never {
    throw new Error('not used by this test');
  }
  watch(): never {
    throw new Error('not used by this test');
  }
}

interface ExampleProvider {
  app: { 'pvc-name': string; 'mount-path': string; puid?: number };
  unit: Record<string, never>;
}
interface ExampleRequirer {
  app: { 'client-name': string };
  unit: { hostname?: string };
}
const schema = new SchemaRegistry().get<ExampleProvider, ExampleRequirer>('example', 1);

function statefulSet(volumes: { name: string }[] = []): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'radarr', namespace: 'media' },
    spec: {
      serviceName: 'radarr',
      selector: { matchLabels: { app: 'radarr' } },
      template: {
        metadata: { labels: { app: 'radarr' } },
        spec: { containers: [{ name: 'radarr', image: 'radarr:5' }], volumes },
      },
    },
  } as unknown as StatefulSet;
}

/** An example controller, written the way a charm's main() would be. */
async function controller({
  backend,
  kube,
}: {
  backend: RelationBackend;
  kube: KubePort;
}): Promise<void> {
  const storage = new RequirerEndpoint({ backend, endpoint: 'storage', schema });
  const dispatcher = new Dispatcher(backend).register(storage);
  dispatcher.on('hook', async () => {
    const [relation] = await storage.relations();
    if (relation === undefined) {
      await backend.setStatus(blocked('add a storage relation'));
      return;
    }
    if (await backend.isLeader())
      await storage.publishAppData(relation, { 'client-name': 'radarr' });
    await storage.publishUnitData(relation, {
      hostname: backend.context.unitName.replace('/', '-'),
    });
    let volume: ExampleProvider['app'] | undefined;
    try {
      volume = await storage.remoteAppData(relation);
    } catch (failure) {
      if (!(failure instanceof RelationDataValidationError)) throw failure;
      await backend.setStatus(statusForFailure(failure, { label: relation.toString() }));
      return;
    }
    if (volume === undefined) {
      await backend.setStatus(blocked('waiting for the storage app to publish a claim'));
      return;
    }
    const ref = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'radarr',
      namespace: backend.context.modelName,
    };
    const sts = await kube.get<StatefulSet>(ref);
    const volumes = (sts.spec.template.spec as { volumes?: { name: string }[] }).volumes ?? [];
    if (volumes.some((v) => v.name === 'shared')) {
      await backend.setStatus(active());
      return;
    }
    await kube.patch(ref, {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              volumes: [
                ...volumes,
                { name: 'shared', persistentVolumeClaim: { claimName: volume['pvc-name'] } },
              ],
            },
          },
        },
      },
    });
    await backend.setStatus(
      maintenance(`mounting ${volume['pvc-name']} at ${volume['mount-path']}`),
    );
  });
  await dispatcher.dispatch();
}

const scenario = new Scenario<OneStatefulSet>({ app: 'radarr', model: 'media', controller });

const storageRelation: ScenarioRelation = {
  endpoint: 'storage',
  remoteApp: 'store',
  remoteEndpoint: 'share',
  remoteAppData: { 'pvc-name': 'shared-media', 'mount-path': '/data', puid: '1000' },
};

describe('Scenario', () => {
  it('runs a hook with no relations and reports the blocked status, touching nothing', async () => {
    const kube = new OneStatefulSet(statefulSet());
    const out = await scenario.run(on.install(), { leader: true, kube });
    expect(out.hook).toEqual({ kind: 'hook', name: 'install' });
    expect(out.status).toEqual(blocked('add a storage relation'));
    expect(out.relationWrites).toEqual([]);
    expect(out.kubeWrites).toEqual([]);
    expect(out.requests).toEqual([]);
    expect(out.exitCode).toBe(0);
  });

  it('publishes relation data, patches once, and goes maintenance on relation-changed', async () => {
    const kube = new OneStatefulSet(statefulSet());
    const out = await scenario.run(on.relationChanged(storageRelation), {
      leader: true,
      relations: [storageRelation],
      kube,
    });
    expect(out.context.hookName).toBe('storage-relation-changed');
    expect(out.context.relation).toEqual({
      endpoint: 'storage',
      id: 0,
      remoteApp: 'store',
      remoteUnit: 'store/0',
      departingUnit: undefined,
    });
    expect(out.relation('storage').localAppData).toEqual({ 'client-name': 'radarr' });
    expect(out.relation('storage').localUnitData).toEqual({ hostname: 'radarr-0' });
    expect(out.statusHistory).toEqual([maintenance('mounting shared-media at /data')]);
    expect(out.requests?.map((r) => `${r.verb} ${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'get StatefulSet media/radarr',
      'patch StatefulSet media/radarr',
    ]);
  });

  it('works with FakeCluster as the port, counting only the requests of this run', async () => {
    const cluster = new FakeCluster({ objects: [statefulSet() as unknown as KubeObject] });
    await cluster.get({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'radarr',
      namespace: 'media',
    });
    const withCluster = new Scenario<FakeCluster>({ app: 'radarr', model: 'media', controller });
    const out = await withCluster.run(on.relationChanged(storageRelation), {
      leader: true,
      relations: [storageRelation],
      kube: cluster,
    });
    expect(out.requests?.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'get StatefulSet',
      'patch StatefulSet',
    ]);
    const stored = await cluster.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: 'radarr',
      namespace: 'media',
    });
    expect(stored.spec.template.spec.volumes).toEqual([
      { name: 'shared', persistentVolumeClaim: { claimName: 'shared-media' } },
    ]);
  });

  it('chains runs through output.state: the second run writes nothing and sends no patch', async () => {
    const kube = new OneStatefulSet(statefulSet());
    const first = await scenario.run(on.relationChanged(storageRelation), {
      leader: true,
      relations: [storageRelation],
      kube,
    });
    expect(first.kubeWrites?.map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
    expect(first.relationWrites.map((w) => w.scope)).toEqual(['app', 'unit']);
    const second = await scenario.run(on.updateStatus(), first.state);
    expect(second.relationWrites).toEqual([]);
    expect(second.kubeWrites).toEqual([]);
    expect(second.requests?.map((r) => r.verb)).toEqual(['get']);
    expect(second.status).toEqual(active());
    expect(second.relation('storage').localAppData).toEqual({ 'client-name': 'radarr' });
  });

  it('blocks on invalid remote data, naming the fields, and never patches', async () => {
    const kube = new OneStatefulSet(statefulSet());
    const bad = {
      ...storageRelation,
      remoteAppData: { 'pvc-name': 'x', 'mount-path': 'data', puid: 'abc' },
    };
    const out = await scenario.run(on.relationChanged(bad), {
      leader: true,
      relations: [bad],
      kube,
    });
    expect(out.status?.name).toBe('blocked');
    expect(out.status?.message).toContain(
      'mount-path: must be an absolute path ; puid: must be an integer-as-string',
    );
    expect(out.requests).toEqual([]);
  });

  it('runs as a non-leader: the app bag is left alone, the unit bag is written', async () => {
    const kube = new OneStatefulSet(statefulSet([{ name: 'shared' }]));
    const out = await scenario.run(on.relationJoined(storageRelation), {
      relations: [storageRelation],
      kube,
    });
    expect(out.relationWrites.map((w) => w.scope)).toEqual(['unit']);
    expect(out.relation('storage').localAppData).toEqual({});
    expect(out.status).toEqual(active());
  });

  it('models departed (the unit is gone during the hook) and broken (the relation is gone)', async () => {
    const kube = new OneStatefulSet(statefulSet([{ name: 'shared' }]));
    const twoUnits = { ...storageRelation, remoteUnits: ['store/0', 'store/1'] };
    const departed = await scenario.run(on.relationDeparted(twoUnits, { remoteUnit: 'store/1' }), {
      leader: true,
      relations: [twoUnits],
      kube,
    });
    expect(departed.context.relation?.departingUnit).toBe('store/1');
    expect(departed.relation('storage').remoteUnits).toEqual(['store/0']);

    const broken = await scenario.run(on.relationBroken(twoUnits), {
      leader: true,
      relations: [twoUnits],
      kube,
    });
    expect(broken.context.relation?.remoteApp).toBe('store');
    expect(broken.status).toEqual(blocked('add a storage relation'));
    expect(broken.state.relations).toEqual([]);
  });

  it('can fire relation-changed for the remote app bag (no remote unit)', async () => {
    const kube = new OneStatefulSet(statefulSet([{ name: 'shared' }]));
    const out = await scenario.run(on.relationChanged(storageRelation, { remoteUnit: null }), {
      relations: [storageRelation],
      kube,
    });
    expect(out.context.relation?.remoteUnit).toBeUndefined();
  });

  it('keeps the state status when the controller sets none, and reports the app version', async () => {
    const quiet = new Scenario({
      app: 'radarr',
      controller: async ({ backend }) => backend.setApplicationVersion('5.2.1'),
    });
    const out = await quiet.run(on.start(), { status: maintenance('starting') });
    expect(out.status).toEqual(maintenance('starting'));
    expect(out.statusHistory).toEqual([]);
    expect(out.applicationVersion).toBe('5.2.1');
    expect(out.requests).toBeUndefined();
  });

  it('uses the relation ids the state asks for', async () => {
    const out = await new Scenario({ app: 'radarr', controller: () => undefined }).run(
      on.configChanged(),
      {
        relations: [
          { ...storageRelation, id: 9 },
          { endpoint: 'storage', remoteApp: 'backup' },
        ],
      },
    );
    expect(out.relations.map((r) => r.id)).toEqual([9, 10]);
    expect(out.relation('storage', 10).remoteApp).toBe('backup');
    expect(() => out.relation('storage')).toThrow(
      'More than one relation on "storage" in the output; pass the id',
    );
    expect(() => out.relation('vpn')).toThrow(ScenarioError);
  });

  it('requires a port in the state when the controller needs one (checked by tsc)', async () => {
    // Never called: the directive below fails `tsc --noEmit` if `kube` stops being required.
    const typeCheckOnly = (): void => {
      // @ts-expect-error -- this scenario's controller needs `kube`
      void scenario.run(on.install(), { leader: true });
    };
    expect(typeCheckOnly).toBeInstanceOf(Function);
    // A controller without a port runs with no state at all.
    const out = await new Scenario({ app: 'radarr', controller: () => undefined }).run(
      on.install(),
    );
    expect(out.hook).toEqual({ kind: 'hook', name: 'install' });
    expect(out.relations).toEqual([]);
  });

  it('rejects a wrongly wired event, and lets controller failures fail the run', async () => {
    const noop = new Scenario({ app: 'radarr', controller: () => undefined });
    await expect(noop.run(on.relationChanged(storageRelation), { relations: [] })).rejects.toThrow(
      "not in the state's relations",
    );
    await expect(noop.run(on.hook('storage-relation-changed'))).rejects.toThrow(
      'Use on.relation*()',
    );
    await expect(
      noop.run(on.relationChanged(storageRelation, { remoteUnit: 'radarr/1' }), {
        relations: [storageRelation],
      }),
    ).rejects.toThrow('radarr/1 is not a unit of store');
    const failing = new Scenario({
      app: 'radarr',
      controller: () => {
        throw new Error('hook failed');
      },
    });
    await expect(failing.run(on.install())).rejects.toThrow('hook failed');
  });
});
