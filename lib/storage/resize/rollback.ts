/**
 * Going back after a failure that left every original claim in place.
 *
 * Until the first swap, nothing original was deleted: the copies are extra claims, the originals
 * are untouched (their volumes merely on Retain), the StatefulSet is only scaled down. So a failed
 * copy or verification — or a refusal discovered late — is undone completely: copy claims
 * deleted, the original volumes' reclaim policies restored, the StatefulSet scaled back to its
 * journaled replicas and waited for, its retention policy restored, this run's Jobs deleted. The
 * Jobs must go, failed ones too: the API server's claim protection counts every pod that was
 * scheduled with a claim as a user of it, whatever its phase, so a kept Job pod would hold the
 * copy claim in Terminating for ever. The failure's reason travels in the error instead. Each
 * action checks before it acts, so a rollback interrupted in turn resumes from the journal (phase
 * `rolling-back`) like any step.
 */
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { PersistentVolume, StatefulSet } from '../../kube/types.js';
import { readIfExists, refs, type StepContext } from './context.js';
import type { JournalStep } from './journal.js';
import { deleteRunJobs } from './copy.js';
import { setReclaimPolicy } from './volumes.js';
import { assertOriginalsPresent, restoreRetention, scaleUp } from './workload.js';

/** Undoes a plan whose originals are all intact (see the module comment). */
export async function rollBack(ctx: StepContext): Promise<void> {
  const journal = ctx.journal.data;
  const step: JournalStep = { id: 'rollback', kind: 'scale-up', state: 'started' };
  await deleteRunJobs(ctx);
  for (const claim of journal.claims) {
    if (claim.copy) {
      const ref = refs.claim(ctx.namespace, claim.copy.name);
      const copy = await readIfExists(ctx.kube, ref);
      if (copy && (!claim.copy.uid || copy.metadata.uid === claim.copy.uid)) {
        try {
          await ctx.kube.delete(ref, { preconditions: { uid: copy.metadata.uid ?? '' } });
        } catch (error) {
          if (!isNotFound(error) && !isConflict(error)) throw error;
        }
      }
    }
    const volume = claim.volume;
    if (volume?.reclaimPolicy) {
      const pv = await readIfExists<PersistentVolume>(ctx.kube, refs.volume(volume.name));
      if (pv && pv.spec.persistentVolumeReclaimPolicy !== volume.reclaimPolicy) {
        await setReclaimPolicy(ctx, volume.name, volume.reclaimPolicy);
      }
    }
  }
  const set = await readIfExists<StatefulSet>(ctx.kube, refs.statefulSet(ctx));
  if (set) {
    // Never scale up onto a claim the StatefulSet would recreate empty.
    await assertOriginalsPresent(ctx);
    if (journal.zeroSince !== undefined) await scaleUp(ctx, step);
    await restoreRetention(ctx);
  }
}
