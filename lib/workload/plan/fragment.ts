/**
 * What a StatefulSet plan fragment is, shared by the subject modules that build fragments
 * (volumes, containers, security, fields) and the plan that collects and applies them.
 *
 * A subject module never sees the plan: it receives an `AddFragment`, the plan's own bookkeeping,
 * and hands it each fragment as soon as it is built, so a conflict throws at the same call, after
 * the same earlier fragments, as when the plan built them itself. The subject modules therefore
 * import nothing from plan.ts, which imports them.
 *
 * Private to the plan.
 */
import type { PatchBody, Working } from './working.js';

/** One desired fact about the StatefulSet, contributed by one owner. */
export interface Fragment {
  readonly owner: string;
  /** What the fragment is about; two fragments with one key must agree. */
  readonly key: string;
  /** Canonical desired value, to tell an identical duplicate from a conflict. */
  readonly identity: string;
  /** Fragments apply in phase order so e.g. a sidecar exists before a mount into it. */
  readonly phase: number;
  /** Applies the fragment; returns a change summary, or undefined when already satisfied. */
  apply(working: Working, patch: PatchBody): string | undefined;
}

/**
 * Records a fragment in a plan: an identical duplicate is a no-op, a different fragment for the
 * same key throws `PlanConflictError`.
 */
export type AddFragment = (fragment: Fragment) => void;

/** The order fragments apply in: what is added first, then edits inside it, removals last. */
export const PHASE = {
  container: 0,
  volume: 1,
  member: 2,
  removeMember: 3,
  removeContainer: 4,
  removeVolume: 5,
} as const;
