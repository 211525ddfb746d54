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
 *   (fake-simulation.ts).
 *
 * Where it lives: this module holds the verbs (what each request asks for, the request log, faults
 * and authorization); fake-registry.ts the registry semantics (what is stored, server-managed
 * fields, admission-like checks, deletion); fake-watch.ts the watch fan-out.
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
} from '../kube/request.js';
import type { KubeList, KubeObject } from '../kube/types.js';
import {
  FakeClusterError,
  notFoundStatus,
  StatusFailure,
  subresourceNotFoundStatus,
} from './fake-errors.js';
import type { FaultHandle, FaultSpec, RequestMatcher } from './fake-faults.js';
import type { KindBehavior } from './fake-kinds.js';
import { applyPatchValue } from './fake-patch.js';
import { FakeRegistry, keyOf } from './fake-registry.js';
import { RequestDesk } from './fake-requests.js';
import { matchesFilter, objectFilter } from './fake-selectors.js';
import type { SimulationHost } from './fake-sim-host.js';
import { ControllerSimulation, type SimulationOptions } from './fake-simulation.js';
import { storeKeyOf } from './fake-store.js';
import { WatchHub } from './fake-watch.js';
import { checkIdentity, checkPreconditions } from './fake-write-rules.js';
import { PATCH_METADATA } from './generated/patch-metadata.js';
import type { PatchMetadataTable } from './strategic-merge-metadata.js';

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
  /**
   * The IPv4 range Services get cluster IPs from, like kube-apiserver's
   * `--service-cluster-ip-range`. Default `10.96.0.0/12`. A test of code that must know the
   * service range (a NetworkPolicy allowing it, say) sets the range it passes to that code.
   */
  serviceCIDR?: string;
}

const FIXED_EPOCH = new Date('2026-01-01T00:00:00Z');
const FIELD_MANAGER = 'charmkit';

/** An in-memory `KubePort` with the API server's semantics; see the module comment. */
export class FakeCluster implements KubePort {
  /** Every request served, in order, in the real adapter's `RequestRecord` shape. */
  readonly requests: RequestRecord[];
  private readonly registry: FakeRegistry;
  private readonly desk: RequestDesk;
  private readonly simulation: ControllerSimulation | undefined;
  private readonly watches: WatchHub;

  constructor(options: FakeClusterOptions = {}) {
    this.registry = new FakeRegistry({
      table: options.patchMetadata ?? PATCH_METADATA,
      clock: options.clock ?? (() => FIXED_EPOCH),
      ...(options.strictNamespaces !== undefined
        ? { strictNamespaces: options.strictNamespaces }
        : {}),
      ...(options.kinds ? { kinds: options.kinds } : {}),
      ...(options.serviceCIDR !== undefined ? { serviceCIDR: options.serviceCIDR } : {}),
    });
    this.watches = new WatchHub(this.registry.store);
    this.desk = new RequestDesk(
      options,
      (ref) => this.registry.subject(ref),
      () => {
        if (this.simulation?.immediate) this.simulation.run();
      },
    );
    this.requests = this.desk.requests;
    const registry = this.registry;
    const host: SimulationHost = {
      store: registry.store,
      create: (object) => registry.createInternal(object),
      update: (object) => registry.updateInternal(object),
      remove: (key) => registry.removeCascading(key, 'Background'),
    };
    this.simulation = options.simulate
      ? new ControllerSimulation(host, options.simulate)
      : undefined;
    if (options.objects) this.seed(...options.objects);
  }

  // ---- KubePort -------------------------------------------------------------------------------

