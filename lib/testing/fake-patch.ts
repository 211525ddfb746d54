/**
 * Applies a `Patch` value to a stored object the way the API server does for each content type.
 *
 * - `strategic`: our `strategicMergePatch`, driven by the generated patch metadata; refused with
 *   415 for kinds the table does not know, as the server refuses it for custom resources.
 * - `merge`: RFC 7386 JSON merge patch (lists always replaced, `null` deletes).
 * - `json`: RFC 6902 via fast-json-patch; a failed `test` or a missing path is a 422, as on the
 *   server.
 * - `apply` (server-side apply) is *approximated*: the applied configuration is strategic-merged
 *   into the live object (merge-patched for kinds without metadata) under its field manager. The
 *   fake does not track managedFields, so it neither removes fields a manager stops applying nor
 *   reports conflicts between managers; `force` is accepted and has no effect.
 */
import jsonpatch from 'fast-json-patch';
import { isPlainObject } from '../core/json.js';
import type { Patch } from '../kube/port.js';
import type { JsonValue, KubeObject } from '../kube/types.js';
import {
  badRequestStatus,
  internalErrorStatus,
  patchNotAppliedStatus,
  StatusFailure,
  unsupportedMediaTypeStatus,
} from './fake-errors.js';
import { normalizeStoredObject } from './fake-normalize.js';
import {
  strategicMergePatch,
  StrategicMergePatchError,
  type JsonObject,
} from './strategic-merge.js';
import type { PatchMetadataTable } from './strategic-merge-metadata.js';

/** Where a patch applies: the schema table and the object's definition in it. */
export interface PatchTarget {
  table: PatchMetadataTable;
  /** Undefined for kinds the table does not know (custom resources). */
  definition: string | undefined;
}

/** The object `patch` makes of `current`; throws `StatusFailure` with the server's status. */
export function applyPatchValue(
  current: KubeObject,
  patch: Patch,
  target: PatchTarget,
): KubeObject {
  const live = current as unknown as JsonObject;
  switch (patch.type) {
    case 'strategic':
      if (target.definition === undefined) throw new StatusFailure(unsupportedMediaTypeStatus());
      return strategic(live, patch.body as JsonObject, target);
    case 'apply':
      return target.definition === undefined
        ? (mergePatch(live, patch.body as unknown as JsonObject) as unknown as KubeObject)
        : strategic(live, patch.body as unknown as JsonObject, target);
    case 'merge':
      if (!isPlainObject(patch.body as JsonValue)) {
        throw new StatusFailure(badRequestStatus('a merge patch must be a JSON object'));
      }
      return mergePatch(live, patch.body as JsonObject) as unknown as KubeObject;
    case 'json':
      return jsonPatch(current, patch);
  }
}

function strategic(live: JsonObject, body: JsonObject, target: PatchTarget): KubeObject {
  try {
    const merged = strategicMergePatch(live, body, target.table, target.definition);
    return normalizeStoredObject(merged, target.table, {
      definition: target.definition,
      stripDirectives: true,
    }) as unknown as KubeObject;
  } catch (error) {
    if (!(error instanceof StrategicMergePatchError)) throw error;
    if (error.code === 400) throw new StatusFailure(badRequestStatus(error.message));
    if (error.code === 422) throw new StatusFailure(patchNotAppliedStatus(error.message));
    throw new StatusFailure(internalErrorStatus(error.message));
  }
}

/** RFC 7386: objects merge recursively, `null` deletes, everything else replaces. */
export function mergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isPlainObject(patch)) return structuredClone(patch);
  const out: JsonObject = isPlainObject(target ?? null)
    ? structuredClone(target as JsonObject)
    : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function jsonPatch(current: KubeObject, patch: Extract<Patch, { type: 'json' }>): KubeObject {
  if (!Array.isArray(patch.ops)) {
    throw new StatusFailure(badRequestStatus('a JSON patch must be a list of operations'));
  }
  try {
    const result = jsonpatch.applyPatch(structuredClone(current), patch.ops, true, true);
    return result.newDocument;
  } catch (error) {
    const detail =
      error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error);
    throw new StatusFailure(patchNotAppliedStatus(detail));
  }
}
