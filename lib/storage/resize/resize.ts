/**
 * `resizeVolumes`: grow a StatefulSet's volumes — in place where the class can expand, otherwise
 * by one verified copy — never losing data, resumable at every step.
 *
 * One function with options and an optional event emitter, so a charm (which calls it from a hook
 * and maps the result or error to a status with `resizeStatus`) and a command line (which attaches
 * a progress bar to the emitter and passes `dryRun` for `--dry-run`) drive it the same way.
 *
 * A call either finds a journal (an earlier run stopped) and resumes it, or detects what is below
 * target, runs preflight, and — unless it is a dry run, which returns the plan and writes nothing —
 * writes the journal and runs the steps (runner.ts). See docs/resize.md for the whole story.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { remedyOf } from '../../core/errors.js';
import type { JsonObject } from '../../core/json.js';
import type { KubePort } from '../../kube/port.js';
import { systemClock, type Clock } from '../../core/clock.js';
import type { KubeObject, PersistentVolumeClaim, StatefulSet } from '../../kube/types.js';
import { readIfExists, refs, type ResolvedOptions, type StepContext } from './context.js';
import {
  ResizeFailedError,
  ResizeInterruptedError,
  ResizeLockedError,
  ResizeNeedsHumanError,
  ResizeRefusedError,
  StepFailure,
  StepTimeout,
} from './errors.js';
import { resizeEmitter, type ResizeEmitter } from './events.js';
import { DEFAULT_RESIZE_IMAGE } from './jobs.js';
import {
  JOURNAL_VERSION,
  JournalStore,
  sanitizeStatefulSet,
  type JournalClaim,
  type ResizeJournal,
} from './journal.js';
import { RESIZE_LABEL } from './names.js';
import { detectResize, type ResizePath, type ResizeTarget } from './plan.js';
import { preflight } from './preflight.js';
import type { ResizePlan } from './plan.js';
import { recoveryCommands } from './recovery.js';
import { rollBack } from './rollback.js';
import { atZeroReplicas, describeStep, planSteps, runSteps } from './runner.js';
import { retentionOf } from './workload.js';

/** What to resize and how; only `kube`, `namespace` and `statefulSet` are required. */
export interface ResizeOptions {
  readonly kube: KubePort;
  readonly namespace: string;
  readonly statefulSet: string;
  /**
   * The size to reach: one for every volumeClaimTemplate, one per template name, or none to bring
   * every claim up to its template's own request. Grow-only: a smaller size is refused.
   */
  readonly size?: ResizeTarget;
  /** Plan only: run detection and preflight (reads and dry-run writes) and return the plan. */
  readonly dryRun?: boolean;
  /** `auto` (default): in place where the server accepts it, else copy. Force one with the others. */
  readonly path?: 'auto' | ResizePath;
  /**
   * How a copy replaces the original claim: `rebind` its name to the copy's volume (needs
   * PersistentVolume permissions), or `copy-back` into a new claim of the same name. Default
   * `auto`: rebind when permitted.
   */
  readonly swap?: 'auto' | 'rebind' | 'copy-back';
  /**
   * What happens to the original volumes after a successful copy: `keep` (default: they stay,
   * Released, reclaim policy Retain; the result lists them) or `reclaim` (their original policy is
   * put back, so a Delete policy deletes them).
   */
  readonly oldVolumes?: 'keep' | 'reclaim';
  /** The copy image (needs sh, rsync, find, stat, sort, sha256sum, awk). Pin it by digest. */
  readonly image?: string;
  /** `activeDeadlineSeconds` of each copy/verify Job. Default 6 hours. */
  readonly copyDeadlineSeconds?: number;
  /** Where the Job pods may run (added to the source volume's node affinity, if any). */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly JsonObject[];
  /** Waits, in seconds: a driver's expansion (default 600), pods (600), objects (300). */
  readonly timeouts?: {
    readonly expansionSeconds?: number;
    readonly podsSeconds?: number;
    readonly objectsSeconds?: number;
  };
  /** How often to poll while waiting. Default 2000 ms. */
  readonly pollIntervalMs?: number;
  /**
   * Who holds the lock (a charm passes its unit name). The same holder resumes its own run at
   * once; another waits until the lease (default 900 s, renewed while working) expires.
   */
  readonly holder?: string;
  readonly leaseSeconds?: number;
  /** Field manager for every write. */
  readonly fieldManager?: string;
  /** Clock for waits and the lease (tests pass a virtual one). */
  readonly clock?: Clock;
  /** Aborting stops the run at the next step boundary (`ResizeInterruptedError`); it resumes later. */
  readonly signal?: AbortSignal;
}

