/**
 * The StatefulSet's side of a copy: its retention policy and its replica count.
 *
 * Before anything scales down, `persistentVolumeClaimRetentionPolicy` is set to Retain/Retain.
 * With `whenScaled: Delete` the StatefulSet controller makes each claim of a scaled-away ordinal a
 * dependent of its pod, so the garbage collector deletes the claim with the pod: a scale to 0
 * would delete every volume we are about to copy (the data loss of openshift-docs#66118). With
 * `whenDeleted: Delete` the claims are dependents of the StatefulSet, which the template step
 * deletes. Under Retain/Retain the controller removes the owner references it had set; the step
 * waits until it has seen the new policy and no claim of the set still names the set or one of its
 * pods as owner (removing such references itself if the controller does not, as it would).
 *
 * The replica count to come back to is journaled before the scale-down is sent, and the time the
 * workload went down with it, so a crash at 0 replicas is never silent: the next run (and the
 * status text) knows the set is down, since when, and how many replicas it must get back.
 */
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../kube/types.js';
import { labelSelectorString } from '../../kube/selectors.js';
import { jsonEqual } from '../../core/json.js';
import { readIfExists, refs, waitFor, writeOptions, type StepContext } from './context.js';
import { StepFailure } from './errors.js';
import type { JournalStep } from './journal.js';
import { claimOrdinal } from './plan.js';

const RETAIN = { whenDeleted: 'Retain', whenScaled: 'Retain' };

/** The retention policy a StatefulSet has (absent fields mean Retain). */
export function retentionOf(set: StatefulSet): { whenDeleted: string; whenScaled: string } {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy as
    { whenDeleted?: string; whenScaled?: string } | undefined;
  return {
    whenDeleted: policy?.whenDeleted ?? 'Retain',
    whenScaled: policy?.whenScaled ?? 'Retain',
  };
}

/** Sets Retain/Retain and waits until no claim of the set is owned by the set or a pod. */
export async function retainClaims(ctx: StepContext, step: JournalStep): Promise<void> {
  const set = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
  if (!jsonEqual(retentionOf(set), RETAIN)) {
    await ctx.kube.patch(
      refs.statefulSet(ctx),
      { type: 'merge', body: { spec: { persistentVolumeClaimRetentionPolicy: RETAIN } } },
      writeOptions(ctx),
    );
  }
  await waitFor(
    ctx,
    step,
    `the StatefulSet controller to see the Retain policy`,
    async () => {
      const s = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
      return (s.status?.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) || undefined;
    },
    ctx.options.timeouts.objectsMs,
  );
  try {
    await waitFor(
      ctx,
      step,
      'the claims to lose their StatefulSet and pod owner references',
      async () => (await ownedClaims(ctx)).length === 0 || undefined,
      ctx.options.timeouts.objectsMs,
    );
  } catch {
    // The controller did not clean up (it only does for claims of pods it visits): do what it would.
    for (const claim of await ownedClaims(ctx)) {
      await ctx.kube.patch(
        refs.claim(ctx.namespace, claim.metadata.name ?? ''),
        {
          type: 'merge',
          body: {
            metadata: {
              resourceVersion: claim.metadata.resourceVersion ?? null,
              ownerReferences: (claim.metadata.ownerReferences ?? []).filter(
                (r) => !ownedByUs(ctx, r),
              ),
            },
          },
        },
        writeOptions(ctx),
      );
    }
  }
}

/** Claims of the set's templates that the set or one of its pods still owns. */
async function ownedClaims(ctx: StepContext): Promise<PersistentVolumeClaim[]> {
  const templates = Object.keys(ctx.journal.data.targets);
  const all = await ctx.kube.list<PersistentVolumeClaim>(refs.claims, { namespace: ctx.namespace });
  return all.items.filter(
    (claim) =>
      templates.some(
        (t) => claimOrdinal(claim.metadata.name ?? '', t, ctx.statefulSet) !== undefined,
      ) && (claim.metadata.ownerReferences ?? []).some((r) => ownedByUs(ctx, r)),
  );
}

function ownedByUs(ctx: StepContext, ref: { kind: string; name: string }): boolean {
  if (ref.kind === 'StatefulSet') return ref.name === ctx.statefulSet;
  if (ref.kind === 'Pod')
    return (
      /^\d+$/.test(ref.name.slice(ctx.statefulSet.length + 1)) &&
      ref.name.startsWith(`${ctx.statefulSet}-`)
    );
  return false;
}

/** The pods of the StatefulSet (by its selector and owner), terminating ones included. */
export async function setPods(ctx: StepContext, set: StatefulSet): Promise<Pod[]> {
  const pods = await ctx.kube.list<Pod>(refs.pods, {
    namespace: ctx.namespace,
    labelSelector: labelSelectorString(set.spec.selector),
  });
  return pods.items.filter(
    (pod) => claimOrdinalOfPod(pod.metadata.name ?? '', ctx.statefulSet) !== undefined,
  );
}

