/**
 * Carrying the new size into the StatefulSet's volumeClaimTemplates.
 *
 * Up to v1.37 the templates are immutable: the only way is to delete the StatefulSet without its
 * dependents and create it again. The delete carries the journaled UID as a precondition (it can
 * only delete the object we read) and `propagationPolicy: Orphan`: the API server puts the
 * `orphan` finalizer on the StatefulSet, and the garbage collector removes the pods' (and
 * ControllerRevisions', and claims') owner references to it before it lets the object go. We wait
 * for that — the finalizer is the collector's, never ours to remove: without it the collector
 * could delete the pods. The object to create is journaled before the delete (the live object
 * without server fields, templates resized, the original retention policy); after the create the
 * StatefulSet controller adopts the orphaned pods by selector. Because the pod template is
 * unchanged, the update revision equals the pods' `controller-revision-hash` and nothing rolls:
 * the step checks exactly that — new UID, pods owned by it with their old UIDs, one revision.
 *
 * Where the server lets the templates change (KEP-4650, probed by a dry run in preflight), a plain
 * patch of the templates replaces all of this; the claims are already the new size, so the
 * StatefulSet controller finds nothing to update.
 */
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import type { Pod, StatefulSet } from '../../kube/types.js';
import { compareQuantities } from '../../kube/quantity.js';
import { readIfExists, refs, waitFor, writeOptions, type StepContext } from './context.js';
import type { JournalStep } from './journal.js';
import { sanitizeStatefulSet } from './journal.js';
import { resizedTemplates } from './preflight.js';
import { setPods } from './workload.js';

/** Whether every template of `set` already asks for at least its target. */
export function templatesReachTargets(
  set: StatefulSet,
  targets: Readonly<Record<string, string>>,
): boolean {
  return (set.spec.volumeClaimTemplates ?? []).every((t) => {
    const target = targets[t.metadata.name ?? ''];
    const own = t.spec.resources?.requests?.storage;
    return target === undefined || (own !== undefined && compareQuantities(own, target) >= 0);
  });
}

/** Runs the template step (patch or orphan delete + create; see the module comment). */
export async function updateTemplate(ctx: StepContext, step: JournalStep): Promise<void> {
  const journal = ctx.journal.data;
  if (journal.templateUpdate === 'patch') {
    const set = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
    if (templatesReachTargets(set, journal.targets)) return;
    await ctx.kube.patch(
      refs.statefulSet(ctx),
      {
        type: 'merge',
        body: { spec: { volumeClaimTemplates: resizedTemplates(set, journal.targets) } },
      },
      writeOptions(ctx),
    );
    return;
  }
  await recreate(ctx, step);
}

async function recreate(ctx: StepContext, step: JournalStep): Promise<void> {
  const journal = ctx.journal.data;
  const oldUid = journal.statefulSet.uid;
  const ref = refs.statefulSet(ctx);
  let live = await readIfExists<StatefulSet>(ctx.kube, ref);

  if (live && live.metadata.uid === oldUid) {
    if (!live.metadata.deletionTimestamp) {
      journal.statefulSet.recreate = recreation(ctx, live);
      journal.statefulSet.pods = Object.fromEntries(
        (await setPods(ctx, live)).map((p) => [p.metadata.name ?? '', p.metadata.uid ?? '']),
      );
      await ctx.journal.save();
      try {
        await ctx.kube.delete(ref, { preconditions: { uid: oldUid }, propagationPolicy: 'Orphan' });
      } catch (error) {
        if (!isNotFound(error) && !isConflict(error)) throw error;
      }
    }
    live = await waitFor(
      ctx,
      step,
      `the garbage collector to orphan the pods of ${ctx.statefulSet} and let it go`,
      async () => {
        const current = await readIfExists<StatefulSet>(ctx.kube, ref);
        if (current && current.metadata.uid === oldUid) return undefined;
        return { current };
      },
      ctx.options.timeouts.objectsMs,
    ).then((r) => r.current);
  }

  if (!live) {
    const selectorSet = (journal.statefulSet.recreate ??
      journal.statefulSet.original) as unknown as StatefulSet;
    await waitFor(
      ctx,
      step,
      `the pods of ${ctx.statefulSet} to be orphaned`,
      async () =>
        (await setPods(ctx, selectorSet)).every(
          (pod) => !(pod.metadata.ownerReferences ?? []).some((r) => r.uid === oldUid),
        ) || undefined,
      ctx.options.timeouts.objectsMs,
    );
    const body = journal.statefulSet.recreate ?? recreation(ctx, selectorSet);
    try {
      live = await ctx.kube.create<StatefulSet>(
        structuredClone(body) as unknown as StatefulSet,
        writeOptions(ctx),
      );
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      live = await ctx.kube.get<StatefulSet>(ref);
    }
  }

  if (journal.statefulSet.recreatedUid !== live.metadata.uid) {
    journal.statefulSet.recreatedUid = live.metadata.uid ?? '';
    await ctx.journal.save();
  }
  if (!templatesReachTargets(live, journal.targets)) {
    const note =
      `StatefulSet ${ctx.statefulSet} was recreated by someone else with its old volumeClaimTemplates; ` +
      'the claims have their new size, but set the template size in its source too';
    if (!journal.warnings.includes(note)) journal.warnings.push(note);
  }
  await confirmAdoption(ctx, step, live);
}

