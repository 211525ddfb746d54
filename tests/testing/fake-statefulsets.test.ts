import { describe, expect, it } from '@jest/globals';
import type {
  KubeEvent,
  KubeObject,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { revisionName } from '../../lib/testing/fake-statefulsets.js';
import { statefulSet, STS_REF } from './fixtures/objects.js';

const POD = { apiVersion: 'v1', kind: 'Pod' };
const PVC = { apiVersion: 'v1', kind: 'PersistentVolumeClaim' };
const EVENT = { apiVersion: 'v1', kind: 'Event' };

function storageClass(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name },
    provisioner: 'example.com/csi',
    ...extra,
  };
}

const DEFAULT_CLASS = storageClass('standard', {
  metadata: {
    name: 'standard',
    annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
  },
});

/** `web` with `replicas` and a `data` claim template mounted at /data. */
function withStorage(replicas: number, storageClassName?: string): StatefulSet {
  const sts = statefulSet();
  sts.spec.replicas = replicas;
  sts.spec.volumeClaimTemplates = [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '2Gi' } },
        ...(storageClassName ? { storageClassName } : {}),
      },
    },
  ];
  sts.spec.template.spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/data' }];
  return sts;
}

function pods(fake: FakeCluster): Pod[] {
  return fake.objects<Pod>(POD, 'media');
}

function rolledOut(sts: StatefulSet | undefined): boolean {
  const s = sts?.status;
  return (
    s !== undefined &&
    s.currentRevision === s.updateRevision &&
    s.readyReplicas === sts?.spec.replicas &&
    s.updatedReplicas === sts?.spec.replicas &&
    s.observedGeneration === sts?.metadata.generation
  );
}

describe('StatefulSet simulation (immediate)', () => {
  it('creates claims and ready pods, and reports the rollout complete', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    await fake.create(withStorage(2));
    const sts = fake.peek<StatefulSet>(STS_REF);
    expect(rolledOut(sts)).toBe(true);
    // The revision hashes the stored template, which the server has defaulted.
    expect(sts?.status?.updateRevision).toBe(revisionName(sts as StatefulSet));
    expect(sts?.status?.updateRevision).not.toBe(revisionName(withStorage(2)));
    expect(pods(fake).map((p) => [p.metadata.name, p.status?.phase, p.spec.nodeName])).toEqual([
      ['web-0', 'Running', 'fake-node-0'],
      ['web-1', 'Running', 'fake-node-0'],
    ]);
    const claims = fake.objects<PersistentVolumeClaim>(PVC, 'media');
    expect(claims.map((c) => [c.metadata.name, c.status?.phase, c.spec.storageClassName])).toEqual([
      ['data-web-0', 'Bound', 'standard'],
      ['data-web-1', 'Bound', 'standard'],
    ]);
    // The claim first, then the service-account token volume the API server's admission adds.
    expect(pods(fake)[0]?.spec.volumes?.map((v) => v.name)).toEqual([
      'data',
      expect.stringMatching(/^kube-api-access-[b-z2-9]{5}$/),
    ]);
    expect(pods(fake)[0]?.spec.volumes?.[0]).toEqual({
      name: 'data',
      persistentVolumeClaim: { claimName: 'data-web-0' },
    });
    // The simulated controllers are not the client under test: one request only.
    expect(fake.requests.map((r) => r.verb)).toEqual(['create']);
  });

  it('rolls a template change out to every pod', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    await fake.create(withStorage(2));
    const before = fake.peek<StatefulSet>(STS_REF)?.status?.updateRevision;
    await fake.patch(STS_REF, {
      type: 'strategic',
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } },
    });
    const sts = fake.peek<StatefulSet>(STS_REF);
    expect(sts?.metadata.generation).toBe(2);
    expect(sts?.status?.updateRevision).not.toBe(before);
    expect(rolledOut(sts)).toBe(true);
    expect(pods(fake).map((p) => p.spec.containers[0]?.image)).toEqual(['web:2', 'web:2']);
    expect(pods(fake).map((p) => p.metadata.labels?.['controller-revision-hash'])).toEqual([
      sts?.status?.updateRevision,
      sts?.status?.updateRevision,
    ]);
  });

  it('scales down from the highest ordinal and keeps the claims', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    await fake.create(withStorage(3));
    await fake.patch(STS_REF, { type: 'merge', body: { spec: { replicas: 1 } } });
    expect(pods(fake).map((p) => p.metadata.name)).toEqual(['web-0']);
    expect(fake.objects(PVC, 'media')).toHaveLength(3);
    expect(fake.peek<StatefulSet>(STS_REF)?.status?.replicas).toBe(1);
  });

  it('leaves pods below the partition on the old revision', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    const sts = withStorage(3);
    sts.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
    await fake.create(sts);
    await fake.patch(STS_REF, {
      type: 'strategic',
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } },
    });
    expect(pods(fake).map((p) => p.spec.containers[0]?.image)).toEqual(['web:1', 'web:1', 'web:2']);
    const status = fake.peek<StatefulSet>(STS_REF)?.status;
    expect(status?.updatedReplicas).toBe(1);
    expect(status?.currentRevision).not.toBe(status?.updateRevision);
  });

  it('replaces pods only when they are deleted with OnDelete', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    const sts = withStorage(1);
    sts.spec.updateStrategy = { type: 'OnDelete' };
    await fake.create(sts);
    await fake.patch(STS_REF, {
      type: 'merge',
      body: { spec: { template: { metadata: { labels: { app: 'web', v: '2' } } } } },
    });
    const old = pods(fake)[0];
    expect(old?.metadata.labels?.v).toBeUndefined();
    await fake.delete({ ...POD, namespace: 'media', name: 'web-0' });
    expect(pods(fake)[0]?.metadata.labels?.v).toBe('2');
    expect(pods(fake)[0]?.metadata.uid).not.toBe(old?.metadata.uid);
  });

  it('deletes the pods with the StatefulSet', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true }, objects: [DEFAULT_CLASS] });
    await fake.create(withStorage(2));
    await fake.delete(STS_REF);
    expect(pods(fake)).toEqual([]);
    expect(fake.objects(PVC, 'media')).toHaveLength(2);
  });
});

