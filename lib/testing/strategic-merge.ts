/**
 * Applies a Kubernetes strategic merge patch the way the API server does.
 *
 * This is our own implementation of the *apply* half of apimachinery's `strategicpatch` package,
 * written to reproduce its observable results — including the surprising ones — because users
 * test their controllers against `FakeCluster` and must see what a real cluster would store:
 *
 * - maps merge recursively and `null` deletes a key;
 * - lists whose field has `x-kubernetes-patch-strategy: merge` merge item by item on the
 *   `x-kubernetes-patch-merge-key` (containers by `name`, volumeMounts by `mountPath`, ports by
 *   `containerPort`); lists of scalars with that strategy (finalizers) are unioned; every other
 *   list is replaced whole (tolerations, args, command);
 * - ordering: items named in the patch keep the patch's relative order, items only on the server
 *   keep theirs, and the two are interleaved using the server's order — so an item the server has
 *   never seen lands *before* the server-only items, not after them (the real server's behaviour;
 *   the differential tests pin it);
 * - directives: `$patch: replace|delete` on maps and list items, `$retainKeys`,
 *   `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`. `$patch: merge` is rejected
 *   as the server rejects it.
 * - when the live object lacks a field, the patch value is taken after dropping `null`s and every
 *   map that carries a `$patch` directive (so `{$patch: replace}` for an absent field is a no-op).
 *
 * Leftover directive keys (e.g. `$setElementOrder` inside a brand-new list item) stay in the
 * result, as they do in apimachinery; the server then drops them while decoding into its Go types.
 * `normalizeStoredObject` in fake-normalize.ts plays that decoding role for the fake.
 */
import { CharmkitError } from '../core/errors.js';
import { isPlainObject, type JsonObject, type JsonValue } from '../core/json.js';
import {
  fieldPatchMeta,
  mergeStrategyOf,
  type PatchMetadataTable,
} from './strategic-merge-metadata.js';

export type { JsonObject };

/**
 * A patch the server would refuse. `code` is the HTTP status the real API server answers with:
 * 400 for malformed directives, 422 for lists of lists and retainKeys mismatches, 500 for the
 * errors apimachinery does not classify (an unknown `$patch` value, a list item without its merge
 * key) — the server reports those as internal errors, and so does the fake.
 */
export class StrategicMergePatchError extends CharmkitError {
  override readonly name = 'StrategicMergePatchError';
  readonly remedy = 'fix' as const;
  constructor(
    message: string,
    /** The HTTP status the API server answers this patch with. */
    readonly code: 400 | 422 | 500,
  ) {
    super(message);
  }
}

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/** Where in the schema a value sits: the definition name, or undefined when unknown. */
type Definition = string | undefined;

/** What the list elements are: maps are merged by key, scalars are unioned. */
type ElementKind = 'map' | 'scalar';

/**
 * Applies `patch` to `original` and returns the result; neither argument is modified.
 *
 * `definition` names the schema type of `original` (see `definitionForKind`); without one every
 * map is merged and every list replaced, which is JSON merge patch plus the directives.
 */
export function strategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  table: PatchMetadataTable,
  definition?: string,
): JsonObject {
  if (!isPlainObject(patch)) {
    throw new StrategicMergePatchError('a strategic merge patch must be a JSON object', 400);
  }
  const merger = new Merger(table);
  return merger.mergeMap(clone(original), clone(patch), definition);
}

class Merger {
  constructor(private readonly table: PatchMetadataTable) {}

