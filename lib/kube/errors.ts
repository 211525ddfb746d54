/**
 * Typed errors for everything that can go wrong between charmkit and an API server.
 *
 * The API server answers every failure with a `Status` object whose `reason` and `code` say what
 * kind of failure it was; callers branch on that (a 404 on a read means "create it", a 409 on a
 * write means "re-read and try again"), so we keep it as data instead of flattening it into a
 * string. The one message we rewrite is RBAC's 403: the server names the user and the verb, but a
 * charm author needs the Role rule that would have allowed the call, so we derive it.
 */
import { CharmkitError, type Remedy } from '../core/errors.js';
import type { RequestRecord } from './port.js';
import { groupOf, resourceInfo } from './resources.js';
import type { KubeStatus } from './types.js';

/** What a failed call was trying to do; enough to name the object in a message or status. */
export interface KubeRequestInfo {
  /** The port verb (`replace` is RBAC's `update`). */
  verb: RequestRecord['verb'];
  apiVersion: string;
  kind: string;
  /** The REST resource (plural), e.g. `statefulsets`; `undefined` for a kind we cannot map. */
  resource?: string;
  /** The API group: `''` for the core group. */
  group: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** One field-level reason the server gave, e.g. for a 422 Invalid. */
export interface KubeStatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/**
 * The RBAC rule whose absence caused a 403, in the shape of a Role/ClusterRole `rules` entry, so
 * a message can say exactly what to grant.
 */
export interface RbacRule {
  /** `Role` when the request was namespaced, `ClusterRole` at cluster scope. */
  roleKind: 'Role' | 'ClusterRole';
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

/** What the authorizer denied, parsed from the server's own 403 message. */
export interface RbacDenial {
  /** The user the server saw, e.g. `system:serviceaccount:media:radarr`. */
  user: string;
  verb: string;
  group: string;
  /** Resource plural, with `/subresource` if one was addressed. */
  resource: string;
  namespace?: string;
  name?: string;
  /** For non-resource requests (`/apis`, `/healthz`). */
  path?: string;
  /** Any text the authorizer appended (e.g. an RBAC lookup failure). */
  authorizerReason?: string;
  /** The rule that would allow the request. */
  rule: RbacRule;
}

/** Fills in `group` and `resource` from a kind, without throwing for kinds we cannot map. */
export function describeRequest(
  verb: RequestRecord['verb'],
  ref: { apiVersion: string; kind: string; namespace?: string; name?: string },
  subresource?: string,
): KubeRequestInfo {
  let resource: string | undefined;
  try {
    resource = resourceInfo(ref).plural;
  } catch {
    resource = undefined;
  }
  const info: KubeRequestInfo = {
    verb,
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    resource,
    group: groupOf(ref.apiVersion),
  };
  if (ref.namespace !== undefined) info.namespace = ref.namespace;
  if (ref.name !== undefined) info.name = ref.name;
  if (subresource !== undefined) info.subresource = subresource;
  return info;
}

/** RBAC spells the port's `replace` as `update`; every other verb is the same word. */
export function rbacVerb(verb: RequestRecord['verb']): string {
  return verb === 'replace' ? 'update' : verb;
}

/** HTTP codes that a retry cannot turn into success: a person must change something first. */
const FIX_CODES: ReadonlySet<number> = new Set([400, 401, 403, 404, 422]);

/**
 * A request the API server answered with a failure Status.
 *
 * Raised by every `KubePort` method of the client-node adapter (and by `FakeCluster`) so callers
 * can test `err.isNotFound()` / `isConflict(err)` instead of parsing strings. `message` is written
 * for a human (RBAC denials name the missing rule); `serverMessage` is what the server said.
 */
export class KubernetesError extends CharmkitError {
  override readonly name = 'KubernetesError';
  /**
   * `fix` for answers that will not change by themselves: 400/422 (the request is invalid), 401
   * (credentials), 403 (RBAC or admission), 404 (the object or namespace is missing). Everything
   * else (conflicts, throttling, server errors, timeouts) may pass: `retry`.
   */
  readonly remedy: Remedy;
  /** HTTP status code (404, 409, ...). */
  readonly code: number;
  /** The Status reason (`NotFound`, `Conflict`, `AlreadyExists`, `Invalid`, ...); `''` if none. */
  readonly reason: string;
  /** The server's message, unchanged. */
  readonly serverMessage: string;
  /** Field-level causes (422 Invalid lists one per bad field). */
  readonly causes: readonly KubeStatusCause[];
  /** What we asked for. */
  readonly request: KubeRequestInfo;
  /** Seconds the server asked us to wait (Retry-After or details.retryAfterSeconds). */
  readonly retryAfterSeconds: number | undefined;
  /** The Status object as received (or synthesized when the body was not one). */
  readonly status: KubeStatus;
  /** For an RBAC 403: who was denied what, and the rule that would allow it. */
  readonly rbac: RbacDenial | undefined;

