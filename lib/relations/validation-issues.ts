/**
 * Turns ajv's validation errors into field issues a user can act on.
 *
 * ajv reports `instancePath: "/options/size", message: "must be integer"`; a blocked status needs
 * `options.size: must be integer`, one line per field, no duplicates, with missing and unexpected
 * keys named as fields too. Values are never quoted: relation data may carry secrets, and these
 * messages end up in `juju status`.
 */
import type { ErrorObject } from 'ajv';
import type { FieldIssue } from './errors.js';

/** Converts ajv errors to issues, skipping fields whose decoding already failed. */
export function issuesFromAjv(
  errors: readonly ErrorObject[] | null | undefined,
  skipFields: ReadonlySet<string> = new Set(),
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    // `if` only says "must match then/else"; the branch's own errors say what is wrong.
    if (error.keyword === 'if') continue;
    const segments = pointerSegments(error.instancePath);
    const extra = namedChild(error);
    if (extra !== undefined) segments.push(extra);
    const top = segments[0];
    if (top !== undefined && skipFields.has(top)) continue;
    const issue = { field: formatPath(segments), reason: reasonFor(error) };
    const key = `${issue.field}\u0000${issue.reason}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
  }
  return issues;
}

/** The child a `required`/`additionalProperties`-style error is really about. */
function namedChild(error: ErrorObject): string | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' || error.keyword === 'dependentRequired') {
    return typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
  }
  if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
    const name = params.additionalProperty ?? params.unevaluatedProperty;
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}

/**
 * The patterns our interface schemas use, in words. A status that quotes a regular expression asks
 * the reader to run it in their head; these say what the value must be. A pattern not listed here
 * is quoted as it is.
 */
const PATTERN_WORDS: ReadonlyMap<string, string> = new Map([
  ['^/', 'must be an absolute path'],
  ['^/[^\\u0000]*$', 'must be an absolute path'],
  [
    '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a ' +
      'letter or digit',
  ],
  [
    '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    'must be a DNS-1123 name: lowercase letters, digits, "-" and ".", each part starting and ' +
      'ending with a letter or digit',
  ],
  [
    '^\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$',
    'must be a Kubernetes quantity such as 100Gi or 500M',
  ],
]);

function reasonFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
    case 'dependentRequired':
      return 'is required';
    case 'additionalProperties':
    case 'unevaluatedProperties':
      return 'is not a field of this interface';
    case 'enum':
      return Array.isArray(params.allowedValues)
        ? `must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(', ')}`
        : 'must be one of the allowed values';
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}`;
    case 'pattern': {
      const pattern = typeof params.pattern === 'string' ? params.pattern : '';
      return PATTERN_WORDS.get(pattern) ?? `must match the pattern ${JSON.stringify(pattern)}`;
    }
    default:
      return error.message ?? `fails "${error.keyword}"`;
  }
}

function pointerSegments(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `["options", "size"]` → `options.size`; `["paths", "0"]` → `paths[0]`; `[]` → `(bag)`. */
function formatPath(segments: readonly string[]): string {
  if (segments.length === 0) return '(bag)';
  const [first, ...rest] = segments;
  return rest.reduce(
    (path, segment) => (/^\d+$/.test(segment) ? `${path}[${segment}]` : `${path}.${segment}`),
    first ?? '',
  );
}