  mergeMap(original: JsonObject | undefined, patch: JsonObject, def: Definition): JsonObject {
    if (Object.hasOwn(patch, DIRECTIVE)) return mapDirective(patch);
    const target: JsonObject = original ?? {};
    applyRetainKeys(target, patch);
    this.applySetElementOrder(target, patch, def);

    for (const rawKey of Object.keys(patch)) {
      const patchValue = patch[rawKey] as JsonValue;
      let key = rawKey;
      let isDeleteList = false;
      if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
        key = fieldOfDirective(rawKey, DELETE_FROM_PRIMITIVE_LIST);
        isDeleteList = true;
      }
      if (patchValue === null) {
        delete target[key];
        continue;
      }
      const current = target[key];
      if (current === undefined || kindOf(current) !== kindOf(patchValue)) {
        // Absent (or of another JSON type): the patch value wins, minus nulls and directives.
        if (!isDeleteList) takePatchValue(target, key, patchValue);
        continue;
      }
      const meta = fieldPatchMeta(this.table, def, key);
      const strategy = mergeStrategyOf(meta);
      if (isPlainObject(current) && isPlainObject(patchValue)) {
        target[key] =
          strategy === 'replace' ? patchValue : this.mergeMap(current, patchValue, meta?.ref);
      } else if (Array.isArray(current) && Array.isArray(patchValue)) {
        target[key] =
          strategy === 'merge'
            ? this.mergeList(current, patchValue, meta?.ref, meta?.key ?? '', isDeleteList)
            : patchValue;
      } else {
        takePatchValue(target, key, patchValue);
      }
    }
    return target;
  }

  /** Merges a list whose field has the `merge` strategy. */
  private mergeList(
    original: JsonValue[],
    patch: JsonValue[],
    itemDef: Definition,
    mergeKey: string,
    isDeleteList: boolean,
  ): JsonValue[] {
    if (original.length === 0 && patch.length === 0) return original;
    const kind = elementKind(original, patch);
    let base = original;
    let effectivePatch = patch;
    let merged: JsonValue[];
    if (kind === 'scalar') {
      if (isDeleteList) return original.filter((v) => !patch.includes(v));
      merged = uniqueScalars([...original, ...patch]);
    } else {
      if (mergeKey === '') {
        throw new StrategicMergePatchError('cannot merge a list of maps without a merge key', 500);
      }
      [base, effectivePatch] = applyListDirectives(original, patch, mergeKey);
      merged = this.mergeItems(base, effectivePatch, mergeKey, itemDef);
    }
    const [patchItems, serverOnly] = partition(merged, effectivePatch, mergeKey, kind);
    return normalizeOrder(patchItems, serverOnly, effectivePatch, base, mergeKey, kind);
  }

  /** Merges each patch item into the base item with the same key, or appends it. */
  private mergeItems(
    base: JsonValue[],
    patch: JsonValue[],
    mergeKey: string,
    itemDef: Definition,
  ): JsonValue[] {
    const out = [...base];
    for (const item of patch) {
      const patchItem = item as JsonObject;
      if (!Object.hasOwn(patchItem, mergeKey)) throw noMergeKey(patchItem, mergeKey);
      const index = indexByKey(out, mergeKey, patchItem[mergeKey] as JsonValue);
      if (index >= 0) {
        out[index] = this.mergeMap(out[index] as JsonObject, patchItem, itemDef);
      } else {
        out.push(patchItem);
      }
    }
    return out;
  }

  /**
   * Handles every `$setElementOrder/<field>` in `patch`: merges that field's list now and orders
   * the result by the directive (then the patch, then the server), removing both from `patch`.
   */
  private applySetElementOrder(target: JsonObject, patch: JsonObject, def: Definition): void {
    for (const directiveKey of Object.keys(patch)) {
      if (!directiveKey.startsWith(SET_ELEMENT_ORDER)) continue;
      const order = patch[directiveKey];
      delete patch[directiveKey];
      if (!Array.isArray(order)) {
        throw new StrategicMergePatchError(`${directiveKey} must be a list`, 500);
      }
      const field = fieldOfDirective(directiveKey, SET_ELEMENT_ORDER);
      const originalList = listOrUndefined(target, field);
      const patchList = listOrUndefined(patch, field);
      const meta = fieldPatchMeta(this.table, def, field);
      const mergeKey = meta?.key ?? '';
      validateSetElementOrder(patchList ?? [], order, mergeKey);

      let merged: JsonValue[];
      if (originalList !== undefined && patchList === undefined) {
        merged = originalList;
      } else if (originalList === undefined && patchList !== undefined) {
        merged = removeDirectives(patchList)[0] as JsonValue[];
      } else if (originalList !== undefined && patchList !== undefined) {
        merged =
          mergeStrategyOf(meta) === 'merge'
            ? this.mergeList(originalList, patchList, meta?.ref, mergeKey, false)
            : patchList;
      } else {
        continue;
      }
      const kind = elementKind(originalList ?? [], patchList ?? []);
      const [ordered, serverOnly] = partition(merged, order, mergeKey, kind);
      target[field] = normalizeOrder(
        ordered,
        serverOnly,
        order,
        originalList ?? [],
        mergeKey,
        kind,
      );
      delete patch[field];
    }
  }
}

