/**
 * The capability contract: what a part of a controller (shared storage, a VPN route, the next one
 * a user writes) must offer so that any number of them reconcile the controller's own StatefulSet
 * together, with ONE read of it and at most ONE patch (see `reconcileCapabilities`).
 *
 * A capability is driven in stages, never by hand:
 * 1. `prepare` reads its inputs (relation data, objects it depends on) and decides. It may stop
 *    there with a result (no relation yet, invalid data — nothing is contributed, nothing is torn
 *    down), or take part in the patch with a `Participation`.
 * 2. `contribute` adds its desired fragments to a plan built from the one observed StatefulSet.
 * 3. `beforePatch` creates what must exist before the patch (a VPN kill switch must exist before
 *    the routing containers do). If it fails, this capability's fragments are withdrawn from the
 *    patch and the others still go.
 * 4. The one patch is sent (or none, when every fragment is already in place).
 * 5. `afterPatch` deletes what must outlive the old template (the kill switch goes only after the
 *    routing containers are gone).
 * 6. `verify` judges the outcome (rollout done? mounted in the running pods?) into the result.
 * Any failure becomes the capability's own result through `failed`, so one capability's trouble
 * never hides another's status.
 */
import type { KubePort } from '../kube/port.js';
import type { StatefulSet } from '../kube/types.js';
import type { Status } from '../relations/status.js';
import type { PlanChange, PlanResult, StatefulSetPlan } from './plan/index.js';

/** What every capability's reconcile reports; capabilities extend it with their own detail. */
export interface CapabilityResult {
  /** What to show the user for this capability. */
  readonly status: Status;
  /** This capability's changes in the patch (empty when it changed nothing). */
  readonly changes: readonly PlanChange[];
  /** The typed error behind a Blocked or error status. */
  readonly error?: Error;
}

/**
 * The controller's own StatefulSet, by name and namespace. The optional sources say where each
 * came from (`resolveSelfIdentity` reports them, e.g. `JUJU_UNIT_NAME`), so a StatefulSet that is
 * not there can be reported with the reason it was looked for there.
 */
export interface WorkloadRef {
  readonly name: string;
  readonly namespace: string;
  /** Where the name came from, e.g. `JUJU_UNIT_NAME` or `options.name`. */
  readonly nameSource?: string;
  /** Where the namespace came from, e.g. `JUJU_MODEL_NAME`. */
  readonly namespaceSource?: string;
}

/** Where a reconcile runs: the Kubernetes port and the controller's own StatefulSet. */
export interface CapabilityContext {
  /** The Kubernetes API (the client-node adapter, or FakeCluster in tests). */
  readonly kube: KubePort;
  readonly statefulSet: WorkloadRef;
}

/** What `beforePatch` and `afterPatch` are told: the computed plan and this capability's part. */
export interface PatchStep extends CapabilityContext {
  /** The pure plan result for the whole patch (every capability's fragments). */
  readonly plan: PlanResult;
  /** This capability's changes in the patch; empty when its fragments are already in place. */
  readonly changes: readonly PlanChange[];
}

/** What `verify` is told: whether the patch went, and the StatefulSet as it now is. */
export interface PatchOutcome extends CapabilityContext {
  /** True when the one patch was sent (for this capability's changes or another's). */
  readonly patched: boolean;
  /** This capability's changes in that patch. */
  readonly changes: readonly PlanChange[];
  /** The StatefulSet the patch returned, or as observed when nothing was sent. */
  readonly observed: StatefulSet;
}

/** How a prepared capability takes part in the one patch. */
export interface Participation<R extends CapabilityResult = CapabilityResult> {
  /**
   * Adds this capability's fragments to a plan of the observed StatefulSet. Pure; called again
   * when a 409 Conflict forces a re-read, so it must not count on being called once.
   */
  contribute(plan: StatefulSetPlan): void;
  /**
   * Creates or updates side objects that must exist before the patch. Writes nothing when they
   * are already in place. Throwing withdraws this capability's fragments from the patch.
   */
  beforePatch?(step: PatchStep): Promise<void>;
  /** Deletes side objects that must go only after the patch. */
  afterPatch?(step: PatchStep): Promise<void>;
  /** Turns the outcome into this capability's result. */
  verify(outcome: PatchOutcome): Promise<R>;
}

/** What `prepare` decided: stop with a result, or take part in the patch. */
export type Preparation<R extends CapabilityResult = CapabilityResult> =
  { readonly done: R } | Participation<R>;

/**
 * A part of a controller that changes the controller's own StatefulSet. Implement it to compose
 * with every other capability in one patch; `reconcileCapabilities` drives it.
 */
export interface Capability<R extends CapabilityResult = CapabilityResult> {
  /** Tags this capability's plan fragments and side objects, e.g. `storage:storage`. */
  readonly owner: string;
  /** Reads inputs and decides; must neither read nor write the StatefulSet. */
  prepare(context: CapabilityContext): Promise<Preparation<R>>;
  /** The result for a failure at any stage; the error's remedy decides Blocked vs error. */
  failed(failure: unknown): R;
}

/** The result type a capability reports. */
export type ResultOf<C> = C extends Capability<infer R> ? R : never;

/** True when `prepare` stopped with a result. */
export function isDone<R extends CapabilityResult>(
  preparation: Preparation<R>,
): preparation is { readonly done: R } {
  return 'done' in preparation;
}
