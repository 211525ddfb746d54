/**
 * What "a ready pod" means, defined once.
 *
 * Kubernetes has two nested notions and code that mixes them up disagrees with itself: a pod is
 * *ready* when its `Ready` condition is `True` (what Services, `kubectl get pods` and a rollout's
 * diagnosis look at), and the StatefulSet controller additionally insists on phase `Running`
 * before it counts a pod as ready and moves on to the next ordinal (a pod that has finished or
 * failed may still carry a stale `Ready=True`). Both are here, the second built on the first.
 */
import type { Pod } from './types.js';

/** The pod's `Ready` condition is `True`. */
export function isPodReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * Ready and in phase `Running`: the StatefulSet controller's test before it counts a replica as
 * ready, creates the next ordinal (OrderedReady) or replaces the next stale pod (RollingUpdate).
 */
export function isPodRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}
