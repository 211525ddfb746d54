/**
 * Detection: which claims of a StatefulSet are below the size they should have.
 *
 * The StatefulSet controller names the claim of template `t` for ordinal `n` `<t>-<set>-<n>`, and
 * keeps the claims of ordinals it scaled away (unless its retention policy deletes them). Every
 * such claim is resized, leftovers included: a later scale-up would otherwise start a pod on a
 * claim of the old size. Detection is pure: it reads the StatefulSet and the namespace's claims
 * as observed and says, per claim, what it is and what it should become. Whether a claim can grow
 * in place or needs a copy is preflight's question (preflight.ts), not this one's.
 */
import type { PersistentVolumeClaim, StatefulSet } from '../../kube/types.js';
import { compareQuantities, parseQuantity } from '../../kube/quantity.js';
import { validateStorageSize, VolumeShrinkError } from '../size.js';
import { ResizeRefusedError } from './errors.js';

/** How a claim grows: by the storage driver (no downtime) or by one verified copy. */
export type ResizePath = 'in-place' | 'copy';

/** One claim below its target, as detected. */
export interface ResizeClaim {
  /** The claim's name, `<template>-<statefulset>-<ordinal>`. */
  readonly claim: string;
  /** The volumeClaimTemplate it was stamped from. */
  readonly template: string;
  readonly ordinal: number;
  /** True for the claim of an ordinal at or above the replica count (kept from a scale-down). */
  readonly leftover: boolean;
  readonly uid: string;
  /** `spec.resources.requests.storage` now. */
  readonly request: string;
  /** `status.capacity.storage` now, if reported. */
  readonly capacity: string | undefined;
  /** The size it must reach. */
  readonly target: string;
  readonly phase: string;
  readonly storageClassName: string | undefined;
  readonly volume: string | undefined;
  readonly volumeMode: string;
}

/** What the caller asks for: one size for every template, a size per template, or the templates' own. */
export type ResizeTarget = string | Readonly<Record<string, string>> | undefined;

/** The result of detection. */
export interface Detection {
  /** Target size per volumeClaimTemplate. */
  readonly targets: Readonly<Record<string, string>>;
  /** Claims below their target, ordered by template then ordinal. */
  readonly claims: readonly ResizeClaim[];
  /** Templates whose request is below the target (the template itself must be carried over). */
  readonly templatesToUpdate: readonly string[];
}

/**
 * The target of each template. A target below a template's own request is a shrink and throws
 * `VolumeShrinkError`; a target for a template the StatefulSet does not have throws too.
 */
export function resolveTargets(set: StatefulSet, size: ResizeTarget): Record<string, string> {
  const templates = set.spec.volumeClaimTemplates ?? [];
  const names = templates.map((t) => t.metadata.name ?? '');
  if (size !== undefined && typeof size !== 'string') {
    const unknown = Object.keys(size).filter((name) => !names.includes(name));
    if (unknown.length > 0) {
      throw new ResizeRefusedError([
        `StatefulSet ${set.metadata.name ?? ''} has no volumeClaimTemplate named ` +
          `${unknown.join(', ')}; its templates are: ${names.join(', ') || '(none)'}`,
      ]);
    }
  }
  const targets: Record<string, string> = {};
  for (const template of templates) {
    const name = template.metadata.name ?? '';
    const own = template.spec.resources?.requests?.storage;
    const wanted = typeof size === 'string' ? size : (size?.[name] ?? own);
    if (wanted === undefined) continue;
    validateStorageSize(wanted);
    if (own !== undefined && compareQuantities(wanted, own) < 0) {
      throw new VolumeShrinkError(`template ${name} of ${set.metadata.name ?? ''}`, own, wanted);
    }
    targets[name] = wanted;
  }
  return targets;
}

