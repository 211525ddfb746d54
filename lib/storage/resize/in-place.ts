/**
 * Path A: the storage driver grows the volume; no copy, no scale-down.
 *
 * Only `spec.resources.requests.storage` is patched (a merge patch carrying the claim's UID, so it
 * can never land on a claim recreated under the same name). Then the claim's status is followed
 * until `status.capacity` reaches the target:
 * - `allocatedResourceStatuses.storage` says where the resizer is: `ControllerResizeInProgress`,
 *   `NodeResizePending` / `NodeResizeInProgress` (the filesystem still has to grow on the node),
 *   or `ControllerResizeInfeasible` / `NodeResizeInfeasible` (the driver refused for good);
 * - the `Resizing`, `FileSystemResizePending`, `ControllerResizeError` and `NodeResizeError`
 *   conditions carry the messages. Errors that are not Infeasible are retried by the resizer, so
 *   they are reported (as warnings) and waited through, up to the timeout.
 *
 * A filesystem that only grows on (re)mount stays `FileSystemResizePending` while its pod runs:
 * after a grace period the pod is restarted (deleted with a UID precondition, one at a time; the
 * StatefulSet recreates it) and the wait goes on. A claim no pod mounts (a leftover ordinal) keeps
 * that condition until a pod mounts it — nothing can finish it earlier, so the step ends there
 * with a warning instead of deadlocking.
 *
 * Infeasible: the driver will not reach the target. Since RecoverVolumeExpansionFailure (GA in
 * 1.34) a request may be lowered again, but only to a value strictly above `status.capacity`; the
 * step lowers it to capacity + 1 byte so the resizer stops retrying a size it cannot deliver and
 * quota stops counting it, then fails the plan (nothing was copied or deleted).
 */
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { PersistentVolumeClaim, Pod } from '../../kube/types.js';
import { addQuantities, compareQuantities, quantityBytes } from '../../kube/quantity.js';
import { refs, waitFor, writeOptions, type StepContext } from './context.js';
import { StepFailure } from './errors.js';
import type { JournalClaim, JournalStep } from './journal.js';

/** How long a filesystem may stay pending on a running pod before that pod is restarted. */
const REMOUNT_GRACE_MS = 120_000;

/** What the claim's status says about the expansion. */
export type ExpansionState =
  | { readonly state: 'done' }
  | { readonly state: 'infeasible'; readonly message: string }
  | { readonly state: 'filesystem-pending'; readonly message: string }
  | { readonly state: 'in-progress'; readonly message: string; readonly error?: string };

/** Reads an expansion's state from a claim (pure). */
export function expansionState(claim: PersistentVolumeClaim, target: string): ExpansionState {
  const capacity = claim.status?.capacity?.storage;
  if (capacity !== undefined && compareQuantities(capacity, target) >= 0) return { state: 'done' };
  const conditions = claim.status?.conditions ?? [];
  const condition = (type: string) =>
    conditions.find((c) => c.type === type && c.status === 'True');
  const statuses = (claim.status?.allocatedResourceStatuses ?? {}) as Record<string, string>;
  const resize = statuses.storage;
  const error = condition('ControllerResizeError') ?? condition('NodeResizeError');
  const describe = (fallback: string) => error?.message ?? error?.reason ?? fallback;
  if (resize === 'ControllerResizeInfeasible' || resize === 'NodeResizeInfeasible') {
    return { state: 'infeasible', message: describe(resize) };
  }
  const pending = condition('FileSystemResizePending');
  if (pending || resize === 'NodeResizePending') {
    return {
      state: 'filesystem-pending',
      message: pending?.message ?? 'the filesystem grows when a pod mounts the volume',
    };
  }
  const resizing = condition('Resizing');
  const result: ExpansionState = {
    state: 'in-progress',
    message: resizing?.message ?? resize ?? 'waiting for the resizer',
  };
  return error ? { ...result, error: describe('resize error') } : result;
}

/** Patches the request up to the target (UID-guarded); nothing if it is there already. */
export async function expand(ctx: StepContext, claim: JournalClaim): Promise<void> {
  const current = await ctx.kube.get<PersistentVolumeClaim>(refs.claim(ctx.namespace, claim.name));
  if (current.metadata.uid !== claim.uid) {
    throw new StepFailure(
      `claim ${claim.name} was replaced by another claim of that name during the resize`,
      'check who recreated it; the resize did not touch the new claim',
    );
  }
  const request = current.spec.resources?.requests?.storage ?? '0';
  if (compareQuantities(request, claim.target) >= 0) return;
  await ctx.kube.patch(
    refs.claim(ctx.namespace, claim.name),
    {
      type: 'merge',
      body: {
        metadata: { uid: claim.uid },
        spec: { resources: { requests: { storage: claim.target } } },
      },
    },
    writeOptions(ctx),
  );
}