  /** Reads one object (404 → `isNotFound`). */
  async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
    return this.desk.serve(getRequest(ref), () => {
      const object = this.registry.store.get(keyOf(ref));
      if (!object) throw new StatusFailure(notFoundStatus(this.registry.subject(ref)));
      return { value: object as T, code: 200 };
    });
  }

  /** Lists objects of one type, filtered by namespace and selectors, in etcd key order. */
  async list<T extends KubeObject = KubeObject>(
    type: TypeRef,
    options: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.desk.serve(listRequest(type, options), () => {
      const filter = objectFilter(type, options);
      const store = this.registry.store;
      let items = store.list(type, options.namespace).filter((o) => matchesFilter(filter, o));
      const metadata: KubeList['metadata'] = { resourceVersion: store.resourceVersion };
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
    return this.desk.serve(
      createRequest(object, options, FIELD_MANAGER),
      () => {
        if (options.subresource) throw new StatusFailure(subresourceNotFoundStatus());
        return { value: this.registry.create(object, options.dryRun === true) as T, code: 201 };
      },
      true,
    );
  }

  /** Replaces an object; a stale `metadata.resourceVersion` is a 409 Conflict. */
  async replace<T extends KubeObject = KubeObject>(
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.desk.serve(
      replaceRequest(object, options, FIELD_MANAGER),
      () => {
        const key = storeKeyOf(object);
        const old = this.registry.require(key);
        checkPreconditions(this.registry.subject(key), old, object);
        const stored = this.registry.update(
          old,
          object,
          options.subresource,
          options.dryRun === true,
        );
        return { value: stored as T, code: 200 };
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
    return this.desk.serve(
      patchRequest(ref, patch, options, FIELD_MANAGER),
      () => {
        const registry = this.registry;
        const old = registry.store.get(keyOf(ref));
        const dryRun = options.dryRun === true;
        if (!old) {
          if (patch.type !== 'apply' || options.subresource) {
            throw new StatusFailure(notFoundStatus(registry.subject(ref)));
          }
          // Server-side apply creates what does not exist.
          const body = structuredClone(patch.body);
          body.metadata = { ...body.metadata, name: ref.name };
          if (ref.namespace !== undefined) body.metadata.namespace = ref.namespace;
          return { value: registry.create(body, dryRun) as T, code: 201 };
        }
        const patched = applyPatchValue(old, patch, {
          table: registry.table,
          definition: registry.definition(ref),
        });
        patched.apiVersion = old.apiVersion;
        patched.kind = old.kind;
        checkIdentity(ref, patched);
        checkPreconditions(registry.subject(ref), old, patched);
        const stored = registry.update(old, patched, options.subresource, dryRun);
        return { value: stored as T, code: 200 };
      },
      true,
    );
  }

  /** Deletes an object, honouring preconditions, finalizers and ownerReferences. */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<void> {
    await this.desk.serve(
      deleteRequest(ref, options),
      () => {
        this.registry.delete(keyOf(ref), options);
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
    return this.desk.serve(watchRequest(type, options), () => {
      const filter = objectFilter(type, options);
      const watch = this.watches.open(
        type,
        options,
        filter,
        onEvent as (event: WatchEvent) => void,
      );
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
    this.registry.store.clear();
    this.desk.faults.clear();
    this.clearRequests();
  }

  /**
   * Puts objects in place as they are (status, uid, generation and — when it is newer than every
   * version so far — resourceVersion included; missing server fields are filled), without requests
   * or validation: the state a test starts from. Simulated controllers (if on) then catch up.
   */
  seed(...objects: KubeObject[]): void {
    for (const object of objects) this.registry.seed(object);
    if (this.simulation?.immediate) this.simulation.run();
  }

  /** The stored object, or undefined; not a request (nothing is logged). */
  peek<T extends KubeObject = KubeObject>(ref: ObjectRef): T | undefined {
    return this.registry.store.get(keyOf(ref)) as T | undefined;
  }

  /** Every stored object (of one type, if given); not a request. */
  objects<T extends KubeObject = KubeObject>(type?: TypeRef, namespace?: string): T[] {
    const store = this.registry.store;
    return (type ? store.list(type, namespace) : store.all()) as T[];
  }

  /** Fails the nth matching request with a Status (see `FaultSpec`). */
  failNext(spec: FaultSpec): FaultHandle {
    return this.desk.faults.failNext(spec);
  }

  /** Delays matching requests (all, without a matcher) by `ms` before they are served. */
  latency(ms: number, matcher?: RequestMatcher): void {
    this.desk.faults.latency(ms, matcher);
  }

  /** Ends every open watch, as a server does when it restarts or times a watch out. */
  closeWatches(): void {
    this.watches.closeAll();
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
      if (this.watches.idle) return;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    throw new FakeClusterError(
      'FakeCluster.settle: watch handlers keep producing events (1000 rounds)',
    );
  }
}