/** One claim in a result. */
export interface ResizedClaim {
  readonly claim: string;
  readonly path: ResizePath;
  readonly from: string;
  readonly target: string;
  /** Bytes the copy moved (0 in place). */
  readonly bytesCopied: number;
}

/** How a resize ended when it did not throw. */
export interface ResizeResult {
  /** `unchanged`: nothing below target; `planned`: a dry run; `resized`: done. */
  readonly outcome: 'unchanged' | 'planned' | 'resized';
  readonly plan: ResizePlan;
  /** Whether this call finished a run an earlier call started. */
  readonly resumed: boolean;
  readonly claims: readonly ResizedClaim[];
  readonly bytesCopied: number;
  /** How long the StatefulSet had 0 replicas (scale-down sent → all Ready again); 0 in place. */
  readonly zeroReplicaMs: number;
  /** Original volumes kept after a copy (`oldVolumes: 'keep'`): delete them when satisfied. */
  readonly keptVolumes: readonly string[];
  readonly warnings: readonly string[];
}

/** Resizes (or, with `dryRun`, plans resizing) the volumes of one StatefulSet. */
export async function resizeVolumes(
  options: ResizeOptions,
  events: ResizeEmitter = resizeEmitter(),
): Promise<ResizeResult> {
  const resolved = resolveOptions(options);
  const clock = options.clock ?? systemClock;
  const { kube, namespace, statefulSet } = options;

  if (options.dryRun) {
    // A run in progress: its plan, with the steps it has done, and nothing written.
    const journal = await JournalStore.peek(kube, namespace, statefulSet);
    if (journal) {
      const plan = planFromJournal(journal);
      events.emit('plan', plan);
      return finished('planned', plan, true, undefined);
    }
  }

  const existing = options.dryRun
    ? undefined
    : await JournalStore.open(
        kube,
        namespace,
        statefulSet,
        resolved.holder,
        clock,
        resolved.leaseMs,
      );
  if (existing) {
    const plan = planFromJournal(existing.data);
    events.emit('plan', plan);
    return run(context(existing), plan, true);
  }

  const set = await readIfExists<StatefulSet>(kube, refs.statefulSet({ namespace, statefulSet }));
  if (!set) {
    throw new ResizeRefusedError([`StatefulSet ${namespace}/${statefulSet} does not exist`]);
  }
  const claims = await kube.list<PersistentVolumeClaim>(refs.claims, { namespace });
  const detection = detectResize(set, claims.items, options.size);
  if (detection.claims.length === 0 && detection.templatesToUpdate.length === 0) {
    // Nothing below target: no preflight, no writes (not even dry runs).
    const plan: ResizePlan = {
      namespace,
      statefulSet,
      replicas: set.spec.replicas ?? 1,
      targets: detection.targets,
      claims: [],
      templateUpdate: 'none',
      swap: undefined,
      steps: [],
      warnings: [],
      blockers: [],
    };
    events.emit('plan', plan);
    return finished('unchanged', plan, false, undefined);
  }
  const decided = await preflight({
    kube,
    set,
    detection,
    path: options.path ?? 'auto',
    swap: options.swap ?? 'auto',
    image: options.image,
    fieldManager: options.fieldManager,
    strays: claims.items
      .filter((c) => c.metadata.labels?.[RESIZE_LABEL] === statefulSet)
      .map((c) => c.metadata.name ?? ''),
  });
  const retention = retentionOf(set);
  const stepInput = {
    claims: decided.claims.map((c) => ({ name: c.claim, path: c.path })),
    templateUpdate: decided.templateUpdate,
    swap: decided.swap,
    retentionToNeutralize: retention.whenDeleted !== 'Retain' || retention.whenScaled !== 'Retain',
  };
  const steps = planSteps(stepInput);
  const plan: ResizePlan = {
    ...decided,
    steps: steps.map((s) =>
      describeStep(s, {
        claims: decided.claims.map((c) => ({ name: c.claim, target: c.target })),
        swap: decided.swap,
        templateUpdate: decided.templateUpdate === 'patch' ? 'patch' : 'recreate',
      }),
    ),
  };
  events.emit('plan', plan);
  for (const warning of plan.warnings) events.emit('warning', warning);
  if (
    decided.claims.length === 0 &&
    decided.templateUpdate === 'none' &&
    plan.blockers.length === 0
  ) {
    return finished('unchanged', plan, false, undefined);
  }
  if (options.dryRun) return finished('planned', plan, false, undefined);
  if (plan.blockers.length > 0) throw new ResizeRefusedError(plan.blockers);

  const journal = buildJournal(set, claims.items, plan, steps, options.oldVolumes ?? 'keep');
  const store = await JournalStore.create(kube, resolved.holder, clock, resolved.leaseMs, journal);
  return run(context(store), plan, false);

  function context(store: JournalStore): StepContext {
    return { kube, namespace, statefulSet, journal: store, options: resolved, clock, events };
  }
}

