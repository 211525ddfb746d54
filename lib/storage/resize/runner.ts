/**
 * The step runner: the plan as an ordered list of journaled steps, each `(journal) → done`.
 *
 * Every step is idempotent: it observes the cluster, acts only where the cluster is not yet as the
 * step wants it, and waits until it is. The runner marks a step `started` in the journal before
 * running it and `done` after, so a run that stops anywhere — between steps, inside a step, in
 * the middle of an API call — resumes at the first step not done and simply runs it again.
 *
 * Order (steps that do not apply are left out):
 *   expand:c… await-expansion:c…            in place, no downtime
 *   retain-claims                           retention Retain/Retain before any scale-down or delete
 *   retain-volume:c… scale-down             original volumes on Retain; replicas journaled, then 0
 *   create-copy:c… copy:c… verify:c…        every copy verified before any original is touched
 *   swap:c… [copy-back:c… verify-back:c…]   the original name onto the verified data
 *   template                                the new size into the StatefulSet (patch or recreate)
 *   scale-up                                back to the journaled replicas, Ready
 *   restore-retention restore-volumes:c…    policies back as they were
 *   cleanup                                 Jobs and temporary claims removed
 */
import { claimOf, type StepContext } from './context.js';
import { copyBack, copyData, createCopy, deleteRunJobs, verifyBack, verifyCopy } from './copy.js';
import { ResizeInterruptedError } from './errors.js';
import { awaitExpansion, expand } from './in-place.js';
import type { JournalClaim, JournalStep, ResizeJournal, StepKind } from './journal.js';
import { swapByCopyBack, swapByRebind } from './swap.js';
import { updateTemplate } from './template.js';
import { restoreVolumes, retainOriginalVolume } from './volumes.js';
import { restoreRetention, retainClaims, scaleDown, scaleUp } from './workload.js';
import { readIfExists, refs } from './context.js';
import { isConflict, isNotFound } from '../../kube/errors.js';

/** What the step list depends on besides the claims. */
export interface StepPlanInput {
  readonly claims: readonly Pick<JournalClaim, 'name' | 'path'>[];
  readonly templateUpdate: 'patch' | 'recreate' | 'none';
  readonly swap: 'rebind' | 'copy-back' | undefined;
  /** Whether the retention policy is anything but Retain/Retain. */
  readonly retentionToNeutralize: boolean;
}

/** The ordered steps of a plan. */
export function planSteps(input: StepPlanInput): JournalStep[] {
  const steps: JournalStep[] = [];
  const add = (kind: StepKind, claim?: string) =>
    steps.push({
      id: claim ? `${kind}:${claim}` : kind,
      kind,
      ...(claim ? { claim } : {}),
      state: 'pending',
    });
  const inPlace = input.claims.filter((c) => c.path === 'in-place').map((c) => c.name);
  const copies = input.claims.filter((c) => c.path === 'copy').map((c) => c.name);
  for (const c of inPlace) add('expand', c);
  for (const c of inPlace) add('await-expansion', c);
  const touchesSet = copies.length > 0 || input.templateUpdate === 'recreate';
  if (touchesSet && input.retentionToNeutralize) add('retain-claims');
  if (copies.length > 0) {
    for (const c of copies) add('retain-volume', c);
    add('scale-down');
    for (const c of copies) add('create-copy', c);
    for (const c of copies) add('copy', c);
    for (const c of copies) add('verify', c);
    for (const c of copies) add('swap', c);
    if (input.swap === 'copy-back') {
      for (const c of copies) add('copy-back', c);
      for (const c of copies) add('verify-back', c);
    }
  }
  if (input.templateUpdate !== 'none') add('template');
  if (copies.length > 0) add('scale-up');
  if (touchesSet && input.retentionToNeutralize) add('restore-retention');
  for (const c of copies) add('restore-volumes', c);
  add('cleanup');
  return steps;
}

/** What describing a step needs to know about the run. */
export type StepDescriptionContext = Pick<ResizeJournal, 'swap' | 'templateUpdate'> & {
  readonly claims: readonly { readonly name: string; readonly target: string }[];
};

