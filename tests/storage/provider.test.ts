import type {
  KubeObject,
  PersistentVolume,
  PersistentVolumeClaim,
  StatefulSet,
  StorageClass,
} from '../../lib/kube/types.js';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { StorageProvider, type StorageProviderOptions } from '../../lib/storage/provider.js';
import type { ProbeJob } from '../../lib/storage/probe.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';

const NS = 'media';

function storageClass(
  name: string,
  provisioner: string,
  extra: Partial<StorageClass> = {},
): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner,
    ...extra,
  };
}
const defaultAnnotation = { 'storageclass.kubernetes.io/is-default-class': 'true' };
const nfs = storageClass('nfs-client', 'cluster.local/nfs-client-provisioner', {
  allowVolumeExpansion: true,
});
const local = storageClass('local', 'rancher.io/local-path', {
  metadata: { name: 'local', annotations: defaultAnnotation },
  allowVolumeExpansion: false,
});

const providerSts: StatefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'storage', namespace: NS },
  spec: {
    selector: { matchLabels: { app: 'storage' } },
    template: {
      metadata: { labels: { app: 'storage' } },
      spec: { containers: [{ name: 'charm', image: 'c' }] },
    },
  },
};

function setup(
  objects: KubeObject[] = [nfs, local, providerSts],
  options: Partial<StorageProviderOptions> = {},
  cluster: ConstructorParameters<typeof FakeCluster>[0] = {},
) {
  const kube = new FakeCluster({
    simulate: { statefulSets: true, bindClaims: true },
    objects,
    ...cluster,
  });
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('storage/0', {
    leader: options.backend === undefined ? true : undefined,
  });
  const relationId = model.relate(
    { app: 'storage', endpoint: 'storage', units: ['storage/0'] },
    { app: 'radarr', endpoint: 'storage', units: ['radarr/0'] },
  );
  const provider = new StorageProvider({
    kube,
    backend,
    mountPath: '/data',
    puid: 1000,
    pgid: 1000,
    ...options,
  });
  return { kube, model, backend, relationId, provider };
}

function claimOf(kube: FakeCluster): PersistentVolumeClaim | undefined {
  return kube.peek<PersistentVolumeClaim>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace: NS,
    name: 'storage-shared',
  });
}

