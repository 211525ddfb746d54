/**
 * Waiting for a StatefulSet rollout, and explaining it when it does not finish.
 *
 * Polling a GET every couple of seconds beats a watch here: a hook waits seconds to minutes for
 * one object, a GET per interval is a known, countable number of requests, and it cannot silently
 * miss an event the way a watch that drops does. When the wait ends without completion we return
 * a diagnosis as data (never throw), so the caller can set a status that names the cause. The
 * judgement (`rolloutProgress`, `diagnoseRollout`) is pure; this file only fetches.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { KubernetesError, asKubernetesError } from './errors.js';
import type { KubePort, ObjectRef } from './port.js';
import { isPodReady } from './pod-readiness.js';
import {
  diagnoseRollout,
  type ClaimEvidence,
  type RolloutDiagnosis,
  type RolloutEvidence,
} from './rollout-diagnosis.js';
import { rolloutProgress, type RolloutProgress } from './rollout-progress.js';
import { labelSelectorString, type LabelSelector } from './selectors.js';
import type { KubeEvent, PersistentVolumeClaim, Pod, StatefulSet } from './types.js';

/** How long and how often `waitForRollout` polls. */
export interface RolloutWaitOptions {
  /** Give up after this long; default 120 s. 0 checks once. */
  timeoutMs?: number;
  /** Between polls; default 2 s (one GET per interval). */
  intervalMs?: number;
  /** Time and waiting; injectable so tests drive a wait without waiting (default the real clock). */
  clock?: Clock;
  /** Gather and return a diagnosis when not complete; default true. */
  diagnose?: boolean;
}

/** A finished rollout. */
export interface RolloutComplete {
  complete: true;
  statefulSet: StatefulSet;
  progress: RolloutProgress;
  /** GETs made while waiting. */
  polls: number;
}

/** A rollout that did not finish in time, with the reasons the cluster gives. */
export interface RolloutIncomplete {
  complete: false;
  statefulSet: StatefulSet;
  progress: RolloutProgress;
  polls: number;
  /** Absent only when `diagnose: false` was asked for. */
  diagnosis?: RolloutDiagnosis;
}

/** What `waitForRollout` returns: branch on `complete`; an incomplete one carries the diagnosis. */
export type RolloutResult = RolloutComplete | RolloutIncomplete;

/**
 * Polls the StatefulSet until its rollout is complete (see `rolloutProgress`) or `timeoutMs`
 * passes, then returns the outcome. Errors reading the StatefulSet itself (404, 403) are thrown:
 * there is nothing to wait for.
 */
export async function waitForRollout(
  port: KubePort,
  ref: ObjectRef,
  options: RolloutWaitOptions = {},
): Promise<RolloutResult> {
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const intervalMs = options.intervalMs ?? 2000;
  const deadline = clock.now() + timeoutMs;
  let polls = 0;
  for (;;) {
    const statefulSet = await port.get<StatefulSet>({
      ...ref,
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
    });
    polls++;
    const progress = rolloutProgress(statefulSet);
    if (progress.complete) return { complete: true, statefulSet, progress, polls };
    const remaining = deadline - clock.now();
    if (remaining <= 0) {
      const result: RolloutIncomplete = { complete: false, statefulSet, progress, polls };
      if (options.diagnose ?? true)
        result.diagnosis = await diagnoseStatefulSet(port, statefulSet, progress);
      return result;
    }
    await clock.sleep(Math.min(intervalMs, remaining));
  }
}

/** Limits on how much `gatherRolloutEvidence` reads, so a large StatefulSet stays cheap. */
export interface EvidenceLimits {
  /** Unready pods whose events are read; default 5. */
  maxPods?: number;
  /** Claims read; default 10. */
  maxClaims?: number;
  /**
   * Claims the caller read moments ago in the same reconcile: used instead of reading them again,
   * so diagnosing a stuck rollout costs no duplicate request.
   */
  knownClaims?: readonly PersistentVolumeClaim[];
}

