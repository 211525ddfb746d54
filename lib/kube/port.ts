import type { Operation } from 'fast-json-patch';
import type { KubeList, KubeObject } from './types.js';

/**
 * The narrow Kubernetes port every charmkit capability talks through.
 *
 * It has exactly the verbs a self-patching controller needs. Two implementations exist: the
 * client-node adapter (`createKubePort`) for real clusters and `FakeCluster` in `charmkit/testing`
 * for unit tests; the differential tests prove the two agree. Depending on this interface instead
 * of a client keeps capabilities testable and request counts exact.
 */
export interface KubePort {
  /** Reads one object. Throws `KubernetesError` (404 → `isNotFound`). */
  get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T>;
  /** Lists objects of one type, optionally in one namespace and filtered by selectors. */
  list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options?: ListOptions,
  ): Promise<KubeList<T>>;
  /** Creates an object; its `apiVersion`, `kind` and `metadata.namespace` say where. */
  create<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Replaces an object (PUT); `metadata.resourceVersion` makes it a compare-and-swap. */
  replace<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T>;
  /** Patches an object with an explicitly chosen strategy; never a client default. */
  patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options?: WriteOptions,
  ): Promise<T>;
  /** Deletes an object; preconditions turn a stale delete into a 409 instead of data loss. */
  delete(ref: ObjectRef, options?: DeleteOptions): Promise<void>;
  /** Streams changes of one type until `stop()` is called or the server closes the watch. */
  watch<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle>;
}

/** A kind of object: `{ apiVersion: 'apps/v1', kind: 'StatefulSet' }`. */
export interface TypeRef {
  apiVersion: string;
  kind: string;
}

/** One object by type, namespace (for namespaced kinds) and name. */
export interface ObjectRef extends TypeRef {
  name: string;
  namespace?: string;
}

/** Narrows a list: one namespace (none = all), label and field selectors, a page size. */
export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
}

/** Options every write shares; the field manager is what server-side ownership is keyed on. */
export interface WriteOptions {
  /** Names the writer in managedFields; charmkit defaults to 'charmkit' but never hard-codes it. */
  fieldManager?: string;
  /** Validates and returns the result without persisting it. */
  dryRun?: boolean;
  /** Writes a subresource such as `status` or `scale`. */
  subresource?: string;
}

/** How a delete behaves; preconditions are how a controller avoids deleting an object it did not read. */
export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
}

/** A list narrowing plus the resourceVersion to resume from, so no change between list and watch is missed. */
export interface WatchOptions extends ListOptions {
  resourceVersion?: string;
}

/** One change as the server streams it; `ERROR` carries a Status (e.g. 410 Gone: re-list). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** Controls an open watch; `done` lets a caller re-list when the server ends it. */
export interface WatchHandle {
  /** Ends the watch; resolves once no more events will be delivered. */
  stop(): Promise<void>;
  /** Resolves when the watch ends for any reason (stopped, closed by the server, failed). */
  readonly done: Promise<void>;
}

/**
 * A patch is a value that carries its own strategy, so the content type sent is always the one the
 * author meant (`application/strategic-merge-patch+json`, `merge-patch+json`, `json-patch+json`,
 * `apply-patch+yaml`).
 */
export type Patch =
  | { type: 'strategic'; body: Record<string, unknown> }
  | { type: 'merge'; body: Record<string, unknown> }
  | { type: 'json'; ops: Operation[] }
  | { type: 'apply'; body: KubeObject; fieldManager: string; force?: boolean };

/** The content type the API server expects for each patch strategy. */
export const PATCH_CONTENT_TYPES: Readonly<Record<Patch['type'], string>> = {
  strategic: 'application/strategic-merge-patch+json',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

/**
 * One request as it went to the API server (or to `FakeCluster`): the unit of "a reconcile with
 * nothing to do makes zero writes" (docs/adr/0002-one-patch-per-reconcile.md). Both implementations report the same records so tests can
 * count calls the same way against either.
 */
export interface RequestRecord {
  verb: 'get' | 'list' | 'create' | 'replace' | 'patch' | 'delete' | 'watch';
  apiVersion: string;
  kind: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** For patches: which strategy was sent. */
  patchType?: Patch['type'];
  /** HTTP status of the answer; undefined when the request never got one (connection error). */
  status?: number;
}

/** Verbs that change state; `writes(requests)` is what "zero writes" counts. */
export const WRITE_VERBS: ReadonlySet<RequestRecord['verb']> = new Set([
  'create',
  'replace',
  'patch',
  'delete',
]);

/** The write requests among `records`. */
export function writes(records: readonly RequestRecord[]): RequestRecord[] {
  return records.filter((r) => WRITE_VERBS.has(r.verb));
}