describe('StatefulSet simulation: why pods stay Pending', () => {
  it('keeps a pod whose claim does not exist Pending, in the scheduler’s words', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true } });
    const sts = statefulSet();
    sts.spec.replicas = 2;
    sts.spec.template.spec.volumes = [
      { name: 'media', persistentVolumeClaim: { claimName: 'media-library' } },
    ];
    sts.spec.template.spec.containers[0]!.volumeMounts = [{ name: 'media', mountPath: '/media' }];
    await fake.create(sts);

    const message =
      '0/1 nodes are available: persistentvolumeclaim "media-library" not found. not found';
    const [first, ...rest] = pods(fake);
    expect(rest).toEqual([]); // OrderedReady: web-1 waits for web-0
    expect(first?.status?.phase).toBe('Pending');
    expect(first?.status?.conditions).toEqual([
      expect.objectContaining({
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
      }),
    ]);
    const events = await fake.list<KubeEvent>(EVENT, {
      namespace: 'media',
      fieldSelector: 'involvedObject.name=web-0,reason=FailedScheduling',
    });
    expect(events.items.map((e) => [e.type, e.message, e.reportingComponent])).toEqual([
      ['Warning', message, 'default-scheduler'],
    ]);
    expect(rolledOut(fake.peek<StatefulSet>(STS_REF))).toBe(false);

    // Creating the claim (a default class exists) unblocks the rollout.
    await fake.create(DEFAULT_CLASS);
    await fake.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'media-library', namespace: 'media' },
      spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '5Gi' } } },
    });
    expect(pods(fake).map((p) => p.status?.phase)).toEqual(['Running', 'Running']);
    expect(rolledOut(fake.peek<StatefulSet>(STS_REF))).toBe(true);
  });

  it('reports a claim whose StorageClass is missing, and its pod as waiting for it', async () => {
    const fake = new FakeCluster({ simulate: { statefulSets: true } });
    await fake.create(withStorage(1, 'seaweedfs'));
    const claim = fake.peek<PersistentVolumeClaim>({
      ...PVC,
      namespace: 'media',
      name: 'data-web-0',
    });
    expect(claim?.status?.phase).toBe('Pending');
    const events = fake.objects<KubeEvent>(EVENT, 'media');
    expect(events.map((e) => [e.involvedObject.name, e.reason, e.message])).toEqual(
      expect.arrayContaining([
        ['data-web-0', 'ProvisioningFailed', 'storageclass.storage.k8s.io "seaweedfs" not found'],
        [
          'web-0',
          'FailedScheduling',
          '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found',
        ],
      ]),
    );
  });

  it('binds a WaitForFirstConsumer claim when its pod is scheduled', async () => {
    const fake = new FakeCluster({
      simulate: { statefulSets: true },
      objects: [storageClass('local', { volumeBindingMode: 'WaitForFirstConsumer' })],
    });
    await fake.create(withStorage(1, 'local'));
    expect(pods(fake)[0]?.status?.phase).toBe('Running');
    const claim = fake.peek<PersistentVolumeClaim>({
      ...PVC,
      namespace: 'media',
      name: 'data-web-0',
    });
    expect(claim?.status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '2Gi' },
    });
    expect(
      fake.peek({ apiVersion: 'v1', kind: 'PersistentVolume', name: claim?.spec.volumeName ?? '' }),
    ).toBeDefined();
  });
});

describe('StatefulSet simulation (manual)', () => {
  it('moves one step per tick, so intermediate states can be asserted', async () => {
    const fake = new FakeCluster({
      simulate: { statefulSets: true, mode: 'manual' },
      objects: [DEFAULT_CLASS],
    });
    await fake.create(withStorage(1));
    expect(pods(fake)).toEqual([]);
    expect(fake.peek<StatefulSet>(STS_REF)?.status?.updateRevision).toBeUndefined();

    expect(fake.tick()).toBe(true); // updateRevision
    const stored = fake.peek<StatefulSet>(STS_REF) as StatefulSet;
    expect(stored.status?.updateRevision).toBe(revisionName(stored));
    expect(fake.tick()).toBe(true); // claim
    expect(fake.objects(PVC, 'media')).toHaveLength(1);
    let steps = 2;
    while (fake.tick()) steps++;
    expect(steps).toBeGreaterThan(4);
    expect(rolledOut(fake.peek<StatefulSet>(STS_REF))).toBe(true);

    // A rollout deletes the pod before it recreates it.
    await fake.patch(STS_REF, {
      type: 'strategic',
      body: { spec: { template: { spec: { containers: [{ name: 'app', image: 'web:2' }] } } } },
    });
    fake.tick(); // new updateRevision
    fake.tick(); // web-0 deleted
    expect(pods(fake)).toEqual([]);
    while (fake.tick());
    expect(pods(fake)[0]?.spec.containers[0]?.image).toBe('web:2');
    expect(rolledOut(fake.peek<StatefulSet>(STS_REF))).toBe(true);
  });

  it('does nothing without simulation', async () => {
    const fake = new FakeCluster();
    await fake.create(withStorage(1));
    expect(fake.tick()).toBe(false);
    expect(pods(fake)).toEqual([]);
  });
});
