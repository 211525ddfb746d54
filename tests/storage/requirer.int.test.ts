/**
 * StorageRequirer against the real control plane: the real API server applies our strategic merge
 * patches, the real StatefulSet controller rolls the pods, RBAC answers 403s, and kwok's nodes make
 * pods Ready. No container really runs, so "mounted" is verified from the running pod's spec.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import type { KubePort } from '../../lib/kube/port.js';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../lib/kube/types.js';
import { MemoryModel, type MemoryBackend } from '../../lib/relations/memory-backend.js';
import { StorageRequirer, type StorageRequirerResult } from '../../lib/storage/requirer.js';
import {
  grantRole,
  kubeconfigPath,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import {
  jujuCharmStatefulSet,
  statefulSetRef,
  waitForSingleReplicaRollout,
} from '../support/objects.js';
import { createBoundClaim, deleteVolumes } from '../support/storage.js';

const ns = useTestNamespace('storage-req');
const log = new RequestLog();
const pvs: string[] = [];
let port: KubePort;

beforeAll(async () => {
  port = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
  await boundClaim('shared-media');
});
afterAll(() => deleteVolumes(pvs));

const sts = (name: string) => statefulSetRef(ns.name, name);

/** A claim bound to its own pre-bound hostPath PV (the real PV binder does the binding). */
async function boundClaim(name: string): Promise<void> {
  pvs.push(await createBoundClaim(ns.name, name));
}

/**
 * A Juju sidecar charm's StatefulSet, rolled out. Its workload already mounts a volume and its pod
 * runs as root: the tests check the requirer keeps both when it adds its mount and fsGroup.
 */
async function charmStatefulSet(app: string): Promise<StatefulSet> {
  const created = await port.create<StatefulSet>(
    jujuCharmStatefulSet(
      app,
      ns.name,
      {
        name: `${app}-app`,
        image: `registry.invalid/${app}:5`,
        volumeMounts: [{ name: 'config', mountPath: '/config' }],
      },
      {
        podSecurityContext: { runAsUser: 0 },
        volumes: [{ name: 'config', emptyDir: {} }],
      },
    ),
  );
  await rolledOut(app);
  return created;
}

async function rolledOut(app: string): Promise<StatefulSet> {
  return waitForSingleReplicaRollout(ns.name, app);
}

function related(
  app: string,
  data: Record<string, string>,
): { backend: MemoryBackend; model: MemoryModel; id: number } {
  const model = new MemoryModel({ name: ns.name });
  const backend = model.backend(`${app}/0`, { leader: true });
  const id = backend.addRelation({
    endpoint: 'storage',
    remoteApp: 'storage',
    remoteAppData: data,
  });
  return { backend, model, id };
}

const offer = (claim = 'shared-media', mountPath = '/data') => ({
  'pvc-name': claim,
  namespace: ns.name,
  'mount-path': mountPath,
  puid: '1000',
  pgid: '1000',
  'access-mode': 'ReadWriteOnce',
});

/** Reconciles until the requirer reports the mount verified (the rollout takes a few seconds). */
async function untilMounted(requirer: StorageRequirer): Promise<StorageRequirerResult> {
  return waitUntil(
    'the mount to be verified',
    async () => {
      const result = await requirer.reconcile();
      if (result.status.name === 'blocked' || result.status.name === 'error') {
        throw new Error(`unexpected ${result.status.name}: ${result.status.message}`);
      }
      return result.state === 'mounted' ? result : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 1000 },
  );
}

