/**
 * Stand-ins for the node agents the test cluster does not run. Its nodes are kwok fakes: kwok
 * marks every pod on them Ready, and nothing attaches or mounts a volume, so a pod never hangs in
 * ContainerCreating there. These helpers create a Node that kwok does not manage and then play, on
 * the real API server, the part of:
 *
 * - the kubelet: it registers the node, renews the node's Lease (its heartbeat, which keeps the
 *   node lifecycle controller from marking the node unreachable), reports pod statuses through the
 *   pods/status subresource, confirms that a deleted pod's containers stopped, and records Events
 *   such as FailedMount, in the core/v1 shape its event recorder writes;
 * - the attach/detach controller: it records a FailedAttachVolume "Multi-Attach error" Event on a
 *   pod whose ReadWriteOnce volume is in use on another node.
 *
 * Like `playResizeDriver` in storage.ts, this is exactly that and nothing more: it proves that
 * charmkit reads such reports as the real server stores and serves them, nothing about what a real
 * kubelet or controller would report on a given node. The messages imitate those components'
 * formats so that a reader recognises them. They use the admin credentials and client-node only,
 * never charmkit's adapter, so the stand-ins do not depend on the code under test.
 */
import { randomBytes } from 'node:crypto';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import { adminKubeConfig, rawRequest, request, waitUntil } from './cluster.js';
import type { Pod } from '../../lib/kube/types.js';

/** The taint that keeps every pod that does not ask for the unmanaged node off it. */
export const UNMANAGED_TAINT = {
  key: 'charmkit.dev/unmanaged',
  value: 'true',
  effect: 'NoSchedule',
} as const;

/** The kubelet renews its Lease every 10 s; the node lifecycle controller's grace period is 50 s. */
const HEARTBEAT_MS = 10_000;
const LEASE_SECONDS = 40;

/** A Node nothing but these helpers acts for; `remove()` it in afterAll. */
export interface UnmanagedNode {
  readonly name: string;
  /** Put both into a pod template to place its pods on this node (and only there). */
  readonly nodeSelector: Record<string, string>;
  readonly tolerations: { key: string; operator: string; value: string; effect: string }[];
  /**
   * Stops the heartbeat, force-deletes every pod still bound to the node (its kubelet would have
   * confirmed their termination; call it after deleting the controllers that recreate them) and
   * deletes the node and its Lease.
   */
  remove(): Promise<void>;
}