/** One line per step for plans and events. */
export function describeStep(
  step: Pick<JournalStep, 'kind' | 'claim'>,
  journal?: StepDescriptionContext,
): string {
  const c = step.claim ?? '';
  const target = journal?.claims.find((x) => x.name === c)?.target ?? 'the target';
  switch (step.kind) {
    case 'expand':
      return `raise the request of claim ${c} to ${target}`;
    case 'await-expansion':
      return `wait for the storage driver to grow claim ${c} to ${target}`;
    case 'retain-claims':
      return 'set the StatefulSet claim retention policy to Retain/Retain';
    case 'retain-volume':
      return `set the reclaim policy of the volume of claim ${c} to Retain`;
    case 'scale-down':
      return 'scale the StatefulSet to 0 replicas (the count is journaled first)';
    case 'create-copy':
      return `create a ${target} claim to copy ${c} into`;
    case 'copy':
      return `copy claim ${c} with rsync -aHAX --numeric-ids -S --delete`;
    case 'verify':
      return `verify the copy of ${c} in a second pod (checksums and manifest digest)`;
    case 'swap':
      return journal?.swap === 'copy-back'
        ? `replace claim ${c} by an empty ${target} claim of the same name`
        : `rebind the name ${c} to the verified copy's volume`;
    case 'copy-back':
      return `copy the verified copy back into the new claim ${c}`;
    case 'verify-back':
      return `verify the new claim ${c} against the original digest`;
    case 'template':
      return journal?.templateUpdate === 'patch'
        ? 'patch the volumeClaimTemplates to the new size'
        : 'recreate the StatefulSet with the new template size (orphan delete, UID precondition)';
    case 'scale-up':
      return 'scale the StatefulSet back to its journaled replicas and wait until Ready';
    case 'restore-retention':
      return 'restore the claim retention policy';
    case 'restore-volumes':
      return `restore the reclaim policies of the volumes of claim ${c}`;
    case 'cleanup':
      return 'delete the Jobs and temporary claims of this run';
  }
}

type Handler = (ctx: StepContext, step: JournalStep, claim: JournalClaim) => Promise<void>;

const HANDLERS: Record<StepKind, Handler> = {
  expand: (ctx, _step, claim) => expand(ctx, claim),
  'await-expansion': awaitExpansion,
  'retain-claims': (ctx, step) => retainClaims(ctx, step),
  'retain-volume': (ctx, _step, claim) => retainOriginalVolume(ctx, claim),
  'scale-down': (ctx, step) => scaleDown(ctx, step),
  'create-copy': createCopy,
  copy: copyData,
  verify: verifyCopy,
  swap: (ctx, step, claim) =>
    ctx.journal.data.swap === 'copy-back'
      ? swapByCopyBack(ctx, step, claim)
      : swapByRebind(ctx, step, claim),
  'copy-back': copyBack,
  'verify-back': verifyBack,
  template: (ctx, step) => updateTemplate(ctx, step),
  'scale-up': (ctx, step) => scaleUp(ctx, step),
  'restore-retention': (ctx) => restoreRetention(ctx),
  'restore-volumes': (ctx, _step, claim) => restoreVolumes(ctx, claim),
  cleanup: (ctx) => cleanup(ctx),
};

/**
 * Runs every step not yet done, in order. Checks the abort signal at each boundary. Errors pass
 * through unchanged (the caller decides between rollback, NeedsHuman and interruption).
 */
export async function runSteps(ctx: StepContext): Promise<void> {
  const journal = ctx.journal.data;
  const total = journal.steps.length;
  for (const [i, step] of journal.steps.entries()) {
    checkAbort(ctx, step);
    const base = { id: step.id, kind: step.kind, ...claimOf(step), index: i + 1, total };
    const message = describeStep(step, journal);
    if (step.state === 'done') {
      ctx.events.emit('step', { ...base, state: 'skipped', message });
      continue;
    }
    if (step.state !== 'started') {
      step.state = 'started';
      await ctx.journal.save();
    }
    ctx.events.emit('step', { ...base, state: 'started', message });
    const claim = journal.claims.find((c) => c.name === step.claim) as JournalClaim;
    await HANDLERS[step.kind](ctx, step, claim);
    step.state = 'done';
    await ctx.journal.save();
    ctx.events.emit('step', { ...base, state: 'done', message });
    ctx.events.emit('progress', {
      id: step.id,
      ...claimOf(step),
      percent: Math.round(((i + 1) / total) * 100),
      bytesCopied: journal.bytesCopied,
      message,
    });
  }
  checkAbort(ctx, journal.steps[journal.steps.length - 1]);
}

/** Stops at a step boundary when the caller aborted (Ctrl-C in a CLI, a test's crash point). */
export function checkAbort(ctx: StepContext, step: JournalStep | undefined): void {
  if (ctx.options.signal?.aborted) {
    throw new ResizeInterruptedError(
      step?.id ?? 'start',
      'aborted by the caller',
      atZeroReplicas(ctx.journal.data),
      'retry',
    );
  }
}

/** Whether the journal says the StatefulSet is (or may be) at 0 replicas. */
export function atZeroReplicas(journal: ResizeJournal): boolean {
  return journal.zeroSince !== undefined && journal.zeroMs === undefined;
}

/** Deletes this run's Jobs and, after a copy-back, the temporary copy claims. */
async function cleanup(ctx: StepContext): Promise<void> {
  const journal = ctx.journal.data;
  await deleteRunJobs(ctx);
  if (journal.swap !== 'copy-back') return;
  for (const claim of journal.claims) {
    if (!claim.copy || !claim.restored?.verified) continue;
    const ref = refs.claim(ctx.namespace, claim.copy.name);
    const current = await readIfExists(ctx.kube, ref);
    if (!current || current.metadata.uid !== claim.copy.uid) continue;
    try {
      await ctx.kube.delete(ref, { preconditions: { uid: claim.copy.uid ?? '' } });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }
}
