/**
 * Path B, the data: a new, larger claim, one copy into it, and a verification in a second pod.
 *
 * The copy claim has the original's class, access modes and volume mode and the target size,
 * and a deterministic name (names.ts), so a resumed run finds the claim and the Jobs it made.
 * Each Job runs once; the step reads its report from the pod's termination message and writes it
 * to the journal before the Job is deleted. A copy is "verified" only when the verification Job
 * found nothing to itemize and both trees hash to the digest the copy recorded — nothing
 * downstream (the swap, the scale-up) runs on a claim without that mark.
 *
 * With swap "copy-back" the same two Jobs run a second time in the other direction, from the
 * verified copy into a new claim of the original name, and must reproduce the original digest.
 */
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import type { KubeObject, PersistentVolumeClaim, Pod } from '../../kube/types.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../claim.js';
import { readIfExists, refs, waitFor, writeOptions, type StepContext } from './context.js';
import { StepFailure } from './errors.js';
import type { CopyReport, JournalClaim, JournalStep } from './journal.js';
import { buildResizeJob, JOB_NAME_LABEL, resizeJobState, type JobRole } from './jobs.js';
import { CLAIM_LABEL, copyClaimName, jobName, RESIZE_LABEL } from './names.js';
import { assertOriginalsPresent } from './workload.js';

/** The label that ties a Job to one run, so a Job left by an earlier, abandoned run is replaced. */
export const RUN_LABEL = 'resize.charmkit.io/run';

/** The copy claim's name (set in the journal on first use). */
export function copyName(claim: JournalClaim): string {
  return claim.copy?.name ?? copyClaimName(claim.name, claim.uid, claim.target);
}

/** Creates the copy claim (if missing) and waits until it is bound or waits for its first consumer. */
export async function createCopy(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  const name = copyName(claim);
  if (!claim.copy) {
    claim.copy = { name };
    await ctx.journal.save();
  }
  const uid = await ensureClaim(ctx, {
    name,
    claim,
    labels: {
      [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
      [RESIZE_LABEL]: ctx.statefulSet,
      [CLAIM_LABEL]: claim.name,
    },
  });
  if (claim.copy.uid !== uid) {
    claim.copy.uid = uid;
    await ctx.journal.save();
  }
  await waitForBinding(ctx, step, name, claim);
}

/**
 * Creates a claim with `claim`'s class, modes and target size, unless it exists; returns its UID.
 * With `volumeName` it asks for that exact volume (the rebind of a swap).
 */
export async function ensureClaim(
  ctx: StepContext,
  input: {
    name: string;
    claim: JournalClaim;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
    volumeName?: string;
  },
): Promise<string> {
  const ref = refs.claim(ctx.namespace, input.name);
  try {
    const existing = await ctx.kube.get<PersistentVolumeClaim>(ref);
    return existing.metadata.uid ?? '';
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const { claim } = input;
  const object: PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: input.name, namespace: ctx.namespace, labels: input.labels },
    spec: {
      accessModes: [...claim.accessModes],
      volumeMode: claim.volumeMode,
      resources: { requests: { storage: claim.target } },
      ...(claim.storageClassName !== undefined ? { storageClassName: claim.storageClassName } : {}),
      ...(input.volumeName ? { volumeName: input.volumeName } : {}),
    },
  };
  if (input.annotations && Object.keys(input.annotations).length > 0) {
    object.metadata.annotations = input.annotations;
  }
  try {
    const created = await ctx.kube.create(object, writeOptions(ctx));
    return created.metadata.uid ?? '';
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
    const existing = await ctx.kube.get<PersistentVolumeClaim>(ref);
    return existing.metadata.uid ?? '';
  }
}

/**
 * Waits until a claim is Bound. A claim of a WaitForFirstConsumer class — or of a class this run
 * could not read — binds only when a pod uses it: the copy pod is that first consumer, so the Job
 * step waits instead. A claim asking for one volume (`volumeName`) binds at once in any mode.
 */
