import type { StatefulSet, PersistentVolumeClaim, Pod } from '../../lib/kube/types.js';
import type { Capability } from '../../lib/workload/capability.js';
import { reconcileCapabilities } from '../../lib/workload/reconcile.js';
import { active, blocked } from '../../lib/relations/status.js';
import { MemoryModel, type MemoryBackend } from '../../lib/relations/memory-backend.js';
import { StorageRequirer } from '../../lib/storage/requirer.js';
import { readMountRecord } from '../../lib/storage/mount.js';
import { resolveSelfIdentity } from '../../lib/kube/self.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import {
  claimFixture,
  jujuStatefulSetFixture,
  storageClassFixture,
} from '../../lib/testing/fixtures.js';

const NS = 'media';

function radarrStatefulSet(): StatefulSet {
  return jujuStatefulSetFixture(
    'radarr',
    NS,
    { name: 'radarr-app', image: 'lscr.io/linuxserver/radarr:5', volumeMounts: [] },
    { podSecurityContext: { runAsUser: 0 } },
  );
}

const standard = storageClassFixture({ name: 'standard', isDefault: true });

function claim(
  name = 'shared-media',
  phase: 'Pending' | 'Bound' = 'Bound',
  accessModes = ['ReadWriteMany'],
): PersistentVolumeClaim {
  return claimFixture({ name, namespace: NS, phase, accessModes, storageClassName: 'standard' });
}

const offer = {
  'pvc-name': 'shared-media',
  namespace: NS,
  'mount-path': '/data',
  puid: '1000',
  pgid: '1000',
  'access-mode': 'ReadWriteMany',
};

interface Setup {
  kube: FakeCluster;
  model: MemoryModel;
  backend: MemoryBackend;
  relationId: number | undefined;
  requirer: StorageRequirer;
}

function setup(
  options: {
    related?: boolean;
    data?: Record<string, string>;
    objects?: ConstructorParameters<typeof FakeCluster>[0];
    container?: string;
  } = {},
): Setup {
  const kube = new FakeCluster({
    simulate: { statefulSets: true },
    objects: [standard, radarrStatefulSet(), claim()],
    ...options.objects,
  });
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('radarr/0', { leader: true });
  let relationId: number | undefined;
  if (options.related ?? true) {
    relationId = backend.addRelation({
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteAppData: options.data ?? offer,
    });
  }
  const requirer = new StorageRequirer({
    kube,
    backend,
    container: options.container ?? 'radarr-app',
  });
  return { kube, model, backend, relationId, requirer };
}

function storedStatefulSet(kube: FakeCluster): StatefulSet {
  const sts = kube.peek<StatefulSet>({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    namespace: NS,
    name: 'radarr',
  });
  if (!sts) throw new Error('no StatefulSet');
  return sts;
}

