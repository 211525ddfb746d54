/**
 * Time, as every waiting or time-telling part of charmkit sees it: one shape, so a test injects
 * one fake clock and drives rollout waits, retry backoff and "Pending for how long" alike without
 * waiting.
 */

/** A source of the current time and of waiting. */
export interface Clock {
  /** Milliseconds since the epoch (`Date.now()` for the real clock). */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});
