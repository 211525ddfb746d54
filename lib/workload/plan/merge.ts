/**
 * The few strategic-merge rules a StatefulSet plan needs to reason about a pod template, as pure
 * functions.
 *
 * A strategic merge patch does not replace lists such as `containers` or `volumeMounts`: it merges
 * their elements by a per-field key (`name`, `mountPath`, ...). To decide "is this fragment already
 * in place?" and "what will the template look like after the patch?" we must apply the same rules
 * the API server applies, or a reconcile would either patch forever or miss a change. Only the
 * fields of a pod template are modelled; everything else is treated as a plain JSON value.
 */
import { isPlainObject, jsonEqual } from '../../core/json.js';

/**
 * The merge key of every keyed list that can appear in a pod template, by field name. Lists not in
 * this table are atomic: a patch replaces them whole (e.g. `command`, `args`, `capabilities.add`).
 * Field names are unambiguous inside a pod template, so the field name alone selects the rule.
 * tests/workload/plan/merge-keys.test.ts keeps this table equal to the keys the API server
 * publishes (the generated patch metadata).
 */
export const POD_TEMPLATE_MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  env: 'name',
  ports: 'containerPort',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  resourceClaims: 'name',
  schedulingGates: 'name',
  topologySpreadConstraints: 'topologyKey',
  evictionResponders: 'name',
  ownerReferences: 'uid',
};

/**
 * Does `observed` already contain everything `desired` asks for?
 *
 * Objects are compared key by key (extra observed keys are fine: the API server adds defaults such
 * as `terminationMessagePath`); keyed lists element by element through their merge key; atomic
 * lists and scalars must be equal. A `null` in `desired` means "absent". This is exactly the
 * question "would a strategic merge patch of `desired` change anything?".
 */
export function covers(desired: unknown, observed: unknown, field?: string): boolean {
  if (desired === undefined) return true;
  if (desired === null) return observed === null || observed === undefined;
  if (Array.isArray(desired)) {
    const key = field === undefined ? undefined : POD_TEMPLATE_MERGE_KEYS[field];
    if (key === undefined) return jsonEqual(desired, observed);
    if (!Array.isArray(observed)) return desired.length === 0;
    return desired.every((element) => {
      if (!isPlainObject(element)) return false;
      const match = observed.find((o) => isPlainObject(o) && o[key] === element[key]);
      return match !== undefined && covers(element, match);
    });
  }
  if (isPlainObject(desired)) {
    if (!isPlainObject(observed)) return false;
    return Object.entries(desired).every(([k, v]) => covers(v, observed[k], k));
  }
  return desired === observed;
}

/**
 * The value a strategic merge of `patch` into `base` produces, for the patch shapes a plan emits:
 * objects merge recursively, `null` deletes a key, keyed lists merge by key (new elements are
 * appended, as the API server does), other lists are replaced. Inputs are not modified.
 */
export function mergeValue(base: unknown, patch: unknown, field?: string): unknown {
  if (patch === undefined) return structuredClone(base);
  if (Array.isArray(patch)) {
    const key = field === undefined ? undefined : POD_TEMPLATE_MERGE_KEYS[field];
    if (key === undefined || !Array.isArray(base)) return structuredClone(patch);
    const result: unknown[] = base.map((b) => structuredClone(b));
    for (const element of patch) {
      if (!isPlainObject(element)) continue;
      const index = result.findIndex((r) => isPlainObject(r) && r[key] === element[key]);
      if (index < 0) result.push(mergeValue(undefined, element));
      else result[index] = mergeValue(result[index], element);
    }
    return result;
  }
  if (isPlainObject(patch)) {
    const result: Record<string, unknown> = isPlainObject(base) ? structuredClone(base) : {};
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete result[k];
      else if (v !== undefined) result[k] = mergeValue(result[k], v, k);
    }
    return result;
  }
  return patch;
}
