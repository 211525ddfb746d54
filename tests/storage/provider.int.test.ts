/**
 * StorageProvider against the real control plane: the real PV binder and persistentvolume
 * controller decide whether claims bind and write the events the diagnosis reads; the real quota
 * controller and admission enforce ResourceQuotas; the Job controller and kwok run the probe Job.
 *
 * The cluster's storage fixtures (tests/support): a default class `standard` (no provisioner,
 * Immediate), `fixed-size` (no expansion) and `wait-for-consumer` (WaitForFirstConsumer); claims
 * bind to hostPath PVs created per test. The cluster HAS a default class, so "no default class" is
 * checked by diagnosing the real claim and events against the class list without the default
 * marker (the only part of that state we cannot reproduce without disturbing other tests).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import type { KubePort } from '../../lib/kube/port.js';
import type {
  KubeEvent,
  KubeObject,
  PersistentVolume,
  PersistentVolumeClaim,
  StatefulSet,
  StorageClass,
} from '../../lib/kube/types.js';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { diagnoseClaim } from '../../lib/storage/pending-diagnosis.js';
import type { ProbeJob } from '../../lib/storage/probe.js';
import {
  StorageProvider,
  type StorageConfig,
  type StorageProviderResult,
} from '../../lib/storage/provider.js';
import { parseQuotaError } from '../../lib/storage/quota.js';
import type { CsiDriver } from '../../lib/storage/storage-class.js';
import {
  adminKubeConfig,
  grantRole,
  kubeconfigPath,
  rawRequest,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import { statefulSetFixture, statefulSetRef } from '../support/objects.js';
import { createHostPathVolume, deleteVolumes } from '../support/storage.js';

const ns = useTestNamespace('storage-prov');
const log = new RequestLog();
const pvs: string[] = [];
const classes: string[] = [];
let port: KubePort;

beforeAll(async () => {
  port = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
  // The storage app's own StatefulSet (no pods): a claim made with ownerStatefulSet: true names it.
  await port.create<StatefulSet>(
    statefulSetFixture({
      name: 'storage',
      namespace: ns.name,
      replicas: 0,
      containers: [{ name: 'charm', image: 'registry.invalid/c:1' }],
    }),
  );
});
afterAll(async () => {
  await deleteVolumes(pvs);
  for (const name of classes) {
    await port
      .delete({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', name })
      .catch(() => undefined);
  }
});

function provider(
  claimName: string,
  options: Partial<ConstructorParameters<typeof StorageProvider>[0]> = {},
) {
  const model = new MemoryModel({ name: ns.name });
  const backend = model.backend('storage/0', { leader: true });
  const relationId = model.relate(
    { app: 'storage', endpoint: 'storage', units: ['storage/0'] },
    { app: 'radarr', endpoint: 'storage', units: ['radarr/0'] },
  );
  const p = new StorageProvider({
    kube: port,
    backend,
    claimName,
    mountPath: '/data',
    puid: 1000,
    pgid: 1000,
    ...options,
  });
  return { provider: p, model, relationId };
}

/** Reconciles until `done` holds (claims bind asynchronously, events arrive a moment later). */
async function until(
  p: StorageProvider,
  config: StorageConfig,
  what: string,
  done: (r: StorageProviderResult) => boolean,
): Promise<StorageProviderResult> {
  return waitUntil(
    what,
    async () => {
      const r = await p.reconcile(config);
      return done(r) ? r : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

const claimRef = (name: string) => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  namespace: ns.name,
  name,
});

describe('StorageProvider on a real API server: claims that bind', () => {
  it('creates an owned claim on the default class, publishes once Bound, then reconciles with zero writes', async () => {
    pvs.push(
      await createHostPathVolume({ size: '2Gi', claim: { namespace: ns.name, name: 'media' } }),
    );
    // Ownership is opt-in (it makes removing the app delete the claim); this test opts in.
    const { provider: p, model, relationId } = provider('media', { ownerStatefulSet: true });
    log.clear();
    const created = await p.reconcile({ size: '2Gi' });
    expect(created.changed).toBe(true);
    // kubernetes.io/no-provisioner is not a known RWX family: RWO, with the one-node note.
    expect(created.accessModes?.accessModes).toEqual(['ReadWriteOnce']);
    expect(log.writes().map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'create PersistentVolumeClaim 201',
    ]);

    const bound = await until(
      p,
      { size: '2Gi' },
      'the claim to bind and be published',
      (r) => r.published.length > 0,
    );
    expect(bound.diagnosis?.condition).toBe('bound');
    expect(bound.status.name).toBe('active');
    expect(bound.status.message).toContain('PVC media ready (2Gi, ReadWriteOnce)');
    expect(bound.status.message).toContain('every pod that mounts it must run on the same node');
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })).toEqual({
      'pvc-name': 'media',
      namespace: ns.name,
      'mount-path': '/data',
      puid: '1000',
      pgid: '1000',
      'access-mode': 'ReadWriteOnce',
      'storage-class': 'standard',
      size: '2Gi',
      // The same claim in charmarr's media-storage form, for unmodified charmarr requirers.
      config: '{"pvc_name":"media","mount_path":"/data","puid":1000,"pgid":1000}',
    });
    const claim = await port.get<PersistentVolumeClaim>(claimRef('media'));
    const owner = await port.get<StatefulSet>(statefulSetRef(ns.name, 'storage'));
    expect(claim.spec.storageClassName).toBe('standard'); // the server's DefaultStorageClass admission
    expect(claim.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'storage',
      uid: owner.metadata.uid,
    });
    expect(claim.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('charmkit');

    log.clear();
    const again = await p.reconcile({ size: '2Gi' });
    expect(again.changed).toBe(false);
    expect(log.writes()).toEqual([]);
    expect(log.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual(['get PersistentVolumeClaim']);
  });

  it('reports a needed resize, naming whether the class can expand, and refuses to shrink', async () => {
    const { provider: p } = provider('media');
    log.clear();
    const grow = await p.reconcile({ size: '4Gi' });
    expect(grow.resize).toEqual({ kind: 'grow', current: '2Gi', desired: '4Gi' });
    expect(grow.status.message).toContain(
      'PVC media needs a resize from 2Gi to 4Gi; resizing is not automated yet',
    );
    const shrink = await p.reconcile({ size: '1Gi' });
    expect(shrink.error?.name).toBe('VolumeShrinkError');
    expect(log.writes()).toEqual([]);

    pvs.push(
      await createHostPathVolume({
        size: '1Gi',
        storageClassName: 'fixed-size',
        claim: { namespace: ns.name, name: 'fixed' },
      }),
    );
    const fixed = provider('fixed').provider;
    await until(
      fixed,
      { className: 'fixed-size', size: '1Gi' },
      'fixed to bind',
      (r) => r.diagnosis?.condition === 'bound',
    );
    const noExpand = await fixed.reconcile({ className: 'fixed-size', size: '2Gi' });
    expect(noExpand.status.message).toContain(
      'StorageClass "fixed-size" does not allow volume expansion',
    );
  });

  it('binds a static hostPath volume it creates itself (Retain, pre-bound both ways)', async () => {
    const { provider: p } = provider('static-media', {
      staticVolume: { hostPath: { path: '/srv/media' } },
    });
    await p.reconcile({ size: '1Gi' });
    const claim = await port.get<PersistentVolumeClaim>(claimRef('static-media'));
    const pvName = claim.spec.volumeName ?? '';
    pvs.push(pvName);
    const pv = await port.get<PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      name: pvName,
    });
    expect(pv.spec).toMatchObject({
      persistentVolumeReclaimPolicy: 'Retain',
      hostPath: { path: '/srv/media' },
      claimRef: { namespace: ns.name, name: 'static-media' },
    });
    const bound = await until(
      p,
      { size: '1Gi' },
      'the static claim to bind',
      (r) => r.diagnosis?.condition === 'bound',
    );
    expect(bound.published).toHaveLength(1);
  });

  it('runs the permission probe as a Job without waiting for it, then reports its outcome', async () => {
    const { provider: p } = provider('media', { permissionProbe: true });
    log.clear();
    const first = await p.reconcile({ size: '2Gi' });
    expect(first.probe).toEqual({ state: 'running' });
    expect(first.status.name).toBe('waiting');
    expect(log.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual(['create Job']);
    const jobs = await port.list<ProbeJob>(
      { apiVersion: 'batch/v1', kind: 'Job' },
      { namespace: ns.name },
    );
    expect(jobs.items).toHaveLength(1);
    // kwok runs no container: this proves the Job lifecycle handling, not a real write.
    const done = await until(
      p,
      { size: '2Gi' },
      'the probe Job to finish',
      (r) => r.probe?.state !== 'running',
    );
    expect(done.probe).toEqual({ state: 'succeeded' });
    expect(done.status.name).toBe('active');
    const listed = await port.list<ProbeJob>(
      { apiVersion: 'batch/v1', kind: 'Job' },
      { namespace: ns.name },
    );
    expect(listed.items).toHaveLength(1);
  });
});