/** A core/v1 timestamp, second precision, as the kubelet's event recorder writes them. */
function seconds(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A MicroTime (Lease renewTime): RFC 3339 with exactly six fractional digits. */
function micro(date = new Date()): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Registers a Node that kwok leaves alone (no `kwok.x-k8s.io/node` annotation), tainted with
 * `UNMANAGED_TAINT`, reports it Ready with room for pods and keeps its Lease renewed. Resolves once
 * the node lifecycle controller has removed the `node.kubernetes.io/not-ready` taint the API
 * server's admission adds to every new node, i.e. once the scheduler will place pods on it.
 */
export async function createUnmanagedNode(prefix = 'charmkit-unmanaged'): Promise<UnmanagedNode> {
  const kc = adminKubeConfig();
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const resources = { cpu: '4', memory: '8Gi', pods: '110' };
  const node = await request<{ metadata: { uid: string } }>(kc, 'POST', '/api/v1/nodes', {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'charmkit.dev/unmanaged': 'true',
      },
    },
    spec: { taints: [UNMANAGED_TAINT] },
  });
  const now = seconds();
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
  });
  await request(
    kc,
    'PATCH',
    `/api/v1/nodes/${name}/status`,
    {
      status: {
        capacity: resources,
        allocatable: resources,
        conditions: [
          condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'sufficient memory'),
          condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'no disk pressure'),
          condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'sufficient PID'),
          condition('Ready', 'True', 'KubeletReady', 'played by tests/support/kubelet.ts'),
        ],
      },
    },
    'application/strategic-merge-patch+json',
  );
  await request(kc, 'POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }],
    },
    spec: { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: micro() },
  });
  const heartbeat = setInterval(() => {
    // A failed renewal is retried on the next beat, as the kubelet does; 40 s of slack remain.
    void rawRequest(
      kc,
      'PATCH',
      `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`,
      { spec: { renewTime: micro() } },
      'application/merge-patch+json',
    ).catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();

  const handle: UnmanagedNode = {
    name,
    nodeSelector: { 'kubernetes.io/hostname': name },
    tolerations: [{ ...UNMANAGED_TAINT, operator: 'Equal' }],
    remove: async () => {
      clearInterval(heartbeat);
      await waitUntil(
        `pods bound to ${name} to be gone`,
        async () => {
          const pods = await request<{ items: Pod[] }>(
            kc,
            'GET',
            `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${name}`)}`,
          );
          for (const pod of pods.items) await forceDelete(pod);
          return pods.items.length === 0;
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      await rawRequest(
        kc,
        'DELETE',
        `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`,
      );
      await rawRequest(kc, 'DELETE', `/api/v1/nodes/${name}`);
    },
  };
  try {
    await waitUntil(
      `node ${name} to lose the not-ready taint`,
      async () => {
        const current = await request<{ spec: { taints?: { key: string }[] } }>(
          kc,
          'GET',
          `/api/v1/nodes/${name}`,
        );
        return !(current.spec.taints ?? []).some((t) => t.key.startsWith('node.kubernetes.io/'));
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (error) {
    await handle.remove();
    throw error;
  }
  return handle;
}

/**
 * DELETE with grace period 0 for exactly this incarnation of the pod (a UID precondition). Sent
 * through client-node's typed API: `rawRequest` writes a DELETE body without a Content-Length, and
 * Node sends such a body unframed on a DELETE, so the server never reads the DeleteOptions.
 */
async function forceDelete(pod: Pod): Promise<void> {
  const { namespace = '', name = '', uid } = pod.metadata;
  try {
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .deleteNamespacedPod({
        namespace,
        name,
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, ...(uid ? { preconditions: { uid } } : {}) },
      });
  } catch (error) {
    // 404: already gone; 409: a newer pod of that name, which is not the one we were asked about.
    const code = error instanceof ApiException ? error.code : undefined;
    if (code !== 404 && code !== 409) throw error;
  }
}

function podPath(pod: Pod, subresource = ''): string {
  return `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}${subresource}`;
}

async function patchPodStatus(pod: Pod, status: Record<string, unknown>): Promise<Pod> {
  return request<Pod>(
    adminKubeConfig(),
    'PATCH',
    podPath(pod, '/status'),
    {
      // The UID precondition keeps a report about one incarnation off the next pod of that name.
      metadata: { uid: pod.metadata.uid },
      status,
    },
    'application/strategic-merge-patch+json',
  );
}

function podCondition(type: string, status: string, reason?: string, message?: string) {
  return {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime: seconds(),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

/** The kubelet's report once every container of the pod started and passed readiness. */
export async function reportPodRunning(pod: Pod): Promise<Pod> {
  const startedAt = seconds();
  return patchPodStatus(pod, {
    phase: 'Running',
    startTime: startedAt,
    conditions: [
      podCondition('PodReadyToStartContainers', 'True'),
      podCondition('Initialized', 'True'),
      podCondition('ContainersReady', 'True'),
      podCondition('Ready', 'True'),
    ],
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: true,
      started: true,
      restartCount: 0,
      state: { running: { startedAt } },
    })),
  });
}

/**
 * The kubelet's report while it cannot set up the pod's volumes: Pending, every container waiting
 * in ContainerCreating, the pod's sandbox not ready.
 */
export async function reportContainerCreating(pod: Pod): Promise<Pod> {
  const names = pod.spec.containers.map((c) => c.name);
  const unready = `containers with unready status: [${names.join(' ')}]`;
  return patchPodStatus(pod, {
    phase: 'Pending',
    startTime: seconds(),
    conditions: [
      podCondition('PodReadyToStartContainers', 'False'),
      podCondition('Initialized', 'True'),
      podCondition('ContainersReady', 'False', 'ContainersNotReady', unready),
      podCondition('Ready', 'False', 'ContainersNotReady', unready),
    ],
    containerStatuses: pod.spec.containers.map((c) => ({
      name: c.name,
      image: c.image ?? '',
      imageID: '',
      ready: false,
      started: false,
      restartCount: 0,
      state: { waiting: { reason: 'ContainerCreating' } },
    })),
  });
}

/**
 * The kubelet's confirmation that a pod the API server marked for graceful deletion has stopped:
 * without it a pod bound to a node stays Terminating for ever, and its StatefulSet never replaces
 * it. Waits for the deletion mark first (the controller that deletes the pod acts on its own time).
 */
export async function confirmPodTermination(pod: Pod): Promise<void> {
  const kc = adminKubeConfig();
  await waitUntil(
    `pod ${pod.metadata.namespace}/${pod.metadata.name} to be marked for deletion`,
    async () => {
      const res = await rawRequest<Pod>(kc, 'GET', podPath(pod));
      if (res.status === 404 || (res.status === 200 && res.body.metadata.uid !== pod.metadata.uid))
        return true;
      return res.status === 200 && res.body.metadata.deletionTimestamp !== undefined;
    },
    { timeoutMs: 90_000, intervalMs: 250 },
  );
  await forceDelete(pod);
}

/** What one recorded Event says; the rest (identity, timestamps) is filled in as a recorder does. */
export interface PodEventReport {
  reason: string;
  message: string;
  /** `source.component` and `reportingComponent`: who recorded it. */
  component: string;
  /** `source.host`: the kubelet names its node; controllers leave it out. */
  host?: string;
  type?: 'Warning' | 'Normal';
}

/**
 * Records an Event about `pod` in the core/v1 shape of client-go's legacy event recorder (which
 * the kubelet and the attach/detach controller use): first/lastTimestamp, count 1, no eventTime.
 */
export async function recordPodEvent(pod: Pod, report: PodEventReport): Promise<void> {
  const { namespace, name, uid, resourceVersion } = pod.metadata;
  const now = seconds();
  await request(adminKubeConfig(), 'POST', `/api/v1/namespaces/${namespace}/events`, {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${randomBytes(8).toString('hex')}`, namespace },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name, uid, resourceVersion },
    reason: report.reason,
    message: report.message,
    type: report.type ?? 'Warning',
    source: { component: report.component, ...(report.host ? { host: report.host } : {}) },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
    reportingComponent: report.component,
    reportingInstance: report.host ?? '',
  });
}

