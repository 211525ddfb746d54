/**
 * The failure Statuses `FakeCluster` answers with, worded and shaped like the API server's.
 *
 * Controllers branch on `code`/`reason` and surface `message` in a charm status, so a fake that
 * said "not found" where the server says `statefulsets.apps "web" not found` would let a test
 * pass that the real cluster would fail (and vice versa). Every failure goes through
 * `kubeError`, which builds the same `KubernetesError` class the real adapter throws, so
 * `isNotFound(err)`, `isConflict(err)`... work identically on both.
 */
import { CharmkitError, type Remedy } from '../core/errors.js';
import { KubernetesError, type KubeRequestInfo, type KubeStatusCause } from '../kube/errors.js';
import type { KubeStatus } from '../kube/types.js';

/** Names an object the way Status messages do: resource plural, group, kind and name. */
export interface StatusSubject {
  /** REST plural, e.g. `statefulsets`. */
  resource: string;
  /** API group, `''` for core. */
  group: string;
  /** Kind, e.g. `StatefulSet` (422 messages use the kind, 404/409 the resource). */
  kind: string;
  name?: string;
}

/** The error the fake throws for `status`, exactly the class the real adapter throws. */
export function kubeError(status: KubeStatus, request: KubeRequestInfo): KubernetesError {
  return new KubernetesError(status, request);
}

function failure(
  code: number,
  reason: string | undefined,
  message: string,
  details?: KubeStatus['details'],
): KubeStatus {
  const status: KubeStatus = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code };
  if (reason) status.reason = reason;
  if (details) status.details = details;
  return status;
}

/** `statefulsets.apps` / `configmaps`: how 404 and 409 messages name a resource. */
export function qualifiedResource(subject: StatusSubject): string {
  return subject.group ? `${subject.resource}.${subject.group}` : subject.resource;
}

function resourceDetails(subject: StatusSubject): NonNullable<KubeStatus['details']> {
  const details: NonNullable<KubeStatus['details']> = { kind: subject.resource };
  if (subject.name !== undefined) details.name = subject.name;
  if (subject.group) details.group = subject.group;
  return details;
}

/** 404 NotFound: `statefulsets.apps "web" not found`. */
export function notFoundStatus(subject: StatusSubject): KubeStatus {
  return failure(
    404,
    'NotFound',
    `${qualifiedResource(subject)} "${subject.name ?? ''}" not found`,
    resourceDetails(subject),
  );
}

/** 409 AlreadyExists: `configmaps "settings" already exists`. */
export function alreadyExistsStatus(subject: StatusSubject): KubeStatus {
  return failure(
    409,
    'AlreadyExists',
    `${qualifiedResource(subject)} "${subject.name ?? ''}" already exists`,
    resourceDetails(subject),
  );
}

/** The server's text for a replace or patch carrying a stale resourceVersion. */
export const STALE_OBJECT_DETAIL =
  'the object has been modified; please apply your changes to the latest version and try again';

/** 409 Conflict: `Operation cannot be fulfilled on statefulsets.apps "web": <detail>`. */
export function conflictStatus(subject: StatusSubject, detail: string): KubeStatus {
  return failure(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedResource(subject)} "${subject.name ?? ''}": ${detail}`,
    resourceDetails(subject),
  );
}

/** One field error of a 422, in the apimachinery `field.Error` vocabulary. */
export interface FieldError {
  /** The apimachinery cause type. */
  reason:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueDuplicate'
    | 'FieldValueNotFound'
    | 'FieldValueForbidden'
    | 'FieldValueNotSupported'
    | 'FieldValueTooLong';
  /** Path like `spec.template.spec.containers[0].image`. */
  field: string;
  /** The text after the field, e.g. `Required value` or `Duplicate value: "app"`. */
  message: string;
}

/** `Required value[: detail]`. */
export function required(field: string, detail?: string): FieldError {
  return {
    reason: 'FieldValueRequired',
    field,
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

/** `Invalid value: <value>: detail`. */
export function invalid(field: string, value: unknown, detail: string): FieldError {
  return {
    reason: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${formatValue(value)}: ${detail}`,
  };
}

/** `Duplicate value: <value>`. */
export function duplicate(field: string, value: unknown): FieldError {
  return {
    reason: 'FieldValueDuplicate',
    field,
    message: `Duplicate value: ${formatValue(value)}`,
  };
}

/** `Not found: <value>`. */
export function notFoundField(field: string, value: unknown): FieldError {
  return { reason: 'FieldValueNotFound', field, message: `Not found: ${formatValue(value)}` };
}

