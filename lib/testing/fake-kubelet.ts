/**
 * The simulated kubelet of `FakeCluster`'s one fake node: a pod bound to the node starts at once,
 * every container running and ready, so a StatefulSet rollout can complete in a unit test.
 *
 * Readiness here is the pod's `Ready` condition plus phase `Running`, the pair the StatefulSet
 * controller checks (lib/kube/pod-readiness.ts defines both for the whole codebase).
 *
 * Not modelled: probes, container restarts, image pulls, init containers running before the main
 * ones, resource accounting, graceful termination (deletion is instant).
 */
import type { Pod } from '../kube/types.js';

/** The name of the fake node every pod is scheduled to. */
export const FAKE_NODE = 'fake-node-0';

/** Starts pods on the fake node, handing out pod IPs in order. */
export class FakeKubelet {
  private podIps = 0;

  constructor(private readonly now: () => string) {}

  /** `pod` as it is once bound to `node` and started: Running, Ready, with an IP. */
  start(pod: Pod, node: string): Pod {
    const now = this.now();
    const next = structuredClone(pod);
    next.spec.nodeName = node;
    const condition = (type: string) => ({
      type,
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: now,
    });
    const ip = `10.244.0.${++this.podIps}`;
    next.status = {
      phase: 'Running',
      conditions: [
        condition('Initialized'),
        condition('Ready'),
        condition('ContainersReady'),
        condition('PodScheduled'),
      ],
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: now,
      containerStatuses: (pod.spec.containers ?? []).map((c) => ({
        name: c.name,
        state: { running: { startedAt: now } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        started: true,
      })),
    };
    // The QoS class is the API server's, set at creation; the kubelet keeps it.
    if (pod.status?.qosClass !== undefined) next.status.qosClass = pod.status.qosClass;
    return next;
  }
}