/** `$patch` on a map: `replace` keeps the patch as the new value, `delete` leaves `{}`. */
function mapDirective(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return patch;
  }
  if (directive === 'delete') return {};
  throw new StrategicMergePatchError(
    `unknown patch type: ${goString(directive)} in map: ${goString(patch)}`,
    500,
  );
}

/**
 * `$retainKeys: [...]`: drops every key of the live map that is not listed. Every key the patch
 * sets must be listed too, or the patch contradicts itself (the server answers 400).
 */
function applyRetainKeys(target: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const retain = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(retain)) {
    throw new StrategicMergePatchError('invalid patch format of retainKeys', 400);
  }
  const keep = new Set<JsonValue>(retain);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST) || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep.has(key)) {
      throw new StrategicMergePatchError('invalid patch format of retainKeys', 400);
    }
  }
  for (const key of Object.keys(target)) {
    if (!keep.has(key)) delete target[key];
  }
}

/**
 * Elements of a merging list that carry `$patch`: `delete` removes every live item with that key,
 * `replace` makes the rest of the patch list the whole new list. Returns the new base list and the
 * patch without those elements.
 */
function applyListDirectives(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  let base = original;
  const plain: JsonValue[] = [];
  let replace = false;
  for (const item of patch) {
    const element = item as JsonObject;
    if (!Object.hasOwn(element, DIRECTIVE)) {
      plain.push(element);
      continue;
    }
    const directive = element[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(element, mergeKey)) throw noMergeKey(element, mergeKey);
      const doomed = element[mergeKey];
      base = base.filter((live) => !(isPlainObject(live) && live[mergeKey] === doomed));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw new StrategicMergePatchError('merging lists cannot yet be specified in the patch', 500);
    } else {
      throw new StrategicMergePatchError(
        `unknown patch type: ${goString(directive)} in map: ${goString(element)}`,
        500,
      );
    }
  }
  return replace ? [plain, []] : [base, plain];
}

/**
 * Checks that the items of a patch list appear in the same relative order in its
 * `$setElementOrder` list (deletions excepted), as the server does before trusting the order.
 */
