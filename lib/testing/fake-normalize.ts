/**
 * Plays the part of the API server's decode/encode round trip for `FakeCluster`.
 *
 * A real server never stores the JSON a client sent: it decodes it into Go structs and encodes
 * those again. That drops keys the type does not have (leftover `$setElementOrder/...`
 * directives), turns `null` into "absent", and — through `omitempty` — removes empty lists and
 * empty maps, while empty *structs* survive as `{}`. A controller that deletes the last label and
 * then reads `metadata.labels` sees `undefined` on a real cluster; the fake must agree. Which
 * fields are maps comes from the generated patch metadata (`map: true`).
 */
import type { JsonValue } from '../kube/types.js';
import { isPlainObject, type JsonObject } from '../core/json.js';
import { fieldPatchMeta, type PatchMetadataTable } from './strategic-merge-metadata.js';

/** What the round trip should do; built-in kinds get all of it, custom resources only `stripDirectives`. */
export interface NormalizeOptions {
  /** The schema definition of the object; undefined for kinds the table does not know. */
  definition: string | undefined;
  /** Drop `$`-prefixed keys a strategic merge patch left behind. */
  stripDirectives: boolean;
}

/** Returns a copy of `object` as the server would store it (see the module comment). */
export function normalizeStoredObject(
  object: JsonObject,
  table: PatchMetadataTable,
  options: NormalizeOptions,
): JsonObject {
  const typed = options.definition !== undefined;
  /** `def` is the definition of `value` itself (of each item, for lists). */
  const walk = (value: JsonValue, def: string | undefined): JsonValue => {
    if (Array.isArray(value)) return value.map((item) => walk(item, def));
    if (!isPlainObject(value)) return value;
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      if (options.stripDirectives && key.startsWith('$')) continue;
      if (typed && child === null) continue;
      const meta = fieldPatchMeta(table, def, key);
      const next = meta?.map ? walkMap(child, meta.ref) : walk(child, meta?.ref);
      if (typed && Array.isArray(next) && next.length === 0) continue;
      if (typed && meta?.map && isPlainObject(next) && Object.keys(next).length === 0) continue;
      out[key] = next;
    }
    return out;
  };
  /** A map's keys are data, not fields: only its values have a definition. */
  const walkMap = (value: JsonValue, valueDef: string | undefined): JsonValue => {
    if (!isPlainObject(value)) return walk(value, valueDef);
    const out: JsonObject = {};
    for (const [key, child] of Object.entries(value)) {
      if (typed && child === null) continue;
      out[key] = walk(child, valueDef);
    }
    return out;
  };
  return walk(object, options.definition) as JsonObject;
}
