/**
 * Bounded retries for API calls, and the separate loop that resolves write conflicts.
 *
 * Two different failures look alike and must not be handled alike. A 429, a 5xx or a dropped
 * connection says nothing about our request: sending the same request again later is right. A 409
 * Conflict says our request was built from a stale read: sending the same body again can only fail
 * again (or, without a resourceVersion, overwrite someone else's change), so the caller must re-read
 * and recompute — `withConflictRetry` re-runs the caller's whole read→compute→write function.
 *
 * Backoff is exponential with full jitter (a uniformly random wait in [0, cap)), so that many
 * controllers rejected together do not come back together. The clock and the random source are
 * injectable so tests can assert exact attempt counts and delay bounds without waiting.
 */
import { systemClock, type Clock } from '../core/clock.js';
import {
  KubeConnectionError,
  RetryExhaustedError,
  asKubernetesError,
  isConflict,
} from './errors.js';

/** How hard `withRetry` tries. Every field has a default (`DEFAULT_RETRY_POLICY`). */
export interface RetryPolicy {
  /** Total attempts, including the first. 1 disables retries. */
  maxAttempts: number;
  /** The backoff cap of the first retry; it doubles with each further retry. */
  baseDelayMs: number;
  /** The backoff cap never grows beyond this. */
  maxDelayMs: number;
  /**
   * The longest server-requested wait (Retry-After) we honour. A server asking for longer gets
   * an immediate `RetryExhaustedError` rather than a hook that blocks for minutes.
   */
  maxRetryAfterMs: number;
  /** Waits between attempts; injectable so tests run instantly. */
  clock: Clock;
  /** A number in [0, 1); injectable so tests can pin the jitter. */
  random: () => number;
}

/** Defaults tuned for a hook: at most ~8 s of backoff in total before reporting the failure. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 4000,
  maxRetryAfterMs: 30_000,
  clock: systemClock,
  random: Math.random,
});

/** Per-call facts that change what is safe to retry. */
export interface RetryContext {
  /**
   * Whether sending the request twice has the same effect as sending it once. Reads, merge and
   * apply patches are; a create or a JSON patch that appends is not, so those are only retried
   * when the server certainly did not process them (429, or no connection at all).
   */
  idempotent: boolean;
}

/** Told about each retry before its wait; for logging. */
export type RetryObserver = (info: { attempt: number; delayMs: number; error: unknown }) => void;

/**
 * Whether `error` is worth another attempt: 429 always (the server refused before doing
 * anything), 5xx except 501 and connection failures only for idempotent requests unless the
 * request never left. Every other 4xx is a statement about the request itself and will not change.
 */
export function isRetryable(error: unknown, context: RetryContext = { idempotent: true }): boolean {
  if (error instanceof KubeConnectionError) return context.idempotent || !error.requestSent;
  const kube = asKubernetesError(error);
  if (!kube || kube !== error) return false;
  if (kube.isTooManyRequests()) return true;
  if (kube.isServerError() && kube.code !== 501) return context.idempotent;
  return false;
}

/**
 * The full-jitter backoff before retry number `retry` (1 = the first retry): uniformly random in
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))).
 */
export function backoffDelayMs(
  retry: number,
  policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(policy.random() * cap);
}

/** The wait the server asked for, in milliseconds, if it asked. */
export function serverRequestedDelayMs(error: unknown): number | undefined {
  const seconds = asKubernetesError(error)?.retryAfterSeconds;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** Fills in a partial policy; lets options objects carry only what they change. */
export function retryPolicy(overrides: Partial<RetryPolicy> = {}): RetryPolicy {
  const policy = { ...DEFAULT_RETRY_POLICY };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) (policy as Record<string, unknown>)[key] = value;
  }
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError(`retry maxAttempts must be an integer >= 1, got ${policy.maxAttempts}`);
  }
  return policy;
}

/**
 * Runs `fn`, retrying transient failures (see `isRetryable`) with full-jitter backoff. A
 * non-retryable error is rethrown unchanged at once; when retries run out, a `RetryExhaustedError`
 * carries the last error as `cause`.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  policy: Partial<RetryPolicy> = {},
  context: RetryContext = { idempotent: true },
  onRetry?: RetryObserver,
): Promise<T> {
  const p = retryPolicy(policy);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isRetryable(error, context)) throw error;
      if (attempt >= p.maxAttempts) throw new RetryExhaustedError(attempt, error);
      const requested = serverRequestedDelayMs(error);
      if (requested !== undefined && requested > p.maxRetryAfterMs) {
        throw new RetryExhaustedError(
          attempt,
          error,
          `the server asked to retry after ${requested / 1000}s, more than the ${p.maxRetryAfterMs / 1000}s we wait`,
        );
      }
      // Never sooner than the server asked; jitter on top of that keeps clients apart.
      const delayMs = Math.max(requested ?? 0, backoffDelayMs(attempt, p));
      onRetry?.({ attempt, delayMs, error });
      await p.clock.sleep(delayMs);
    }
  }
}

/**
 * Resolves write conflicts the only correct way: by running the caller's read→recompute→write
 * function again. `fn` must read fresh state on every call (it receives the attempt number, from
 * 1). Errors other than a 409 Conflict end the loop at once; after `attempts` conflicts a
 * `RetryExhaustedError` whose cause is the last conflict is thrown (`isConflict(err)` stays true).
 */
export async function withConflictRetry<T>(
  attempts: number,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new RangeError(`conflict attempts must be an integer >= 1, got ${attempts}`);
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!isConflict(error)) throw error;
      if (attempt >= attempts)
        throw new RetryExhaustedError(attempt, error, 'write conflicts kept recurring');
    }
  }
}
