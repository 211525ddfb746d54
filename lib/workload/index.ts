/**
 * charmkit/workload: the controller's own StatefulSet and how capabilities compose onto it — the
 * capability contract, `reconcileCapabilities` (one read, at most one patch), the StatefulSet plan
 * every capability contributes to, and the one mapping from a failure to the status a user sees.
 *
 * This list is the public API; anything not exported here is private.
 */

// The capability contract and the reconcile that drives it.
export type {
  Capability,
  CapabilityContext,
  CapabilityResult,
  Participation,
  PatchOutcome,
  PatchStep,
  Preparation,
  ResultOf,
  WorkloadRef,
} from './capability.js';
export { reconcileCapabilities } from './reconcile.js';
export type { CapabilitiesReconcile, ReconcileOptions } from './reconcile.js';

// Running one hook: dispatch, reconcile, status, and the exit code Juju needs.
export { runHook } from './hook.js';
export type { HookController, HookResult, HookRun } from './hook.js';

// The controller's own StatefulSet is missing (names where its name and namespace came from).
export { OwnStatefulSetNotFoundError } from './errors.js';

// Failure → status.
export { statusForFailure } from './failure-status.js';
export type { FailureContext } from './failure-status.js';

// The StatefulSet plan.
export * from './plan/index.js';
