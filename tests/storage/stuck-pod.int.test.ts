/**
 * StorageRequirer's diagnosis of a rolled pod stuck in ContainerCreating, on the real API server.
 *
 * The test cluster's nodes are kwok fakes: kwok marks every pod on them Ready, and no kubelet
 * mounts and no attach/detach controller attaches a real volume, so a FailedMount or a Multi-Attach
 * error never arises by itself. This file therefore places the charm's pods on a Node that kwok
 * does not manage and plays the kubelet's and the attach/detach controller's part there through
 * tests/support/kubelet.ts — exactly as `playResizeDriver` plays a CSI resizer: it reports the pod
 * Running (so the first rollout completes), confirms the deleted pod's termination (so the
 * StatefulSet can replace it), reports the new pod in ContainerCreating and records the Events
 * those components record. It is exactly that and nothing more: it proves that the requirer finds
 * and reads such reports as the real server stores and serves them (core/v1 Events found by field
 * selector, timestamps, a pod name reused by a new incarnation), not that a real kubelet or
 * controller would write them on a real node.
 *
 * Everything else is real: the scheduler places the pods on that node, the StatefulSet controller
 * rolls them after the requirer's one patch, the PV binder binds the claims, kwok runs the other
 * consumer of a ReadWriteOnce claim on a kwok node, and the node lifecycle controller watches the
 * played node's Lease.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import type { KubePort } from '../../lib/kube/port.js';
import type { Pod, StatefulSet } from '../../lib/kube/types.js';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { StorageRequirer } from '../../lib/storage/requirer.js';
import {
  adminKubeConfig,
  kubeconfigPath,
  rawRequest,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import {
  confirmPodTermination,
  createUnmanagedNode,
  reportContainerCreating,
  reportFailedMount,
  reportMountTimeout,
  reportMultiAttach,
  reportPodRunning,
  type UnmanagedNode,
} from '../support/kubelet.js';
import {
  WORKLOAD_CONTAINER,
  jujuCharmStatefulSet,
  statefulSetFixture,
  statefulSetRef,
  waitForSingleReplicaRollout,
} from '../support/objects.js';
import { createBoundClaim, deleteVolumes } from '../support/storage.js';

// jest-circus takes the default timeout from the global config only, so the integration project's
// `testTimeout` does not reach this file; each step below waits with its own generous deadline.
jest.setTimeout(180_000);

const ns = useTestNamespace('storage-stuck');
const log = new RequestLog();
const pvs: string[] = [];
const statefulSets: string[] = [];
let port: KubePort;
let node: UnmanagedNode | undefined;

beforeAll(async () => {
  port = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
  node = await createUnmanagedNode();
});

afterAll(async () => {
  // Nothing may recreate a pod on the node while it is removed.
  for (const name of statefulSets) {
    await rawRequest(
      adminKubeConfig(),
      'DELETE',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets/${name}`,
    );
  }
  try {
    await node?.remove();
  } finally {
    await deleteVolumes(pvs);
  }
});

function unmanagedNode(): UnmanagedNode {
  if (!node) throw new Error('the unmanaged node is created in beforeAll');
  return node;
}

const sts = (name: string) => statefulSetRef(ns.name, name);
const podRef = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', namespace: ns.name, name });
const summary = () => log.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`);

/**
 * What the requirer reads when its pod is stuck: the published claim and the StatefulSet, then the
 * rollout evidence: the pods and the unready pod's events. The claim that pod uses is the one just
 * read, so it is not read again.
 */
const STUCK_READS = [
  'get PersistentVolumeClaim 200',
  'get StatefulSet 200',
  'list Pod 200',
  'list Event 200',
];

/** A ReadWriteOnce claim bound to its own pre-bound hostPath PV; returns the PV's name. */
async function boundClaim(name: string): Promise<string> {
  const pv = await createBoundClaim(ns.name, name);
  pvs.push(pv);
  return pv;
}

async function rolledOut(name: string): Promise<StatefulSet> {
  return waitForSingleReplicaRollout(ns.name, name);
}

