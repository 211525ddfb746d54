/**
 * The swap: the original claim name ends up on the verified copy.
 *
 * Rebind (needs PersistentVolume writes; what pvmigrate does, made resumable): both volumes are on
 * Retain, so deleting claims frees volumes without touching data. The original claim is deleted
 * (UID precondition), then the copy claim; the copy's volume is pre-bound to the original name
 * (its `claimRef` keeps namespace and name, loses the old UID); a claim of the original name is
 * created asking for exactly that volume (`volumeName`), and the PV binder binds the two. The
 * original volume is untouched throughout and stays Released with its data.
 *
 * Copy-back (no PersistentVolume writes): the original claim is deleted — only now, with the
 * verified copy in hand — and created again at the target size; the copy-back and verify-back
 * steps then fill it from the copy and prove it holds the original digest.
 *
 * Before the first delete, `swapStarted` is journaled: from then on a failure is not rolled back
 * automatically (the original claim object is gone) but ends in `ResizeNeedsHumanError` with the
 * commands to rebind the original volume.
 */
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../../kube/types.js';
import { readIfExists, refs, waitFor, writeOptions, type StepContext } from './context.js';
import { ensureClaim, waitForBinding } from './copy.js';
import { StepFailure } from './errors.js';
import type { JournalClaim, JournalStep } from './journal.js';
import { retainVolume } from './volumes.js';

/** Annotations the binder and provisioner own; a recreated claim must not carry them over. */
const BINDING_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];

/** The original claim's labels and annotations for its successor (binding annotations dropped). */
export function successorMetadata(claim: JournalClaim): {
  labels: Record<string, string>;
  annotations: Record<string, string>;
} {
  const annotations = { ...claim.annotations };
  for (const key of BINDING_ANNOTATIONS) delete annotations[key];
  return { labels: { ...claim.labels }, annotations };
}

/** Rebind swap of one claim (see the module comment). */
export async function swapByRebind(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  const copy = claim.copy;
  if (!copy?.uid || !claim.verified) {
    throw new StepFailure(
      `claim ${claim.name} has no verified copy to swap in`,
      'run the resize again',
    );
  }
  if (!copy.volume) {
    const copyClaim = await ctx.kube.get<PersistentVolumeClaim>(
      refs.claim(ctx.namespace, copy.name),
    );
    if (!copyClaim.spec.volumeName) {
      throw new StepFailure(`the copy claim ${copy.name} is not bound`, 'run the resize again');
    }
    copy.volume = { name: copyClaim.spec.volumeName };
    await ctx.journal.save();
  }
  const volume = copy.volume;
  await retainVolume(ctx, volume);
  if (!claim.swapStarted) {
    claim.swapStarted = true;
    await ctx.journal.save();
  }
  await deleteClaim(ctx, step, claim.name, claim.uid);
  await deleteClaim(ctx, step, copy.name, copy.uid);
  const pv = await ctx.kube.get<PersistentVolume>(refs.volume(volume.name));
  const ref = pv.spec.claimRef;
  const boundToSuccessor =
    ref?.name === claim.name && ref.namespace === ctx.namespace && ref.uid !== claim.uid;
  if (!boundToSuccessor) {
    if (ref && !(ref.name === copy.name && ref.namespace === ctx.namespace)) {
      throw new StepFailure(
        `volume ${volume.name} is claimed by ${ref.namespace ?? ''}/${ref.name ?? ''}, not by the copy claim`,
        'see the recovery commands; nothing was deleted',
      );
    }
    await ctx.kube.patch(
      refs.volume(volume.name),
      {
        type: 'merge',
        body: {
          metadata: { resourceVersion: pv.metadata.resourceVersion ?? null },
          spec: {
            claimRef: {
              apiVersion: 'v1',
              kind: 'PersistentVolumeClaim',
              namespace: ctx.namespace,
              name: claim.name,
              uid: null,
              resourceVersion: null,
            },
          },
        },
      },
      writeOptions(ctx),
    );
  }
  const { labels, annotations } = successorMetadata(claim);
  await ensureClaim(ctx, { name: claim.name, claim, labels, annotations, volumeName: volume.name });
  await waitForBinding(ctx, step, claim.name, claim, volume.name);
}

/** Copy-back swap: the original claim is replaced by an empty one of the target size. */
export async function swapByCopyBack(
  ctx: StepContext,
  step: JournalStep,
  claim: JournalClaim,
): Promise<void> {
  if (!claim.verified) {
    throw new StepFailure(`claim ${claim.name} has no verified copy`, 'run the resize again');
  }
  if (!claim.swapStarted) {
    claim.swapStarted = true;
    await ctx.journal.save();
  }
  await deleteClaim(ctx, step, claim.name, claim.uid);
  const { labels, annotations } = successorMetadata(claim);
  const uid = await ensureClaim(ctx, { name: claim.name, claim, labels, annotations });
  if (claim.restored?.uid !== uid) {
    claim.restored = { ...claim.restored, uid };
    await ctx.journal.save();
  }
  await waitForBinding(ctx, step, claim.name, claim);
}

/**
 * Deletes exactly the claim with `uid` (a claim recreated under the name is left alone) and waits
 * until it is gone (its protection finalizer holds it while a pod still uses it; it is never
 * removed by hand).
 */
async function deleteClaim(
  ctx: StepContext,
  step: JournalStep,
  name: string,
  uid: string | undefined,
): Promise<void> {
  const ref = refs.claim(ctx.namespace, name);
  try {
    await ctx.kube.delete(ref, uid ? { preconditions: { uid } } : {});
  } catch (error) {
    if (!isNotFound(error) && !isConflict(error)) throw error;
  }
  await waitFor(
    ctx,
    step,
    `claim ${name} to be deleted`,
    async () => {
      const current = await readIfExists<PersistentVolumeClaim>(ctx.kube, ref);
      return current === undefined || current.metadata.uid !== uid || undefined;
    },
    ctx.options.timeouts.objectsMs,
  );
}