async function run(ctx: StepContext, plan: ResizePlan, resumed: boolean): Promise<ResizeResult> {
  const journal = ctx.journal.data;
  const failure = journal.failure;
  if (journal.phase === 'needs-human' && failure) {
    throw new ResizeNeedsHumanError(failure.step, failure.reason, failure.commands ?? []);
  }
  try {
    if (journal.phase === 'rolling-back' && failure) {
      await rollBack(ctx);
      await ctx.journal.remove();
      throw new ResizeFailedError(failure.step, failure.reason, failure.advice);
    }
    await runSteps(ctx);
  } catch (error) {
    throw await settle(ctx, error);
  }
  await ctx.journal.remove();
  return finished('resized', plan, resumed, journal);
}

/** Turns what a step threw into the run's ending (rollback, NeedsHuman or interruption). */
async function settle(ctx: StepContext, error: unknown): Promise<unknown> {
  const journal = ctx.journal.data;
  const step = currentStep(journal);
  if (
    error instanceof ResizeFailedError ||
    error instanceof ResizeNeedsHumanError ||
    error instanceof ResizeInterruptedError ||
    error instanceof ResizeLockedError ||
    error instanceof ResizeRefusedError
  ) {
    return error;
  }
  if (error instanceof StepFailure && (journal.phase === 'forward' || error.originalsLost)) {
    if (error.originalsLost || journal.claims.some((c) => c.swapStarted || c.originalGone)) {
      const commands = recoveryCommands(journal, ctx.journal.name);
      journal.phase = 'needs-human';
      journal.failure = { step, reason: error.message, advice: error.advice, commands };
      await ctx.journal.save();
      return new ResizeNeedsHumanError(step, error.message, commands);
    }
    journal.phase = 'rolling-back';
    journal.failure = { step, reason: error.message, advice: error.advice };
    await ctx.journal.save();
    try {
      await rollBack(ctx);
      await ctx.journal.remove();
    } catch (rollbackError) {
      if (rollbackError instanceof StepFailure && rollbackError.originalsLost) {
        return settle(ctx, rollbackError);
      }
      return interrupted(journal, 'rollback', rollbackError);
    }
    return new ResizeFailedError(step, error.message, error.advice);
  }
  return interrupted(journal, journal.phase === 'rolling-back' ? 'rollback' : step, error);
}

function interrupted(journal: ResizeJournal, step: string, error: unknown): ResizeInterruptedError {
  const reason = error instanceof Error ? error.message : String(error);
  const remedy = error instanceof StepTimeout ? 'retry' : remedyOf(error);
  return new ResizeInterruptedError(step, reason, atZeroReplicas(journal), remedy, {
    cause: error,
  });
}

function currentStep(journal: ResizeJournal): string {
  return (
    journal.steps.find((s) => s.state === 'started')?.id ??
    journal.steps.find((s) => s.state !== 'done')?.id ??
    'end'
  );
}

function resolveOptions(options: ResizeOptions): ResolvedOptions {
  const seconds = (value: number | undefined, fallback: number) => (value ?? fallback) * 1000;
  return {
    image: options.image ?? DEFAULT_RESIZE_IMAGE,
    copyDeadlineSeconds: options.copyDeadlineSeconds ?? 6 * 3600,
    placement: {
      ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
      ...(options.tolerations ? { tolerations: options.tolerations } : {}),
    },
    timeouts: {
      expansionMs: seconds(options.timeouts?.expansionSeconds, 600),
      podsMs: seconds(options.timeouts?.podsSeconds, 600),
      objectsMs: seconds(options.timeouts?.objectsSeconds, 300),
    },
    pollMs: options.pollIntervalMs ?? 2000,
    holder: options.holder ?? hostname(),
    leaseMs: seconds(options.leaseSeconds, 900),
    fieldManager: options.fieldManager,
    signal: options.signal,
  };
}

