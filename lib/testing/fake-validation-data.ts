/**
 * Validation of ConfigMaps and Secrets, for `FakeCluster`: a ConfigMap's keys of `data` and `binaryData`
 * (the config-key character set, at most 253 characters, not `.` or `..` nor starting with `..`, no
 * key in both maps) and its 1 MiB total, and for both kinds `immutable` (once true, neither it nor
 * the data may change). Worded as kube-apiserver v1.37 words it.
 */
import { isPlainObject, jsonEqual } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import { forbidden, invalid, tooLong, type FieldError } from './fake-errors.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_HINT =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. " +
  "'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const MAX_BYTES = 1024 * 1024;

/** Errors of a ConfigMap's `data` and `binaryData` on their own. */
export function validateConfigMapData(object: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const data = isPlainObject(object.data) ? object.data : {};
  const binary = isPlainObject(object.binaryData) ? object.binaryData : {};
  let bytes = 0;
  for (const [field, map] of [
    ['data', data],
    ['binaryData', binary],
  ] as const) {
    for (const [key, value] of Object.entries(map)) {
      const at = `${field}[${key}]`;
      errors.push(...configKeyErrors(key).map((detail) => invalid(at, key, detail)));
      if (field === 'data' && key in binary) {
        errors.push(invalid(at, key, 'duplicate of key present in binaryData'));
      }
      if (typeof value === 'string') {
        bytes += field === 'data' ? Buffer.byteLength(value) : Buffer.from(value, 'base64').length;
      }
    }
  }
  if (bytes > MAX_BYTES) errors.push(tooLong('[]', MAX_BYTES));
  return errors;
}

function configKeyErrors(key: string): string[] {
  const errors: string[] = [];
  if (key.length > 253) errors.push('must be no more than 253 characters');
  if (!CONFIG_KEY.test(key)) errors.push(CONFIG_KEY_HINT);
  if (key === '.') errors.push("must not be '.'");
  else if (key === '..') errors.push("must not be '..'");
  else if (key.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** On update: with `immutable: true` stored, neither `immutable` nor the data may change. */
export function validateImmutableData(object: KubeObject, old: KubeObject): FieldError[] {
  if (old.immutable !== true) return [];
  const errors: FieldError[] = [];
  if (object.immutable !== true) {
    errors.push(forbidden('immutable', 'field is immutable when `immutable` is set'));
  }
  if (!jsonEqual(object.data, old.data) || !jsonEqual(object.binaryData, old.binaryData)) {
    errors.push(forbidden('data', 'field is immutable when `immutable` is set'));
  }
  return errors;
}