/** The object to create: the live one without server fields, resized, with the original retention. */
function recreation(ctx: StepContext, live: StatefulSet): ReturnType<typeof sanitizeStatefulSet> {
  const journal = ctx.journal.data;
  const body = sanitizeStatefulSet(live) as unknown as StatefulSet;
  body.spec.volumeClaimTemplates = resizedTemplates(live, journal.targets);
  const retention = journal.statefulSet.retention;
  if (retention) body.spec.persistentVolumeClaimRetentionPolicy = { ...retention };
  else delete body.spec.persistentVolumeClaimRetentionPolicy;
  return body as unknown as ReturnType<typeof sanitizeStatefulSet>;
}

/**
 * Waits until the new StatefulSet has adopted the pods that were running, and checks that they
 * kept their UIDs and revision (no rollout). A replaced pod is a warning, not a failure: the data
 * steps are done and correct; it only means the workload restarted.
 */
async function confirmAdoption(
  ctx: StepContext,
  step: JournalStep,
  set: StatefulSet,
): Promise<void> {
  const journal = ctx.journal.data;
  const before = journal.statefulSet.pods ?? {};
  const uid = set.metadata.uid;
  const settled = await waitFor(
    ctx,
    step,
    `StatefulSet ${ctx.statefulSet} to adopt its pods`,
    async () => {
      const current = await ctx.kube.get<StatefulSet>(refs.statefulSet(ctx));
      if ((current.status?.observedGeneration ?? 0) < (current.metadata.generation ?? 1))
        return undefined;
      const pods = await setPods(ctx, current);
      const adopted = (pod: Pod) =>
        (pod.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.controller === true);
      const want = current.spec.replicas ?? 1;
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      if (live.length < Math.min(want, Object.keys(before).length) || !live.every(adopted))
        return undefined;
      if ((current.status?.readyReplicas ?? 0) < Math.min(want, Object.keys(before).length))
        return undefined;
      return { current, pods: live };
    },
    ctx.options.timeouts.podsMs,
  );
  const replaced = Object.entries(before)
    .filter(([name, podUid]) => {
      const now = settled.pods.find((p) => p.metadata.name === name);
      return now !== undefined && now.metadata.uid !== podUid;
    })
    .map(([name]) => name);
  const revision = settled.current.status?.updateRevision;
  const rolled = settled.pods.filter(
    (p) => revision !== undefined && p.metadata.labels?.['controller-revision-hash'] !== revision,
  );
  if (replaced.length > 0 || rolled.length > 0) {
    const note =
      `recreating StatefulSet ${ctx.statefulSet} restarted pod(s) ` +
      `${[...new Set([...replaced, ...rolled.map((p) => p.metadata.name ?? '')])].join(', ')} ` +
      '(the adopted pods did not match the recreated template)';
    if (!journal.warnings.includes(note)) journal.warnings.push(note);
    await ctx.journal.save();
  }
}