function buildJournal(
  set: StatefulSet,
  claims: readonly PersistentVolumeClaim[],
  plan: ResizePlan,
  steps: ResizeJournal['steps'],
  oldVolumes: 'keep' | 'reclaim',
): ResizeJournal {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy as
    { whenDeleted?: string; whenScaled?: string } | undefined;
  const byName = new Map(claims.map((c) => [c.metadata.name ?? '', c]));
  return {
    version: JOURNAL_VERSION,
    runId: randomBytes(6).toString('hex'),
    startedAt: new Date().toISOString(),
    namespace: plan.namespace,
    statefulSet: {
      name: plan.statefulSet,
      uid: set.metadata.uid ?? '',
      replicas: set.spec.replicas ?? 1,
      ...(policy ? { retention: { ...policy } } : {}),
      original: sanitizeStatefulSet(set as KubeObject),
    },
    targets: { ...plan.targets },
    templateUpdate: plan.templateUpdate === 'patch' ? 'patch' : 'recreate',
    ...(plan.swap ? { swap: plan.swap } : {}),
    oldVolumes,
    claims: plan.claims.map((c): JournalClaim => {
      const object = byName.get(c.claim);
      return {
        name: c.claim,
        template: c.template,
        ordinal: c.ordinal,
        uid: c.uid,
        request: c.request,
        ...(c.capacity !== undefined ? { capacity: c.capacity } : {}),
        target: c.target,
        path: c.path,
        ...(c.storageClassName !== undefined ? { storageClassName: c.storageClassName } : {}),
        ...(c.bindingMode !== undefined ? { bindingMode: c.bindingMode } : {}),
        accessModes: [...(object?.spec.accessModes ?? ['ReadWriteOnce'])],
        volumeMode: c.volumeMode,
        ...(object?.metadata.labels ? { labels: { ...object.metadata.labels } } : {}),
        ...(object?.metadata.annotations
          ? { annotations: { ...object.metadata.annotations } }
          : {}),
        ...(c.volume ? { volume: { name: c.volume } } : {}),
      };
    }),
    steps,
    phase: 'forward',
    bytesCopied: 0,
    warnings: [...plan.warnings],
  };
}

/** The plan of a journaled run (for events and results of a resumed run). */
function planFromJournal(journal: ResizeJournal): ResizePlan {
  const set = journal.statefulSet.original as unknown as StatefulSet;
  return {
    namespace: journal.namespace,
    statefulSet: journal.statefulSet.name,
    replicas: journal.statefulSet.replicas,
    targets: journal.targets,
    claims: journal.claims.map((c) => ({
      claim: c.name,
      template: c.template,
      ordinal: c.ordinal,
      leftover: c.ordinal >= journal.statefulSet.replicas,
      uid: c.uid,
      request: c.request,
      capacity: c.capacity,
      target: c.target,
      phase: 'Bound',
      storageClassName: c.storageClassName,
      volume: c.volume?.name,
      volumeMode: c.volumeMode,
      path: c.path,
      why: 'journaled by the run being resumed',
    })),
    templateUpdate: set.spec.volumeClaimTemplates ? journal.templateUpdate : 'none',
    swap: journal.swap,
    steps: journal.steps.map(
      (s) => `${s.state === 'done' ? '[done] ' : ''}${describeStep(s, journal)}`,
    ),
    warnings: journal.warnings,
    blockers: [],
  };
}

function finished(
  outcome: ResizeResult['outcome'],
  plan: ResizePlan,
  resumed: boolean,
  journal: ResizeJournal | undefined,
): ResizeResult {
  const claims: ResizedClaim[] = (journal?.claims ?? []).map((c) => ({
    claim: c.name,
    path: c.path,
    from: c.request,
    target: c.target,
    bytesCopied: (c.copied?.bytes ?? 0) + (c.restored?.copied?.bytes ?? 0),
  }));
  const kept =
    journal && journal.oldVolumes === 'keep'
      ? journal.claims
          .filter((c) => c.path === 'copy' && c.volume?.reclaimPolicy !== undefined)
          .map((c) => c.volume?.name ?? '')
      : [];
  return {
    outcome,
    plan,
    resumed,
    claims,
    bytesCopied: journal?.bytesCopied ?? 0,
    zeroReplicaMs: journal?.zeroMs ?? 0,
    keptVolumes: kept,
    warnings: journal ? [...journal.warnings] : [...plan.warnings],
  };
}
