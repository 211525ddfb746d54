/**
 * Port calls → HTTP requests, as pure data.
 *
 * Building the method, path, query, content type and body apart from sending them lets the unit
 * tests pin every detail a server cares about (above all the patch content type, which the
 * client-node generated API used to default wrongly) without a network, and keeps the adapter in
 * `client.ts` a thin loop around one `http.request` per attempt.
 */
import { CharmkitError } from '../core/errors.js';
import { describeRequest, type KubeRequestInfo } from './errors.js';
import {
  PATCH_CONTENT_TYPES,
  type DeleteOptions,
  type ListOptions,
  type ObjectRef,
  type Patch,
  type RequestRecord,
  type TypeRef,
  type WatchOptions,
  type WriteOptions,
} from './port.js';
import { objectPath, resourceInfo, resourcePath } from './resources.js';
import type { KubeObject } from './types.js';

/** One HTTP request, ready to send. */
export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path plus query string, relative to the server URL. */
  path: string;
  /** Set when there is a body. */
  contentType?: string;
  body?: string;
  /** What the call was, for errors. */
  info: KubeRequestInfo;
  /** What the call was, for request logs (status is filled in once answered). */
  record: RequestRecord;
  /** Whether sending it twice equals sending it once (decides which failures are retried). */
  idempotent: boolean;
}

/** Thrown before any request when a call cannot be turned into a valid one. */
export class InvalidRequestError extends CharmkitError {
  override readonly name = 'InvalidRequestError';
  readonly remedy = 'fix' as const;
}

function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

function record(
  verb: RequestRecord['verb'],
  ref: TypeRef & { namespace?: string; name?: string },
  subresource?: string,
): RequestRecord {
  const r: RequestRecord = { verb, apiVersion: ref.apiVersion, kind: ref.kind };
  if (ref.namespace !== undefined) r.namespace = ref.namespace;
  if (ref.name !== undefined) r.name = ref.name;
  if (subresource !== undefined) r.subresource = subresource;
  return r;
}

function requireNamespace(type: TypeRef, namespace: string | undefined, verb: string): void {
  if (resourceInfo(type).namespaced && !namespace) {
    throw new InvalidRequestError(
      `cannot ${verb} a ${type.kind}: it is namespaced and no namespace was given`,
    );
  }
}

/** GET one object. */
export function getRequest(ref: ObjectRef): HttpRequestSpec {
  requireNamespace(ref, ref.namespace, 'get');
  return {
    method: 'GET',
    path: objectPath(ref),
    info: describeRequest('get', ref),
    record: record('get', ref),
    idempotent: true,
  };
}

/** GET a collection, in one namespace or (without one) across all. */
export function listRequest(type: TypeRef, options: ListOptions = {}): HttpRequestSpec {
  const ref = { apiVersion: type.apiVersion, kind: type.kind, namespace: options.namespace };
  return {
    method: 'GET',
    path: withQuery(resourcePath(type, options.namespace), {
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
    }),
    info: describeRequest('list', ref),
    record: record('list', ref),
    idempotent: true,
  };
}

function writeQuery(
  options: WriteOptions,
  fieldManager: string,
): Record<string, string | undefined> {
  return {
    fieldManager: options.fieldManager ?? fieldManager,
    dryRun: options.dryRun ? 'All' : undefined,
  };
}

function refOf(object: KubeObject): ObjectRef {
  const ref: ObjectRef = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name ?? '',
  };
  if (object.metadata.namespace !== undefined) ref.namespace = object.metadata.namespace;
  return ref;
}