describe('StorageProvider: creating the claim', () => {
  it('creates a labelled RWX claim on an NFS class, then publishes it once Bound', async () => {
    const { kube, model, relationId, provider } = setup();
    const created = await provider.reconcile({ className: 'nfs-client', size: '100Gi' });
    expect(created.changed).toBe(true);
    expect(created.accessModes?.accessModes).toEqual(['ReadWriteMany']);
    // The create answer is Pending, as a real server's is: nothing is published yet.
    expect(created.diagnosis?.condition).toBe('provisioning');
    expect(created.status.name).toBe('waiting');
    expect(created.published).toEqual([]);
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'create PersistentVolumeClaim',
    ]);
    const claim = claimOf(kube)!;
    expect(claim.spec).toMatchObject({
      accessModes: ['ReadWriteMany'],
      storageClassName: 'nfs-client',
      resources: { requests: { storage: '100Gi' } },
    });
    expect(claim.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'charmkit',
      'storage.charmkit.io/provider': 'storage',
    });
    expect(claim.metadata.ownerReferences).toBeUndefined();

    const result = await provider.reconcile({ className: 'nfs-client', size: '100Gi' });
    expect(result.diagnosis?.condition).toBe('bound');
    expect(result.published).toEqual([relationId]);
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })).toEqual({
      'pvc-name': 'storage-shared',
      namespace: NS,
      'mount-path': '/data',
      puid: '1000',
      pgid: '1000',
      'access-mode': 'ReadWriteMany',
      'storage-class': 'nfs-client',
      size: '100Gi',
      // The same offer in charmarr's media-storage form, for unmodified charmarr requirers.
      config: '{"pvc_name":"storage-shared","mount_path":"/data","puid":1000,"pgid":1000}',
    });
    expect(result.status).toEqual({
      name: 'active',
      message: 'PVC storage-shared ready (100Gi, ReadWriteMany)',
    });
  });

  it('a second reconcile reads one object and writes nothing', async () => {
    const { kube, model, provider } = setup();
    await provider.reconcile({ className: 'nfs-client', size: '100Gi' });
    await provider.reconcile({ className: 'nfs-client', size: '100Gi' });
    kube.clearRequests();
    const writesBefore = model.writes.length;
    const again = await provider.reconcile({ className: 'nfs-client', size: '100Gi' });
    expect(again.changed).toBe(false);
    expect(kube.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual(['get PersistentVolumeClaim']);
    expect(model.writes.length).toBe(writesBefore);
  });

  it('falls back to ReadWriteOnce on the default class and says consumers share one node', async () => {
    const { kube, provider } = setup();
    const created = await provider.reconcile({ size: '10Gi' });
    expect(created.accessModes?.note).toContain('same node');
    const result = await provider.reconcile({ size: '10Gi' });
    expect(claimOf(kube)?.spec.accessModes).toEqual(['ReadWriteOnce']);
    // the API server's DefaultStorageClass admission fills in the default class
    expect(claimOf(kube)?.spec.storageClassName).toBe('local');
    expect(result.status.message).toContain('every pod that mounts it must run on the same node');
  });

  it('honours an access-mode override and rejects an invalid one before any request', async () => {
    const { kube, provider } = setup();
    await provider.reconcile({ size: '10Gi', accessModes: ['ReadWriteMany'] });
    expect(claimOf(kube)?.spec.accessModes).toEqual(['ReadWriteMany']);
    const fresh = setup();
    const bad = await fresh.provider.reconcile({ size: '10Gi', accessModes: ['RWX'] });
    expect(bad.status.name).toBe('blocked');
    expect(bad.error?.name).toBe('InvalidAccessModeError');
    expect(fresh.kube.requests).toEqual([]);
  });

  it('invalid configuration is Blocked with no request', async () => {
    const { kube, provider } = setup();
    const result = await provider.reconcile({ size: 'lots' });
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain('"lots" is not a valid Kubernetes quantity');
    expect(kube.requests).toEqual([]);
  });

  it('by default the claim has no ownerReference: removing the app must not delete the data', async () => {
    const { kube, provider } = setup([nfs]);
    await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(claimOf(kube)?.metadata.ownerReferences).toBeUndefined();
  });

  it('with ownerStatefulSet: true the provider StatefulSet owns the claim', async () => {
    const { kube, provider } = setup(undefined, { ownerStatefulSet: true });
    await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    const sts = kube.peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: NS,
      name: 'storage',
    });
    expect(claimOf(kube)?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        name: 'storage',
        uid: sts?.metadata.uid,
        blockOwnerDeletion: false,
      },
    ]);
  });

  it('still creates the claim when listing StorageClasses is forbidden, noting it', async () => {
    const { kube, provider } = setup(
      undefined,
      {},
      {
        authorize: (r) => !(r.verb === 'list' && r.kind === 'StorageClass'),
      },
    );
    const result = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(claimOf(kube)?.spec.accessModes).toEqual(['ReadWriteOnce']);
    expect(result.notes.join()).toContain('cannot list StorageClass');
  });
});

