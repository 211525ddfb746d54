import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { HookToolError, RelationDataValidationError } from '../../lib/relations/errors.js';
import type { HookEvent } from '../../lib/relations/dispatcher.js';
import { MemoryModel, type MemoryBackend } from '../../lib/relations/memory-backend.js';
import { active, blocked, errorStatus, maintenance } from '../../lib/relations/status.js';
import { runHook, type HookController, type HookResult } from '../../lib/workload/hook.js';

/** A failure a retry may cure: the agent refused a hook tool. */
const agentRefused = () =>
  new HookToolError('relation-get failed: connection refused', ['relation-get'], 1, 'ERROR');
const invalidData = () =>
  new RelationDataValidationError('remote app bag of "store" on storage:0', [
    { field: 'mount-path', reason: 'must be an absolute path' },
  ]);

function unit(hookName: string | undefined = 'config-changed'): MemoryBackend {
  return new MemoryModel({ name: 'media' }).backend('radarr/0', {
    leader: true,
    context: hookName === undefined ? {} : { hookName },
  });
}

/** A controller whose reconcile returns (or throws) what the test says. */
function controller<T extends HookResult | readonly HookResult[]>(
  reconcile: (event: HookEvent) => Promise<T>,
): HookController<T> {
  return { reconcile };
}

afterEach(() => {
  process.exitCode = undefined;
  jest.restoreAllMocks();
});

describe('runHook', () => {
  it('reconciles, sets the status it reports, and leaves the exit code alone on success', async () => {
    const backend = unit();
    const seen: string[] = [];
    const run = await runHook(
      backend,
      controller(async (event) => {
        seen.push(event.hook.name);
        return { status: active('ready') };
      }),
    );
    expect(seen).toEqual(['config-changed']);
    expect(run).toMatchObject({ exitCode: 0, status: active('ready'), failures: [] });
    expect(run.hook).toEqual({ kind: 'hook', name: 'config-changed' });
    expect(backend.statusHistory).toEqual([active('ready')]);
    expect(process.exitCode).toBeUndefined();
  });

  it('a failure a retry may cure: error status, exit code 1, and an ERROR line in the log', async () => {
    const backend = unit();
    const failure = agentRefused();
    const run = await runHook(
      backend,
      controller(async () => ({ status: errorStatus(failure.message), error: failure })),
    );
    expect(run.exitCode).toBe(1);
    expect(process.exitCode).toBe(1);
    expect(run.failures).toEqual([failure]);
    expect(backend.status).toEqual(errorStatus(failure.message));
    expect(backend.model.logs).toEqual([
      { unit: 'radarr/0', level: 'ERROR', message: `config-changed: error: ${failure.message}` },
    ]);
  });

  it('a failure a person must fix: Blocked and exit code 0 (retrying would fail the same way)', async () => {
    const backend = unit();
    const run = await runHook(
      backend,
      controller(async () => ({ status: blocked('fix the data'), error: invalidData() })),
    );
    expect(run.exitCode).toBe(0);
    expect(process.exitCode).toBeUndefined();
    expect(backend.status).toEqual(blocked('fix the data'));
    expect(backend.model.logs.map((l) => l.level)).toEqual(['INFO']);
  });

  it('several results: the most severe status is shown; any retryable failure fails the hook', async () => {
    const backend = unit();
    const run = await runHook(
      backend,
      controller(async () => [
        { status: maintenance('mounting') },
        { status: blocked('vpn: fix the data'), error: invalidData() },
        { status: errorStatus('the agent refused relation-get'), error: agentRefused() },
      ]),
    );
    expect(run.status).toEqual(errorStatus('the agent refused relation-get'));
    expect(run.exitCode).toBe(1);
    expect(run.failures).toHaveLength(2);
  });

  it('an error status without an error object still asks for a retry', async () => {
    const run = await runHook(
      unit(),
      controller(async () => ({ status: errorStatus('something went wrong') })),
    );
    expect(run.exitCode).toBe(1);
  });

  it('a reconcile that throws: the status for the failure, the exit code from its remedy', async () => {
    const thrownFix = await runHook(
      unit(),
      controller(async (): Promise<HookResult> => {
        throw invalidData();
      }),
    );
    expect(thrownFix.exitCode).toBe(0);
    expect(thrownFix.status?.name).toBe('blocked');
    expect(thrownFix.result).toBeUndefined();

    const bug = await runHook(
      unit(),
      controller(async (): Promise<HookResult> => {
        throw new TypeError('x is undefined');
      }),
    );
    expect(bug.exitCode).toBe(1);
    expect(bug.status).toEqual(errorStatus('x is undefined'));
  });

  it('logs the stack of a failure charmkit does not know (a bug), not of its typed errors', async () => {
    const backend = unit();
    await runHook(
      backend,
      controller(async (): Promise<HookResult> => {
        throw new TypeError('x is undefined');
      }),
    );
    const lines = backend.model.logs.map((l) => `${l.level} ${l.message}`);
    expect(lines[0]).toBe('ERROR config-changed: error: x is undefined');
    expect(lines[1]).toMatch(/^ERROR config-changed failed: TypeError: x is undefined\n\s+at /);
    expect(lines).toHaveLength(2);
  });

  it('a status that cannot be set (the agent refused the hook tool) fails the hook', async () => {
    const backend = unit();
    backend.model.intercept((call) => {
      if (call.method === 'setStatus') {
        throw new HookToolError('status-set failed', ['status-set'], 1, 'ERROR');
      }
    });
    const run = await runHook(
      backend,
      controller(async () => ({ status: active() })),
    );
    expect(run.exitCode).toBe(1);
    expect(run.failures[0]).toBeInstanceOf(HookToolError);
  });

  it('routes a relation hook to its endpoint before reconciling', async () => {
    const model = new MemoryModel({ name: 'media' });
    const backend = model.backend('radarr/0', { leader: true });
    const id = backend.addRelation({ endpoint: 'storage', remoteApp: 'store' });
    backend.relationHook(id, 'changed', { remoteUnit: 'store/0' });
    const order: string[] = [];
    const run = await runHook(backend, {
      endpoints: [
        {
          name: 'storage',
          handle: async (context) => {
            order.push(`endpoint ${context.hookName}`);
            return undefined;
          },
        },
      ],
      reconcile: async (event) => {
        order.push(`reconcile ${event.hook.name}`);
        return { status: active() };
      },
    });
    expect(order).toEqual([
      'endpoint storage-relation-changed',
      'reconcile storage-relation-changed',
    ]);
    expect(run.exitCode).toBe(0);
  });

  it('outside Juju without a hook name: Blocked with a message that says how to give one', async () => {
    const backend = new MemoryModel({ name: 'media' }).backend('radarr/0', { leader: true });
    const reconcile = jest.fn(async () => ({ status: active() }));
    const run = await runHook(backend, controller(reconcile));
    expect(reconcile).not.toHaveBeenCalled();
    expect(run.hook).toBeUndefined();
    expect(run.status?.name).toBe('blocked');
    expect(run.status?.message).toContain('no hook to run');
    expect(run.status?.message).toContain("context: { hookName: 'update-status' }");
    expect(run.status?.message).toContain('JUJU_DISPATCH_PATH');
  });
});
