import {
  KubeConnectionError,
  KubernetesError,
  RetryExhaustedError,
  describeRequest,
  isConflict,
  isServerError,
} from '../../lib/kube/errors.js';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelayMs,
  isRetryable,
  retryPolicy,
  withConflictRetry,
  withRetry,
  type RetryPolicy,
} from '../../lib/kube/retry.js';

const req = describeRequest('get', {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: 'n',
  name: 'c',
});

function kubeError(
  code: number,
  reason = 'X',
  retryAfter?: string,
  detailsRetry?: number,
): KubernetesError {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    code,
    reason,
    message: `failed with ${code}`,
    ...(detailsRetry === undefined ? {} : { details: { retryAfterSeconds: detailsRetry } }),
  });
  return KubernetesError.fromResponse(code, body, req, retryAfter);
}

function connectionError(requestSent: boolean): KubeConnectionError {
  const cause = Object.assign(new Error('boom'), {
    code: requestSent ? 'ECONNRESET' : 'ECONNREFUSED',
  });
  return new KubeConnectionError(req, 'https://127.0.0.1:6443', cause, requestSent);
}

/** A policy whose sleeps are recorded instead of waited, with a pinned random source. */
function testPolicy(overrides: Partial<RetryPolicy> = {}): {
  policy: Partial<RetryPolicy>;
  sleeps: number[];
} {
  const sleeps: number[] = [];
  return {
    sleeps,
    policy: {
      clock: {
        now: () => 0,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
      random: () => 0.5,
      ...overrides,
    },
  };
}

/** An operation that fails with the given errors in turn, then returns 'ok'. */
function failing(...errors: unknown[]): {
  fn: (attempt: number) => Promise<string>;
  calls: number[];
} {
  const calls: number[] = [];
  return {
    calls,
    fn: async (attempt) => {
      calls.push(attempt);
      const error = errors[calls.length - 1];
      if (error !== undefined) throw error;
      return 'ok';
    },
  };
}

describe('isRetryable', () => {
  it('retries 429, 5xx and connection failures; never other 4xx', () => {
    expect(isRetryable(kubeError(429))).toBe(true);
    for (const code of [500, 502, 503, 504]) expect(isRetryable(kubeError(code))).toBe(true);
    expect(isRetryable(kubeError(501))).toBe(false);
    for (const code of [400, 401, 403, 404, 409, 410, 422])
      expect(isRetryable(kubeError(code))).toBe(false);
    expect(isRetryable(connectionError(true))).toBe(true);
    expect(isRetryable(new Error('x'))).toBe(false);
    expect(isRetryable('x')).toBe(false);
  });

  it('for a non-idempotent request, retries only what certainly was not processed', () => {
    const once = { idempotent: false };
    expect(isRetryable(kubeError(429), once)).toBe(true);
    expect(isRetryable(connectionError(false), once)).toBe(true);
    expect(isRetryable(connectionError(true), once)).toBe(false);
    expect(isRetryable(kubeError(503), once)).toBe(false);
  });

  it('does not retry an error that already gave up', () => {
    expect(isRetryable(new RetryExhaustedError(5, kubeError(503)))).toBe(false);
  });
});

describe('backoffDelayMs (full jitter)', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('is uniform in [0, cap) with a cap that doubles up to maxDelayMs', () => {
    const caps = [100, 200, 400, 800, 1000, 1000];
    caps.forEach((cap, index) => {
      const retry = index + 1;
      expect(backoffDelayMs(retry, { ...policy, random: () => 0 })).toBe(0);
      expect(backoffDelayMs(retry, { ...policy, random: () => 0.5 })).toBe(cap / 2);
      expect(backoffDelayMs(retry, { ...policy, random: () => 0.999999 })).toBe(cap - 1);
    });
  });

  it('stays within bounds for any random value', () => {
    for (let i = 0; i < 200; i++) {
      const r = Math.random();
      const retry = 1 + (i % 8);
      const delay = backoffDelayMs(retry, { ...policy, random: () => r });
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(Math.min(1000, 100 * 2 ** (retry - 1)));
    }
  });
});