  constructor(status: KubeStatus, request: KubeRequestInfo, retryAfterSeconds?: number) {
    const code = status.code ?? 0;
    const serverMessage = status.message ?? '';
    const rbac = code === 403 ? parseRbacDenial(serverMessage, request) : undefined;
    super(
      rbac
        ? rbacMessage(rbac)
        : `${describeTarget(request)}: ${serverMessage || status.reason || 'request failed'} (HTTP ${code})`,
    );
    this.code = code;
    this.reason = status.reason ?? '';
    this.serverMessage = serverMessage;
    this.causes = status.details?.causes ?? [];
    this.request = request;
    this.retryAfterSeconds = retryAfterSeconds ?? status.details?.retryAfterSeconds;
    this.status = status;
    this.rbac = rbac;
    this.remedy = FIX_CODES.has(code) ? 'fix' : 'retry';
  }

  /**
   * Builds the error from a raw HTTP answer. The body is a Status object for anything the API
   * server itself rejected; a proxy or load balancer in front of it may send HTML or nothing, so
   * we synthesize a Status from the code rather than failing to report the failure.
   */
  static fromResponse(
    httpStatus: number,
    body: string,
    request: KubeRequestInfo,
    retryAfterHeader?: string,
  ): KubernetesError {
    const parsed = parseStatus(body);
    const status: KubeStatus = parsed ?? {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: httpStatus,
      reason: reasonForCode(httpStatus),
      message: body.trim().slice(0, 500) || `the server responded with HTTP ${httpStatus}`,
    };
    if (status.code === undefined || status.code === 0) status.code = httpStatus;
    return new KubernetesError(status, request, parseRetryAfter(retryAfterHeader));
  }

  /** 404: the object (or its namespace) does not exist. */
  isNotFound(): boolean {
    return this.code === 404;
  }
  /** 403: RBAC or an admission plugin refused the request. */
  isForbidden(): boolean {
    return this.code === 403;
  }
  /** 409 Conflict: a stale resourceVersion; re-read, recompute and write again. */
  isConflict(): boolean {
    return this.code === 409 && this.reason !== 'AlreadyExists';
  }
  /** 409 AlreadyExists: a create found the name taken. */
  isAlreadyExists(): boolean {
    return this.code === 409 && this.reason === 'AlreadyExists';
  }
  /** 422: the object failed validation; `causes` lists the fields. */
  isInvalid(): boolean {
    return this.code === 422 || this.reason === 'Invalid';
  }
  /** 429: the server is shedding load; retry after `retryAfterSeconds`. */
  isTooManyRequests(): boolean {
    return this.code === 429;
  }
  /** 5xx: the server failed; usually transient. */
  isServerError(): boolean {
    return this.code >= 500 && this.code <= 599;
  }
  /** 410 Gone: a watch or list continue token is too old; re-list. */
  isGone(): boolean {
    return this.code === 410;
  }
  /** 401: the credentials were not accepted (expired token, wrong kubeconfig). */
  isUnauthorized(): boolean {
    return this.code === 401;
  }
}

/**
 * The API server could not be reached, or the connection failed before an answer arrived.
 *
 * Kept apart from `KubernetesError` because there is no Status to branch on, and because whether
 * the request was sent decides whether a write may be retried safely.
 */
export class KubeConnectionError extends CharmkitError {
  override readonly name = 'KubeConnectionError';
  readonly remedy = 'retry' as const;
  /** The system error code, e.g. `ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`. */
  readonly code: string | undefined;
  /**
   * False when the connection failed before the request left (refused, DNS): nothing reached the
   * server. True when it failed after: the server may have applied a write.
   */
  readonly requestSent: boolean;
  readonly request: KubeRequestInfo;
  /** The API server URL we tried. */
  readonly server: string;

  constructor(request: KubeRequestInfo, server: string, cause: unknown, requestSent: boolean) {
    const code = errorCode(cause);
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(
      `cannot reach the Kubernetes API server at ${server} (${code ?? detail}) while trying to ${describeTarget(request)}` +
        (requestSent ? '; the request may have reached the server' : ''),
      { cause },
    );
    this.code = code;
    this.requestSent = requestSent;
    this.request = request;
    this.server = server;
  }
}

/**
 * A retried call gave up. `cause` is the last failure, and the predicates below look through
 * this wrapper, so `isTooManyRequests(err)` still answers for a 429 that never cleared.
 */
export class RetryExhaustedError extends CharmkitError {
  override readonly name = 'RetryExhaustedError';
  readonly remedy = 'retry' as const;
  /** How many attempts were made before giving up. */
  readonly attempts: number;
  /** The last error seen; the same value as `cause`, typed. */
  readonly lastError: unknown;