/** The ordinal of a claim stamped from `template` for `set`, or undefined if it is not one. */
export function claimOrdinal(claimName: string, template: string, set: string): number | undefined {
  const prefix = `${template}-${set}-`;
  if (!claimName.startsWith(prefix)) return undefined;
  const rest = claimName.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

/**
 * Every claim of the StatefulSet's templates (any ordinal) whose request or capacity is below the
 * target. A claim already at or above its target is left alone; an explicit target below a
 * claim's request asks for a shrink and is refused with `VolumeShrinkError`.
 */
export function detectResize(
  set: StatefulSet,
  claims: readonly PersistentVolumeClaim[],
  size: ResizeTarget,
): Detection {
  const setName = set.metadata.name ?? '';
  const replicas = set.spec.replicas ?? 1;
  const targets = resolveTargets(set, size);
  const found: ResizeClaim[] = [];
  for (const [template, target] of Object.entries(targets)) {
    const mine = claims
      .map((claim) => ({
        claim,
        ordinal: claimOrdinal(claim.metadata.name ?? '', template, setName),
      }))
      .filter(
        (c): c is { claim: PersistentVolumeClaim; ordinal: number } => c.ordinal !== undefined,
      )
      .filter(({ claim }) => !claim.metadata.deletionTimestamp)
      .sort((a, b) => a.ordinal - b.ordinal);
    for (const { claim, ordinal } of mine) {
      const request = claim.spec.resources?.requests?.storage ?? '0';
      const capacity = claim.status?.capacity?.storage;
      if (typeof size !== 'undefined' && compareQuantities(target, request) < 0) {
        // An explicit target below what the claim already asks for can only be a shrink.
        throw new VolumeShrinkError(claim.metadata.name ?? '', request, target);
      }
      const below =
        compareQuantities(request, target) < 0 ||
        (capacity !== undefined && compareQuantities(capacity, target) < 0);
      if (!below) continue;
      found.push({
        claim: claim.metadata.name ?? '',
        template,
        ordinal,
        leftover: ordinal >= replicas,
        uid: claim.metadata.uid ?? '',
        request,
        capacity,
        target,
        phase: claim.status?.phase ?? 'Pending',
        storageClassName: claim.spec.storageClassName ?? undefined,
        volume: claim.spec.volumeName,
        volumeMode: claim.spec.volumeMode ?? 'Filesystem',
      });
    }
  }
  const templatesToUpdate = (set.spec.volumeClaimTemplates ?? [])
    .filter((t) => {
      const target = targets[t.metadata.name ?? ''];
      const own = t.spec.resources?.requests?.storage;
      return target !== undefined && (own === undefined || compareQuantities(own, target) < 0);
    })
    .map((t) => t.metadata.name ?? '');
  return { targets, claims: found, templatesToUpdate };
}

/** The larger of two sizes (by value), as given. */
export function maxSize(a: string, b: string): string {
  return compareQuantities(parseQuantity(a), parseQuantity(b)) >= 0 ? a : b;
}

/** One claim in the plan, with the path preflight chose and why. */
export interface ResizePlanClaim extends ResizeClaim {
  readonly path: ResizePath;
  /** Why this path, in one sentence. */
  readonly why: string;
  /** The class's `volumeBindingMode`, when the class could be read. */
  readonly bindingMode?: string;
}

/** What a resize will do; a dry run returns it and does nothing else. */
export interface ResizePlan {
  readonly namespace: string;
  readonly statefulSet: string;
  /** The replica count now (and to come back to after a copy). */
  readonly replicas: number;
  /** Target size per volumeClaimTemplate. */
  readonly targets: Readonly<Record<string, string>>;
  readonly claims: readonly ResizePlanClaim[];
  /** How the template gets the new size: a patch (server allows it), orphan delete + create, or no change. */
  readonly templateUpdate: 'patch' | 'recreate' | 'none';
  /** How copies replace the originals (copy path only). */
  readonly swap: 'rebind' | 'copy-back' | undefined;
  /** The steps, in order, one line each. */
  readonly steps: readonly string[];
  readonly warnings: readonly string[];
  /** Reasons the resize cannot start; a real run throws `ResizeRefusedError` with them. */
  readonly blockers: readonly string[];
}
