/**
 * `FakeCluster`: an in-memory `KubePort` for unit-testing controllers without an API server.
 *
 * It answers every port call the way kube-apiserver v1.37 does for the things controllers depend
 * on. Two differential test files run the same operations against a real v1.37.2 server and
 * compare: tests/testing/strategic-merge.diff.int.test.ts (75 strategic merge patches) and
 * tests/testing/fake-cluster.diff.int.test.ts (error texts, generation, no-op writes, status
 * subresource, finalizers, selectors, watch). Modelled:
 *
 * - server-managed fields: `uid` (deterministic), `resourceVersion` (one monotonic counter, as a
 *   string), `creationTimestamp`, and `generation` per kind (StatefulSet/Job/Pod... bump on `spec`
 *   changes only, Deployment also on annotation changes, ConfigMap/Secret/Service... have none);
 *   a write that changes nothing stores nothing and keeps the resourceVersion;
 * - the status subresource: ordinary writes keep the stored `status` of kinds that have one;
 *   `{ subresource: 'status' }` writes cannot change `spec` (nor Deployment labels, nor Pod
 *   labels/annotations/finalizers/ownerReferences, nor anything but status of a custom resource)
 *   — per kind, as the registry strategies do;
 * - the real server's failures as `KubernetesError`, with its codes, reasons and message texts:
 *   404 NotFound, 409 AlreadyExists, 409 Conflict (stale resourceVersion, failed delete
 *   preconditions), 422 Invalid (see fake-validation.ts for exactly what is validated), 400/415/500
 *   for malformed patches, 403 from an optional `authorize` hook, worded like the RBAC authorizer
 *   so `KubernetesError.rbac` names the missing rule;
 * - patches of every type (fake-patch.ts), strategic merge driven by metadata generated from the
 *   real OpenAPI document (generated/patch-metadata.ts);
 * - the decode round trip: `null`s, empty lists and empty maps disappear from stored objects;
 * - list with label selectors (`=`, `==`, `!=`, `in`, `notin`, exists, `!`) and field selectors
 *   (`metadata.name`, `metadata.namespace`, pod `status.phase`/`spec.nodeName`, event
 *   `involvedObject.*`...; unsupported fields are a 400), `limit` with a `continue` token;
 * - watch: ADDED/MODIFIED/DELETED, selector-aware (an object that stops matching is DELETED for
 *   that watch), replay from a `resourceVersion`, delivered asynchronously in order;
 * - deletion: preconditions, finalizers (deletionTimestamp set, object removed when the last
 *   finalizer goes, no new finalizers meanwhile), ownerReference cascade (Background/Foreground:
 *   dependents removed at once; Orphan: their ownerReferences dropped), namespace deletion removes
 *   its contents;
 * - a request log in the adapter's own `RequestRecord` shape (the same builders produce it), fault
 *   injection (`failNext`, `latency`), and optional StatefulSet/Pod/PVC simulation
 *   (fake-statefulsets.ts).
 *
 * What FakeCluster does NOT model (keep this list in docs/testing.md):
 * - admission: no webhooks, no PodSecurity, no ResourceQuota/LimitRange, no defaulting of spec
 *   fields (no `imagePullPolicy`, `terminationMessagePath`, `protocol: TCP`, `dnsPolicy`,
 *   pod `securityContext: {}`...); only the initial `status` of a few kinds (Pod/PVC/PV Pending,
 *   Namespace Active, StatefulSet replicas 0...) is set. A patch directive that acts on a field
 *   the server would have defaulted (e.g. `securityContext: {$patch: delete}`) therefore finds
 *   nothing to act on in the fake unless the test object sets that field;
 * - validation beyond the list in fake-validation.ts; field types are not checked, unknown fields
 *   are kept and empty strings in optional fields stay (the server drops both);
 * - message texts where the server prints Go values: 422s about complex values (immutable
 *   volumeClaimTemplates...) and label-selector parse errors say the same thing in other words
 *   (codes, reasons and field paths match);
 * - managedFields: never written; server-side apply is approximated as a strategic merge of the
 *   applied configuration (no field ownership, no conflicts, no removal of fields a manager
 *   stops applying; `force` has no effect);
 * - RBAC, except through the `authorize` hook; authentication; API discovery;
 * - retries: the real adapter retries transient failures and wraps the last one in
 *   `RetryExhaustedError`; the fake answers once and throws `KubernetesError` itself. Test errors
 *   with the predicates (`isNotFound`, `isConflict`...) or `asKubernetesError`, which look through
 *   the wrapper, not with `instanceof`;
 * - the garbage collector's timing: cascades happen at once, `Foreground` is treated like
 *   `Background`, graceful pod termination is instant, and finalizers are only honoured, never run;
 * - controllers, except the opt-in StatefulSet/Pod/PVC simulation; no Deployment, Job or
 *   ReplicaSet controllers (so no `deployment.kubernetes.io/revision` annotation), no scheduler
 *   beyond the PVC checks, no kubelet, no ControllerRevisions, no Events but the simulation's;
 * - watch bookmarks, `410 Gone` for compacted history (the fake keeps all history), list
 *   pagination consistency (`continue` returns later items of the current state), `limit` on
 *   watches, `resourceVersionMatch`;
 * - subresources other than `status` (scale, eviction, token, binding...) answer 404.
 */
