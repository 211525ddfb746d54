/**
 * The one error base of charmkit, and the one question every failure must answer: will running the
 * same hook again help, or must a person change something first?
 *
 * That answer decides what a controller does with a failure. A failure a person must fix (invalid
 * relation data, a missing permission, a container name that does not exist) is shown as Blocked
 * and the hook ends normally: retrying would fail the same way and only fill the log. A failure
 * that time may fix (an unreachable API server, a 409 Conflict that kept recurring, a hook tool the
 * agent refused) is shown as an error and the hook exits non-zero, so Juju runs it again later.
 * Keeping the answer on the error itself replaces lists of `instanceof` checks that each layer
 * would otherwise have to keep in step.
 */

/**
 * What can make a failed operation succeed:
 * - `fix`: a person must change something (configuration, relation data, RBAC, the charm);
 * - `retry`: nothing needs to change; running again later may succeed.
 */
export type Remedy = 'fix' | 'retry';

/**
 * Base class of every error charmkit throws. Subclasses state their `remedy`; a class whose remedy
 * depends on the case (an HTTP status, say) computes it in its constructor.
 */
export abstract class CharmkitError extends Error {
  /** Whether a person must act (`fix`) or a later retry may succeed (`retry`). */
  abstract readonly remedy: Remedy;
}

/**
 * The remedy for any thrown value. An error that is not charmkit's is unexplained, so it counts as
 * `retry`: the hook fails visibly (Juju shows the error and retries) instead of hiding behind a
 * Blocked status that claims to know what to fix.
 */
export function remedyOf(failure: unknown): Remedy {
  return failure instanceof CharmkitError ? failure.remedy : 'retry';
}

/** Narrows an unknown thrown value to an Error for result objects (non-Errors are wrapped). */
export function asError(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(String(failure));
}