describe('withRetry', () => {
  it('returns at once when the first attempt succeeds', async () => {
    const { policy, sleeps } = testPolicy();
    const op = failing();
    await expect(withRetry(op.fn, policy)).resolves.toBe('ok');
    expect(op.calls).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('retries transient failures with growing jittered waits, then succeeds', async () => {
    const { policy, sleeps } = testPolicy({ baseDelayMs: 100, maxDelayMs: 10_000 });
    const op = failing(kubeError(503), connectionError(false), kubeError(500));
    await expect(withRetry(op.fn, policy)).resolves.toBe('ok');
    expect(op.calls).toEqual([1, 2, 3, 4]);
    expect(sleeps).toEqual([50, 100, 200]); // random 0.5 × caps 100, 200, 400
  });

  it('gives up after maxAttempts with the last cause', async () => {
    const { policy, sleeps } = testPolicy({ maxAttempts: 3 });
    const last = kubeError(504, 'Timeout');
    const op = failing(kubeError(503), kubeError(502), last, kubeError(500));
    const error = await withRetry(op.fn, policy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect((error as RetryExhaustedError).attempts).toBe(3);
    expect((error as RetryExhaustedError).cause).toBe(last);
    expect(isServerError(error)).toBe(true);
    expect(op.calls).toEqual([1, 2, 3]);
    expect(sleeps).toHaveLength(2);
  });

  it('rethrows a non-retryable error unchanged without waiting', async () => {
    const { policy, sleeps } = testPolicy();
    const notFound = kubeError(404, 'NotFound');
    const op = failing(kubeError(503), notFound);
    await expect(withRetry(op.fn, policy)).rejects.toBe(notFound);
    expect(op.calls).toEqual([1, 2]);
    expect(sleeps).toHaveLength(1);
  });

  it('never resends a non-idempotent request the server may have processed', async () => {
    const { policy } = testPolicy();
    const op = failing(kubeError(503));
    await expect(withRetry(op.fn, policy, { idempotent: false })).rejects.toBeInstanceOf(
      KubernetesError,
    );
    expect(op.calls).toEqual([1]);
  });

  it('honours Retry-After: never waits less than the server asked', async () => {
    const { policy, sleeps } = testPolicy({ baseDelayMs: 100, random: () => 0.5 });
    const op = failing(
      kubeError(429, 'TooManyRequests', '2'),
      kubeError(429, 'TooManyRequests', undefined, 1),
    );
    await expect(withRetry(op.fn, policy)).resolves.toBe('ok');
    expect(sleeps).toEqual([2000, 1000]);
  });

  it('keeps the jitter when it is longer than Retry-After', async () => {
    const { policy, sleeps } = testPolicy({
      baseDelayMs: 10_000,
      maxDelayMs: 10_000,
      random: () => 0.5,
    });
    const op = failing(kubeError(429, 'TooManyRequests', '1'));
    await withRetry(op.fn, policy);
    expect(sleeps).toEqual([5000]);
  });

  it('gives up at once when the server asks for a longer wait than maxRetryAfterMs', async () => {
    const { policy, sleeps } = testPolicy({ maxRetryAfterMs: 5000 });
    const tooMany = kubeError(429, 'TooManyRequests', '60');
    const op = failing(tooMany);
    const error = (await withRetry(op.fn, policy).catch((e: unknown) => e)) as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error.lastError).toBe(tooMany);
    expect(error.message).toContain('the server asked to retry after 60s');
    expect(sleeps).toEqual([]);
    expect(op.calls).toEqual([1]);
  });

  it('tells the observer about each retry', async () => {
    const { policy } = testPolicy();
    const seen: number[] = [];
    await withRetry(
      failing(kubeError(500), kubeError(500)).fn,
      policy,
      { idempotent: true },
      (info) => seen.push(info.attempt),
    );
    expect(seen).toEqual([1, 2]);
  });

  it('with maxAttempts 1 makes exactly one attempt', async () => {
    const { policy } = testPolicy({ maxAttempts: 1 });
    const op = failing(kubeError(500));
    await expect(withRetry(op.fn, policy)).rejects.toBeInstanceOf(RetryExhaustedError);
    expect(op.calls).toEqual([1]);
  });

  it('rejects nonsense policies', () => {
    expect(() => retryPolicy({ maxAttempts: 0 })).toThrow(RangeError);
    expect(retryPolicy({ maxAttempts: undefined }).maxAttempts).toBe(
      DEFAULT_RETRY_POLICY.maxAttempts,
    );
  });

  it('default policy waits at most a bounded total', () => {
    const p = DEFAULT_RETRY_POLICY;
    let worst = 0;
    for (let retry = 1; retry < p.maxAttempts; retry++)
      worst += Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** (retry - 1));
    expect(worst).toBeLessThanOrEqual(10_000);
  });
});

describe('withConflictRetry', () => {
  it('re-runs the whole read→recompute→write function on a 409 Conflict', async () => {
    const reads: number[] = [];
    let stored = 1;
    const result = await withConflictRetry(3, async (attempt) => {
      const seen = stored; // "read"
      reads.push(seen);
      if (attempt === 1) {
        stored = 5; // someone else wrote between our read and our write
        throw kubeError(409, 'Conflict');
      }
      return seen + 1; // "recompute and write" from the fresh read
    });
    expect(reads).toEqual([1, 5]);
    expect(result).toBe(6);
  });

  it('does not retry AlreadyExists or other errors', async () => {
    const exists = kubeError(409, 'AlreadyExists');
    const op = failing(exists);
    await expect(withConflictRetry(5, op.fn)).rejects.toBe(exists);
    expect(op.calls).toEqual([1]);
    const op2 = failing(kubeError(503));
    await expect(withConflictRetry(5, op2.fn)).rejects.toBeInstanceOf(KubernetesError);
    expect(op2.calls).toEqual([1]);
  });

  it('gives up after the given number of attempts, still recognisable as a conflict', async () => {
    const last = kubeError(409, 'Conflict');
    const op = failing(kubeError(409, 'Conflict'), kubeError(409, 'Conflict'), last, undefined);
    const error = (await withConflictRetry(3, op.fn).catch(
      (e: unknown) => e,
    )) as RetryExhaustedError;
    expect(error).toBeInstanceOf(RetryExhaustedError);
    expect(error.attempts).toBe(3);
    expect(error.cause).toBe(last);
    expect(isConflict(error)).toBe(true);
    expect(op.calls).toEqual([1, 2, 3]);
  });

  it('rejects a non-positive attempt count', async () => {
    await expect(withConflictRetry(0, async () => 1)).rejects.toThrow(RangeError);
  });
});