/** Gathers evidence and diagnoses it: one call for "why is this rollout stuck?". */
export async function diagnoseStatefulSet(
  port: KubePort,
  statefulSet: StatefulSet,
  progress: RolloutProgress = rolloutProgress(statefulSet),
  limits: EvidenceLimits = {},
): Promise<RolloutDiagnosis> {
  const evidence = await gatherRolloutEvidence(port, statefulSet, progress, limits);
  return diagnoseRollout(evidence);
}

/**
 * Reads what `diagnoseRollout` needs: the StatefulSet's pods (one list by its selector), events
 * of its unready pods, the claims they use and the events of unbound ones, and — while pods are
 * missing — the StatefulSet's own events. Reads that fail (RBAC!) become findings instead of
 * failing the diagnosis.
 */
export async function gatherRolloutEvidence(
  port: KubePort,
  statefulSet: StatefulSet,
  progress: RolloutProgress = rolloutProgress(statefulSet),
  limits: EvidenceLimits = {},
): Promise<RolloutEvidence> {
  const namespace = statefulSet.metadata.namespace;
  const name = statefulSet.metadata.name ?? '';
  const unreadable: string[] = [];
  const attempt = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (error) {
      if (!(asKubernetesError(error) instanceof KubernetesError)) throw error;
      unreadable.push(`${what}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const listEvents = (kind: string, objectName: string): Promise<KubeEvent[]> =>
    attempt(`events of ${kind} ${objectName}`, () =>
      port.list<KubeEvent>(
        { apiVersion: 'v1', kind: 'Event' },
        {
          namespace,
          fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${objectName}`,
        },
      ),
    ).then((list) => list?.items ?? []);

  const podList = await attempt(`pods of StatefulSet ${name}`, () =>
    port.list<Pod>(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace, labelSelector: labelSelectorString(statefulSet.spec.selector as LabelSelector) },
    ),
  );
  const uid = statefulSet.metadata.uid;
  const pods = (podList?.items ?? []).filter(
    (pod) =>
      !uid ||
      !pod.metadata.ownerReferences ||
      pod.metadata.ownerReferences.some((o) => o.uid === uid),
  );
  const unready = pods.filter((pod) => !isPodReady(pod));

  const events: KubeEvent[] = [];
  for (const pod of unready.slice(0, limits.maxPods ?? 5))
    events.push(...(await listEvents('Pod', pod.metadata.name ?? '')));

  const claimNames = new Set<string>();
  for (const pod of unready) {
    for (const volume of pod.spec.volumes ?? []) {
      if (volume.persistentVolumeClaim) claimNames.add(volume.persistentVolumeClaim.claimName);
    }
  }
  const missingPods = pods.length < progress.desired;
  if (missingPods) {
    for (const volume of statefulSet.spec.template.spec.volumes ?? []) {
      if (volume.persistentVolumeClaim) claimNames.add(volume.persistentVolumeClaim.claimName);
    }
  }

  const claims: ClaimEvidence[] = [];
  for (const claimName of [...claimNames].slice(0, limits.maxClaims ?? 10)) {
    try {
      const claim =
        limits.knownClaims?.find(
          (c) => c.metadata.name === claimName && (c.metadata.namespace ?? namespace) === namespace,
        ) ??
        (await port.get<PersistentVolumeClaim>({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          namespace,
          name: claimName,
        }));
      claims.push({ name: claimName, claim });
      if (claim.status?.phase !== 'Bound')
        events.push(...(await listEvents('PersistentVolumeClaim', claimName)));
    } catch (error) {
      const kube = asKubernetesError(error);
      if (kube?.isNotFound()) claims.push({ name: claimName });
      else if (kube) unreadable.push(`PersistentVolumeClaim ${claimName}: ${kube.message}`);
      else throw error;
    }
  }

  if (missingPods) events.push(...(await listEvents('StatefulSet', name)));

  return { statefulSet, progress, pods, events, claims, unreadable };
}