function validateSetElementOrder(
  patchList: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items =
    mergeKey === ''
      ? patchList
      : patchList.filter((item) => !(isPlainObject(item) && item[DIRECTIVE] === 'delete'));
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    const item = items[p] as JsonValue;
    if (isPlainObject(item) && Object.hasOwn(item, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameItem(item, order[o] as JsonValue, mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw new StrategicMergePatchError(
      `The order in patch list:\n${goString(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goString(order)}\n`,
      500,
    );
  }
}

function sameItem(left: JsonValue, right: JsonValue, mergeKey: string): boolean {
  if (mergeKey === '') return left === right;
  if (!isPlainObject(left) || !isPlainObject(right)) {
    throw new StrategicMergePatchError(`expected maps in a list merged by ${mergeKey}`, 500);
  }
  if (!Object.hasOwn(left, mergeKey)) throw noMergeKey(left, mergeKey);
  if (!Object.hasOwn(right, mergeKey)) throw noMergeKey(right, mergeKey);
  return left[mergeKey] === right[mergeKey];
}

/** Splits `merged` into the items present in `by` and the server-only rest, keeping order. */
function partition(
  merged: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): [JsonValue[], JsonValue[]] {
  const inPatch: JsonValue[] = [];
  const serverOnly: JsonValue[] = [];
  for (const item of merged) {
    let present: boolean;
    if (kind === 'scalar' || mergeKey === '') {
      present = by.includes(item);
    } else {
      if (!isPlainObject(item) || !Object.hasOwn(item, mergeKey)) {
        throw noMergeKey(item, mergeKey);
      }
      present = indexByKey(by, mergeKey, item[mergeKey] as JsonValue) >= 0;
    }
    (present ? inPatch : serverOnly).push(item);
  }
  return [inPatch, serverOnly];
}

/**
 * Sorts the patch items by `patchOrder` and the server-only items by `serverOrder`, then
 * interleaves them: a server-only item goes first only when both are known to the server and it
 * came first there. Items the server never had therefore precede the remaining server-only items.
 */
function normalizeOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey, kind);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) {
      out.push(left[i++] as JsonValue);
    } else if (i >= left.length) {
      out.push(right[j++] as JsonValue);
    } else {
      const li = position(serverOrder, left[i] as JsonValue, mergeKey, kind);
      const ri = position(serverOrder, right[j] as JsonValue, mergeKey, kind);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue);
      else out.push(right[j++] as JsonValue);
    }
  }
  return out;
}

/**
 * Stable sort of `items` by their position in `order`; `$patch: delete` items go last. An item
 * missing from `order` compares as "less", like the comparator apimachinery hands Go's stable
 * insertion sort — irrelevant for valid patches, where every item is found.
 */
function sortByOrder(
  items: JsonValue[],
  order: JsonValue[],
  mergeKey: string,
  kind: ElementKind,
): JsonValue[] {
  let toSort = items;
  let deletions: JsonValue[] = [];
  if (kind === 'map') {
    for (const item of [...items, ...order]) {
      if (!isPlainObject(item) || !Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    }
    toSort = items.filter((item) => (item as JsonObject)[DIRECTIVE] !== 'delete');
    deletions = items.filter((item) => (item as JsonObject)[DIRECTIVE] === 'delete');
  }
  const sorted = [...toSort];
  const less = (a: JsonValue, b: JsonValue): boolean => {
    const ia = position(order, a, mergeKey, kind);
    const ib = position(order, b, mergeKey, kind);
    return ia >= 0 && ib >= 0 ? ia < ib : true;
  };
  for (let n = 1; n < sorted.length; n++) {
    for (let m = n; m > 0 && less(sorted[m] as JsonValue, sorted[m - 1] as JsonValue); m--) {
      const swap = sorted[m] as JsonValue;
      sorted[m] = sorted[m - 1] as JsonValue;
      sorted[m - 1] = swap;
    }
  }
  return [...sorted, ...deletions];
}

/** Index of `value` in `list`, comparing merge-key values for maps and values for scalars. */
function position(
  list: JsonValue[],
  value: JsonValue,
  mergeKey: string,
  kind: ElementKind,
): number {
  if (kind === 'scalar') return list.indexOf(value);
  const wanted = isPlainObject(value) ? value[mergeKey] : undefined;
  return list.findIndex((item) => (isPlainObject(item) ? item[mergeKey] : undefined) === wanted);
}

function indexByKey(list: JsonValue[], mergeKey: string, value: JsonValue): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isPlainObject(item))
      throw new StrategicMergePatchError(`value for key ${i} is not a map.`, 500);
    if (Object.hasOwn(item, mergeKey) && item[mergeKey] === value) return i;
  }
  return -1;
}

