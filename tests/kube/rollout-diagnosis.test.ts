import { diagnoseRollout, type RolloutEvidence } from '../../lib/kube/rollout-diagnosis.js';
import { rolloutProgress } from '../../lib/kube/rollout-progress.js';
import type {
  ContainerStatus,
  KubeEvent,
  PersistentVolumeClaim,
  Pod,
  StatefulSet,
} from '../../lib/kube/types.js';

const statefulSet: StatefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'radarr', namespace: 'media', uid: 'sts-uid', generation: 2 },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'radarr' } },
    template: { spec: { containers: [{ name: 'radarr', image: 'radarr:5' }] } },
  },
  status: {
    observedGeneration: 2,
    replicas: 1,
    readyReplicas: 0,
    updatedReplicas: 1,
    currentRevision: 'r-1',
    updateRevision: 'r-2',
  },
};

function pod(
  name: string,
  options: {
    claims?: string[];
    scheduled?: { status: string; reason?: string; message?: string };
    ready?: boolean;
    containers?: Partial<ContainerStatus>[];
    initContainers?: Partial<ContainerStatus>[];
    phase?: string;
  } = {},
): Pod {
  const conditions: { type: string; status: string; reason?: string; message?: string }[] = [];
  if (options.scheduled) conditions.push({ type: 'PodScheduled', ...options.scheduled });
  conditions.push({ type: 'Ready', status: options.ready ? 'True' : 'False' });
  const status = (c: Partial<ContainerStatus>): ContainerStatus => ({
    name: 'radarr',
    ready: false,
    restartCount: 0,
    ...c,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'media', uid: `${name}-uid` },
    spec: {
      containers: [{ name: 'radarr' }],
      volumes: (options.claims ?? []).map((claimName) => ({
        name: claimName,
        persistentVolumeClaim: { claimName },
      })),
    },
    status: {
      phase: options.phase ?? 'Pending',
      conditions,
      containerStatuses: (options.containers ?? []).map(status),
      initContainerStatuses: (options.initContainers ?? []).map(status),
    },
  };
}