export async function waitForBinding(
  ctx: StepContext,
  step: JournalStep,
  name: string,
  claim: Pick<JournalClaim, 'bindingMode'>,
  volumeName?: string,
): Promise<PersistentVolumeClaim | undefined> {
  if (!volumeName && claim.bindingMode !== 'Immediate') return undefined;
  return waitFor(
    ctx,
    step,
    `claim ${name} to be bound${volumeName ? ` to volume ${volumeName}` : ''}`,
    async () => {
      const current = await ctx.kube.get<PersistentVolumeClaim>(refs.claim(ctx.namespace, name));
      if (current.status?.phase !== 'Bound') return undefined;
      if (volumeName && current.spec.volumeName !== volumeName) {
        throw new StepFailure(
          `claim ${name} was bound to volume ${current.spec.volumeName ?? '?'} instead of ${volumeName}`,
          'see the recovery commands; nothing was deleted',
        );
      }
      return current;
    },
    ctx.options.timeouts.objectsMs,
  );
}

/**
 * Runs one Job of `role` to its end and returns its script's report. A Job of an earlier run
 * (another run label) is deleted and replaced; a failed Job, or a report that is not a success,
 * is a `StepFailure`. The Job is deleted once its report is in hand.
 */
export async function runJob(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
  role: JobRole,
  source: string,
  destination: string,
  expectedDigest?: string,
): Promise<CopyReport> {
  const name = jobName(role, claim.name, claim.uid, claim.target);
  const ref = refs.job(ctx.namespace, name);
  const job = buildResizeJob({
    name,
    namespace: ctx.namespace,
    role,
    statefulSet: ctx.statefulSet,
    claim: claim.name,
    source,
    destination,
    ...(expectedDigest ? { expectedDigest } : {}),
    image: ctx.options.image,
    deadlineSeconds: ctx.options.copyDeadlineSeconds,
    ...(claim.volume?.nodeAffinity ? { nodeAffinity: claim.volume.nodeAffinity } : {}),
    ...(ctx.options.placement.nodeSelector
      ? { nodeSelector: ctx.options.placement.nodeSelector }
      : {}),
    ...(ctx.options.placement.tolerations
      ? { tolerations: ctx.options.placement.tolerations }
      : {}),
  });
  job.metadata.labels = { ...job.metadata.labels, [RUN_LABEL]: ctx.journal.data.runId };
  await ensureJob(ctx, step, job);
  const state = await waitFor(
    ctx,
    step,
    `${role} Job ${name} to finish`,
    async () => {
      const current = await ctx.kube.get(ref);
      const pods = await ctx.kube.list<Pod>(refs.pods, {
        namespace: ctx.namespace,
        labelSelector: `${JOB_NAME_LABEL}=${name}`,
      });
      const s = resizeJobState(current, pods.items, role);
      if (s.state === 'running' && (role === 'copy' || role === 'verify')) {
        // A copy that waits for a source claim that is gone would wait for ever.
        await assertOriginalsPresent(ctx);
      }
      return s.state === 'running' ? undefined : s;
    },
    // The Job's own deadline bounds the copy; the wait only needs a margin for the controller.
    ctx.options.copyDeadlineSeconds * 1000 + ctx.options.timeouts.podsMs,
  );
  const logs = `kubectl -n ${ctx.namespace} logs job/${name}`;
  if (state.state === 'failed') {
    throw new StepFailure(
      `the ${role} Job ${name} failed: ${state.reason}`,
      `the Job's pod log (${logs}) has rsync's own words while the Job exists; a rollback deletes it`,
    );
  }
  if (!state.outcome.ok) {
    throw new StepFailure(
      `the ${role} Job ${name} did not prove its work: ${state.outcome.reason}`,
      `the Job's pod log (${logs}) has the details while the Job exists; a rollback deletes it`,
    );
  }
  return state.outcome.report;
}