/** POST an object to its collection (or, with a subresource, to the named object's subresource). */
export function createRequest(
  object: KubeObject,
  options: WriteOptions,
  fieldManager: string,
): HttpRequestSpec {
  const ref = refOf(object);
  requireNamespace(ref, ref.namespace, 'create');
  const name = object.metadata.name;
  if (options.subresource && !name) {
    throw new InvalidRequestError(
      `creating the ${options.subresource} subresource of a ${ref.kind} needs metadata.name`,
    );
  }
  const path = options.subresource
    ? resourcePath(ref, ref.namespace, name, options.subresource)
    : resourcePath(ref, ref.namespace);
  const logRef = name
    ? ref
    : { apiVersion: ref.apiVersion, kind: ref.kind, namespace: ref.namespace };
  return {
    method: 'POST',
    path: withQuery(path, writeQuery(options, fieldManager)),
    contentType: 'application/json',
    body: JSON.stringify(object),
    info: describeRequest('create', logRef, options.subresource),
    record: record('create', logRef, options.subresource),
    // A resent create that had succeeded answers AlreadyExists: not the same as sending it once.
    idempotent: false,
  };
}

/** PUT an object; its resourceVersion (if any) makes the server reject a stale replace. */
export function replaceRequest(
  object: KubeObject,
  options: WriteOptions,
  fieldManager: string,
): HttpRequestSpec {
  const ref = refOf(object);
  requireNamespace(ref, ref.namespace, 'replace');
  if (!ref.name)
    throw new InvalidRequestError(`cannot replace a ${ref.kind} without metadata.name`);
  return {
    method: 'PUT',
    path: withQuery(objectPath(ref, options.subresource), writeQuery(options, fieldManager)),
    contentType: 'application/json',
    body: JSON.stringify(object),
    info: describeRequest('replace', ref, options.subresource),
    record: record('replace', ref, options.subresource),
    idempotent: true,
  };
}

/**
 * PATCH with the content type of the patch's own strategy. Server-side apply takes its field
 * manager from the patch value (it is part of what an apply means) and `force` only there; the
 * other strategies use the caller's or the port's field manager.
 */
export function patchRequest(
  ref: ObjectRef,
  patch: Patch,
  options: WriteOptions,
  fieldManager: string,
): HttpRequestSpec {
  requireNamespace(ref, ref.namespace, 'patch');
  const query =
    patch.type === 'apply'
      ? {
          fieldManager: patch.fieldManager,
          force: patch.force ? 'true' : undefined,
          dryRun: options.dryRun ? 'All' : undefined,
        }
      : writeQuery(options, fieldManager);
  if (patch.type === 'apply' && !patch.fieldManager) {
    throw new InvalidRequestError('a server-side apply patch needs a fieldManager');
  }
  const body = patch.type === 'json' ? patch.ops : patch.body;
  const rec = record('patch', ref, options.subresource);
  rec.patchType = patch.type;
  return {
    method: 'PATCH',
    path: withQuery(objectPath(ref, options.subresource), query),
    contentType: PATCH_CONTENT_TYPES[patch.type],
    body: JSON.stringify(body),
    info: describeRequest('patch', ref, options.subresource),
    record: rec,
    // JSON patches can append ("add" at "/-"): applying one twice is not applying it once.
    idempotent: patch.type !== 'json',
  };
}

/** DELETE with a DeleteOptions body (the only place preconditions can go). */
export function deleteRequest(ref: ObjectRef, options: DeleteOptions = {}): HttpRequestSpec {
  requireNamespace(ref, ref.namespace, 'delete');
  const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
  if (options.preconditions) body.preconditions = options.preconditions;
  if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
  if (options.gracePeriodSeconds !== undefined)
    body.gracePeriodSeconds = options.gracePeriodSeconds;
  if (options.dryRun) body.dryRun = ['All'];
  return {
    method: 'DELETE',
    path: objectPath(ref),
    contentType: 'application/json',
    body: JSON.stringify(body),
    info: describeRequest('delete', ref),
    record: record('delete', ref),
    idempotent: true,
  };
}

/** A streaming GET (`watch=1`) of a collection. */
export function watchRequest(type: TypeRef, options: WatchOptions = {}): HttpRequestSpec {
  const ref = { apiVersion: type.apiVersion, kind: type.kind, namespace: options.namespace };
  return {
    method: 'GET',
    path: withQuery(resourcePath(type, options.namespace), {
      watch: 1,
      resourceVersion: options.resourceVersion,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.limit,
    }),
    info: describeRequest('watch', ref),
    record: record('watch', ref),
    idempotent: true,
  };
}