function event(
  kind: string,
  name: string,
  reason: string,
  message: string,
  extra: Partial<KubeEvent> = {},
): KubeEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${reason}`, namespace: 'media' },
    involvedObject: {
      kind,
      name,
      namespace: 'media',
      uid: kind === 'Pod' ? `${name}-uid` : undefined,
    },
    reason,
    message,
    type: 'Warning',
    lastTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

function claim(name: string, phase: string, storageClassName?: string): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'media' },
    spec: { accessModes: ['ReadWriteOnce'], ...(storageClassName ? { storageClassName } : {}) },
    status: { phase },
  };
}

function evidence(parts: Partial<RolloutEvidence>): RolloutEvidence {
  return {
    statefulSet,
    progress: rolloutProgress(statefulSet),
    pods: [],
    events: [],
    claims: [],
    ...parts,
  };
}

describe('diagnoseRollout', () => {
  it('puts a missing claim (root cause) before the scheduling failure it causes', () => {
    const msg =
      '0/2 nodes are available: persistentvolumeclaim "media-library" not found. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.';
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            claims: ['media-library'],
            scheduled: { status: 'False', reason: 'Unschedulable', message: msg },
          }),
        ],
        events: [event('Pod', 'radarr-0', 'FailedScheduling', msg)],
        claims: [{ name: 'media-library' }],
      }),
    );
    expect(d.findings.map((f) => f.kind)).toEqual(['UnboundPVC', 'FailedScheduling']);
    expect(d.findings[0]).toMatchObject({
      object: 'media-library',
      message: 'PersistentVolumeClaim "media-library" does not exist (used by pod radarr-0)',
    });
    expect(d.findings[1]).toMatchObject({
      pod: 'radarr-0',
      message:
        'pod radarr-0 cannot be scheduled: 0/2 nodes are available: persistentvolumeclaim "media-library" not found',
      hint: 'a claim the pod uses does not exist; create it or fix the claimName',
    });
    expect(d.summary).toBe(
      'PersistentVolumeClaim "media-library" does not exist (used by pod radarr-0) (+1 more)',
    );
    expect(d.progress).toBe('0/1 pods ready');
  });

  it('keeps only the first sentence of the v1.37 scheduler message (its post-filter tail varies)', () => {
    // Verbatim from the local v1.37.2 scheduler: the post-filter part is just "not found".
    const msg =
      '0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. not found';
    const d = diagnoseRollout(
      evidence({
        pods: [pod('db-0', { claims: ['db-data'] })],
        events: [event('Pod', 'db-0', 'FailedScheduling', msg)],
      }),
    );
    expect(d.findings[0]).toMatchObject({
      message:
        'pod db-0 cannot be scheduled: 0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims',
      hint: 'a claim the pod uses is not bound; see the claim',
    });
  });

  it('uses the PodScheduled condition when no event was recorded (yet)', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            scheduled: {
              status: 'False',
              reason: 'Unschedulable',
              message: '0/2 nodes are available: 2 Insufficient memory.',
            },
          }),
        ],
      }),
    );
    expect(d.findings).toEqual([
      {
        kind: 'FailedScheduling',
        pod: 'radarr-0',
        message: 'pod radarr-0 cannot be scheduled: 0/2 nodes are available: 2 Insufficient memory',
        hint: 'no node has enough free cpu/memory for the requests; lower them or add capacity',
      },
    ]);
  });

  it('explains a Pending claim with its newest event', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [pod('radarr-0', { claims: ['config'], scheduled: { status: 'True' } })],
        claims: [{ name: 'config', claim: claim('config', 'Pending', 'seaweedfs') }],
        events: [
          event('PersistentVolumeClaim', 'config', 'ExternalProvisioning', 'old', {
            type: 'Normal',
            lastTimestamp: '2026-01-01T00:00:00Z',
          }),
          event(
            'PersistentVolumeClaim',
            'config',
            'ExternalProvisioning',
            "Waiting for a volume to be created either by the external provisioner 'seaweedfs-csi-driver' or manually by the system administrator.",
            { type: 'Normal', lastTimestamp: '2026-01-01T00:05:00Z' },
          ),
        ],
      }),
    );
    expect(d.findings[0]?.kind).toBe('UnboundPVC');
    expect(d.findings[0]?.message).toContain(
      'PersistentVolumeClaim "config" is Pending (used by pod radarr-0): Waiting for a volume',
    );
    expect(d.findings[0]?.hint).toBe(
      'no volume was provisioned for class "seaweedfs": check that its provisioner (CSI driver) is installed and running',
    );
  });

  it('names the StorageClass that does not exist, and a claim without any class', () => {
    const missingClass = diagnoseRollout(
      evidence({
        claims: [{ name: 'c', claim: claim('c', 'Pending', 'fast') }],
        events: [
          event(
            'PersistentVolumeClaim',
            'c',
            'ProvisioningFailed',
            'storageclass.storage.k8s.io "fast" not found',
          ),
        ],
      }),
    );
    expect(missingClass.findings[0]?.hint).toBe(
      'StorageClass "fast" does not exist; create it or set an existing storageClassName',
    );
    const noClass = diagnoseRollout(
      evidence({
        claims: [{ name: 'c', claim: claim('c', 'Pending') }],
        events: [
          event(
            'PersistentVolumeClaim',
            'c',
            'FailedBinding',
            'no persistent volumes available for this claim and no storage class is set',
          ),
        ],
      }),
    );
    expect(noClass.findings[0]?.hint).toMatch(/^no PersistentVolume matches the claim/);
  });

  it('ignores Bound claims', () => {
    const d = diagnoseRollout(evidence({ claims: [{ name: 'c', claim: claim('c', 'Bound') }] }));
    expect(d.findings).toEqual([]);
    expect(d.summary).toBe(
      'rollout of radarr not complete (0/1 pods ready); no cause reported by the cluster yet',
    );
  });

  it('recognises FailedMount and Multi-Attach', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            scheduled: { status: 'True' },
            containers: [{ state: { waiting: { reason: 'ContainerCreating' } } }],
          }),
        ],
        events: [
          event(
            'Pod',
            'radarr-0',
            'FailedAttachVolume',
            'Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) radarr-old',
          ),
          event(
            'Pod',
            'radarr-0',
            'FailedMount',
            'MountVolume.SetUp failed for volume "media" : mount failed: exit status 32',
          ),
        ],
      }),
    );
    expect(d.findings.map((f) => f.kind)).toEqual(['MultiAttach', 'FailedMount']);
    // ReadWriteOnce is per node: the way out is one node for every consumer, or RWX storage.
    expect(d.findings[0]?.hint).toBe(
      'a ReadWriteOnce volume is still attached to another node: wait for the pod there to release it, run every pod that uses the claim on one node, or use a ReadWriteMany storage class',
    );
    expect(d.findings[1]?.message).toBe(
      'pod radarr-0 cannot mount a volume: MountVolume.SetUp failed for volume "media" : mount failed: exit status 32',
    );
  });

  it('reports image pulls and crash loops per container, init containers included', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            phase: 'Running',
            scheduled: { status: 'True' },
            containers: [
              {
                name: 'radarr',
                restartCount: 7,
                state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s' } },
                lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
              },
            ],
            initContainers: [
              {
                name: 'init',
                state: {
                  waiting: {
                    reason: 'ImagePullBackOff',
                    message: 'Back-off pulling image "nope:1"',
                  },
                },
              },
            ],
          }),
        ],
        events: [event('Pod', 'radarr-0', 'Failed', 'Failed to pull image "nope:1": not found')],
      }),
    );
    expect(d.findings).toEqual([
      expect.objectContaining({
        kind: 'ImagePull',
        object: 'init',
        message:
          'pod radarr-0 cannot pull the image of container init: Failed to pull image "nope:1": not found',
      }),
      expect.objectContaining({
        kind: 'CrashLoopBackOff',
        object: 'radarr',
        message:
          'container radarr in pod radarr-0 keeps crashing (exit code 137, OOMKilled, 7 restarts)',
        hint: 'read its logs: kubectl logs radarr-0 -c radarr --previous',
      }),
    ]);
  });

  it('reports FailedCreate only while a pod is missing', () => {
    const failed = event(
      'StatefulSet',
      'radarr',
      'FailedCreate',
      'create Pod radarr-0 in StatefulSet radarr failed error: pods "radarr-0" is forbidden: exceeded quota: q',
    );
    const missing = diagnoseRollout(evidence({ events: [failed] }));
    expect(missing.findings).toEqual([expect.objectContaining({ kind: 'FailedCreate' })]);
    expect(missing.summary).toContain('exceeded quota');
    const present = diagnoseRollout(
      evidence({ pods: [pod('radarr-0', { ready: true })], events: [failed] }),
    );
    expect(present.findings).toEqual([]);
  });

  it('ignores warnings of a Ready pod and of an earlier pod with the same name', () => {
    const stale = event('Pod', 'radarr-0', 'FailedMount', 'old failure', {
      involvedObject: { kind: 'Pod', name: 'radarr-0', uid: 'previous-incarnation' },
    });
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', { ready: true }),
          pod('radarr-1', { scheduled: { status: 'True' }, phase: 'Running' }),
        ],
        events: [
          event('Pod', 'radarr-0', 'FailedMount', 'resolved since'),
          { ...stale, involvedObject: { ...stale.involvedObject, name: 'radarr-1' } },
        ],
      }),
    );
    expect(d.findings).toEqual([
      {
        kind: 'Unknown',
        pod: 'radarr-1',
        message: 'pod radarr-1 is Running and not ready',
        hint: 'no cause reported yet; check kubectl describe pod and the container logs',
      },
    ]);
  });

  it('says a readiness probe fails when the kubelet reported it', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [pod('radarr-0', { scheduled: { status: 'True' }, phase: 'Running' })],
        events: [
          event(
            'Pod',
            'radarr-0',
            'Unhealthy',
            'Readiness probe failed: HTTP probe failed with statuscode: 503',
          ),
        ],
      }),
    );
    expect(d.findings[0]).toMatchObject({
      kind: 'Unknown',
      message:
        'pod radarr-0 is not ready: Readiness probe failed: HTTP probe failed with statuscode: 503',
    });
  });

  it('reports a missing ConfigMap/Secret as a container that cannot start', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            scheduled: { status: 'True' },
            containers: [
              {
                state: {
                  waiting: {
                    reason: 'CreateContainerConfigError',
                    message: 'configmap "radarr-env" not found',
                  },
                },
              },
            ],
          }),
        ],
      }),
    );
    expect(d.findings).toEqual([
      expect.objectContaining({
        kind: 'Unknown',
        message: 'container radarr in pod radarr-0 cannot start: configmap "radarr-env" not found',
      }),
    ]);
  });

  it('turns reads that failed into findings with an RBAC hint', () => {
    const d = diagnoseRollout(
      evidence({
        unreadable: ['events of Pod radarr-0: forbidden: cannot list events in namespace "media"'],
      }),
    );
    expect(d.findings[0]).toMatchObject({
      kind: 'Unknown',
      message:
        'cannot read events of Pod radarr-0: forbidden: cannot list events in namespace "media"',
    });
    expect(d.findings[0]?.hint).toMatch(/^grant the controller get\/list on pods, events/);
  });

  it('keeps one finding per kind, pod and object, the newest', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [
          pod('radarr-0', {
            scheduled: { status: 'False', reason: 'Unschedulable', message: 'condition text' },
          }),
        ],
        events: [
          event('Pod', 'radarr-0', 'FailedScheduling', 'older', {
            lastTimestamp: '2026-01-01T00:00:00Z',
          }),
          event('Pod', 'radarr-0', 'FailedScheduling', 'newer', {
            lastTimestamp: '2026-01-01T00:01:00Z',
          }),
        ],
      }),
    );
    expect(d.findings.map((f) => f.message)).toEqual(['pod radarr-0 cannot be scheduled: newer']);
  });

  it('clips long messages so the summary fits a status line', () => {
    const d = diagnoseRollout(
      evidence({
        pods: [pod('radarr-0', { scheduled: { status: 'False', message: 'x'.repeat(1000) } })],
      }),
    );
    expect(d.summary.length).toBeLessThanOrEqual(200);
    expect(d.summary.endsWith('…')).toBe(true);
  });
});