describe('StorageProvider under the documented namespaced Role only', () => {
  it('creates and publishes the claim; cluster-scoped reads it may not make become notes', async () => {
    await grantRole(ns.name, 'charmarr-storage', 'storage-provider', [
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['get', 'create'] },
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        resourceNames: ['charmarr-storage'],
        verbs: ['get'],
      },
      { apiGroups: [''], resources: ['resourcequotas', 'events'], verbs: ['list'] },
    ]);
    const restricted = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, 'charmarr-storage'),
    });
    pvs.push(
      await createHostPathVolume({
        size: '1Gi',
        claim: { namespace: ns.name, name: 'restricted' },
      }),
    );
    const { provider: p } = provider('restricted', {
      kube: restricted,
      ownerStatefulSet: 'charmarr-storage',
    });
    const first = await p.reconcile({ size: '1Gi' });
    expect(first.error).toBeUndefined();
    expect(first.notes.join('\n')).toContain('cannot list StorageClass');
    const bound = await until(
      p,
      { size: '1Gi' },
      'the claim to bind',
      (r) => r.published.length > 0,
    );
    expect(bound.status.name).toBe('active');
  });
});

describe('StorageProvider on a real API server: why a claim stays Pending', () => {
  it('a StorageClass that does not exist', async () => {
    const { provider: p, model, relationId } = provider('no-class');
    const result = await until(
      p,
      { className: 'does-not-exist', size: '1Gi' },
      'the diagnosis',
      (r) => r.diagnosis?.condition === 'class-not-found',
    );
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toMatch(
      /^PVC no-class is Pending: StorageClass "does-not-exist" does not exist \(classes: .*standard.*\); create it or configure an existing class$/,
    );
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })).toEqual({});
  });

  it('a CSI provisioner without a registered CSIDriver, and the provisioner-not-acting evidence', async () => {
    const className = `charmkit-seaweedfs-${randomBytes(3).toString('hex')}`;
    classes.push(className);
    await port.create<StorageClass>({
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: className },
      provisioner: 'seaweedfs-csi-driver',
      volumeBindingMode: 'Immediate',
    });
    const { provider: p } = provider('no-driver');
    const result = await until(
      p,
      { className, size: '1Gi' },
      'the diagnosis',
      (r) => r.diagnosis?.condition === 'no-csi-driver',
    );
    expect(result.status.message).toContain(
      `StorageClass "${className}" uses provisioner seaweedfs-csi-driver, but no CSIDriver of that name is registered`,
    );
    const claim = await port.get<PersistentVolumeClaim>(claimRef('no-driver'));
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']); // SeaweedFS is a known RWX family

    // The persistentvolume controller's own words: it waits for an external provisioner.
    const events = await waitUntil('the ExternalProvisioning event', async () => {
      const list = await port.list<KubeEvent>(
        { apiVersion: 'v1', kind: 'Event' },
        {
          namespace: ns.name,
          fieldSelector: 'involvedObject.kind=PersistentVolumeClaim,involvedObject.name=no-driver',
        },
      );
      return list.items.some((e) => e.reason === 'ExternalProvisioning') ? list.items : undefined;
    });
    const storageClasses = (
      await port.list<StorageClass>({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' })
    ).items;
    const late = diagnoseClaim({
      claim,
      storageClasses,
      csiDrivers: undefined, // as for a controller that may not list CSIDrivers
      events,
      now: new Date(Date.parse(claim.metadata.creationTimestamp ?? '') + 600_000),
    });
    expect(late.condition).toBe('provisioner-not-acting');
    expect(late.status.message).toContain('check that the provisioner is installed and running');
  });

  it('WaitForFirstConsumer: Pending but usable, so it is published', async () => {
    const { provider: p, relationId, model } = provider('wffc');
    const result = await p.reconcile({ className: 'wait-for-consumer', size: '1Gi' });
    const again =
      result.published.length > 0
        ? result
        : await p.reconcile({ className: 'wait-for-consumer', size: '1Gi' });
    expect(again.diagnosis?.condition).toBe('waiting-for-first-consumer');
    expect(again.status.name).toBe('active');
    expect(again.status.message).toContain('binds when its first pod is scheduled');
    expect(model.bag(relationId, { scope: 'app', name: 'storage' })['pvc-name']).toBe('wffc');
    const claim = await port.get<PersistentVolumeClaim>(claimRef('wffc'));
    expect(claim.status?.phase).toBe('Pending');
  });

  it('no default class: the real claim and events, judged against the classes minus the default marker', async () => {
    await port.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'classless', namespace: ns.name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: null,
        resources: { requests: { storage: '1Gi' } },
      },
    });
    const claim = await port.get<PersistentVolumeClaim>(claimRef('classless'));
    // With a default class present the API server filled it in: our resolution agrees.
    expect(claim.spec.storageClassName).toBe('standard');
    const storageClasses = (
      await port.list<StorageClass>({ apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' })
    ).items;
    const withoutDefault = storageClasses.map((sc) => ({
      ...sc,
      metadata: { ...sc.metadata, annotations: {} },
    }));
    const d = diagnoseClaim({
      claim: { ...claim, spec: { ...claim.spec, storageClassName: undefined } },
      storageClasses: withoutDefault,
      csiDrivers: (
        await port.list<CsiDriver>({ apiVersion: 'storage.k8s.io/v1', kind: 'CSIDriver' })
      ).items,
      events: [],
      now: new Date(),
    });
    expect(d.condition).toBe('no-default-class');
    expect(d.status.message).toContain('storageclass.kubernetes.io/is-default-class="true"');
  });

  it('a ResourceQuota the claim would exceed: Blocked before creating, and the server agrees', async () => {
    const quotaNs = ns.name;
    await port.create<KubeObject>({
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'storage-quota', namespace: quotaNs },
      spec: { hard: { 'requests.storage': '20Gi' } },
    });
    await waitUntil('the quota controller to count usage', async () => {
      const q = await port.get<KubeObject & { status?: { used?: Record<string, string> } }>({
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        namespace: quotaNs,
        name: 'storage-quota',
      });
      return q.status?.used?.['requests.storage'] !== undefined;
    });
    const { provider: p } = provider('too-big');
    log.clear();
    const result = await p.reconcile({ size: '50Gi' });
    expect(result.diagnosis?.condition).toBe('quota-exceeded');
    expect(result.status.message).toMatch(
      /^PVC too-big would exceed ResourceQuota storage-quota \(requests\.storage: 50Gi requested, \S+ used of 20Gi\); raise the quota or request less storage$/,
    );
    expect(log.writes()).toEqual([]);

    // What the API server itself says, and that our parser reads it.
    const refused = await rawRequest<{ message: string; code: number }>(
      adminKubeConfig(),
      'POST',
      `/api/v1/namespaces/${quotaNs}/persistentvolumeclaims`,
      {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'too-big' },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } },
      },
    );
    expect(refused.status).toBe(403);
    expect(parseQuotaError(refused.body.message)).toMatchObject({
      quota: 'storage-quota',
      resource: 'requests.storage',
      requested: '50Gi',
      limit: '20Gi',
    });
  });
});
