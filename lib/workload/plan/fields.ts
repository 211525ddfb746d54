/**
 * The field fragments of a StatefulSet plan: annotations of the StatefulSet and of its pod
 * template, plain pod spec fields, and the two generic fragments the securityContext fragments
 * are built from: a scalar or object field at a path (`ensureField`), and one member of an atomic
 * list treated as a set (`ensureUnionMember`).
 *
 * The sharp edge is where the annotation lives: one on the StatefulSet never restarts pods, one on
 * the pod template always does.
 */
import { PHASE, type AddFragment } from './fragment.js';
import { canonicalJson, jsonEqual } from '../../core/json.js';
import { covers, mergeValue } from './merge.js';
import { describePath, resolveField } from './working.js';

/** `StatefulSetPlan.ensureAnnotation`: an annotation of the StatefulSet's own metadata. */
export function ensureAnnotation(
  add: AddFragment,
  owner: string,
  key: string,
  value: string | null,
): void {
  add({
    owner,
    key: `annotation ${key}`,
    identity: canonicalJson(value),
    phase: PHASE.member,
    apply: (w, p) => {
      if ((w.annotations[key] ?? null) === value) return undefined;
      const annotations = p.child(p.objectMeta(), 'annotations');
      annotations[key] = value;
      if (value === null) delete w.annotations[key];
      else w.annotations[key] = value;
      return value === null ? `remove annotation ${key}` : `set annotation ${key}`;
    },
  });
}

/** `StatefulSetPlan.ensureTemplateAnnotation`: an annotation of the pod template's metadata. */
export function ensureTemplateAnnotation(
  add: AddFragment,
  owner: string,
  key: string,
  value: string | null,
): void {
  add({
    owner,
    key: `template annotation ${key}`,
    identity: canonicalJson(value),
    phase: PHASE.member,
    apply: (w, p) => {
      const current = w.template.metadata?.annotations?.[key] ?? null;
      if (current === value) return undefined;
      p.child(p.templateMeta(), 'annotations')[key] = value;
      const metadata = (w.template.metadata ??= {});
      const annotations = (metadata.annotations ??= {});
      if (value === null) delete annotations[key];
      else annotations[key] = value;
      return value === null ? `remove pod annotation ${key}` : `set pod annotation ${key}`;
    },
  });
}

/** Pod spec fields `ensurePodSpecField` refuses: a plain field fragment would merge them wrong. */
const DEDICATED_POD_SPEC_FIELDS = [
  'containers',
  'initContainers',
  'ephemeralContainers',
  'volumes',
  'securityContext',
];

/** `StatefulSetPlan.ensurePodSpecField`: refuses a dedicated field before recording anything. */
export function ensurePodSpecField(
  add: AddFragment,
  owner: string,
  field: string,
  value: unknown,
): void {
  if (DEDICATED_POD_SPEC_FIELDS.includes(field)) {
    throw new TypeError(`use the dedicated StatefulSetPlan method for pod spec field ${field}`);
  }
  ensureField(add, owner, [field], value);
}

/**
 * A scalar or object field at `path`: `[field]` of the pod spec, `['securityContext', f]` of the
 * pod securityContext, or `[kind, container, 'securityContext', f]` of a container.
 */
export function ensureField(add: AddFragment, owner: string, path: string[], value: unknown): void {
  const desired = structuredClone(value);
  add({
    owner,
    key: describePath(path),
    identity: canonicalJson(desired),
    phase: PHASE.member,
    apply: (w, p) => {
      const { parent, field } = resolveField(w, p, path, false);
      if (covers(desired, parent?.[field], field)) return undefined;
      const { parent: target, patchParent } = resolveField(w, p, path, true);
      const before = target?.[field];
      patchParent()[field] = structuredClone(desired);
      if (desired === null) delete target?.[field];
      else if (target) target[field] = mergeValue(before, desired, field);
      if (desired === null) return `remove ${describePath(path)}`;
      const was = before === undefined ? '' : ` (was ${JSON.stringify(before)})`;
      return `set ${describePath(path)} to ${JSON.stringify(desired)}${was}`;
    },
  });
}

/**
 * One member of an atomic list treated as a set (`capabilities.add`, `supplementalGroups`). The
 * server replaces such lists whole, so the patch carries the complete working list.
 */
export function ensureUnionMember(
  add: AddFragment,
  owner: string,
  path: string[],
  item: unknown,
  present = true,
): void {
  add({
    owner,
    key: `${describePath(path)} ${JSON.stringify(item)}`,
    identity: present ? 'present' : 'absent',
    phase: present ? PHASE.member : PHASE.removeMember,
    apply: (w, p) => {
      const field = path[path.length - 1] ?? '';
      const { parent } = resolveField(w, p, path, false);
      const list = parent?.[field];
      const has = Array.isArray(list) && list.some((x) => jsonEqual(x, item));
      if (has === present) return undefined;
      const { parent: target, patchParent } = resolveField(w, p, path, true);
      const current = Array.isArray(target?.[field]) ? (target?.[field] as unknown[]) : [];
      const next = present ? [...current, item] : current.filter((x) => !jsonEqual(x, item));
      if (target) target[field] = next;
      patchParent()[field] = structuredClone(next);
      return `${present ? 'add' : 'remove'} ${JSON.stringify(item)} ${present ? 'to' : 'from'} ${describePath(path)}`;
    },
  });
}
