/**
 * `FakeCluster`: an in-memory `KubePort` for unit-testing controllers without an API server.
 *
 * It answers every port call the way kube-apiserver v1.37 does for the things controllers depend
 * on — including what the server adds to what it was sent (defaults, admission, allocated
 * addresses), because that decides whether a reconcile with nothing to do really writes nothing.
 * Every behaviour it models is checked against a real v1.37.2 server by the differential tests
 * (tests/testing/*.diff.int.test.ts: the same requests to both, identical results required).
 *
 * The full list of what is modelled and what is not is in docs/testing.md ("What FakeCluster
 * models", "What FakeCluster does not model"); keep it current. In short, modelled: server-managed
 * fields and generation per kind; defaulting on every write and the default admission plugins on
 * create; validation of what controllers get wrong (422 worded like the server); the status
 * subresource; deletion with finalizers and cascades; every patch type; selectors; watches; a
 * request log, fault injection and an opt-in StatefulSet/Pod/PVC simulation. Not modelled:
 * webhooks, PodSecurity, quotas, managedFields (server-side apply is approximated), RBAC beyond
 * the `authorize` hook, retries, controllers beyond the simulation, `410 Gone`.
 *
 * Where it lives:
 * - this module: the verbs (what each request asks for) and the test helpers;
 * - fake-requests.ts: request plumbing (log, faults, authorization, errors as `KubernetesError`);
 * - fake-registry.ts: registry semantics (what is stored, server-managed fields, deletion), with
 *   fake-write-rules.ts (preconditions, generation, `/status` writes) and fake-kinds.ts;
 * - fake-admission.ts: defaults (fake-defaults*.ts, fake-services.ts, fake-quantity.ts),
 *   create-time plugins (fake-pod-admission.ts), validation (fake-validation*.ts);
 * - fake-watch.ts: watch fan-out and resourceVersion replay; fake-store.ts: the store itself;
 * - fake-simulation.ts: the opt-in controllers, one module each.
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
  /**
   * Objects present from the start, stored as given (status included) with the server's defaults
   * filled in, as a read from a real cluster would return them; no requests, no validation.
   */
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
   * version so far — resourceVersion included; missing server fields and defaults are filled, but
   * no create-time admission runs), without requests or validation: the state a test starts from.
   * Simulated controllers (if on) then catch up.
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
