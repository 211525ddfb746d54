/**
 * What every step is given: the port, the journal, the resolved options, the clock and the
 * emitter, plus the two things all steps do — name objects and wait for the cluster.
 */
import type { KubePort, ObjectRef } from '../../kube/port.js';
import { isNotFound } from '../../kube/errors.js';
import type { KubeObject } from '../../kube/types.js';
import type { Clock } from '../../core/clock.js';
import type { JsonObject } from '../../core/json.js';
import { StepTimeout } from './errors.js';
import type { ResizeEmitter } from './events.js';
import type { JournalStep, JournalStore } from './journal.js';

/** Options after defaults (see `ResizeOptions` for each). */
export interface ResolvedOptions {
  readonly image: string;
  readonly copyDeadlineSeconds: number;
  readonly placement: {
    readonly nodeSelector?: Readonly<Record<string, string>>;
    readonly tolerations?: readonly JsonObject[];
  };
  readonly timeouts: {
    /** A driver's expansion, per claim. */
    readonly expansionMs: number;
    /** Pods going away or becoming Ready. */
    readonly podsMs: number;
    /** A claim binding, an object disappearing. */
    readonly objectsMs: number;
  };
  readonly pollMs: number;
  readonly holder: string;
  readonly leaseMs: number;
  readonly fieldManager: string | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Everything a step works with. */
export interface StepContext {
  readonly kube: KubePort;
  readonly namespace: string;
  readonly statefulSet: string;
  readonly journal: JournalStore;
  readonly options: ResolvedOptions;
  readonly clock: Clock;
  readonly events: ResizeEmitter;
}

/** References to the objects a resize touches. */
export const refs = {
  statefulSet: (ctx: Pick<StepContext, 'namespace' | 'statefulSet'>): ObjectRef => ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    namespace: ctx.namespace,
    name: ctx.statefulSet,
  }),
  claim: (namespace: string, name: string): ObjectRef => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    namespace,
    name,
  }),
  volume: (name: string): ObjectRef => ({ apiVersion: 'v1', kind: 'PersistentVolume', name }),
  job: (namespace: string, name: string): ObjectRef => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    namespace,
    name,
  }),
  pods: { apiVersion: 'v1', kind: 'Pod' },
  claims: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
} as const;

/**
 * Polls `check` until it returns a value, emitting `wait` events and renewing the journal's lock;
 * throws `StepTimeout` after `timeoutMs`. The first check happens at once.
 */
export async function waitFor<T>(
  ctx: StepContext,
  step: JournalStep,
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
): Promise<T> {
  const start = ctx.clock.now();
  const lastWrite = { at: start };
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    const elapsedMs = ctx.clock.now() - start;
    if (elapsedMs >= timeoutMs) {
      throw new StepTimeout(
        `timed out after ${Math.round(elapsedMs / 1000)} s waiting for ${what}`,
      );
    }
    ctx.events.emit('wait', { id: step.id, ...claimOf(step), what, elapsedMs });
    await ctx.clock.sleep(Math.min(ctx.options.pollMs, timeoutMs - elapsedMs));
    await ctx.journal.heartbeat(lastWrite);
  }
}

/** `{ claim }` when the step has one (for event objects). */
export function claimOf(step: JournalStep): { claim?: string } {
  return step.claim === undefined ? {} : { claim: step.claim };
}

/** Write options carrying the caller's field manager. */
export function writeOptions(ctx: StepContext, dryRun = false) {
  return {
    ...(ctx.options.fieldManager ? { fieldManager: ctx.options.fieldManager } : {}),
    ...(dryRun ? { dryRun: true } : {}),
  };
}

/** The object, or undefined when it does not exist. */
export async function readIfExists<T extends KubeObject = KubeObject>(
  port: KubePort,
  ref: ObjectRef,
): Promise<T | undefined> {
  try {
    return await port.get<T>(ref);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