import { jsonEqual } from '../core/json.js';
import type {
  DeleteOptions,
  KubePort,
  ListOptions,
  ObjectRef,
  Patch,
  RequestRecord,
  TypeRef,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from '../kube/port.js';
import { writes } from '../kube/port.js';
import {
  createRequest,
  deleteRequest,
  getRequest,
  listRequest,
  patchRequest,
  replaceRequest,
  watchRequest,
  type HttpRequestSpec,
} from '../kube/request.js';
import { rbacVerb, type KubeRequestInfo } from '../kube/errors.js';
import { groupOf, resourceInfo } from '../kube/resources.js';
import type { KubeList, KubeObject, KubeStatus } from '../kube/types.js';
import {
  alreadyExistsStatus,
  badRequestStatus,
  conflictStatus,
  forbiddenStatus,
  internalErrorStatus,
  invalidStatus,
  kubeError,
  notFoundStatus,
  STALE_OBJECT_DETAIL,
  StatusFailure,
  forbidden,
  type FieldError,
  type StatusSubject,
} from './fake-errors.js';
import {
  FaultInjector,
  type FaultHandle,
  type FaultSpec,
  type RequestMatcher,
} from './fake-faults.js';
import { kindBehavior, type KindBehavior } from './fake-kinds.js';
import { normalizeStoredObject } from './fake-normalize.js';
import { applyPatchValue } from './fake-patch.js';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
  type FieldRequirement,
  type LabelRequirement,
} from './fake-selectors.js';
import {
  StatefulSetSimulation,
  type SimulationHost,
  type SimulationOptions,
} from './fake-statefulsets.js';
import { ObjectStore, storeKeyOf, type StoreChange, type StoreKey } from './fake-store.js';
import { validateObject } from './fake-validation.js';
import { PATCH_METADATA } from './generated/patch-metadata.js';
import type { JsonObject } from './strategic-merge.js';
import { definitionForKind, type PatchMetadataTable } from './strategic-merge-metadata.js';

/** How a `FakeCluster` behaves; every option has a default that suits a plain unit test. */
export interface FakeClusterOptions {
  /** Objects present from the start, stored as given (status included), without requests. */
  objects?: KubeObject[];
  /** Patch metadata; defaults to the table generated from the test cluster's OpenAPI document. */
  patchMetadata?: PatchMetadataTable;
  /**
   * Creating a namespaced object needs its Namespace to exist, as on a real cluster (404
   * otherwise). Off by default so tests need not create namespaces.
   */
  strictNamespaces?: boolean;
  /** Opt-in controller simulation (off by default); see `SimulationOptions`. */
  simulate?: SimulationOptions;
  /**
   * Decides whether a request is allowed; a `false` answer is a 403 worded like the RBAC
   * authorizer's, so code that reports missing permissions can be tested.
   */
  authorize?: (request: RequestRecord) => boolean;
  /** The user named in 403 messages. Default `system:serviceaccount:default:charm`. */
  user?: string;
  /** Clock for timestamps; default a fixed instant, so objects are deterministic. */
  clock?: () => Date;
  /** Per-kind storage overrides (`'example.com/v1/Widget': { statusSubresource: false }`). */
  kinds?: Record<string, Partial<KindBehavior>>;
}

