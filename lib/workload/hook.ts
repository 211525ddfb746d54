/**
 * `runHook`: one hook, run the way Juju expects — dispatch it, reconcile, show the status, and end
 * with the exit code that makes Juju do the right thing.
 *
 * The exit code is the part every charm used to get wrong by hand. A failure a person must fix
 * (invalid relation data, a missing permission) is a Blocked status and a zero exit: the hook did
 * its job, which was to say what is wrong, and re-running it would only fail the same way. A
 * failure a retry may cure (an unreachable API server, a hook tool the agent refused) must exit
 * non-zero, because that is the only way Juju learns to run the hook again. Which one a failure is
 * is stated by the failure itself (its `remedy`, docs/adr/0004-errors-carry-a-remedy.md), so this
 * helper decides it once for every controller.
 *
 * It works the same under Juju (`JujuBackend`), outside Juju (a `MemoryBackend` given a hook name)
 * and in tests (`Scenario` runs the controller through it and reports the exit code).
 */
import { CharmkitError, remedyOf } from '../core/errors.js';
import type { RelationBackend } from '../relations/backend.js';
import { Dispatcher, type HookEvent, type HookHandler } from '../relations/dispatcher.js';
import { HookContextError } from '../relations/errors.js';
import type { ParsedHook } from '../relations/hook-names.js';
import { combineStatuses, type Status } from '../relations/status.js';
import { statusForFailure } from './failure-status.js';

/**
 * What a reconcile reports: the status to show and the failure behind it, if any. Every
 * `CapabilityResult` is one, so a controller can return a capability's result as it is.
 */
export interface HookResult {
  readonly status: Status;
  /** The typed error behind a Blocked or error status; its remedy decides the exit code. */
  readonly error?: Error;
}

/** A controller as `runHook` drives it. */
export interface HookController<
  T extends HookResult | readonly HookResult[] = HookResult | readonly HookResult[],
> {
  /** Endpoints that take relation hooks, e.g. a capability's `endpoint`; registered first. */
  readonly endpoints?: readonly HookHandler[];
  /**
   * Runs on every hook, after the endpoint of a relation hook has handled it: observe, decide,
   * write only what differs. Returns one result, or one per capability (the most severe status
   * is shown). Not called for a Juju action.
   */
  reconcile(event: HookEvent): Promise<T>;
}

/** What one `runHook` did. */
export interface HookRun<T> {
  /** The hook that ran; undefined when there was none to run. */
  readonly hook: ParsedHook | undefined;
  /** What `reconcile` returned; undefined when it threw or was not called. */
  readonly result: T | undefined;
  /** The status that was set; undefined when none was (an action). */
  readonly status: Status | undefined;
  /**
   * 1 when a failure may pass on a retry (Juju then runs the hook again), else 0. Also set as
   * `process.exitCode` when it is 1.
   */
  readonly exitCode: 0 | 1;
  /** Every failure met: thrown ones and each result's `error`, in the order they were met. */
  readonly failures: readonly unknown[];
}

/**
 * Runs the current hook through `controller` with `backend` (whose context names the hook):
 * routes a relation hook to its endpoint, calls `reconcile`, sets the status it reports (or, if
 * anything threw, the status for that failure), and sets `process.exitCode` to 1 when any
 * failure's remedy is `retry` (a result whose status is `error` without an `error` counts as
 * one). Never throws for a failure of the hook: what went wrong is in the status, the result and
 * the unit's log (one line per hook through `backend.log`, i.e. juju-log under Juju).
 */
export async function runHook<T extends HookResult | readonly HookResult[]>(
  backend: RelationBackend,
  controller: HookController<T>,
): Promise<HookRun<T>> {
  const failures: unknown[] = [];
  let hook: ParsedHook | undefined;
  let result: T | undefined;
  let status: Status | undefined;
  let retryStatus = false;
  try {
    const context = backend.context;
    if (context.hookName === undefined) throw noHook();
    const dispatcher = new Dispatcher(backend).register(...(controller.endpoints ?? []));
    dispatcher.once('hook', async (event) => {
      hook = event.hook;
      result = await controller.reconcile(event);
    });
    hook = (await dispatcher.dispatch(context)).hook;
    if (result !== undefined) {
      const results: readonly HookResult[] = isList(result) ? result : [result];
      status = combineStatuses(results.map((r) => r.status));
      for (const r of results) {
        if (r.error !== undefined) failures.push(r.error);
        else if (r.status.name === 'error') retryStatus = true;
      }
    }
  } catch (failure) {
    failures.push(failure);
    status = statusForFailure(failure, { app: backend.context.appName });
  }
  if (status !== undefined) {
    try {
      await backend.setStatus(status);
    } catch (failure) {
      failures.push(failure);
    }
  }
  const retryable = failures.filter((f) => remedyOf(f) === 'retry');
  const exitCode = retryable.length > 0 || retryStatus ? 1 : 0;
  await report(backend, hook, status, exitCode, failures);
  if (exitCode !== 0) process.exitCode = exitCode;
  return { hook, result, status, exitCode, failures };
}

/**
 * Tells the unit's log (`juju debug-log` under Juju) what the hook did: one line with the status,
 * at ERROR when the hook fails, and the stack of any failure that is not one of charmkit's typed
 * errors (a bug somewhere; its message alone rarely says where). A log line that cannot be written
 * must not hide what happened, so a failure to log is ignored.
 */
async function report(
  backend: RelationBackend,
  hook: ParsedHook | undefined,
  status: Status | undefined,
  exitCode: 0 | 1,
  failures: readonly unknown[],
): Promise<void> {
  const level = exitCode === 0 ? 'INFO' : 'ERROR';
  const name = hook?.name ?? backend.context.hookName ?? 'hook';
  const lines = status === undefined ? [] : [`${name}: ${status.name}: ${status.message}`];
  for (const failure of failures) {
    if (failure instanceof CharmkitError) continue;
    lines.push(
      `${name} failed: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`,
    );
  }
  for (const line of lines) await backend.log(level, line).catch(() => undefined);
}

function isList<T>(value: T | readonly T[]): value is readonly T[] {
  return Array.isArray(value);
}

function noHook(): HookContextError {
  return new HookContextError(
    'no hook to run: the backend names none. Under Juju, JUJU_DISPATCH_PATH (or JUJU_HOOK_NAME) ' +
      "names it; outside Juju, give the MemoryBackend one: model.backend('app/0', { context: " +
      "{ hookName: 'update-status' } })",
  );
}