/**
 * The kubelet's FailedMount Event: `MountVolume.SetUp failed for volume "<pv>" : <error>`, the
 * wording of the kubelet's operation executor for a volume plugin's SetUp error.
 */
export function reportFailedMount(
  pod: Pod,
  volume: string,
  error: string,
): Promise<{ message: string }> {
  const message = `MountVolume.SetUp failed for volume "${volume}" : ${error}`;
  return recordPodEvent(pod, {
    reason: 'FailedMount',
    message,
    component: 'kubelet',
    host: pod.spec.nodeName,
  }).then(() => ({ message }));
}

/**
 * The kubelet's FailedMount Event once its wait for the pod's volumes timed out (it follows a
 * volume that never attached, e.g. after a Multi-Attach error).
 */
export function reportMountTimeout(pod: Pod, unmounted: string[]): Promise<{ message: string }> {
  const all = (pod.spec.volumes ?? []).map((v) => v.name).sort();
  const message =
    `Unable to attach or mount volumes: unmounted volumes=[${unmounted.join(' ')}], ` +
    `unattached volumes=[${all.join(' ')}]: timed out waiting for the condition`;
  return recordPodEvent(pod, {
    reason: 'FailedMount',
    message,
    component: 'kubelet',
    host: pod.spec.nodeName,
  }).then(() => ({ message }));
}

/**
 * The attach/detach controller's Event for a pod whose ReadWriteOnce volume is attached to another
 * node for pods in the same namespace: `Multi-Attach error for volume "<pv>" Volume is already used
 * by pod(s) <names>`.
 */
export function reportMultiAttach(
  pod: Pod,
  volume: string,
  usedBy: string[],
): Promise<{ message: string }> {
  const message = `Multi-Attach error for volume "${volume}" Volume is already used by pod(s) ${usedBy.join(', ')}`;
  return recordPodEvent(pod, {
    reason: 'FailedAttachVolume',
    message,
    component: 'attachdetach-controller',
  }).then(() => ({ message }));
}