describe('StorageProvider: static volumes', () => {
  it('creates a Retain NFS PV pre-bound to the claim, and the claim bound to it by volumeName', async () => {
    const { kube, provider } = setup([providerSts], {
      staticVolume: { nfs: { server: '10.0.0.5', path: '/exports/media' } },
    });
    const result = await provider.reconcile({ size: '1Ti' });
    expect(result.changed).toBe(true);
    const pv = kube.peek<PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      name: 'charmkit-media-storage-shared',
    });
    expect(pv?.spec).toMatchObject({
      capacity: { storage: '1Ti' },
      accessModes: ['ReadWriteMany'],
      persistentVolumeReclaimPolicy: 'Retain',
      claimRef: { namespace: NS, name: 'storage-shared' },
      nfs: { server: '10.0.0.5', path: '/exports/media' },
    });
    expect(pv?.metadata.ownerReferences).toBeUndefined();
    expect(claimOf(kube)?.spec).toMatchObject({
      volumeName: 'charmkit-media-storage-shared',
      storageClassName: '',
    });
  });

  it('refuses to adopt a PersistentVolume of that name that is not its own', async () => {
    const foreign: PersistentVolume = {
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      metadata: { name: 'charmkit-media-storage-shared' },
      spec: {
        capacity: { storage: '1Gi' },
        accessModes: ['ReadWriteOnce'],
        hostPath: { path: '/x' },
      },
    };
    const { kube, provider } = setup([foreign], {
      staticVolume: { hostPath: { path: '/srv/media' } },
    });
    const result = await provider.reconcile({ size: '1Gi' });
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain("is not charmkit's volume");
    expect(claimOf(kube)).toBeUndefined();
  });
});

describe('StorageProvider: sizes only grow', () => {
  it('a smaller size is Blocked with the typed error and changes nothing', async () => {
    const { kube, provider } = setup();
    await provider.reconcile({ className: 'nfs-client', size: '10Gi' });
    kube.clearRequests();
    const result = await provider.reconcile({ className: 'nfs-client', size: '5Gi' });
    expect(result.error?.name).toBe('VolumeShrinkError');
    expect(result.status.message).toContain('cannot shrink PVC storage-shared from 10Gi to 5Gi');
    expect(kube.writes()).toEqual([]);
  });

  it('a larger size is reported as a needed resize, naming whether the class can expand', async () => {
    const { kube, provider } = setup();
    await provider.reconcile({ className: 'nfs-client', size: '10Gi' });
    const grow = await provider.reconcile({ className: 'nfs-client', size: '20Gi' });
    expect(grow.resize).toEqual({ kind: 'grow', current: '10Gi', desired: '20Gi' });
    expect(grow.status.message).toContain(
      'needs a resize from 10Gi to 20Gi; resizing is not automated yet',
    );
    expect(claimOf(kube)?.spec.resources?.requests?.storage).toBe('10Gi');

    const other = setup();
    await other.provider.reconcile({ className: 'local', size: '10Gi' });
    const fixed = await other.provider.reconcile({ className: 'local', size: '20Gi' });
    expect(fixed.status.message).toContain('StorageClass "local" does not allow volume expansion');
  });
});

describe('StorageProvider: claims that do not bind', () => {
  it('a class that does not exist: Blocked naming it, nothing published', async () => {
    const { model, relationId, provider } = setup();
    const result = await provider.reconcile({ className: 'fast', size: '1Gi' });
    expect(result.diagnosis?.condition).toBe('class-not-found');
    expect(result.status.message).toContain(
      'StorageClass "fast" does not exist (classes: local, nfs-client)',
    );
    expect(result.published).toEqual([]);
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })).toEqual({});
  });

  it('WaitForFirstConsumer: usable, published, and not an error', async () => {
    const wffc = storageClass('wffc', 'rancher.io/local-path', {
      volumeBindingMode: 'WaitForFirstConsumer',
    });
    const { relationId, model, provider } = setup([wffc, providerSts]);
    const result = await provider.reconcile({ className: 'wffc', size: '1Gi' });
    expect(result.diagnosis?.condition).toBe('waiting-for-first-consumer');
    expect(result.status.name).toBe('active');
    expect(result.published).toEqual([relationId]);
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })['pvc-name']).toBe(
      'storage-shared',
    );
  });

  it('a quota the claim would exceed: Blocked before creating anything', async () => {
    const quota: KubeObject = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'storage-quota', namespace: NS },
      spec: { hard: { 'requests.storage': '5Gi' } },
      status: { hard: { 'requests.storage': '5Gi' }, used: { 'requests.storage': '1Gi' } },
    };
    const { kube, provider } = setup([nfs, providerSts, quota]);
    const result = await provider.reconcile({ className: 'nfs-client', size: '10Gi' });
    expect(result.diagnosis?.condition).toBe('quota-exceeded');
    expect(result.status.message).toBe(
      'PVC storage-shared would exceed ResourceQuota storage-quota (requests.storage: 10Gi requested, 1Gi used of 5Gi); raise the quota or request less storage',
    );
    expect(kube.writes()).toEqual([]);
  });

  it('a quota refusal from the API server is reported as a quota, not as RBAC', async () => {
    const { kube, provider } = setup();
    kube.failNext({
      verb: 'create',
      kind: 'PersistentVolumeClaim',
      status: {
        code: 403,
        message:
          'persistentvolumeclaims "storage-shared" is forbidden: exceeded quota: q, requested: requests.storage=10Gi, used: requests.storage=0, limited: requests.storage=1Gi',
      },
    });
    const result = await provider.reconcile({ className: 'nfs-client', size: '10Gi' });
    expect(result.status.message).toContain('would exceed ResourceQuota q');
    expect(result.status.message).not.toContain('juju trust');
  });
});

