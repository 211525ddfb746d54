/**
 * The only I/O of a StatefulSet plan: send its one patch, or nothing (`applyPlan`), and the whole
 * read, contribute, write round with its conflict retry (`reconcileStatefulSet`). Kept apart from
 * the plan so the decision stays a pure function testable without a cluster.
 */
import type { KubePort } from '../../kube/port.js';
import { withConflictRetry } from '../../kube/retry.js';
import { StatefulSetPlan, type ComputeOptions, type PlanChange, type PlanResult } from './plan.js';
import type { StatefulSet } from '../../kube/types.js';

/** Result of `applyPlan`. */
export interface AppliedPlan {
  /** True when a patch was sent. */
  readonly patched: boolean;
  /** What changed (empty when nothing was sent). */
  readonly changes: readonly PlanChange[];
  /** The StatefulSet as returned by the server, or the observed one when nothing was sent. */
  readonly statefulSet: StatefulSet;
}

/** Options of `applyPlan`. */
export interface ApplyPlanOptions {
  /** Field manager recorded in managedFields (default `charmkit`). */
  fieldManager?: string;
}

/**
 * Sends the plan's single patch, or nothing when the StatefulSet is up to date: the only I/O of a
 * plan, kept tiny so the decision stays testable without a cluster.
 */
export async function applyPlan(
  port: KubePort,
  result: PlanResult,
  options: ApplyPlanOptions = {},
): Promise<AppliedPlan> {
  if (result.upToDate || result.patch === undefined) {
    return { patched: false, changes: [], statefulSet: result.observed };
  }
  const statefulSet = await port.patch<StatefulSet>(result.target, result.patch, {
    fieldManager: options.fieldManager ?? 'charmkit',
  });
  return { patched: true, changes: result.changes, statefulSet };
}

/** Options of `reconcileStatefulSet`. */
export interface ReconcileStatefulSetOptions extends ApplyPlanOptions, ComputeOptions {
  /** How many read→contribute→write rounds a 409 Conflict may cause (default 3). */
  conflictAttempts?: number;
}

/** The outcome of `reconcileStatefulSet`: what was applied and what the contributors returned. */
export interface StatefulSetReconcile<T> extends AppliedPlan {
  /** The pure plan result of the last (successful) round. */
  readonly result: PlanResult;
  /** What the contribute function returned in that round. */
  readonly contributed: T;
  /** Rounds run (1 unless a conflict forced a re-read). */
  readonly attempts: number;
}

/**
 * One reconcile of a StatefulSet by any number of capabilities: GET it, let `contribute` add every
 * capability's fragments to a fresh plan, and send the single patch (or nothing). A 409 Conflict
 * (someone wrote in between; the patch carries the resourceVersion it was computed from) re-runs
 * the whole round on fresh data, the only correct retry for a decision made on stale state.
 */
export async function reconcileStatefulSet<T>(
  port: KubePort,
  ref: { name: string; namespace?: string },
  contribute: (plan: StatefulSetPlan) => T | Promise<T>,
  options: ReconcileStatefulSetOptions = {},
): Promise<StatefulSetReconcile<T>> {
  return withConflictRetry(options.conflictAttempts ?? 3, async (attempts) => {
    const observed = await port.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: ref.name,
      namespace: ref.namespace,
    });
    const plan = StatefulSetPlan.for(observed);
    const contributed = await contribute(plan);
    const result = plan.compute(options);
    const applied = await applyPlan(port, result, options);
    return { ...applied, result, contributed, attempts };
  });
}
