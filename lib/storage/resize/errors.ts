/**
 * How a resize ends when it does not finish, as typed errors a controller can act on.
 *
 * Four endings, told apart by what the user must do and by what state the data is in:
 * - `ResizeRefusedError`: the plan or preflight found a reason not to start (a shrink, a Block
 *   volume that needs a copy, a namespace whose Pod Security level forbids the copy pod, an
 *   autoscaler that would fight the scale-down...). Nothing was changed.
 * - `ResizeFailedError`: a step failed for a reason retrying will not fix (a copy Job failed, the
 *   verification found a difference, the driver refused the expansion). The helper undid what it
 *   had done: the workload runs on its original volumes again.
 * - `ResizeNeedsHumanError`: a step failed after an original claim was already swapped for its
 *   verified copy, so going back is not automatic. Every byte still exists (the original volume
 *   is kept with reclaim policy Retain); the error carries the exact commands to finish or undo.
 * - `ResizeInterruptedError` / `ResizeLockedError`: the run stopped (an API error, a timeout, a
 *   crash of the caller, another run holding the lock). The journal keeps the progress; running
 *   again resumes at the step that was interrupted.
 */
import { CharmkitError, type Remedy } from '../../core/errors.js';

/** The plan or preflight refused to start; nothing was changed. */
export class ResizeRefusedError extends CharmkitError {
  override readonly name = 'ResizeRefusedError';
  readonly remedy = 'fix' as const;
  constructor(
    /** Each reason, one sentence with its fix. */
    readonly reasons: readonly string[],
  ) {
    super(`volume resize refused: ${reasons.join('; ')}`);
  }
}

/**
 * A step failed and the helper restored the starting point: the StatefulSet runs on its original,
 * untouched volumes at its original replica count, and the journal is gone.
 */
export class ResizeFailedError extends CharmkitError {
  override readonly name = 'ResizeFailedError';
  readonly remedy: Remedy;
  constructor(
    /** The step that failed, e.g. `copy data-web-0`. */
    readonly step: string,
    /** What went wrong, in the words of whatever reported it. */
    readonly reason: string,
    /** What to change before trying again. */
    readonly advice: string,
    remedy: Remedy = 'fix',
  ) {
    super(
      `volume resize failed at "${step}": ${reason}; the StatefulSet was restored onto its ` +
        `original volumes, nothing was deleted; ${advice}`,
    );
    this.remedy = remedy;
  }
}

/**
 * The resize stopped where only a person can decide: an original claim was already replaced and
 * the next step failed. Nothing is lost; `commands` are the exact commands (names filled in) to
 * put the original volumes back, in order.
 */
export class ResizeNeedsHumanError extends CharmkitError {
  override readonly name = 'ResizeNeedsHumanError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly step: string,
    readonly reason: string,
    /** Shell commands, one per line, to restore the original volumes and replica count. */
    readonly commands: readonly string[],
  ) {
    super(
      `volume resize needs a human at "${step}": ${reason}. The original data is kept; ` +
        `to go back, run:\n${commands.join('\n')}`,
    );
  }
}

/** Another run holds the journal's lock; it is renewed at every step and expires when abandoned. */
export class ResizeLockedError extends CharmkitError {
  override readonly name = 'ResizeLockedError';
  readonly remedy = 'retry' as const;
  constructor(
    readonly holder: string,
    readonly expiresAt: string,
  ) {
    super(
      `another volume resize run (${holder}) holds the lock until ${expiresAt}; ` +
        'run again after that to resume its work',
    );
  }
}

/**
 * The run stopped before the end (an API error, a timeout, an abort). The journal records where;
 * running the resize again resumes there. `atZeroReplicas` says whether the workload is down:
 * a charm must keep saying so in its status until the resize resumed and finished.
 */
export class ResizeInterruptedError extends CharmkitError {
  override readonly name = 'ResizeInterruptedError';
  /** `retry` for timeouts and transient API errors; `fix` when the cause needs a person (RBAC...). */
  readonly remedy: Remedy;
  constructor(
    readonly step: string,
    readonly reason: string,
    readonly atZeroReplicas: boolean,
    remedy: Remedy,
    options?: { cause?: unknown },
  ) {
    super(
      `volume resize interrupted at "${step}": ${reason}; ` +
        (atZeroReplicas ? 'the StatefulSet is at 0 replicas until it resumes; ' : '') +
        'run it again to resume from the journal',
      options,
    );
    this.remedy = remedy;
  }
}

/**
 * Raised inside a step when it cannot succeed by waiting or retrying (a Job failed, verification
 * found differences, the driver refused). The runner turns it into a rollback or a
 * `ResizeNeedsHumanError`; it never leaves the module.
 */
export class StepFailure extends Error {
  override readonly name = 'StepFailure';
  constructor(
    message: string,
    /** What the user should change; shown in the final error. */
    readonly advice: string,
    /** True when an original claim is gone: going back needs a person, never a scale-up. */
    readonly originalsLost = false,
  ) {
    super(message);
  }
}

/** Raised inside a step that waited longer than its timeout; the run stops and can resume. */
export class StepTimeout extends Error {
  override readonly name = 'StepTimeout';
}