describe('StorageProvider: leadership and the permission probe', () => {
  it('a non-leader creates nothing twice and publishes nothing', async () => {
    const kube = new FakeCluster({
      simulate: { statefulSets: true, bindClaims: true },
      objects: [nfs, providerSts],
    });
    const model = new MemoryModel({ name: NS });
    model.setLeader('storage/1');
    const backend = model.backend('storage/0');
    const relationId = model.relate(
      { app: 'storage', endpoint: 'storage' },
      { app: 'radarr', endpoint: 'storage' },
    );
    const result = await new StorageProvider({ kube, backend, mountPath: '/data' }).reconcile({
      className: 'nfs-client',
      size: '1Gi',
    });
    expect(result.published).toEqual([]);
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })).toEqual({});
  });

  it('creates a probe Job once, reports Waiting while it runs and Blocked only once it failed', async () => {
    const { kube, provider } = setup(undefined, { permissionProbe: true });
    const created = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(created.probe).toBeUndefined(); // never probe a claim that is not usable yet
    const first = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(first.probe).toEqual({ state: 'running' });
    expect(first.status).toEqual({
      name: 'waiting',
      message: 'checking that uid 1000 / gid 1000 can write to PVC storage-shared',
    });
    const jobs = kube.objects<ProbeJob>({ apiVersion: 'batch/v1', kind: 'Job' }, NS);
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    const podSpec = (job.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(podSpec.securityContext).toMatchObject({
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
    });
    expect(JSON.stringify(podSpec)).toContain('"claimName":"storage-shared"');

    kube.clearRequests();
    const running = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(running.status.name).toBe('waiting');
    expect(kube.writes()).toEqual([]);

    const ref = { apiVersion: 'batch/v1', kind: 'Job', namespace: NS, name: job.metadata.name! };
    await kube.patch(
      ref,
      {
        type: 'merge',
        body: {
          status: {
            conditions: [{ type: 'Failed', status: 'True', message: 'BackoffLimitExceeded' }],
          },
        },
      },
      { subresource: 'status' },
    );
    const failed = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(failed.probe).toEqual({ state: 'failed', message: 'BackoffLimitExceeded' });
    expect(failed.status.name).toBe('blocked');
    expect(failed.status.message).toContain(
      'uid 1000 / gid 1000 cannot write to PVC storage-shared',
    );

    await kube.patch(
      ref,
      { type: 'merge', body: { status: { conditions: [{ type: 'Complete', status: 'True' }] } } },
      { subresource: 'status' },
    );
    const ok = await provider.reconcile({ className: 'nfs-client', size: '1Gi' });
    expect(ok.status.name).toBe('active');
  });
});