const summary = () => log.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`);

describe('StorageRequirer on a real API server', () => {
  let original: StatefulSet;
  let requirer: StorageRequirer;
  let model: MemoryModel;
  let relationId: number;

  beforeAll(async () => {
    original = await port.get<StatefulSet>(
      sts((await charmStatefulSet('radarr')).metadata.name ?? ''),
    );
    const rel = related('radarr', offer());
    model = rel.model;
    relationId = rel.id;
    requirer = new StorageRequirer({ kube: port, backend: rel.backend, container: 'radarr-app' });
  });

  it('mounts with one patch, rolls the pod, and verifies the mount in the running pod', async () => {
    log.clear();
    const first = await requirer.reconcile();
    expect(first.state).toBe('patched');
    expect(first.status).toEqual({
      name: 'maintenance',
      message: 'mounting shared storage at /data (rolling out)',
    });
    expect(summary()).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
      'patch StatefulSet 200',
    ]);
    console.log(
      `storage requirer, first reconcile: ${log.requests.length} requests, ${log.writes().length} write(s)`,
    );

    const done = await untilMounted(requirer);
    expect(done.status.message).toContain('shared storage shared-media mounted at /data');
    const pod = await port.get<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns.name,
      name: 'radarr-0',
    });
    expect(pod.spec.volumes).toContainEqual(
      expect.objectContaining({
        name: 'charmkit-storage-storage',
        persistentVolumeClaim: { claimName: 'shared-media' },
      }),
    );
    const app = pod.spec.containers.find((c) => c.name === 'radarr-app');
    expect(app?.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'charmkit-storage-storage', mountPath: '/data' }),
    );
    expect(app?.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'config', mountPath: '/config' }),
    );
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 0, fsGroup: 1000 });
  });

  it('a second reconcile makes zero writes', async () => {
    log.clear();
    const result = await requirer.reconcile();
    expect(result.changed).toBe(false);
    expect(result.state).toBe('mounted');
    expect(log.writes()).toEqual([]);
    expect(summary()).toEqual(['get PersistentVolumeClaim 200', 'get StatefulSet 200']);
    console.log(
      `storage requirer, no-op reconcile: ${log.requests.length} requests, ${log.writes().length} writes`,
    );
  });

  it('a changed mount path moves the mount (one patch, no second mount of the volume)', async () => {
    model.seedBag(relationId, { scope: 'app', name: 'storage' }, { 'mount-path': '/media' });
    log.clear();
    const moved = await requirer.reconcile();
    expect(moved.state).toBe('patched');
    expect(log.writes()).toHaveLength(1);
    const stored = await port.get<StatefulSet>(sts('radarr'));
    const mounts =
      stored.spec.template.spec.containers.find((c) => c.name === 'radarr-app')?.volumeMounts ?? [];
    expect(
      mounts.filter((m) => m.name === 'charmkit-storage-storage').map((m) => m.mountPath),
    ).toEqual(['/media']);
    expect(mounts.map((m) => m.mountPath)).toEqual(['/config', '/media']);
    await untilMounted(requirer);
  });

  it('unmount removes exactly what was added, as the server stores it', async () => {
    log.clear();
    const result = await requirer.unmount();
    expect(result.changed).toBe(true);
    expect(log.writes()).toHaveLength(1);
    const after = await port.get<StatefulSet>(sts('radarr'));
    expect(after.spec.template).toEqual(original.spec.template);
    expect(
      Object.keys(after.metadata.annotations ?? {}).filter((k) => k.includes('charmkit')),
    ).toEqual([]);
    log.clear();
    expect((await requirer.unmount()).changed).toBe(false);
    expect(log.writes()).toEqual([]);
  });
});

describe('StorageRequirer failure paths on a real API server', () => {
  it('a claim that does not exist: Blocked naming it, no patch', async () => {
    await charmStatefulSet('sonarr');
    const { backend } = related('sonarr', offer('no-such-claim'));
    log.clear();
    const result = await new StorageRequirer({
      kube: port,
      backend,
      container: 'sonarr-app',
    }).reconcile();
    expect(result.state).toBe('missing-claim');
    expect(result.status.message).toContain(
      `PVC no-such-claim published by storage does not exist in namespace ${ns.name}`,
    );
    expect(summary()).toEqual(['get PersistentVolumeClaim 404']);
  });

  it('a container name that is the app name, not the workload container: Blocked, no write', async () => {
    const { backend } = related('sonarr', offer());
    log.clear();
    const result = await new StorageRequirer({
      kube: port,
      backend,
      container: 'sonarr',
    }).reconcile();
    expect(result.error?.name).toBe('ContainerNotFoundError');
    expect(result.status.message).toContain(
      'StatefulSet sonarr has no container named "sonarr" (it has: charm, sonarr-app)',
    );
    expect(log.writes()).toEqual([]);
  });

  it('a rollout stuck on an unbound claim is Blocked with the cluster diagnosis', async () => {
    await port.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'never-binds', namespace: ns.name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await charmStatefulSet('lidarr');
    const { backend } = related('lidarr', offer('never-binds'));
    const requirer = new StorageRequirer({ kube: port, backend, container: 'lidarr-app' });
    expect((await requirer.reconcile()).state).toBe('patched');
    const stuck = await waitUntil(
      'the diagnosis to name the claim',
      async () => {
        const r = await requirer.reconcile();
        return r.state === 'stuck' ? r : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(stuck.status.name).toBe('blocked');
    expect(stuck.diagnosis?.findings[0]).toMatchObject({
      kind: 'UnboundPVC',
      object: 'never-binds',
    });
    expect(stuck.status.message).toContain('PersistentVolumeClaim "never-binds" is Pending');
  });
});

describe('StorageRequirer under RBAC on a real API server', () => {
  it('a ServiceAccount that may only get/patch its own StatefulSet gets a status naming the missing permission', async () => {
    await charmStatefulSet('readarr');
    await grantRole(ns.name, 'readarr', 'readarr-own-sts', [
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        resourceNames: ['readarr'],
        verbs: ['get', 'patch'],
      },
    ]);
    const restricted = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, 'readarr'),
    });
    const { backend } = related('readarr', offer());
    const requirer = new StorageRequirer({ kube: restricted, backend, container: 'readarr-app' });
    const result = await requirer.reconcile();
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain(
      `forbidden: cannot get persistentvolumeclaims "shared-media" in namespace "${ns.name}"; ` +
        'grant a Role rule {apiGroups: [""], resources: ["persistentvolumeclaims"], resourceNames: ["shared-media"], verbs: ["get"]}',
    );
    expect(result.status.message).toContain('juju trust readarr --scope=cluster');

    // Granting exactly the rule the status named gets it past that step: the patch goes through.
    await grantRole(ns.name, 'readarr', 'readarr-claim', [
      {
        apiGroups: [''],
        resources: ['persistentvolumeclaims'],
        resourceNames: ['shared-media'],
        verbs: ['get'],
      },
    ]);
    const patched = await waitUntil('the new Role to take effect', async () => {
      const r = await requirer.reconcile();
      return r.state === 'patched' ? r : undefined;
    });
    expect(patched.changed).toBe(true);
  });

  it('the Role documented in docs/storage.md is enough to mount and verify', async () => {
    await charmStatefulSet('bazarr');
    await grantRole(ns.name, 'bazarr', 'bazarr-storage', [
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        resourceNames: ['bazarr'],
        verbs: ['get', 'patch'],
      },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
      { apiGroups: [''], resources: ['pods', 'events'], verbs: ['list'] },
    ]);
    const restricted = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, 'bazarr'),
      onRequest: log.onRequest,
    });
    const { backend } = related('bazarr', offer());
    const requirer = new StorageRequirer({ kube: restricted, backend, container: 'bazarr-app' });
    log.clear();
    const mounted = await untilMounted(requirer);
    expect(mounted.status.name).toBe('active');
    expect(log.requests.filter((r) => r.status === 403)).toEqual([]);
  });

  it('a 403 on the patch itself names the patch permission', async () => {
    await charmStatefulSet('prowlarr');
    await grantRole(ns.name, 'prowlarr', 'prowlarr-read', [
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        resourceNames: ['prowlarr'],
        verbs: ['get'],
      },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get'] },
    ]);
    const restricted = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, 'prowlarr'),
    });
    const { backend } = related('prowlarr', offer());
    const result = await new StorageRequirer({
      kube: restricted,
      backend,
      container: 'prowlarr-app',
    }).reconcile();
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain(
      `forbidden: cannot patch statefulsets.apps "prowlarr" in namespace "${ns.name}"`,
    );
    expect(result.status.message).toContain('verbs: ["patch"]');
  });
});
