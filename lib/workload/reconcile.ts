/**
 * `reconcileCapabilities`: drive any number of capabilities through one reconcile of the
 * controller's own StatefulSet — ONE read of it, at most ONE patch — in the order the capability
 * contract fixes (see capability.ts): prepare → contribute → beforePatch → patch → afterPatch →
 * verify.
 *
 * One capability's failure stays its own: a capability whose fragments conflict with an earlier
 * one's, or address a container the StatefulSet does not have, or whose side objects cannot be
 * created, is withdrawn from the patch and reports its failure, while the others still go. Earlier
 * capabilities in the list win conflicts, so the list order is the priority order.
 */
import { isNotFound } from '../kube/errors.js';
import type { KubePort } from '../kube/port.js';
import { withConflictRetry } from '../kube/retry.js';
import type { StatefulSet } from '../kube/types.js';
import {
  isDone,
  type Capability,
  type CapabilityContext,
  type CapabilityResult,
  type Participation,
  type ResultOf,
} from './capability.js';
import { OwnStatefulSetNotFoundError } from './errors.js';
import { applyPlan } from './plan/apply.js';
import { StatefulSetPlan, type PlanChange, type PlanResult } from './plan/plan.js';

/** Options of `reconcileCapabilities`. */
export interface ReconcileOptions {
  /** Names the writer of the patch in managedFields (default `charmkit`). */
  readonly fieldManager?: string;
  /** Read→recompute→write rounds a 409 Conflict may cause (default 3). */
  readonly conflictAttempts?: number;
}

/** What one reconcile of a list of capabilities did. */
export interface CapabilitiesReconcile<C extends readonly Capability[]> {
  /** True when the one patch was sent. */
  readonly patched: boolean;
  /** Every change in that patch, in the order it applies them (empty when nothing was sent). */
  readonly changes: readonly PlanChange[];
  /**
   * The StatefulSet as the patch returned it or as it was read; undefined when no capability
   * took part, so it was never read.
   */
  readonly statefulSet?: StatefulSet;
  /** Each capability's result, in the order of the list given. */
  readonly results: { readonly [K in keyof C]: ResultOf<C[K]> };
}

/** A capability that took part in the patch, with its place in the list. */
interface Taking {
  readonly index: number;
  readonly capability: Capability;
  readonly participation: Participation;
}

/**
 * Reconciles the controller's StatefulSet for every capability in `capabilities`: see the module
 * comment for the order and docs/adr for why there is one patch. Never throws for a capability's
 * failure; each result carries its own status.
 */
export async function reconcileCapabilities<const C extends readonly Capability[]>(
  context: CapabilityContext,
  capabilities: C,
  options: ReconcileOptions = {},
): Promise<CapabilitiesReconcile<C>> {
  const results: (CapabilityResult | undefined)[] = capabilities.map(() => undefined);
  const fail = (index: number, failure: unknown): void => {
    results[index] = capabilities[index]!.failed(failure);
  };
  let taking: Taking[] = [];
  for (const [index, capability] of capabilities.entries()) {
    try {
      const preparation = await capability.prepare(context);
      if (isDone(preparation)) results[index] = preparation.done;
      else taking.push({ index, capability, participation: preparation });
    } catch (failure) {
      fail(index, failure);
    }
  }
  if (taking.length === 0) return finish(results, { patched: false, changes: [] });

  const prepared = new Set<number>();
  let round: { plan: PlanResult; statefulSet: StatefulSet; patched: boolean };
  try {
    round = await withConflictRetry(options.conflictAttempts ?? 3, async () => {
      const observed = await readStatefulSet(context.kube, context);
      let plan: PlanResult;
      ({ taking, plan } = planTogether(observed, taking, fail));
      // Side objects first; a capability whose side objects fail is withdrawn and the patch
      // recomputed without it. Already prepared capabilities are not prepared again after a 409.
      for (const take of [...taking]) {
        if (prepared.has(take.index) || !take.participation.beforePatch) continue;
        try {
          await take.participation.beforePatch({ ...context, plan, changes: own(plan, take) });
          prepared.add(take.index);
        } catch (failure) {
          fail(take.index, failure);
          taking = taking.filter((t) => t !== take);
          plan = computePlan(observed, taking);
        }
      }
      const applied = await applyPlan(context.kube, plan, { fieldManager: options.fieldManager });
      return { plan, statefulSet: applied.statefulSet, patched: applied.patched };
    });
  } catch (failure) {
    for (const take of taking) fail(take.index, failure);
    return finish(results, { patched: false, changes: [] });
  }

  for (const take of taking) {
    const changes = round.patched ? own(round.plan, take) : [];
    try {
      await take.participation.afterPatch?.({ ...context, plan: round.plan, changes });
      results[take.index] = await take.participation.verify({
        ...context,
        patched: round.patched,
        changes,
        observed: round.statefulSet,
      });
    } catch (failure) {
      fail(take.index, failure);
    }
  }
  return finish(results, {
    patched: round.patched,
    changes: round.patched ? round.plan.changes : [],
    statefulSet: round.statefulSet,
  });
}

function finish<C extends readonly Capability[]>(
  results: (CapabilityResult | undefined)[],
  outcome: Omit<CapabilitiesReconcile<C>, 'results'>,
): CapabilitiesReconcile<C> {
  // Every slot is filled: each capability ended done, failed or verified.
  return { ...outcome, results: results as CapabilitiesReconcile<C>['results'] };
}

/** The one read of the StatefulSet; a 404 names where its name and namespace came from. */
async function readStatefulSet(port: KubePort, context: CapabilityContext): Promise<StatefulSet> {
  try {
    return await port.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: context.statefulSet.name,
      namespace: context.statefulSet.namespace,
    });
  } catch (failure) {
    if (isNotFound(failure)) throw new OwnStatefulSetNotFoundError(context.statefulSet, failure);
    throw failure;
  }
}

function computePlan(observed: StatefulSet, taking: readonly Taking[]): PlanResult {
  const plan = StatefulSetPlan.for(observed);
  for (const take of taking) take.participation.contribute(plan);
  return plan.compute();
}

/**
 * The plan of the capabilities whose fragments can go into one plan together. The common case
 * (they all can) costs one computation; otherwise they are added one at a time and a capability
 * that cannot join the ones before it is failed with the plan's typed error.
 */
function planTogether(
  observed: StatefulSet,
  taking: readonly Taking[],
  fail: (index: number, failure: unknown) => void,
): { taking: Taking[]; plan: PlanResult } {
  try {
    return { taking: [...taking], plan: computePlan(observed, taking) };
  } catch {
    const accepted: Taking[] = [];
    let plan = computePlan(observed, []);
    for (const take of taking) {
      try {
        plan = computePlan(observed, [...accepted, take]);
        accepted.push(take);
      } catch (failure) {
        fail(take.index, failure);
      }
    }
    return { taking: accepted, plan };
  }
}

function own(plan: PlanResult, take: Taking): PlanChange[] {
  return plan.changes.filter((change) => change.owner === take.capability.owner);
}
