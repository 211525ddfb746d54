/**
 * JSON values as an API server and a relation bag hold them, and the three questions every layer
 * asks of them: is this a plain object, are two values the same, and what is one canonical text of
 * a value (to hash it or to tell a duplicate from a conflict).
 *
 * One definition each, because two near-copies drift: an equality that skips `undefined`-valued
 * keys and one that does not give different answers for `{a: undefined}` and `{}`, and a no-op
 * check built on the wrong one sends a patch on every reconcile. Here a key whose value is
 * `undefined` is absent, exactly as `JSON.stringify` and the API server treat it.
 */

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** True for a plain object: not an array, not null. */
export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep equality of two JSON values; key order is ignored and `undefined` values count as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keysA = definedKeys(a);
    const keysB = definedKeys(b);
    return (
      keysA.length === keysB.length &&
      keysA.every((key) => b[key] !== undefined && jsonEqual(a[key], b[key]))
    );
  }
  return false;
}

/**
 * One text per JSON value whatever its key order (keys sorted, `undefined` values dropped): equal
 * values give equal texts, so the text can be hashed or compared.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function definedKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((key) => value[key] !== undefined);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isPlainObject(value)) {
    return Object.fromEntries(
      definedKeys(value)
        .sort()
        .map((key) => [key, sortKeys(value[key])]),
    );
  }
  return value;
}
