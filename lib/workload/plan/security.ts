/**
 * The securityContext fragments of a StatefulSet plan, pod-level and per container.
 *
 * Each field is its own fragment, so capabilities can share one securityContext (`fsGroup` from
 * storage next to `runAsUser` from someone else) and only a real disagreement is a conflict. The
 * sharp edge is the lists: `capabilities.add`/`drop` and `supplementalGroups` are atomic in a
 * strategic merge, so they are treated as sets whose members are ensured or removed one by one,
 * and the patch carries the whole resulting list. The two fragment types are public (re-exported
 * by plan.ts).
 */
import { isPlainObject } from '../../core/json.js';
import { ensureField, ensureUnionMember } from './fields.js';
import { type AddFragment } from './fragment.js';
import { kindOf, type ContainerSelector } from './selectors.js';
import type { PodSecurityContext } from '../../kube/types.js';

/** Pod-level securityContext fields to ensure; `null` means "must be absent". */
export type PodSecurityContextFragment = {
  [K in keyof PodSecurityContext]?: PodSecurityContext[K] | null;
};

/** Container securityContext fields to ensure; `null` means "must be absent". */
export interface ContainerSecurityContextFragment {
  /** Capabilities that must be present; they are added to, never replace, the observed lists. */
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean | null;
  runAsUser?: number | null;
  runAsGroup?: number | null;
  runAsNonRoot?: boolean | null;
  allowPrivilegeEscalation?: boolean | null;
  readOnlyRootFilesystem?: boolean | null;
}

/** `StatefulSetPlan.ensurePodSecurityContext`: one fragment per field, one per union member. */
export function ensurePodSecurityContext(
  add: AddFragment,
  owner: string,
  fields: PodSecurityContextFragment,
): void {
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) ensureUnionMember(add, owner, ['securityContext', field], item);
    } else {
      ensureField(add, owner, ['securityContext', field], value);
    }
  }
}

/** `StatefulSetPlan.ensureContainerSecurityContext`: one fragment per field and per capability. */
export function ensureContainerSecurityContext(
  add: AddFragment,
  owner: string,
  container: string,
  fields: ContainerSecurityContextFragment,
  options: ContainerSelector,
): void {
  const kind = kindOf(options);
  const base = [kind, container, 'securityContext'];
  for (const [field, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (field === 'capabilities' && isPlainObject(value)) {
      for (const list of ['add', 'drop'] as const) {
        const items = value[list];
        if (!Array.isArray(items)) continue;
        for (const item of items)
          ensureUnionMember(add, owner, [...base, 'capabilities', list], item);
      }
    } else {
      ensureField(add, owner, [...base, field], value);
    }
  }
}

/** `StatefulSetPlan.removeContainerCapabilities`: one removal fragment per capability. */
export function removeContainerCapabilities(
  add: AddFragment,
  owner: string,
  container: string,
  capabilities: { add?: string[]; drop?: string[] },
  options: ContainerSelector,
): void {
  const kind = kindOf(options);
  for (const list of ['add', 'drop'] as const) {
    for (const item of capabilities[list] ?? []) {
      ensureUnionMember(
        add,
        owner,
        [kind, container, 'securityContext', 'capabilities', list],
        item,
        false,
      );
    }
  }
}