/** Follows the expansion to the end (see the module comment). */
export async function awaitExpansion(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  const pendingSince: { at?: number } = {};
  const reported = new Set<string>();
  await waitFor(
    ctx,
    step,
    `claim ${claim.name} to reach ${claim.target}`,
    async () => {
      const current = await ctx.kube.get<PersistentVolumeClaim>(
        refs.claim(ctx.namespace, claim.name),
      );
      const state = expansionState(current, claim.target);
      switch (state.state) {
        case 'done':
          return true;
        case 'infeasible':
          await lowerRequest(ctx, claim, current);
          throw new StepFailure(
            `the storage driver refused to grow claim ${claim.name} to ${claim.target}: ${state.message}`,
            `its request was lowered to ${claim.loweredTo ?? ''} (just above its capacity) so it ` +
              'stays usable; choose a size the driver can provide, or resize with path "copy" to ' +
              'move the data to a new volume of that size',
          );
        case 'in-progress':
          if (state.error && !reported.has(state.error)) {
            reported.add(state.error);
            ctx.events.emit(
              'warning',
              `resizing ${claim.name}: ${state.error} (the resizer retries)`,
            );
          }
          return undefined;
        case 'filesystem-pending': {
          const pod = await mountingPod(ctx, claim.name);
          if (!pod) {
            const note =
              `the filesystem of claim ${claim.name} grows to ${claim.target} when a pod next ` +
              `mounts it (${state.message})`;
            if (!ctx.journal.data.warnings.includes(note)) ctx.journal.data.warnings.push(note);
            return true;
          }
          const since = (pendingSince.at ??= ctx.clock.now());
          if (ctx.clock.now() - since >= REMOUNT_GRACE_MS) {
            await restartPod(ctx, step, pod);
            pendingSince.at = undefined;
          }
          return undefined;
        }
      }
    },
    ctx.options.timeouts.expansionMs,
  );
}

/** Lowers an infeasible request to just above the capacity (RecoverVolumeExpansionFailure). */
async function lowerRequest(
  ctx: StepContext,
  claim: JournalClaim,
  current: PersistentVolumeClaim,
): Promise<void> {
  const capacity = current.status?.capacity?.storage;
  if (capacity === undefined) return;
  const lowered = String(quantityBytes(addQuantities(capacity, '1')));
  claim.loweredTo = lowered;
  await ctx.journal.save();
  const request = current.spec.resources?.requests?.storage ?? '0';
  if (compareQuantities(request, lowered) <= 0) return;
  await ctx.kube.patch(
    refs.claim(ctx.namespace, claim.name),
    {
      type: 'merge',
      body: {
        metadata: { uid: claim.uid },
        spec: { resources: { requests: { storage: lowered } } },
      },
    },
    writeOptions(ctx),
  );
}

/** The running pod of the StatefulSet that mounts `claimName`, if any. */
async function mountingPod(ctx: StepContext, claimName: string): Promise<Pod | undefined> {
  const pods = await ctx.kube.list<Pod>(refs.pods, { namespace: ctx.namespace });
  return pods.items.find(
    (pod) =>
      !pod.metadata.deletionTimestamp &&
      pod.status?.phase === 'Running' &&
      (pod.spec.volumes ?? []).some((v) => v.persistentVolumeClaim?.claimName === claimName),
  );
}

/** Deletes one pod (UID precondition) and waits until its successor is Ready. */
async function restartPod(ctx: StepContext, step: JournalStep, pod: Pod): Promise<void> {
  const name = pod.metadata.name ?? '';
  const uid = pod.metadata.uid ?? '';
  ctx.events.emit('warning', `restarting pod ${name} so its filesystem grows on remount`);
  try {
    await ctx.kube.delete(
      { apiVersion: 'v1', kind: 'Pod', namespace: ctx.namespace, name },
      { preconditions: { uid } },
    );
  } catch (error) {
    // Gone already, or already replaced (UID precondition): either way the old pod is not there.
    if (!isNotFound(error) && !isConflict(error)) throw error;
  }
  await waitFor(
    ctx,
    step,
    `pod ${name} to come back Ready`,
    async () => {
      try {
        const next = await ctx.kube.get<Pod>({ ...refs.pods, namespace: ctx.namespace, name });
        const ready = (next.status?.conditions ?? []).some(
          (c) => c.type === 'Ready' && c.status === 'True',
        );
        return (next.metadata.uid !== uid && ready) || undefined;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    ctx.options.timeouts.podsMs,
  );
}