/** `Forbidden: detail`. */
export function forbidden(field: string, detail: string): FieldError {
  return { reason: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
}

/** `Unsupported value: "x": supported values: "a", "b"`. */
export function notSupported(
  field: string,
  value: unknown,
  supported: readonly string[],
): FieldError {
  return {
    reason: 'FieldValueNotSupported',
    field,
    message: `Unsupported value: ${formatValue(value)}: supported values: ${supported
      .map((v) => JSON.stringify(v))
      .join(', ')}`,
  };
}

/** `Too long: may not be more than <n> bytes`. */
export function tooLong(field: string, maxBytes: number): FieldError {
  return {
    reason: 'FieldValueTooLong',
    field,
    message: `Too long: may not be more than ${maxBytes} bytes`,
  };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  return JSON.stringify(value);
}

/**
 * 422 Invalid: `StatefulSet.apps "web" is invalid: spec.template.spec.containers[0].image:
 * Required value` (several errors are listed in brackets, as the server does).
 */
export function invalidStatus(subject: StatusSubject, errors: readonly FieldError[]): KubeStatus {
  const qualifiedKind = subject.group ? `${subject.kind}.${subject.group}` : subject.kind;
  const texts = errors.map((e) => `${e.field}: ${e.message}`);
  const summary = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  const causes: KubeStatusCause[] = errors.map((e) => ({
    reason: e.reason,
    message: e.message,
    field: e.field,
  }));
  const details: NonNullable<KubeStatus['details']> = { kind: subject.kind, causes };
  if (subject.name !== undefined) details.name = subject.name;
  if (subject.group) details.group = subject.group;
  return failure(
    422,
    'Invalid',
    `${qualifiedKind} "${subject.name ?? ''}" is invalid: ${summary}`,
    details,
  );
}

/** 400 BadRequest with the server's text. */
export function badRequestStatus(message: string): KubeStatus {
  return failure(400, 'BadRequest', message);
}

/**
 * 422 from a JSON patch that could not be applied (a failed `test`, a missing path). The server's
 * own message is generic; the fake adds what went wrong as a cause so a failing test says why.
 */
export function patchNotAppliedStatus(detail: string): KubeStatus {
  return failure(422, 'Invalid', 'the server rejected our request due to an error in our request', {
    causes: [{ reason: 'UnexpectedServerResponse', message: detail }],
  });
}

/**
 * 500 without a reason: how the server reports errors it does not classify, among them several
 * malformed strategic merge patches (`$patch: merge`, a list item without its merge key).
 */
export function internalErrorStatus(message: string): KubeStatus {
  return failure(500, undefined, message);
}

/** 415: strategic merge patch on a kind without Go struct tags (custom resources). */
export function unsupportedMediaTypeStatus(): KubeStatus {
  return failure(
    415,
    'UnsupportedMediaType',
    'the body of the request was in an unknown format - accepted media types include: ' +
      'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
  );
}

/**
 * 403 in the authorizer's exact words, so `KubernetesError` derives the missing RBAC rule from
 * the fake's denials just as from a real cluster's.
 */
export function forbiddenStatus(
  subject: StatusSubject,
  user: string,
  verb: string,
  namespace: string | undefined,
  subresource?: string,
): KubeStatus {
  const target =
    subject.name !== undefined && subject.name !== ''
      ? `${qualifiedResource(subject)} "${subject.name}"`
      : qualifiedResource(subject);
  const resource = subresource ? `${subject.resource}/${subresource}` : subject.resource;
  const scope =
    namespace !== undefined ? `in the namespace "${namespace}"` : 'at the cluster scope';
  return failure(
    403,
    'Forbidden',
    `${target} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${subject.group}" ${scope}`,
    resourceDetails(subject),
  );
}

/**
 * Thrown inside the fake where the request is not at hand; `FakeCluster` turns it into a
 * `KubernetesError` for the request being served (which decides the remedy a caller sees). It never
 * leaves the fake; its own remedy only follows the same rule for completeness.
 */
export class StatusFailure extends CharmkitError {
  override readonly name = 'StatusFailure';
  readonly remedy: Remedy;
  constructor(readonly status: KubeStatus) {
    super(status.message ?? `HTTP ${status.code ?? 0}`);
    this.remedy = kubeError(status, STATUS_FAILURE_REQUEST).remedy;
  }
}

const STATUS_FAILURE_REQUEST: KubeRequestInfo = {
  verb: 'get',
  apiVersion: '',
  kind: '',
  group: '',
};

/**
 * A test that uses `FakeCluster` in a way it cannot serve: watch handlers that never stop
 * producing events, a simulation that never settles. The test (or the fake) must change.
 */
export class FakeClusterError extends CharmkitError {
  override readonly name = 'FakeClusterError';
  readonly remedy = 'fix' as const;
}

/** 404 for a subresource the kind does not have (scale, eviction... or status where absent). */
export function subresourceNotFoundStatus(): KubeStatus {
  return failure(404, 'NotFound', 'the server could not find the requested resource');
}