describe('StorageRequirer.reconcile: before there is anything to mount', () => {
  it('no relation: Blocked, and not a single Kubernetes request', async () => {
    const { kube, requirer } = setup({ related: false });
    const result = await requirer.reconcile();
    expect(result.state).toBe('no-relation');
    expect(result.status).toEqual({ name: 'blocked', message: 'waiting for storage relation' });
    expect(kube.requests).toEqual([]);
  });

  it('two providers on one endpoint: Blocked instead of picking one, no request', async () => {
    const { kube, backend, requirer } = setup();
    backend.addRelation({ endpoint: 'storage', remoteApp: 'other-storage', remoteAppData: offer });
    const result = await requirer.reconcile();
    expect(result.status).toEqual({
      name: 'blocked',
      message:
        'storage is related to 2 applications (storage, other-storage); relate exactly one (use another endpoint for a second volume)',
    });
    expect(kube.requests).toEqual([]);
  });

  it('relation without provider data: Waiting, no request, instance name published', async () => {
    const { kube, model, requirer, relationId } = setup({ data: {} });
    const result = await requirer.reconcile();
    expect(result.state).toBe('waiting-for-provider');
    expect(result.status).toEqual({
      name: 'waiting',
      message: 'waiting for storage to publish the storage claim',
    });
    expect(kube.requests).toEqual([]);
    expect(result.relationDataWritten).toBe(true);
    expect(model.bag(relationId!, { scope: 'app', name: 'radarr' })).toEqual({
      'instance-name': 'radarr',
      config: '{"instance_name":"radarr"}',
    });
  });

  it('schema-invalid provider data: Blocked naming the fields in words, no request', async () => {
    const { kube, requirer } = setup({ data: { ...offer, puid: 'root', 'mount-path': 'data' } });
    const result = await requirer.reconcile();
    expect(result.state).toBe('invalid');
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain('mount-path: must be an absolute path');
    expect(result.status.message).toContain('puid: must be a whole number from 0 to 2147483647');
    expect(result.status.message).not.toContain('pattern');
    expect(result.error?.name).toBe('InvalidStorageDataError');
    expect(kube.requests).toEqual([]);
  });

  it('a mount path escaping with "..": Blocked by the semantic validator, no request', async () => {
    const { kube, requirer } = setup({ data: { ...offer, 'mount-path': '/data/../etc' } });
    const result = await requirer.reconcile();
    expect(result.state).toBe('invalid');
    expect(result.error?.name).toBe('InvalidStorageDataError');
    expect(result.status.message).toContain('mount-path: must not contain ".." segments');
    // The relation is named once, by the error itself, not again as a prefix.
    expect(result.status.message.match(/storage:0/g)).toHaveLength(1);
    expect(kube.requests).toEqual([]);
  });

  it('a claim in another namespace: Blocked, since a pod can only mount its own namespace', async () => {
    const { kube, requirer } = setup({ data: { ...offer, namespace: 'other' } });
    const result = await requirer.reconcile();
    expect(result.status.message).toContain('a pod can only mount claims of its own namespace');
    expect(kube.requests).toEqual([]);
  });

  it('a claim that does not exist: Blocked naming it, one GET and no patch', async () => {
    const { kube, requirer } = setup({ objects: { objects: [standard, radarrStatefulSet()] } });
    const result = await requirer.reconcile();
    expect(result.state).toBe('missing-claim');
    expect(result.status).toEqual({
      name: 'blocked',
      message:
        'PVC shared-media published by storage does not exist in namespace media; check the storage application',
    });
    expect(kube.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual(['get PersistentVolumeClaim']);
  });

  it('no StatefulSet of its own: Blocked saying where its name came from and how to set it', async () => {
    const { kube, requirer } = setup({ objects: { objects: [standard, claim()] } });
    const result = await requirer.reconcile();
    expect(result.state).toBe('failed');
    expect(result.error?.name).toBe('OwnStatefulSetNotFoundError');
    expect(result.status).toEqual(
      blocked(
        'storage:0: this controller\'s own StatefulSet "radarr" does not exist in namespace "media" ' +
          '(name from the application of unit radarr/0, namespace from the model name); ' +
          'pass `statefulSet: { name, namespace }` to name it explicitly',
      ),
    );
    expect(kube.writes()).toEqual([]);
  });

  it('no StatefulSet where resolveSelfIdentity pointed: the sources it reported are named', async () => {
    const kube = new FakeCluster({ objects: [standard, claim()] });
    const backend = new MemoryModel({ name: NS }).backend('radarr/0', { leader: true });
    backend.addRelation({ endpoint: 'storage', remoteApp: 'storage', remoteAppData: offer });
    const requirer = new StorageRequirer({
      kube,
      backend,
      container: 'radarr-app',
      statefulSet: resolveSelfIdentity({
        env: { JUJU_UNIT_NAME: 'sonarr/0', JUJU_MODEL_NAME: NS },
      }),
    });
    const result = await requirer.reconcile();
    expect(result.status.message).toContain(
      'StatefulSet "sonarr" does not exist in namespace "media" ' +
        '(name from JUJU_UNIT_NAME, namespace from JUJU_MODEL_NAME)',
    );
  });

  it('a container the StatefulSet does not have: typed error and Blocked, never a silent no-op', async () => {
    const { kube, requirer } = setup({ container: 'radarr' });
    const result = await requirer.reconcile();
    expect(result.state).toBe('failed');
    expect(result.error?.name).toBe('ContainerNotFoundError');
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain(
      'has no container named "radarr" (it has: charm, radarr-app)',
    );
    expect(result.status.message).toContain('charmcraft.yaml');
    expect(kube.writes()).toEqual([]);
  });
});

describe('StorageRequirer.reconcile: mounting', () => {
  it('patches once, reports Maintenance, then verifies and goes Active with zero writes', async () => {
    const { kube, requirer } = setup();
    const first = await requirer.reconcile();
    expect(first.state).toBe('patched');
    expect(first.changed).toBe(true);
    expect(first.status).toEqual({
      name: 'maintenance',
      message: 'mounting shared storage at /data (rolling out)',
    });
    expect(kube.writes().map((r) => `${r.verb} ${r.kind} ${r.patchType}`)).toEqual([
      'patch StatefulSet strategic',
    ]);
    expect(first.changes.map((c) => c.summary)).toContain(
      'mount volume charmkit-storage-storage at /data in radarr-app',
    );

    const sts = storedStatefulSet(kube);
    const app = sts.spec.template.spec.containers.find((c) => c.name === 'radarr-app');
    expect(app?.volumeMounts).toEqual([{ name: 'charmkit-storage-storage', mountPath: '/data' }]);
    expect(sts.spec.template.spec.securityContext).toEqual({ runAsUser: 0, fsGroup: 1000 });
    expect(readMountRecord(sts, 'charmkit-storage-storage')?.claim).toBe('shared-media');

    kube.clearRequests();
    const second = await requirer.reconcile();
    expect(second.changed).toBe(false);
    expect(second.state).toBe('mounted');
    expect(second.status).toEqual({
      name: 'active',
      message: 'shared storage shared-media mounted at /data',
    });
    expect(kube.writes()).toEqual([]);
    expect(kube.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'get PersistentVolumeClaim',
      'get StatefulSet',
    ]);
    const pods = kube.objects<Pod>({ apiVersion: 'v1', kind: 'Pod' }, NS);
    expect(pods[0]?.spec.volumes).toContainEqual({
      name: 'charmkit-storage-storage',
      persistentVolumeClaim: { claimName: 'shared-media' },
    });
  });

  it('notes a pod fsGroup it replaced, in the result and the status, and only the first time', async () => {
    const sts = radarrStatefulSet();
    sts.spec.template.spec.securityContext = { fsGroup: 2000 };
    const { kube, requirer } = setup({ objects: { objects: [standard, sts, claim()] } });
    const first = await requirer.reconcile();
    const note =
      'pod fsGroup 2000 replaced by 1000 (the pgid storage publishes); unmount() restores it';
    expect(first.notes).toEqual([note]);
    expect(first.status).toEqual({
      name: 'maintenance',
      message: `mounting shared storage at /data (rolling out); ${note}`,
    });
    expect(storedStatefulSet(kube).spec.template.spec.securityContext).toEqual({ fsGroup: 1000 });
    const second = await requirer.reconcile();
    expect(second.state).toBe('mounted');
    expect(second.notes).toBeUndefined();
  });

  it('says nothing about fsGroup when the pod had none or already had the pgid', async () => {
    for (const fsGroup of [undefined, 1000]) {
      const sts = radarrStatefulSet();
      sts.spec.template.spec.securityContext = fsGroup === undefined ? {} : { fsGroup };
      const { requirer } = setup({ objects: { objects: [standard, sts, claim()] } });
      const result = await requirer.reconcile();
      expect(result.state).toBe('patched');
      expect(result.notes).toBeUndefined();
      expect(result.status.message).toBe('mounting shared storage at /data (rolling out)');
    }
  });

  it('lists the pods when the status cannot prove them updated (a partitioned rollout)', async () => {
    const partitioned = radarrStatefulSet();
    partitioned.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
    const { kube, requirer } = setup({ objects: { objects: [standard, partitioned, claim()] } });
    expect((await requirer.reconcile()).state).toBe('patched');
    kube.clearRequests();
    const second = await requirer.reconcile();
    // The pod below the partition keeps the old template: only listing it shows that.
    expect(kube.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'get PersistentVolumeClaim',
      'get StatefulSet',
      'list Pod',
    ]);
    expect(second.state).toBe('rolling-out');
    expect(second.status.message).toContain('radarr-0');
  });

  it('can wait for the rollout in one call when asked (non-Juju controllers)', async () => {
    const { kube, backend } = setup();
    const requirer = new StorageRequirer({
      kube,
      backend,
      container: 'radarr-app',
      rollout: { timeoutMs: 10_000 },
    });
    const result = await requirer.reconcile();
    expect(result.changed).toBe(true);
    expect(result.state).toBe('mounted');
    expect(result.status.name).toBe('active');
  });

  it('says in Active that a ReadWriteOnce volume pins consumers to one node', async () => {
    const { requirer } = setup({
      data: { ...offer, 'access-mode': 'ReadWriteOnce' },
      objects: {
        objects: [standard, radarrStatefulSet(), claim('shared-media', 'Bound', ['ReadWriteOnce'])],
      },
    });
    await requirer.reconcile();
    const result = await requirer.reconcile();
    expect(result.status.message).toContain('every pod that mounts it must run on the same node');
  });

  it('a changed mount path moves the mount in one patch, leaving no second mount', async () => {
    const { kube, model, relationId, requirer } = setup();
    await requirer.reconcile();
    model.seedBag(relationId!, { scope: 'app', name: 'storage' }, { 'mount-path': '/media' });
    kube.clearRequests();
    const moved = await requirer.reconcile();
    expect(moved.changes.map((c) => c.summary)).toContain(
      'move mount of volume charmkit-storage-storage in radarr-app from /data to /media',
    );
    expect(kube.writes()).toHaveLength(1);
    const app = storedStatefulSet(kube).spec.template.spec.containers.find(
      (c) => c.name === 'radarr-app',
    );
    expect(app?.volumeMounts).toEqual([{ name: 'charmkit-storage-storage', mountPath: '/media' }]);
  });

  it('retries a 409 by re-reading and recomputing, ending with one successful patch', async () => {
    const { kube, requirer } = setup();
    const fault = kube.failNext({ verb: 'patch', kind: 'StatefulSet', status: { code: 409 } });
    const result = await requirer.reconcile();
    expect(fault.fired).toBe(1);
    expect(result.state).toBe('patched');
    expect(kube.requests.filter((r) => r.verb === 'patch').map((r) => r.status)).toEqual([
      409, 200,
    ]);
    expect(kube.requests.filter((r) => r.verb === 'get' && r.kind === 'StatefulSet')).toHaveLength(
      2,
    );
  });

  it('a 403 on the patch: Blocked naming the permission and the juju trust fix', async () => {
    const kube = new FakeCluster({
      objects: [standard, radarrStatefulSet(), claim()],
      authorize: (r) => r.verb !== 'patch',
      user: 'system:serviceaccount:media:radarr',
    });
    const model = new MemoryModel({ name: NS });
    const backend = model.backend('radarr/0', { leader: true });
    backend.addRelation({ endpoint: 'storage', remoteApp: 'storage', remoteAppData: offer });
    const result = await new StorageRequirer({
      kube,
      backend,
      container: 'radarr-app',
    }).reconcile();
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain(
      'cannot patch statefulsets.apps "radarr" in namespace "media"',
    );
    expect(result.status.message).toContain('juju trust radarr --scope=cluster');
    expect(result.error?.name).toBe('KubernetesError');
  });

  it('a rollout stuck on an unbound claim: Blocked with the cluster diagnosis', async () => {
    const pending = claim('shared-media', 'Pending');
    pending.spec.storageClassName = 'missing-class';
    const { kube, requirer } = setup({
      objects: {
        simulate: { statefulSets: true, bindClaims: true },
        objects: [standard, radarrStatefulSet(), pending],
      },
    });
    await requirer.reconcile();
    kube.clearRequests();
    const result = await requirer.reconcile();
    expect(result.state).toBe('stuck');
    expect(result.status.name).toBe('blocked');
    expect(result.diagnosis?.findings[0]?.kind).toBe('UnboundPVC');
    expect(result.status.message).toContain('shared-media');
    expect(kube.writes()).toEqual([]);
  });
});