const FIXED_EPOCH = new Date('2026-01-01T00:00:00Z');
const FIELD_MANAGER = 'charmkit';

type Filter = { labels: LabelRequirement[]; fields: FieldRequirement[]; namespace?: string };

/** An in-memory `KubePort` with the API server's semantics; see the module comment. */
export class FakeCluster implements KubePort {
  /** Every request served, in order, in the real adapter's `RequestRecord` shape. */
  readonly requests: RequestRecord[] = [];
  private readonly store: ObjectStore;
  private readonly faults = new FaultInjector();
  private readonly table: PatchMetadataTable;
  private readonly simulation: StatefulSetSimulation | undefined;
  private readonly watches = new Set<FakeWatch>();

  constructor(private readonly options: FakeClusterOptions = {}) {
    this.table = options.patchMetadata ?? PATCH_METADATA;
    this.store = new ObjectStore(options.clock ?? (() => FIXED_EPOCH));
    const host: SimulationHost = {
      store: this.store,
      create: (object) => this.createInternal(object),
      update: (object) => this.updateInternal(object),
      remove: (key) => this.removeCascading(key, 'Background'),
    };
    this.simulation = options.simulate
      ? new StatefulSetSimulation(host, options.simulate)
      : undefined;
    if (options.objects) this.seed(...options.objects);
  }

  // ---- KubePort -------------------------------------------------------------------------------