/** What the items of the given lists are; mixing maps and scalars, or nesting lists, is refused. */
function elementKind(...lists: JsonValue[][]): ElementKind {
  let seen: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const kind = kindOf(item);
      if (seen === undefined) {
        if (kind === 'array') {
          throw new StrategicMergePatchError('lists of lists are not supported', 422);
        }
        seen = kind;
      } else if (seen !== kind) {
        throw new StrategicMergePatchError(
          `list element types are not identical: ${goString(lists)}`,
          500,
        );
      }
    }
  }
  if (seen === undefined) {
    throw new StrategicMergePatchError('no elements in any of the given slices', 500);
  }
  return seen === 'object' ? 'map' : 'scalar';
}

/** The JSON type of a value, the granularity at which the server decides "same type". */
function kindOf(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** The field a `$setElementOrder/<field>` or `$deleteFromPrimitiveList/<field>` key is about. */
function fieldOfDirective(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    throw new StrategicMergePatchError(
      prefix === SET_ELEMENT_ORDER
        ? 'invalid patch format of setElementOrder list'
        : 'invalid patch format of primitive list',
      400,
    );
  }
  return key.slice(slash + 1);
}

function listOrUndefined(map: JsonObject, field: string): JsonValue[] | undefined {
  if (!Object.hasOwn(map, field)) return undefined;
  const value = map[field];
  if (!Array.isArray(value)) {
    throw new StrategicMergePatchError(
      `expected a []interface {}, but received a ${goKind(value as JsonValue)}`,
      500,
    );
  }
  return value;
}

/** Sets `target[key]` from a patch value that has nothing to merge with. */
function takePatchValue(target: JsonObject, key: string, patchValue: JsonValue): void {
  discardNulls(patchValue);
  const [value, keep] = removeDirectives(patchValue);
  if (keep) target[key] = value;
  else delete target[key];
}

/** Drops `null` map values at every depth: there is nothing for them to delete. */
function discardNulls(value: JsonValue): void {
  if (Array.isArray(value)) {
    for (const item of value) discardNulls(item);
  } else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (child === null) delete value[key];
      else discardNulls(child);
    }
  }
}

/** Removes every map carrying `$patch` (and the list items that are such maps). */
function removeDirectives(value: JsonValue): [JsonValue, boolean] {
  if (Array.isArray(value)) {
    const kept: JsonValue[] = [];
    for (const item of value) {
      const [next, keep] = removeDirectives(item);
      if (keep) kept.push(next);
    }
    return [kept, true];
  }
  if (isPlainObject(value)) {
    if (Object.hasOwn(value, DIRECTIVE)) return [null, false];
    for (const [key, child] of Object.entries(value)) {
      const [next, keep] = removeDirectives(child);
      if (keep) value[key] = next;
      else delete value[key];
    }
  }
  return [value, true];
}

function uniqueScalars(values: JsonValue[]): JsonValue[] {
  return values.filter((value, index) => values.indexOf(value) === index);
}

function noMergeKey(item: JsonValue | undefined, mergeKey: string): StrategicMergePatchError {
  return new StrategicMergePatchError(
    `map: ${goString(item ?? null)} does not contain declared merge key: ${mergeKey}`,
    500,
  );
}

/**
 * A value as Go's `%v` prints it (`map[a:1 b:[x y]]`), so the fake's 500 messages read like the
 * server's: apimachinery formats the offending patch fragment that way.
 */
export function goString(value: JsonValue | undefined): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goString).join(' ')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `map[${keys.map((k) => `${k}:${goString(value[k])}`).join(' ')}]`;
  }
  return String(value);
}

function goKind(value: JsonValue): string {
  if (isPlainObject(value)) return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  return value === null ? '<nil>' : 'string';
}

function clone<T extends JsonValue>(value: T): T {
  return structuredClone(value);
}