function claimOrdinalOfPod(pod: string, set: string): number | undefined {
  const rest = pod.startsWith(`${set}-`) ? pod.slice(set.length + 1) : '';
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * Scales to 0 and waits until every pod is gone; then makes sure no other pod mounts a claim that
 * will be copied (it would keep writing behind the copy's back).
 */
export async function scaleDown(ctx: StepContext, step: JournalStep): Promise<void> {
  const journal = ctx.journal.data;
  if (journal.zeroSince === undefined) {
    journal.zeroSince = ctx.clock.now();
    await ctx.journal.save();
  }
  const set = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
  if ((set.spec.replicas ?? 1) !== 0) {
    await ctx.kube.patch(
      refs.statefulSet(ctx),
      { type: 'merge', body: { spec: { replicas: 0 } } },
      writeOptions(ctx),
    );
  }
  await waitFor(
    ctx,
    step,
    `every pod of ${ctx.statefulSet} to stop`,
    async () => (await setPods(ctx, set)).length === 0 || undefined,
    ctx.options.timeouts.podsMs,
  );
  await assertOriginalsPresent(ctx);
  const copies = new Set(journal.claims.filter((c) => c.path === 'copy').map((c) => c.name));
  const pods = await ctx.kube.list<Pod>(refs.pods, { namespace: ctx.namespace });
  for (const pod of pods.items) {
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') continue;
    const mounted = (pod.spec.volumes ?? [])
      .map((v) => v.persistentVolumeClaim?.claimName)
      .find((name) => name !== undefined && copies.has(name));
    if (mounted) {
      throw new StepFailure(
        `pod ${pod.metadata.name ?? ''} still mounts claim ${mounted} after the scale-down`,
        `stop pod ${pod.metadata.name ?? ''} (and whatever creates it) and run the resize again`,
      );
    }
  }
}

/** Scales back to the journaled replica count and waits until all are Ready. */
export async function scaleUp(ctx: StepContext, step: JournalStep): Promise<void> {
  const journal = ctx.journal.data;
  const replicas = journal.statefulSet.replicas;
  const set = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
  if ((set.spec.replicas ?? 1) !== replicas) {
    await ctx.kube.patch(
      refs.statefulSet(ctx),
      { type: 'merge', body: { spec: { replicas } } },
      writeOptions(ctx),
    );
  }
  await waitFor(
    ctx,
    step,
    `${replicas} Ready replica(s) of ${ctx.statefulSet}`,
    async () => {
      const s = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
      const observed = (s.status?.observedGeneration ?? 0) >= (s.metadata.generation ?? 0);
      return (observed && (s.status?.readyReplicas ?? 0) >= replicas) || undefined;
    },
    ctx.options.timeouts.podsMs,
  );
  if (journal.zeroSince !== undefined && journal.zeroMs === undefined) {
    journal.zeroMs = ctx.clock.now() - journal.zeroSince;
    await ctx.journal.save();
  }
}

/** Puts the journaled retention policy back (a no-op when the recreate already did). */
export async function restoreRetention(ctx: StepContext): Promise<void> {
  const wanted = ctx.journal.data.statefulSet.retention;
  const set = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
  const target = {
    whenDeleted: wanted?.whenDeleted ?? 'Retain',
    whenScaled: wanted?.whenScaled ?? 'Retain',
  };
  if (jsonEqual(retentionOf(set), target)) return;
  await ctx.kube.patch(
    refs.statefulSet(ctx),
    { type: 'merge', body: { spec: { persistentVolumeClaimRetentionPolicy: target } } },
    writeOptions(ctx),
  );
}

/**
 * Every original claim of the copy path is still there (same UID) — checked after the scale-down
 * and before any scale-up of a rollback. A claim that vanished (deleted by someone else, or by a
 * retention policy changed behind our back) must never be recreated empty by a scale-up: its
 * volume is on Retain, and a person rebinds it (`ResizeNeedsHumanError` lists the commands).
 */
export async function assertOriginalsPresent(ctx: StepContext): Promise<void> {
  const gone: string[] = [];
  for (const claim of ctx.journal.data.claims) {
    if (claim.path !== 'copy' || claim.swapStarted) continue;
    const current = await readIfExists<PersistentVolumeClaim>(
      ctx.kube,
      refs.claim(ctx.namespace, claim.name),
    );
    if (!current || current.metadata.uid !== claim.uid || current.metadata.deletionTimestamp) {
      claim.originalGone = true;
      gone.push(claim.name);
    }
  }
  if (gone.length === 0) return;
  await ctx.journal.save();
  throw new StepFailure(
    `original claim(s) ${gone.join(', ')} disappeared during the resize (not deleted by it)`,
    'their volumes were set to Retain first; rebind them with the recovery commands',
    true,
  );
}
