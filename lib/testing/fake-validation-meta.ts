/**
 * Validation of the metadata-like values every kind shares, for `FakeCluster`: object names,
 * labels and label selectors, port names and numbers. Worded exactly as kube-apiserver v1.37 words
 * them, since a controller shows these messages in its status.
 */
import { isPlainObject } from '../core/json.js';
import type { KubeObject } from '../kube/types.js';
import { forbidden, invalid, required, type FieldError } from './fake-errors.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const SUBDOMAIN_HINT =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', " +
  "and must start and end with an alphanumeric character (e.g. 'example.com', regex used for " +
  "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_HINT =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and " +
  "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used " +
  "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_HINT =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' " +
  "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or " +
  "'my_value',  or '12345', regex used for validation is " +
  "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const NAME_PART_HINT =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end " +
  "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for " +
  "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['v1/Namespace', 'v1/Service', 'apps/v1/StatefulSet']);

/** `metadata.name` of a new object: required, a DNS subdomain or (for some kinds) label. */
export function validateName(object: KubeObject): FieldError[] {
  const name = object.metadata.name;
  if (name === undefined || name === '') {
    return [required('metadata.name', 'name or generateName is required')];
  }
  if (LABEL_NAMED.has(`${object.apiVersion}/${object.kind}`)) {
    return dnsLabelErrors(name).map((detail) => invalid('metadata.name', name, detail));
  }
  if (!DNS_SUBDOMAIN.test(name)) return [invalid('metadata.name', name, SUBDOMAIN_HINT)];
  if (name.length > 253)
    return [invalid('metadata.name', name, 'must be no more than 253 characters')];
  return [];
}

/** What is wrong with `value` as a DNS-1123 label (a Service or port name...). */
export function dnsLabelErrors(value: string): string[] {
  if (value.length > 63) return ['must be no more than 63 characters'];
  if (DNS_LABEL.test(value)) return [];
  if (value.includes('.') && DNS_SUBDOMAIN.test(value)) return ['must not contain dots'];
  return [LABEL_HINT];
}

/** `metadata.labels`: keys and values the server accepts. */
export function validateLabels(object: KubeObject): FieldError[] {
  return labelMapErrors(object.metadata.labels, 'metadata.labels');
}

/** Errors of a label map (metadata labels, a selector's `matchLabels`, a Service selector). */
export function labelMapErrors(labels: unknown, path: string): FieldError[] {
  if (!isPlainObject(labels)) return [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels)) {
    errors.push(...labelKeyErrors(key, path));
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) {
      errors.push(invalid(path, value, LABEL_VALUE_HINT));
    }
  }
  return errors;
}

function labelKeyErrors(key: string, path: string): FieldError[] {
  const slash = key.lastIndexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (name === '') return [invalid(path, key, 'name part must be non-empty')];
  if (!NAME_PART.test(name)) return [invalid(path, key, NAME_PART_HINT)];
  return [];
}

/** Errors of a `metav1.LabelSelector` at `path` (matchLabels, then matchExpressions). */
export function labelSelectorErrors(selector: unknown, path: string): FieldError[] {
  if (!isPlainObject(selector)) return [];
  const errors = labelMapErrors(selector.matchLabels, `${path}.matchLabels`);
  const expressions = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
  expressions.forEach((expression, i) => {
    if (!isPlainObject(expression)) return;
    const at = `${path}.matchExpressions[${i}]`;
    const values = Array.isArray(expression.values) ? expression.values : [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errors.push(
            required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errors.push(
            forbidden(
              `${at}.values`,
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errors.push(
          invalid(`${at}.operator`, expression.operator, 'not a valid selector operator'),
        );
    }
    errors.push(...labelKeyErrors(String(expression.key ?? ''), `${at}.key`));
    values.forEach((value, j) => {
      if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) {
        errors.push(invalid(`${at}.values[${j}]`, value, LABEL_VALUE_HINT));
      }
    });
  });
  return errors;
}

/** `validation.IsValidPortNum`: 1-65535. */
export function portNumberErrors(value: number): string[] {
  return value >= 1 && value <= 65535 ? [] : ['must be between 1 and 65535, inclusive'];
}

/** `validation.IsValidPortName`: an IANA service name (as a port name or named target port). */
export function portNameErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 15) errors.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(value)) {
    errors.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  }
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) {
    errors.push('must not begin or end with a hyphen');
  }
  return errors;
}