async function ensureJob(ctx: StepContext, step: JournalStep, job: KubeObject): Promise<void> {
  const ref = refs.job(ctx.namespace, job.metadata.name ?? '');
  try {
    const existing = await ctx.kube.get(ref);
    if (existing.metadata.labels?.[RUN_LABEL] === ctx.journal.data.runId) return;
    // Left by an earlier run: its result says nothing about this one.
    await deleteJob(ctx, job.metadata.name ?? '');
    await waitFor(
      ctx,
      step,
      `the old Job ${job.metadata.name ?? ''} to be gone`,
      async () => (await readIfExists(ctx.kube, ref)) === undefined || undefined,
      ctx.options.timeouts.objectsMs,
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await ctx.kube.create(job, writeOptions(ctx));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

/** Deletes a Job and its pods (background propagation); missing is fine. */
export async function deleteJob(ctx: StepContext, name: string): Promise<void> {
  try {
    await ctx.kube.delete(refs.job(ctx.namespace, name), { propagationPolicy: 'Background' });
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Deletes every Job of this run (by its run label). */
export async function deleteRunJobs(ctx: StepContext): Promise<void> {
  const jobs = await ctx.kube.list<KubeObject>(
    { apiVersion: 'batch/v1', kind: 'Job' },
    { namespace: ctx.namespace, labelSelector: `${RUN_LABEL}=${ctx.journal.data.runId}` },
  );
  for (const job of jobs.items) await deleteJob(ctx, job.metadata.name ?? '');
}

/** The Job of `role` for `claim`: deleted once its report is journaled, or left over by a crash. */
async function deleteStepJob(ctx: StepContext, role: JobRole, claim: JournalClaim): Promise<void> {
  await deleteJob(ctx, jobName(role, claim.name, claim.uid, claim.target));
}

/** Copies the original into the copy claim and journals the report. */
export async function copyData(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  if (!claim.copied) {
    const report = await runJob(ctx, step, claim, 'copy', claim.name, copyName(claim));
    claim.copied = report;
    ctx.journal.data.bytesCopied += report.bytes;
    await ctx.journal.save();
  }
  // Also when done before a crash: only the Job may be left.
  await deleteStepJob(ctx, 'copy', claim);
}

/** Verifies the copy against the original and the copy's digest; journals the mark. */
export async function verifyCopy(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  const digest = requireReport(claim.copied, `the copy of ${claim.name}`).digest;
  if (!claim.verified) {
    const report = await runJob(ctx, step, claim, 'verify', claim.name, copyName(claim), digest);
    if (report.digest !== digest) {
      throw new StepFailure(
        `the verification of ${claim.name} hashed to ${report.digest}, the copy to ${digest}`,
        'something changed the data between the copy and the verification; stop it and run again',
      );
    }
    claim.verified = report;
    await ctx.journal.save();
  }
  await deleteStepJob(ctx, 'verify', claim);
}

/** Copy-back: copies the verified copy into the new claim of the original name. */
export async function copyBack(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  if (!claim.restored?.copied) {
    requireReport(claim.verified, `the verified copy of ${claim.name}`);
    const report = await runJob(ctx, step, claim, 'copy-back', copyName(claim), claim.name);
    claim.restored = { ...claim.restored, copied: report };
    ctx.journal.data.bytesCopied += report.bytes;
    await ctx.journal.save();
  }
  await deleteStepJob(ctx, 'copy-back', claim);
}

/** Copy-back: proves the new claim of the original name holds the original digest. */
export async function verifyBack(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  if (!claim.restored?.verified) {
    const digest = requireReport(claim.verified, `the verified copy of ${claim.name}`).digest;
    const report = await runJob(
      ctx,
      step,
      claim,
      'verify-back',
      copyName(claim),
      claim.name,
      digest,
    );
    claim.restored = { ...claim.restored, verified: report };
    await ctx.journal.save();
  }
  await deleteStepJob(ctx, 'verify-back', claim);
}

function requireReport(report: CopyReport | undefined, what: string): CopyReport {
  if (!report) {
    throw new StepFailure(
      `${what} has no report in the journal`,
      'run the resize again from the start',
    );
  }
  return report;
}