  constructor(attempts: number, lastError: unknown, why?: string) {
    const last = lastError instanceof Error ? lastError.message : String(lastError);
    super(
      `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}${why ? ` (${why})` : ''}: ${last}`,
      {
        cause: lastError,
      },
    );
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

/** The `KubernetesError` inside `error`, looking through `RetryExhaustedError`; else undefined. */
export function asKubernetesError(error: unknown): KubernetesError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5; depth++) {
    if (current instanceof KubernetesError) return current;
    if (current instanceof RetryExhaustedError) current = current.lastError;
    else return undefined;
  }
  return undefined;
}

/** True for a 404 from the API server. Accepts anything a `catch` gives you. */
export function isNotFound(error: unknown): boolean {
  return asKubernetesError(error)?.isNotFound() ?? false;
}
/** True for a 403 (RBAC or admission). */
export function isForbidden(error: unknown): boolean {
  return asKubernetesError(error)?.isForbidden() ?? false;
}
/** True for a 409 Conflict (stale resourceVersion), not for AlreadyExists. */
export function isConflict(error: unknown): boolean {
  return asKubernetesError(error)?.isConflict() ?? false;
}
/** True for a 409 AlreadyExists. */
export function isAlreadyExists(error: unknown): boolean {
  return asKubernetesError(error)?.isAlreadyExists() ?? false;
}
/** True for a 422 Invalid. */
export function isInvalid(error: unknown): boolean {
  return asKubernetesError(error)?.isInvalid() ?? false;
}
/** True for a 429 Too Many Requests. */
export function isTooManyRequests(error: unknown): boolean {
  return asKubernetesError(error)?.isTooManyRequests() ?? false;
}
/** True for a 5xx. */
export function isServerError(error: unknown): boolean {
  return asKubernetesError(error)?.isServerError() ?? false;
}
/** True for a 410 Gone. */
export function isGone(error: unknown): boolean {
  return asKubernetesError(error)?.isGone() ?? false;
}
/** True when the API server could not be reached (looking through `RetryExhaustedError`). */
export function isConnectionError(error: unknown): boolean {
  let current: unknown = error;
  if (current instanceof RetryExhaustedError) current = current.lastError;
  return current instanceof KubeConnectionError;
}

const RESOURCE_DENIAL =
  /^(?:\S+?)(?: "(?<name>[^"]*)")? is forbidden: User "(?<user>[^"]*)" cannot (?<verb>\S+) resource "(?<resource>[^"]+)" in API group "(?<group>[^"]*)"(?: in the namespace "(?<namespace>[^"]*)"| at the cluster scope)(?:: (?<reason>[\s\S]*))?$/;
const PATH_DENIAL =
  /^forbidden: User "(?<user>[^"]*)" cannot (?<verb>\S+) path "(?<path>[^"]*)"(?:: (?<reason>[\s\S]*))?$/;

/**
 * Parses the authorizer's 403 message. Returns undefined for 403s that are not RBAC denials
 * (PodSecurity, ResourceQuota, a terminating namespace): no Role rule would fix those.
 */
export function parseRbacDenial(
  message: string,
  request?: KubeRequestInfo,
): RbacDenial | undefined {
  const resourceMatch = RESOURCE_DENIAL.exec(message);
  if (resourceMatch?.groups) {
    const g = resourceMatch.groups;
    const verb = g.verb ?? (request ? rbacVerb(request.verb) : 'get');
    const resource = g.resource ?? '';
    const group = g.group ?? '';
    const namespace = g.namespace;
    const name = g.name || undefined;
    const rule: RbacRule = {
      roleKind: namespace === undefined ? 'ClusterRole' : 'Role',
      apiGroups: [group],
      resources: [resource],
      verbs: [verb],
    };
    // resourceNames cannot restrict create, list, watch or deletecollection: the name is not
    // known to the authorizer for those, so a rule naming one would still deny.
    if (name !== undefined && !['create', 'list', 'watch', 'deletecollection'].includes(verb)) {
      rule.resourceNames = [name];
    }
    const denial: RbacDenial = { user: g.user ?? '', verb, group, resource, rule };
    if (namespace !== undefined) denial.namespace = namespace;
    if (name !== undefined) denial.name = name;
    if (g.reason) denial.authorizerReason = g.reason;
    return denial;
  }
  const pathMatch = PATH_DENIAL.exec(message);
  if (pathMatch?.groups) {
    const g = pathMatch.groups;
    const verb = g.verb ?? 'get';
    const denial: RbacDenial = {
      user: g.user ?? '',
      verb,
      group: '',
      resource: '',
      path: g.path ?? '',
      rule: { roleKind: 'ClusterRole', nonResourceURLs: [g.path ?? ''], verbs: [verb] },
    };
    if (g.reason) denial.authorizerReason = g.reason;
    return denial;
  }
  return undefined;
}

/** `{apiGroups: ["apps"], resources: ["statefulsets"], ...}` — the YAML flow form of a rule. */
export function formatRbacRule(rule: RbacRule): string {
  const list = (values: string[]): string => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;
  const parts: string[] = [];
  if (rule.apiGroups) parts.push(`apiGroups: ${list(rule.apiGroups)}`);
  if (rule.resources) parts.push(`resources: ${list(rule.resources)}`);
  if (rule.resourceNames) parts.push(`resourceNames: ${list(rule.resourceNames)}`);
  if (rule.nonResourceURLs) parts.push(`nonResourceURLs: ${list(rule.nonResourceURLs)}`);
  parts.push(`verbs: ${list(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

function rbacMessage(denial: RbacDenial): string {
  if (denial.path !== undefined) {
    return (
      `forbidden: cannot ${denial.verb} path "${denial.path}"; ` +
      `grant a ClusterRole rule ${formatRbacRule(denial.rule)}`
    );
  }
  const [plural, subresource] = denial.resource.split('/', 2);
  const qualified = denial.group ? `${plural}.${denial.group}` : `${plural}`;
  let target = subresource ? `the ${subresource} subresource of ${qualified}` : qualified;
  if (denial.name !== undefined) target += ` ${JSON.stringify(denial.name)}`;
  const scope =
    denial.namespace !== undefined
      ? ` in namespace ${JSON.stringify(denial.namespace)}`
      : ' at cluster scope';
  return (
    `forbidden: cannot ${denial.verb} ${target}${scope}; ` +
    `grant a ${denial.rule.roleKind} rule ${formatRbacRule(denial.rule)}`
  );
}

/** `patch statefulsets.apps "radarr" in namespace "media"` — for messages. */
export function describeTarget(request: KubeRequestInfo): string {
  const resource = request.resource ?? request.kind;
  const qualified = request.group ? `${resource}.${request.group}` : resource;
  let text = `${rbacVerb(request.verb)} ${qualified}`;
  if (request.name !== undefined) text += ` ${JSON.stringify(request.name)}`;
  if (request.subresource) text += ` (subresource ${request.subresource})`;
  if (request.namespace !== undefined) text += ` in namespace ${JSON.stringify(request.namespace)}`;
  return text;
}

function parseStatus(body: string): KubeStatus | undefined {
  if (!body) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (record.kind !== 'Status') return undefined;
  return value as KubeStatus;
}

function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  // Retry-After may also be an HTTP date.
  const date = Date.parse(header);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

/**
 * The Status `reason` the API server gives with each HTTP code (apimachinery's StatusReason), for
 * answers that came without a Status body. The one table: FakeCluster's injected faults use it too.
 */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function reasonForCode(code: number): string {
  return STATUS_REASONS[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

function errorCode(cause: unknown): string | undefined {
  if (typeof cause === 'object' && cause !== null && 'code' in cause) {
    const code = (cause as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/**
 * Credentials that were found but cannot be used: a kubeconfig without a current cluster, a token
 * or CA file that cannot be read, an auth plugin that fails, a kubeconfig while the peer dependency
 * @kubernetes/client-node is not installed. The message names the source and the file.
 */
export class KubeConfigError extends CharmkitError {
  override readonly name = 'KubeConfigError';
  readonly remedy = 'fix' as const;
}

/**
 * The controller's own StatefulSet, or any credentials for the API server, could not be found.
 * `tried` lists each source with what was found there, so the message says exactly what to set.
 */
export class SelfResolutionError extends CharmkitError {
  override readonly name = 'SelfResolutionError';
  readonly remedy = 'fix' as const;
  constructor(
    /** What could not be resolved. */
    readonly missing: 'name' | 'namespace' | 'credentials',
    /** Each source tried, with why it did not answer. */
    readonly tried: readonly string[],
    hint: string,
  ) {
    super(
      `${
        missing === 'credentials'
          ? 'cannot find credentials for the Kubernetes API'
          : `cannot determine this controller's own StatefulSet ${missing}`
      }: tried ${tried.join('; ')}. ${hint}`,
    );
  }
}