  /** Reads one object (404 → `isNotFound`). */
  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    return this.serve(getRequest(ref), () => {
      const object = this.store.get(keyOf(ref));
      if (!object) throw new StatusFailure(notFoundStatus(this.subject(ref)));
      return { value: object as T, code: 200 };
    });
  }

  /** Lists objects of one type, filtered by namespace and selectors, in etcd key order. */
  async list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.serve(listRequest(type, options), () => {
      const filter = this.filter(type, options);
      let items = this.store.list(type, options.namespace).filter((o) => matches(filter, o));
      const metadata: KubeList['metadata'] = { resourceVersion: this.store.resourceVersion };
      if (options.limit !== undefined && options.limit > 0 && items.length > options.limit) {
        const last = items[options.limit - 1];
        metadata.continue = Buffer.from(
          JSON.stringify({
            after: `${last?.metadata.namespace ?? ''}/${last?.metadata.name ?? ''}`,
          }),
        ).toString('base64');
        items = items.slice(0, options.limit);
      }
      const list: KubeList<T> = {
        apiVersion: type.apiVersion,
        kind: `${type.kind}List`,
        metadata,
        items: items as T[],
      };
      return { value: list, code: 200 };
    });
  }

  /** Creates an object: 409 AlreadyExists if the name is taken, 422 if it is invalid. */
  async create<T extends KubeObject = KubeObject>(
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.serve(
      createRequest(object, options, FIELD_MANAGER),
      () => {
        if (options.subresource) throw new StatusFailure(subresourceNotFound());
        return { value: this.createObject(object, options.dryRun === true) as T, code: 201 };
      },
      true,
    );
  }

  /** Replaces an object; a stale `metadata.resourceVersion` is a 409 Conflict. */
  async replace<T extends KubeObject = KubeObject>(
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.serve(
      replaceRequest(object, options, FIELD_MANAGER),
      () => {
        const key = storeKeyOf(object);
        const old = this.requireObject(key);
        checkPreconditions(this.subject(key), old, object);
        const next = this.prepareUpdate(old, object, options.subresource);
        return { value: this.commitUpdate(old, next, options.dryRun === true) as T, code: 200 };
      },
      true,
    );
  }

  /** Patches an object with the patch's own strategy (see fake-patch.ts). */
  async patch<T extends KubeObject = KubeObject>(
    ref: ObjectRef,
    patch: Patch,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.serve(
      patchRequest(ref, patch, options, FIELD_MANAGER),
      () => {
        const key = keyOf(ref);
        const old = this.store.get(key);
        const dryRun = options.dryRun === true;
        if (!old) {
          if (patch.type !== 'apply' || options.subresource) {
            throw new StatusFailure(notFoundStatus(this.subject(ref)));
          }
          // Server-side apply creates what does not exist.
          const body = structuredClone(patch.body);
          body.metadata = { ...body.metadata, name: ref.name };
          if (ref.namespace !== undefined) body.metadata.namespace = ref.namespace;
          return { value: this.createObject(body, dryRun) as T, code: 201 };
        }
        const definition = definitionForKind(this.table, ref.apiVersion, ref.kind);
        const patched = applyPatchValue(old, patch, { table: this.table, definition });
        patched.apiVersion = old.apiVersion;
        patched.kind = old.kind;
        checkIdentity(ref, patched);
        checkPreconditions(this.subject(ref), old, patched);
        const next = this.prepareUpdate(old, patched, options.subresource);
        return { value: this.commitUpdate(old, next, dryRun) as T, code: 200 };
      },
      true,
    );
  }

  /** Deletes an object, honouring preconditions, finalizers and ownerReferences. */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<void> {
    await this.serve(
      deleteRequest(ref, options),
      () => {
        const key = keyOf(ref);
        const old = this.requireObject(key);
        const pre = options.preconditions;
        const subject = this.subject(ref);
        // rest.BeforeDelete names the object by kind here, not by resource.
        const byKind: StatusSubject = { ...subject, resource: ref.kind };
        if (pre?.uid !== undefined && pre.uid !== old.metadata.uid) {
          throw new StatusFailure(
            conflictStatus(
              byKind,
              `the UID in the precondition (${pre.uid}) does not match the UID in record ` +
                `(${old.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
            ),
          );
        }
        if (
          pre?.resourceVersion !== undefined &&
          pre.resourceVersion !== old.metadata.resourceVersion
        ) {
          throw new StatusFailure(
            conflictStatus(
              byKind,
              `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ` +
                `ResourceVersion in record (${old.metadata.resourceVersion ?? ''}). The object might have been modified`,
            ),
          );
        }
        if (options.dryRun) return { value: undefined, code: 200 };
        if ((old.metadata.finalizers ?? []).length > 0) {
          if (!old.metadata.deletionTimestamp) {
            const marked = structuredClone(old);
            marked.metadata.deletionTimestamp = this.store.now();
            marked.metadata.deletionGracePeriodSeconds = 0;
            if (marked.metadata.generation !== undefined) marked.metadata.generation += 1;
            this.store.put(marked);
          }
          return { value: undefined, code: 200 };
        }
        this.removeCascading(key, options.propagationPolicy ?? 'Background');
        return { value: undefined, code: 200 };
      },
      true,
    );
  }

  /**
   * Streams changes of one type. Without `resourceVersion` (or with `'0'`) the watch starts with
   * an ADDED event per existing object, as the server's does; with one, it replays what changed
   * after it. Events arrive asynchronously, in order; `settle()` waits for them.
   */
  async watch<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchHandle> {
    return this.serve(watchRequest(type, options), () => {
      const filter = this.filter(type, options);
      const watch = new FakeWatch(onEvent as (event: WatchEvent) => void, (w) =>
        this.watches.delete(w),
      );
      const typeKey = `${type.apiVersion}/${type.kind}`;
      const relevant = (change: StoreChange): boolean =>
        `${change.object.apiVersion}/${change.object.kind}` === typeKey;
      const rv = options.resourceVersion;
      if (rv === undefined || rv === '' || rv === '0') {
        for (const object of this.store.list(type, options.namespace)) {
          if (matches(filter, object)) watch.push({ type: 'ADDED', object });
        }
      } else {
        const since = Number(rv);
        if (!Number.isInteger(since) || since < 0) {
          throw new StatusFailure(badRequestStatus(`invalid resource version: ${rv}`));
        }
        for (const change of this.store.changesSince(since)) {
          if (relevant(change)) deliver(watch, filter, change);
        }
      }
      watch.unsubscribe = this.store.subscribe((change) => {
        if (relevant(change)) deliver(watch, filter, change);
      });
      this.watches.add(watch);
      return { value: watch, code: 200 };
    });
  }

  // ---- test helpers ----------------------------------------------------------------------------

  /** The write requests (create, replace, patch, delete) in the log: what "zero writes" counts. */
  writes(): RequestRecord[] {
    return writes(this.requests);
  }

  /** Empties the request log (objects stay). */
  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Back to an empty cluster: no objects, no requests, no faults; open watches are closed. */
  reset(): void {
    this.closeWatches();
    this.store.clear();
    this.faults.clear();
    this.clearRequests();
  }

  /**
   * Puts objects in place as they are (status, uid, generation and — when it is newer than every
   * version so far — resourceVersion included; missing server fields are filled), without requests
   * or validation: the state a test starts from. Simulated controllers (if on) then catch up.
   */
  seed(...objects: KubeObject[]): void {
    for (const object of objects) {
      const copy = structuredClone(object);
      copy.metadata ??= {};
      if (!resourceInfo(copy).namespaced) delete copy.metadata.namespace;
      copy.metadata.uid ??= this.store.nextUid();
      copy.metadata.creationTimestamp ??= this.store.now();
      const behavior = this.behavior(copy);
      if (behavior.generation !== 'none') copy.metadata.generation ??= 1;
      this.store.seed(this.normalize(copy));
    }
    if (this.simulation?.immediate) this.simulation.run();
  }

  /** The stored object, or undefined; not a request (nothing is logged). */
  peek<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    return this.store.get(keyOf(ref)) as T | undefined;
  }

  /** Every stored object (of one type, if given); not a request. */
  objects<T extends KubeObject = KubeObject>(type?: TypeRef, namespace?: string): T[] {
    return (type ? this.store.list(type, namespace) : this.store.all()) as T[];
  }

  /** Fails the nth matching request with a Status (see `FaultSpec`). */
  failNext(spec: FaultSpec): FaultHandle {
    return this.faults.failNext(spec);
  }

  /** Delays matching requests (all, without a matcher) by `ms` before they are served. */
  latency(ms: number, matcher?: RequestMatcher): void {
    this.faults.latency(ms, matcher);
  }

  /** Ends every open watch, as a server does when it restarts or times a watch out. */
  closeWatches(): void {
    for (const watch of [...this.watches]) void watch.stop();
  }

  /**
   * Advances the simulated controllers by one step (create or replace one pod, bind a claim,
   * update a status...). Returns whether anything changed. Only meaningful with `simulate`.
   */
  tick(): boolean {
    return this.simulation?.step() ?? false;
  }

  /**
   * Waits until every watch event produced so far has been delivered (and, in manual simulation
   * mode, nothing else: call `tick()` to advance the controllers).
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 1000; i++) {
      if ([...this.watches].every((w) => w.idle)) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throw new Error('FakeCluster.settle: watch handlers keep producing events (1000 rounds)');
  }

  // ---- request plumbing ------------------------------------------------------------------------

  /**
   * Serves one request: latency, injected faults and authorization first, then `run`; records it
   * with its status either way, and converts failures to `KubernetesError`.
   */
  private async serve<R>(
    spec: HttpRequestSpec,
    run: () => { value: R; code: number },
    isWrite = false,
  ): Promise<R> {
    const record: RequestRecord = { ...spec.record };
    const delay = this.faults.delayFor(record);
    if (delay > 0) await new Promise<void>((resolve) => setTimeout(resolve, delay));
    try {
      const injected = this.faults.failureFor(record);
      if (injected) throw new StatusFailure(injected);
      this.authorizeRequest(record, spec.info);
      const { value, code } = run();
      record.status = code;
      this.requests.push(record);
      if (isWrite && this.simulation?.immediate) this.simulation.run();
      return value;
    } catch (error) {
      if (error instanceof StatusFailure) {
        record.status = error.status.code;
        this.requests.push(record);
        throw kubeError(error.status, spec.info);
      }
      if (error instanceof SelectorError) {
        const status = badRequestStatus(error.message);
        record.status = 400;
        this.requests.push(record);
        throw kubeError(status, spec.info);
      }
      throw error;
    }
  }

  private authorizeRequest(record: RequestRecord, info: KubeRequestInfo): void {
    if (!this.options.authorize || this.options.authorize(record)) return;
    const subject = this.subject({ ...record, name: record.name ?? '' });
    subject.name = record.name;
    throw new StatusFailure(
      forbiddenStatus(
        subject,
        this.options.user ?? 'system:serviceaccount:default:charm',
        rbacVerb(record.verb),
        info.namespace,
        record.subresource,
      ),
    );
  }

  private subject(ref: TypeRef & { name?: string }): StatusSubject {
    let resource: string;
    try {
      resource = resourceInfo(ref).plural;
    } catch {
      resource = `${ref.kind.toLowerCase()}s`;
    }
    const subject: StatusSubject = { resource, group: groupOf(ref.apiVersion), kind: ref.kind };
    if (ref.name !== undefined) subject.name = ref.name;
    return subject;
  }

  private behavior(type: TypeRef): KindBehavior {
    return kindBehavior(type.apiVersion, type.kind, this.options.kinds);
  }

  private filter(type: TypeRef, options: ListOptions): Filter {
    const filter: Filter = {
      labels: parseLabelSelector(options.labelSelector),
      fields: parseFieldSelector(options.fieldSelector, type.apiVersion, type.kind),
    };
    if (options.namespace !== undefined) filter.namespace = options.namespace;
    return filter;
  }

  private requireObject(key: StoreKey): KubeObject {
    const object = this.store.get(key);
    if (!object) throw new StatusFailure(notFoundStatus(this.subject(key)));
    return object;
  }

  private normalize(object: KubeObject): KubeObject {
    const definition = definitionForKind(this.table, object.apiVersion, object.kind);
    return normalizeStoredObject(object as unknown as JsonObject, this.table, {
      definition,
      stripDirectives: false,
    }) as unknown as KubeObject;
  }

  private invalid(object: KubeObject, errors: FieldError[]): StatusFailure {
    return new StatusFailure(invalidStatus(this.subject(storeKeyOf(object)), errors));
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** Create semantics shared by `create` and apply-creates. */
  private createObject(input: KubeObject, dryRun: boolean): KubeObject {
    const object = structuredClone(input);
    object.metadata ??= {};
    const meta = object.metadata;
    if (meta.resourceVersion) {
      throw new StatusFailure(
        internalErrorStatus('resourceVersion should not be set on objects to be created'),
      );
    }
    const info = resourceInfo(object);
    if (!info.namespaced) delete meta.namespace;
    if (!meta.name && meta.generateName)
      meta.name = `${meta.generateName}${this.store.nextNameSuffix()}`;
    if (info.namespaced && this.options.strictNamespaces && meta.namespace !== undefined) {
      if (!this.store.get({ apiVersion: 'v1', kind: 'Namespace', name: meta.namespace })) {
        throw new StatusFailure(
          notFoundStatus({
            resource: 'namespaces',
            group: '',
            kind: 'Namespace',
            name: meta.namespace,
          }),
        );
      }
    }
    const behavior = this.behavior(object);
    meta.uid = this.store.nextUid();
    meta.creationTimestamp = this.store.now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (behavior.generation === 'none') delete meta.generation;
    else meta.generation = 1;
    if (behavior.statusSubresource) {
      const initial = behavior.initialStatus?.();
      if (initial) object.status = initial;
      else delete object.status;
    }
    const stored = this.normalize(object);
    const errors = validateObject(stored);
    if (errors.length > 0) throw this.invalid(stored, errors);
    if (this.store.get(storeKeyOf(stored))) {
      throw new StatusFailure(alreadyExistsStatus(this.subject(storeKeyOf(stored))));
    }
    return dryRun ? stored : this.store.put(stored);
  }

  /** The object an update would store: server-managed fields and status kept from `old`. */
  private prepareUpdate(old: KubeObject, candidate: KubeObject, subresource?: string): KubeObject {
    const behavior = this.behavior(old);
    if (subresource !== undefined && subresource !== 'status') {
      throw new StatusFailure(subresourceNotFound());
    }
    let source = candidate;
    if (subresource === 'status') {
      if (!behavior.statusSubresource) throw new StatusFailure(subresourceNotFound());
      source = statusWrite(behavior, old, candidate);
    }
    const next = structuredClone(source);
    next.metadata ??= {};
    const meta = next.metadata;
    const oldMeta = old.metadata;
    meta.name = oldMeta.name;
    if (oldMeta.namespace !== undefined) meta.namespace = oldMeta.namespace;
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    meta.resourceVersion = oldMeta.resourceVersion;
    copyOrDelete(meta, oldMeta, 'deletionTimestamp');
    copyOrDelete(meta, oldMeta, 'deletionGracePeriodSeconds');
    if (behavior.statusSubresource && subresource !== 'status') copyOrDelete(next, old, 'status');
    const generation = nextGeneration(behavior, old, next);
    if (generation === undefined) delete meta.generation;
    else meta.generation = generation;
    return this.normalize(next);
  }

  /** Validates and stores an update (or nothing, if nothing changed); returns what is stored. */
  private commitUpdate(old: KubeObject, next: KubeObject, dryRun: boolean): KubeObject {
    const errors = validateObject(next, old);
    if (old.metadata.deletionTimestamp) {
      const before = new Set(old.metadata.finalizers ?? []);
      if ((next.metadata.finalizers ?? []).some((f) => !before.has(f))) {
        errors.push(
          forbidden(
            'metadata.finalizers',
            'no new finalizers can be added if the object is being deleted',
          ),
        );
      }
    }
    if (errors.length > 0) throw this.invalid(next, errors);
    if (jsonEqual(old, next) || dryRun) return dryRun ? next : old;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      return this.removeCascading(storeKeyOf(next), 'Background') ?? next;
    }
    return this.store.put(next);
  }

  /** Removes an object and what depends on it (namespace contents, owned objects). */
  private removeCascading(
    key: StoreKey,
    policy: NonNullable<DeleteOptions['propagationPolicy']>,
  ): KubeObject | undefined {
    const removed = this.store.remove(key);
    if (!removed) return undefined;
    if (removed.kind === 'Namespace' && removed.apiVersion === 'v1' && removed.metadata.name) {
      for (const object of this.store.inNamespace(removed.metadata.name)) {
        this.store.remove(storeKeyOf(object));
      }
    }
    const uid = removed.metadata.uid;
    if (uid) {
      for (const dependent of this.store.dependentsOf(uid)) {
        if (policy === 'Orphan') {
          dependent.metadata.ownerReferences = (dependent.metadata.ownerReferences ?? []).filter(
            (ref) => ref.uid !== uid,
          );
          this.store.put(this.normalize(dependent));
        } else {
          this.removeCascading(storeKeyOf(dependent), policy);
        }
      }
    }
    return removed;
  }

  /** Server-side create for simulated controllers: no request, no validation. */
  private createInternal(object: KubeObject): KubeObject {
    const copy = structuredClone(object);
    copy.metadata.uid = this.store.nextUid();
    copy.metadata.creationTimestamp = this.store.now();
    if (this.behavior(copy).generation !== 'none') copy.metadata.generation = 1;
    return this.store.put(this.normalize(copy));
  }

  /** Server-side update for simulated controllers: stores as given, if it changed anything. */
  private updateInternal(object: KubeObject): KubeObject {
    const next = this.normalize(object);
    const old = this.store.get(storeKeyOf(next));
    if (old) next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (old && jsonEqual(old, next)) return old;
    return this.store.put(next);
  }
}

/** One open watch: a queue drained in microtasks so events arrive asynchronously and in order. */
class FakeWatch implements WatchHandle {
  readonly done: Promise<void>;
  /** The error a handler threw, which ended the watch. */
  error: unknown;
  unsubscribe: () => void = () => undefined;
  private queue: WatchEvent[] = [];
  private scheduled = false;
  private stopped = false;
  private resolveDone: () => void = () => undefined;

  constructor(
    private readonly onEvent: (event: WatchEvent) => void,
    private readonly onStop: (watch: FakeWatch) => void,
  ) {
    this.done = new Promise<void>((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** No events waiting. */
  get idle(): boolean {
    return this.stopped || (this.queue.length === 0 && !this.scheduled);
  }

  push(event: WatchEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.queue = [];
      this.unsubscribe();
      this.onStop(this);
      this.resolveDone();
    }
    await this.done;
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length > 0 && !this.stopped) {
      const event = this.queue.shift() as WatchEvent;
      try {
        this.onEvent(event);
      } catch (error) {
        this.error = error;
        void this.stop();
      }
    }
  }
}

function keyOf(ref: ObjectRef): StoreKey {
  const key: StoreKey = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name };
  if (ref.namespace !== undefined && resourceInfo(ref).namespaced) key.namespace = ref.namespace;
  return key;
}

function matches(filter: Filter, object: KubeObject): boolean {
  if (filter.namespace !== undefined && object.metadata.namespace !== filter.namespace)
    return false;
  return (
    matchesLabels(filter.labels, object.metadata.labels) && matchesFields(filter.fields, object)
  );
}

/** Turns a store change into what a selector-filtered watch sees. */
function deliver(watch: FakeWatch, filter: Filter, change: StoreChange): void {
  const now = matches(filter, change.object);
  const before = change.previous !== undefined && matches(filter, change.previous);
  if (change.type === 'ADDED') {
    if (now) watch.push({ type: 'ADDED', object: change.object });
  } else if (change.type === 'DELETED') {
    if (before) watch.push({ type: 'DELETED', object: change.object });
  } else if (now && before) {
    watch.push({ type: 'MODIFIED', object: change.object });
  } else if (now) {
    watch.push({ type: 'ADDED', object: change.object });
  } else if (before) {
    watch.push({ type: 'DELETED', object: change.object });
  }
}

/** The patched or replacing object must still be the one the URL names. */
function checkIdentity(ref: ObjectRef, object: KubeObject): void {
  const name = object.metadata?.name;
  if (name !== ref.name) {
    throw new StatusFailure(
      badRequestStatus(
        `the name of the object (${name ?? ''}) does not match the name on the URL (${ref.name})`,
      ),
    );
  }
  const namespace = object.metadata.namespace;
  if (ref.namespace !== undefined && namespace !== undefined && namespace !== ref.namespace) {
    throw new StatusFailure(
      badRequestStatus(
        'the namespace of the provided object does not match the namespace sent on the request',
      ),
    );
  }
}

/** resourceVersion / uid in a written object act as preconditions. */
function checkPreconditions(subject: StatusSubject, old: KubeObject, next: KubeObject): void {
  const uid = next.metadata?.uid;
  if (uid !== undefined && uid !== old.metadata.uid) {
    // The storage layer reports this one, wrapped in its own error text.
    const namespace = old.metadata.namespace;
    const key = `/registry/${subject.resource}/${namespace ? `${namespace}/` : ''}${subject.name ?? ''}`;
    throw new StatusFailure(
      conflictStatus(
        subject,
        `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, ` +
          `AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, ` +
          `UID in object meta: ${old.metadata.uid ?? ''}`,
      ),
    );
  }
  const rv = next.metadata?.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
    throw new StatusFailure(conflictStatus(subject, STALE_OBJECT_DETAIL));
  }
}

function nextGeneration(
  behavior: KindBehavior,
  old: KubeObject,
  next: KubeObject,
): number | undefined {
  const current = old.metadata.generation;
  if (behavior.generation === 'none') return current;
  const base = current ?? 1;
  let changed: boolean;
  switch (behavior.generation) {
    case 'spec':
      changed = !jsonEqual(old.spec, next.spec);
      break;
    case 'spec+annotations':
      changed =
        !jsonEqual(old.spec, next.spec) ||
        !jsonEqual(old.metadata.annotations, next.metadata.annotations);
      break;
    case 'content':
      changed = !jsonEqual(content(old), content(next));
      break;
  }
  return changed ? base + 1 : base;
}

/** An object without metadata and status: what a custom resource's generation tracks. */
function content(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** The object a `/status` write stores, before server-managed fields (see `StatusWriteKeeps`). */
function statusWrite(behavior: KindBehavior, old: KubeObject, candidate: KubeObject): KubeObject {
  const keeps = behavior.statusWriteKeeps ?? 'spec';
  if (keeps === 'all') {
    const next = structuredClone(old);
    copyOrDelete(next, candidate, 'status');
    return next;
  }
  const next = structuredClone(candidate);
  next.metadata ??= {};
  copyOrDelete(next, old, 'spec');
  if (keeps === 'spec+labels') copyOrDelete(next.metadata, old.metadata, 'labels');
  if (keeps === 'spec+metadata') {
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      copyOrDelete(next.metadata, old.metadata, field);
    }
  }
  return next;
}

function copyOrDelete<T extends object>(target: T, source: T, key: keyof T): void {
  if (source[key] !== undefined) target[key] = structuredClone(source[key]);
  else delete target[key];
}

function subresourceNotFound(): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    code: 404,
  };
}