/** Waits until pod `name` exists, is bound to `nodeName` and is not `previous` (a UID). */
async function scheduledPod(name: string, nodeName: string, previous?: string): Promise<Pod> {
  return waitUntil(
    `pod ${name} to be scheduled to ${nodeName}`,
    async () => {
      const pod = await port.get<Pod>(podRef(name));
      return pod.metadata.uid !== previous &&
        !pod.metadata.deletionTimestamp &&
        pod.spec.nodeName === nodeName
        ? pod
        : undefined;
    },
    { timeoutMs: 90_000 },
  );
}

/**
 * A Juju sidecar charm's StatefulSet placed on the unmanaged node, rolled out: its pod is reported
 * Running there by the played kubelet. Returns that running pod.
 */
async function charmOnUnmanagedNode(app: string): Promise<Pod> {
  const target = unmanagedNode();
  const object = jujuCharmStatefulSet(app, ns.name, {
    name: `${app}-app`,
    image: `registry.invalid/${app}:5`,
  });
  object.spec.template.spec.nodeSelector = { ...target.nodeSelector };
  object.spec.template.spec.tolerations = structuredClone(target.tolerations);
  await port.create<StatefulSet>(object);
  statefulSets.push(app);
  const pod = await reportPodRunning(await scheduledPod(`${app}-0`, target.name));
  await rolledOut(app);
  return pod;
}

/**
 * After the requirer's patch the StatefulSet controller deletes the running pod; the played
 * kubelet confirms its termination, and the replacement is scheduled to the same node, where
 * nothing will ever start it.
 */
async function replacementPod(running: Pod): Promise<Pod> {
  await confirmPodTermination(running);
  return scheduledPod(running.metadata.name ?? '', unmanagedNode().name, running.metadata.uid);
}

function requirerFor(app: string, claim: string): StorageRequirer {
  const model = new MemoryModel({ name: ns.name });
  const backend = model.backend(`${app}/0`, { leader: true });
  backend.addRelation({
    endpoint: 'storage',
    remoteApp: 'storage',
    remoteAppData: {
      'pvc-name': claim,
      namespace: ns.name,
      'mount-path': '/data',
      puid: '1000',
      pgid: '1000',
      'access-mode': 'ReadWriteOnce',
    },
  });
  return new StorageRequirer({ kube: port, backend, container: `${app}-app` });
}

/** The requirer's first reconcile: one patch that keeps the pod template's placement. */
async function mountWithOnePatch(requirer: StorageRequirer, app: string): Promise<void> {
  log.clear();
  const first = await requirer.reconcile();
  expect(first.state).toBe('patched');
  expect(summary()).toEqual([
    'get PersistentVolumeClaim 200',
    'get StatefulSet 200',
    'patch StatefulSet 200',
  ]);
  const stored = await port.get<StatefulSet>(sts(app));
  expect(stored.spec.template.spec.nodeSelector).toEqual(unmanagedNode().nodeSelector);
  expect(stored.spec.template.spec.tolerations).toEqual(unmanagedNode().tolerations);
}

