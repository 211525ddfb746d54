/**
 * "Has this StatefulSet finished rolling out?" as a pure function of the object the API returned.
 *
 * The answer follows the StatefulSet controller (kubernetes v1.37 `completeUpdate`): once every
 * one of `spec.replicas` pods exists, is Ready and runs `updateRevision`, the controller copies
 * `updateRevision` into `currentRevision` in the same status write. So "complete" is: the
 * controller has seen the latest spec (`observedGeneration >= generation`), `readyReplicas` has
 * reached `spec.replicas`, and `currentRevision == updateRevision`. With a partitioned rolling
 * update the controller never swaps revisions (pods below the partition stay old on purpose), so
 * there, as in `kubectl rollout status`, `updatedReplicas >= replicas - partition` is complete.
 * Servers or fakes that do not report `currentRevision` are judged by
 * `updatedReplicas == replicas`.
 */
import type { StatefulSet } from './types.js';

/** Where a rollout stands; `message` is short enough for a status line. */
export interface RolloutProgress {
  complete: boolean;
  /** Why it is not complete (or that it is), e.g. `0/1 pods ready`. */
  message: string;
  /** The pod count the spec asks for (`spec.replicas`, default 1). */
  desired: number;
  ready: number;
  updated: number;
}

interface UpdateStrategy {
  type?: string;
  rollingUpdate?: { partition?: number; [key: string]: unknown };
}

/** Judges completion from a StatefulSet as returned by GET. */
export function rolloutProgress(sts: StatefulSet): RolloutProgress {
  const desired = sts.spec.replicas ?? 1;
  const status = sts.status ?? {};
  const ready = status.readyReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const current = status.replicas ?? 0;
  const result = (complete: boolean, message: string): RolloutProgress => ({
    complete,
    message,
    desired,
    ready,
    updated,
  });

  const generation = sts.metadata.generation ?? 0;
  const observed = status.observedGeneration ?? 0;
  if (observed === 0 || observed < generation) {
    return result(false, `the StatefulSet controller has not yet seen generation ${generation}`);
  }
  if (ready < desired) return result(false, `${ready}/${desired} pods ready`);
  if (current > desired)
    return result(false, `${current - desired} surplus pods still terminating`);

  const strategy = (sts.spec.updateStrategy ?? {}) as UpdateStrategy;
  const partition = strategy.type !== 'OnDelete' ? (strategy.rollingUpdate?.partition ?? 0) : 0;
  if (partition > 0) {
    const target = Math.max(0, desired - partition);
    return updated >= target
      ? result(true, `partitioned rollout complete: ${updated} pods updated`)
      : result(false, `${updated}/${target} pods above partition ${partition} updated`);
  }

  if (status.currentRevision !== undefined && status.updateRevision !== undefined) {
    if (status.currentRevision === status.updateRevision)
      return result(true, `${desired}/${desired} pods ready and updated`);
    const onDelete =
      strategy.type === 'OnDelete'
        ? ' (OnDelete strategy: old pods must be deleted to update)'
        : '';
    return result(
      false,
      `${updated}/${desired} pods updated to revision ${status.updateRevision}${onDelete}`,
    );
  }
  if (updated === desired && current === desired)
    return result(true, `${desired}/${desired} pods ready and updated`);
  return result(false, `${updated}/${desired} pods updated`);
}

/**
 * True when the StatefulSet's own status proves that every pod it wants exists, is Ready and runs
 * the current template, so a caller that only needs "the running pods carry the template" can skip
 * listing them: the controller has seen the latest spec (`observedGeneration >= generation`), has
 * swapped revisions (`currentRevision == updateRevision`), and counts `replicas == readyReplicas ==
 * updatedReplicas == spec.replicas`. A partitioned or OnDelete rollout in progress, surplus pods,
 * or a status without revisions (older servers, some fakes) prove nothing: list the pods there.
 */
export function statusProvesRollout(sts: StatefulSet): boolean {
  const status = sts.status ?? {};
  const observed = status.observedGeneration;
  if (observed === undefined || observed < (sts.metadata.generation ?? 0)) return false;
  if (status.currentRevision === undefined || status.currentRevision !== status.updateRevision) {
    return false;
  }
  const desired = sts.spec.replicas ?? 1;
  return (
    (status.replicas ?? 0) === desired &&
    (status.readyReplicas ?? 0) === desired &&
    (status.updatedReplicas ?? 0) === desired
  );
}
