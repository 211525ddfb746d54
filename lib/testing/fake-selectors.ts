/**
 * Label and field selectors as the API server understands them, for `FakeCluster.list`/`watch`.
 *
 * Selector semantics have sharp edges a controller can trip on — `app!=web` also matches objects
 * without an `app` label, a field selector on an unsupported field is a 400 rather than "no
 * match" — so the fake parses and matches them the server's way instead of by substring.
 */
import { CharmkitError } from '../core/errors.js';
import type { KubeObject } from '../kube/types.js';

/** A malformed selector; the fake answers it with 400 BadRequest like the server. */
export class SelectorError extends CharmkitError {
  override readonly name = 'SelectorError';
  readonly remedy = 'fix' as const;
}

type LabelOperator = 'in' | 'notin' | 'exists' | '!exists';

/** One parsed label requirement (`a=b` is `in [b]`, `a!=b` is `notin [b]`). */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

const KEY = /^([A-Za-z0-9][-A-Za-z0-9_.]*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside `( )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  terms.push(current);
  return terms.map((t) => t.trim());
}

function checkKey(key: string, term: string): string {
  if (!KEY.test(key))
    throw new SelectorError(`unable to parse requirement: invalid label key "${key}" in "${term}"`);
  return key;
}

function checkValue(value: string, term: string): string {
  if (!VALUE.test(value) || value.length > 63) {
    throw new SelectorError(
      `unable to parse requirement: invalid label value "${value}" in "${term}"`,
    );
  }
  return value;
}

/** Parses `app=web,tier in (a,b),!legacy`; the empty selector selects everything. */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  return splitTerms(selector).map((term) => {
    if (term === '')
      throw new SelectorError(`unable to parse requirement: empty term in "${selector}"`);
    const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(term);
    if (set) {
      // `in ()` is accepted by the server and matches nothing (`notin ()` everything).
      const inner = (set[3] ?? '').trim();
      const values = inner === '' ? [] : inner.split(',').map((v) => v.trim());
      return {
        key: checkKey(set[1] ?? '', term),
        operator: set[2] as 'in' | 'notin',
        values: values.map((v) => checkValue(v, term)),
      };
    }
    const equality = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (equality) {
      return {
        key: checkKey(equality[1] ?? '', term),
        operator: equality[2] === '!=' ? 'notin' : 'in',
        values: [checkValue(equality[3] ?? '', term)],
      };
    }
    if (term.startsWith('!')) {
      return { key: checkKey(term.slice(1).trim(), term), operator: '!exists', values: [] };
    }
    if (/^\S+$/.test(term)) return { key: checkKey(term, term), operator: 'exists', values: [] };
    throw new SelectorError(`unable to parse requirement: "${term}"`);
  });
}

/** Whether `labels` satisfy every requirement. */
export function matchesLabels(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  return requirements.every(({ key, operator, values }) => {
    const has = labels !== undefined && Object.hasOwn(labels, key);
    const value = has ? labels[key] : undefined;
    switch (operator) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && values.includes(value as string);
      case 'notin':
        return !has || !values.includes(value as string);
    }
  });
}

/** One parsed field requirement. */
export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

/** Fields every kind supports. */
const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/**
 * Kinds with their own field-label conversion in kube-apiserver v1.37, and the fields each adds.
 * Other kinds support only the common fields.
 */
const KIND_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'v1/Pod': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  'v1/Event': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  'v1/Secret': ['type'],
  'v1/Service': ['spec.clusterIP', 'spec.type'],
  'v1/Namespace': ['status.phase'],
  'v1/Node': ['spec.unschedulable'],
  'batch/v1/Job': ['status.successful'],
};

/** Parses `metadata.name=web,status.phase!=Running` for a kind, refusing unsupported fields. */
export function parseFieldSelector(
  selector: string | undefined,
  apiVersion: string,
  kind: string,
): FieldRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  const supported = [...COMMON_FIELDS, ...(KIND_FIELDS[`${apiVersion}/${kind}`] ?? [])];
  return splitTerms(selector).map((term) => {
    const match = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!match)
      throw new SelectorError(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = match[1] ?? '';
    if (!supported.includes(field)) {
      // Kinds with their own field labels word it one way, the rest another (as the server does).
      const key = `${apiVersion}/${kind}`;
      throw new SelectorError(
        key === 'batch/v1/Job'
          ? `field label "${field}" not supported for Job`
          : KIND_FIELDS[key] !== undefined
            ? `field label not supported: ${field}`
            : `"${field}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
      );
    }
    return { field, equal: match[2] !== '!=', value: unescape(match[3] ?? '') };
  });
}

function unescape(value: string): string {
  return value.replace(/\\(.)/g, '$1');
}

/** The string the server compares a field selector against; absent fields compare as `''`. */
export function fieldValue(object: KubeObject, field: string): string {
  if (field === 'source') {
    const source = (object as { source?: { component?: string } }).source;
    return source?.component ?? '';
  }
  let current: unknown = object;
  for (const part of field.split('.')) {
    if (typeof current !== 'object' || current === null) return '';
    current = (current as Record<string, unknown>)[part];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : String(current);
}

/** Whether `object` satisfies every field requirement. */
export function matchesFields(
  requirements: readonly FieldRequirement[],
  object: KubeObject,
): boolean {
  return requirements.every(
    ({ field, equal, value }) => (fieldValue(object, field) === value) === equal,
  );
}

/** What a list or watch selects: parsed label and field selectors, and a namespace. */
export interface ObjectFilter {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
  namespace?: string;
}

/** Parses the selectors of a list or watch of one type (throws `SelectorError` when malformed). */
export function objectFilter(
  type: { apiVersion: string; kind: string },
  options: { labelSelector?: string; fieldSelector?: string; namespace?: string },
): ObjectFilter {
  const filter: ObjectFilter = {
    labels: parseLabelSelector(options.labelSelector),
    fields: parseFieldSelector(options.fieldSelector, type.apiVersion, type.kind),
  };
  if (options.namespace !== undefined) filter.namespace = options.namespace;
  return filter;
}

/** Whether `object` is in the filter's namespace and satisfies its selectors. */
export function matchesFilter(filter: ObjectFilter, object: KubeObject): boolean {
  if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace)
    return false;
  return (
    matchesLabels(filter.labels, object.metadata.labels) && matchesFields(filter.fields, object)
  );
}
