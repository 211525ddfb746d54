/**
 * The volumes' reclaim policies: set to Retain before any claim could be deleted, put back after.
 *
 * A dynamically provisioned volume usually has reclaim policy Delete: deleting its claim deletes
 * the disk. Before a copy, the original volume is set to Retain (its policy journaled first), so
 * that even a mistaken or concurrent deletion of the original claim keeps the data. In a rebind
 * swap the copy's volume is set to Retain too, because its claim (the temporary one) is deleted
 * to free it for the original name. At the end the copy's volume — now the claim's volume — gets
 * its own policy back; the original volume keeps Retain (option `oldVolumes: 'keep'`, the
 * default, listed in the result) or gets its original policy back (`'reclaim'`), at which point
 * the cluster does with it what it would have done had the claim been deleted normally.
 */
import { isForbidden } from '../../kube/errors.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../kube/types.js';
import { isPlainObject, type JsonObject } from '../../core/json.js';
import { readIfExists, refs, writeOptions, type StepContext } from './context.js';
import type { JournalClaim, JournalVolume } from './journal.js';

/**
 * Journals the claim's volume (name, UID, reclaim policy, node affinity) and sets it to Retain.
 * Without permission to read the volume, nothing is journaled and the copy-back swap applies.
 */
export async function retainOriginalVolume(ctx: StepContext, claim: JournalClaim): Promise<void> {
  if (!claim.volume) {
    const current = await ctx.kube.get<PersistentVolumeClaim>(
      refs.claim(ctx.namespace, claim.name),
    );
    if (!current.spec.volumeName) return;
    claim.volume = { name: current.spec.volumeName };
  }
  await retainVolume(ctx, claim.volume);
}

/** Records a volume's policy (once) and patches it to Retain. */
export async function retainVolume(ctx: StepContext, volume: JournalVolume): Promise<void> {
  if (ctx.journal.data.swap === 'copy-back' && !(await canWriteVolumes(ctx, volume.name))) return;
  const pv = await ctx.kube.get<PersistentVolume>(refs.volume(volume.name));
  if (volume.reclaimPolicy === undefined) {
    volume.uid = pv.metadata.uid ?? '';
    volume.reclaimPolicy = pv.spec.persistentVolumeReclaimPolicy ?? 'Delete';
    const affinity = pv.spec.nodeAffinity;
    if (isPlainObject(affinity) && isPlainObject(affinity.required)) {
      volume.nodeAffinity = { required: structuredClone(affinity.required) } as JsonObject;
    }
    await ctx.journal.save();
  }
  if (pv.spec.persistentVolumeReclaimPolicy === 'Retain') return;
  await setReclaimPolicy(ctx, volume.name, 'Retain');
}

/** Sets a volume's reclaim policy (a merge patch of that one field). */
export async function setReclaimPolicy(
  ctx: StepContext,
  name: string,
  policy: string,
): Promise<void> {
  await ctx.kube.patch(
    refs.volume(name),
    { type: 'merge', body: { spec: { persistentVolumeReclaimPolicy: policy } } },
    writeOptions(ctx),
  );
}

/**
 * After success: the claim's new volume gets back the policy it was provisioned with; the old one
 * is kept or reclaimed per `oldVolumes`.
 */
export async function restoreVolumes(ctx: StepContext, claim: JournalClaim): Promise<void> {
  const copyVolume = claim.copy?.volume;
  if (ctx.journal.data.swap === 'rebind' && copyVolume?.reclaimPolicy) {
    await restorePolicy(ctx, copyVolume, copyVolume.reclaimPolicy);
  }
  if (claim.volume?.reclaimPolicy && ctx.journal.data.oldVolumes === 'reclaim') {
    await restorePolicy(ctx, claim.volume, claim.volume.reclaimPolicy);
  }
}

async function restorePolicy(
  ctx: StepContext,
  volume: JournalVolume,
  policy: string,
): Promise<void> {
  const pv = await readIfExists<PersistentVolume>(ctx.kube, refs.volume(volume.name));
  if (!pv || (volume.uid && pv.metadata.uid !== volume.uid)) return;
  if (pv.spec.persistentVolumeReclaimPolicy !== policy) {
    await setReclaimPolicy(ctx, volume.name, policy);
  }
}

/** Whether this run may patch volumes (a dry-run patch; only asked in copy-back mode). */
async function canWriteVolumes(ctx: StepContext, name: string): Promise<boolean> {
  try {
    const pv = await ctx.kube.get<PersistentVolume>(refs.volume(name));
    await ctx.kube.patch(
      refs.volume(name),
      {
        type: 'merge',
        body: { spec: { persistentVolumeReclaimPolicy: pv.spec.persistentVolumeReclaimPolicy } },
      },
      writeOptions(ctx, true),
    );
    return true;
  } catch (error) {
    if (isForbidden(error)) return false;
    throw error;
  }
}