describe('StorageRequirer: relation broken and unmount', () => {
  it('keeps the mount when the relation goes away, touching nothing', async () => {
    const { kube, model, relationId, requirer } = setup();
    await requirer.reconcile();
    const before = storedStatefulSet(kube);
    model.unrelate(relationId!);
    kube.clearRequests();
    const result = await requirer.reconcile();
    expect(result.state).toBe('no-relation');
    expect(kube.requests).toEqual([]);
    expect(storedStatefulSet(kube).spec.template).toEqual(before.spec.template);
  });

  it('unmount removes exactly what was added, in one patch, and then is a no-op', async () => {
    const { kube, requirer } = setup();
    const original = storedStatefulSet(kube);
    await requirer.reconcile();
    kube.clearRequests();
    const result = await requirer.unmount();
    expect(result.changed).toBe(true);
    expect(kube.writes()).toHaveLength(1);
    const after = storedStatefulSet(kube);
    expect(after.spec.template.spec).toEqual(original.spec.template.spec);
    expect(after.metadata.annotations ?? {}).toEqual({});
    kube.clearRequests();
    const again = await requirer.unmount();
    expect(again.changed).toBe(false);
    expect(kube.writes()).toEqual([]);
  });
});

describe('StorageRequirer: composition with another capability', () => {
  /** A second capability (think VPN): a sidecar, and a ConfigMap that must exist before it. */
  function sidecarCapability(): Capability {
    return {
      owner: 'sidecar',
      prepare: () =>
        Promise.resolve({
          contribute: (plan) => {
            plan.ensureContainer('sidecar', {
              name: 'gateway-sidecar',
              image: 'ghcr.io/angelnu/pod-gateway:v1.13.0',
            });
          },
          beforePatch: async ({ kube: port, statefulSet }) => {
            const ref = {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              namespace: statefulSet.namespace,
              name: 'sidecar-settings',
            };
            try {
              await port.get(ref);
            } catch {
              await port.create({ ...ref, metadata: { name: ref.name, namespace: ref.namespace } });
            }
          },
          verify: (outcome) => Promise.resolve({ status: active(), changes: outcome.changes }),
        }),
      failed: (failure) => ({ status: blocked(String(failure)), changes: [] }),
    };
  }

  it('storage and a sidecar capability go out as ONE patch, side object first; then zero writes', async () => {
    const { kube, requirer } = setup();
    const self = { kube, statefulSet: { name: 'radarr', namespace: NS } };
    const first = await reconcileCapabilities(self, [requirer, sidecarCapability()] as const);
    const [storage, sidecar] = first.results;
    expect(first.patched).toBe(true);
    expect(storage.state).toBe('patched');
    expect(storage.changed).toBe(true);
    expect(sidecar.changes.map((c) => c.owner)).toEqual(['sidecar']);
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'create ConfigMap',
      'patch StatefulSet',
    ]);
    // One StatefulSet read for both capabilities (storage also reads its claim).
    expect(kube.requests.filter((r) => r.kind === 'StatefulSet' && r.verb === 'get')).toHaveLength(
      1,
    );
    expect(new Set(first.changes.map((c) => c.owner))).toEqual(
      new Set(['storage:storage', 'sidecar']),
    );
    const names = storedStatefulSet(kube).spec.template.spec.containers.map((c) => c.name);
    expect(names).toEqual(['charm', 'radarr-app', 'gateway-sidecar']);

    // next round: both satisfied, so nothing is written and storage verifies the mount
    kube.clearRequests();
    const next = await reconcileCapabilities(self, [requirer, sidecarCapability()] as const);
    expect(next.patched).toBe(false);
    expect(next.results[0].state).toBe('mounted');
    expect(kube.writes()).toEqual([]);
  });

  it('a capability whose side object cannot be created is withdrawn; storage still mounts', async () => {
    const { kube, requirer } = setup();
    kube.failNext({ verb: 'create', kind: 'ConfigMap', status: { code: 403, message: 'no' } });
    const self = { kube, statefulSet: { name: 'radarr', namespace: NS } };
    const result = await reconcileCapabilities(self, [requirer, sidecarCapability()] as const);
    expect(result.results[0].state).toBe('patched');
    expect(result.results[1].status.name).toBe('blocked');
    const names = storedStatefulSet(kube).spec.template.spec.containers.map((c) => c.name);
    expect(names).toEqual(['charm', 'radarr-app']);
    expect(kube.writes().map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'create ConfigMap 403',
      'patch StatefulSet 200',
    ]);
  });
});