describe('StorageRequirer with a rolled pod stuck in ContainerCreating (played kubelet)', () => {
  it('FailedMount: Blocked with the kubelet message, read with zero writes', async () => {
    const pv = await boundClaim('media-mount');
    const running = await charmOnUnmanagedNode('radarr');
    const requirer = requirerFor('radarr', 'media-mount');
    await mountWithOnePatch(requirer, 'radarr');

    const pod = await replacementPod(running);
    expect(pod.spec.volumes).toContainEqual({
      name: requirer.volume,
      persistentVolumeClaim: { claimName: 'media-mount' },
    });
    expect(pod.spec.tolerations).toContainEqual(unmanagedNode().tolerations[0]);
    expect(pod.status?.phase).toBe('Pending');

    // Before the node reports anything, the requirer says the pod is not ready and no more.
    const unexplained = await requirer.reconcile();
    expect(unexplained.state).toBe('stuck');
    expect(unexplained.status.name).toBe('maintenance');
    expect(unexplained.diagnosis?.findings).toEqual([
      expect.objectContaining({ kind: 'Unknown', pod: 'radarr-0' }),
    ]);

    const creating = await reportContainerCreating(pod);
    const { message } = await reportFailedMount(
      creating,
      pv,
      `mkdir /tmp/charmkit-fixtures/${pv}: read-only file system`,
    );

    log.clear();
    const stuck = await requirer.reconcile();
    expect(stuck.changed).toBe(false);
    expect(stuck.state).toBe('stuck');
    expect(log.writes()).toEqual([]);
    expect(summary()).toEqual(STUCK_READS);
    expect(stuck.diagnosis?.findings).toEqual([
      {
        kind: 'FailedMount',
        pod: 'radarr-0',
        message: `pod radarr-0 cannot mount a volume: ${message}`,
        hint: expect.stringContaining('check the volume source'),
      },
    ]);
    const hint = stuck.diagnosis?.findings[0]?.hint ?? '';
    expect(stuck.status).toEqual({
      name: 'blocked',
      message: `shared storage not mounted: pod radarr-0 cannot mount a volume: ${message}; ${hint}`,
    });

    // Nothing played the kubelet's "started": the pod is still where the report left it.
    const after = await port.get<Pod>(podRef('radarr-0'));
    expect(after.metadata.uid).toBe(pod.metadata.uid);
    expect(after.status?.phase).toBe('Pending');
  });

  it('Multi-Attach: Blocked with the attach/detach controller message and what to do', async () => {
    const pv = await boundClaim('media-shared');
    // Another consumer of the ReadWriteOnce claim, running on a kwok node.
    await port.create<StatefulSet>(
      statefulSetFixture({
        name: 'qbittorrent',
        namespace: ns.name,
        containers: [
          { ...WORKLOAD_CONTAINER, volumeMounts: [{ name: 'media', mountPath: '/downloads' }] },
        ],
        volumes: [{ name: 'media', persistentVolumeClaim: { claimName: 'media-shared' } }],
      }),
    );
    statefulSets.push('qbittorrent');
    await rolledOut('qbittorrent');
    const other = await port.get<Pod>(podRef('qbittorrent-0'));
    expect(other.spec.nodeName).toMatch(/^kwok-node-/);

    const running = await charmOnUnmanagedNode('sonarr');
    const requirer = requirerFor('sonarr', 'media-shared');
    await mountWithOnePatch(requirer, 'sonarr');
    const pod = await replacementPod(running);

    const multiAttach = await reportMultiAttach(pod, pv, ['qbittorrent-0']);
    const creating = await reportContainerCreating(pod);
    // The kubelet's wait for the volume then times out: a symptom, ranked after its cause.
    const timeout = await reportMountTimeout(creating, [requirer.volume]);

    log.clear();
    const stuck = await requirer.reconcile();
    expect(stuck.changed).toBe(false);
    expect(stuck.state).toBe('stuck');
    expect(log.writes()).toEqual([]);
    expect(summary()).toEqual(STUCK_READS);
    expect(stuck.diagnosis?.findings).toEqual([
      expect.objectContaining({
        kind: 'MultiAttach',
        pod: 'sonarr-0',
        message: `pod sonarr-0: ${multiAttach.message}`,
      }),
      expect.objectContaining({
        kind: 'FailedMount',
        pod: 'sonarr-0',
        message: `pod sonarr-0 cannot mount a volume: ${timeout.message}`,
      }),
    ]);
    const hint = stuck.diagnosis?.findings[0]?.hint ?? '';
    expect(stuck.status).toEqual({
      name: 'blocked',
      message: `shared storage not mounted: pod sonarr-0: ${multiAttach.message} (+1 more); ${hint}`,
    });
    // What to do: one node for every consumer of the claim, or storage that many nodes can mount.
    expect(hint).toMatch(/run every pod that uses the claim on one node/);
    expect(hint).toMatch(/ReadWriteMany/);
  });
});
