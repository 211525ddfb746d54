/**
 * The registry semantics behind `FakeCluster`'s verbs: how an object is stored, created, updated
 * and removed, as kube-apiserver's generic registry and the per-kind strategies do it.
 *
 * - server-managed fields: `uid` (deterministic), `resourceVersion` (the store's one counter),
 *   `creationTimestamp`, `generation` per kind (fake-kinds.ts), the initial `status` of kinds with
 *   a status subresource, and the status subresource's write rules (fake-write-rules.ts);
 * - the decode round trip (fake-normalize.ts), then the admission-like stage (fake-admission.ts:
 *   defaults, create-time plugins, validation, Service address allocation) before anything is
 *   stored; an update that changes nothing stores nothing;
 * - deletion: finalizers (deletionTimestamp, removal with the last finalizer), ownerReference
 *   cascade and namespace contents.
 *
 * The verbs (fake-cluster.ts) decide what a request asks for; this module decides what is stored.
 * The simulated controllers write through `createInternal`/`updateInternal`/`removeCascading`.
 */
import { jsonEqual } from '../core/json.js';
import type { DeleteOptions, ObjectRef, TypeRef } from '../kube/port.js';
import { groupOf, resourceInfo } from '../kube/resources.js';
import type { KubeObject } from '../kube/types.js';
import { FakeAdmission } from './fake-admission.js';
import {
  alreadyExistsStatus,
  forbidden,
  internalErrorStatus,
  invalidStatus,
  notFoundStatus,
  StatusFailure,
  subresourceNotFoundStatus,
  type FieldError,
  type StatusSubject,
} from './fake-errors.js';
import { kindBehavior, type KindBehavior } from './fake-kinds.js';
import { normalizeStoredObject } from './fake-normalize.js';
import { ObjectStore, storeKeyOf, type StoreKey } from './fake-store.js';
import {
  checkDeletePreconditions,
  copyOrDelete,
  nextGeneration,
  statusWrite,
} from './fake-write-rules.js';
import type { JsonObject } from './strategic-merge.js';
import { definitionForKind, type PatchMetadataTable } from './strategic-merge-metadata.js';

/** How the registry behaves; `FakeClusterOptions` passes these through. */
export interface RegistryOptions {
  table: PatchMetadataTable;
  clock: () => Date;
  /** Creating a namespaced object needs its Namespace to exist. */
  strictNamespaces?: boolean;
  /** Per-kind storage overrides. */
  kinds?: Record<string, Partial<KindBehavior>>;
  /** The IPv4 range cluster IPs are allocated from. */
  serviceCIDR?: string;
}

/** The store key a request's reference names (no namespace for cluster-scoped kinds). */
export function keyOf(ref: ObjectRef): StoreKey {
  const key: StoreKey = { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name };
  if (ref.namespace !== undefined && resourceInfo(ref).namespaced) key.namespace = ref.namespace;
  return key;
}

/** Objects as the API server stores them; see the module comment. */
export class FakeRegistry {
  readonly store: ObjectStore;
  private readonly admission: FakeAdmission;

  constructor(private readonly options: RegistryOptions) {
    this.store = new ObjectStore(options.clock);
    this.admission = new FakeAdmission(this.store, options.serviceCIDR);
  }

  /** The patch metadata table writes are decoded with. */
  get table(): PatchMetadataTable {
    return this.options.table;
  }

  /** How Status messages name `ref`'s resource. */
  subject(ref: TypeRef & { name?: string }): StatusSubject {
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

  /** The stored object, or a 404 naming it. */
  require(key: StoreKey): KubeObject {
    const object = this.store.get(key);
    if (!object) throw new StatusFailure(notFoundStatus(this.subject(key)));
    return object;
  }

  /** Create semantics shared by `create` and apply-creates; returns what is (or would be) stored. */
  create(input: KubeObject, dryRun: boolean): KubeObject {
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
    const errors = this.admission.admitCreate(stored);
    if (errors.length > 0) throw this.invalid(stored, errors);
    if (this.store.get(storeKeyOf(stored))) {
      throw new StatusFailure(alreadyExistsStatus(this.subject(storeKeyOf(stored))));
    }
    return dryRun ? stored : this.store.put(stored);
  }

  /**
   * Update semantics shared by replace and patch: server-managed fields and (outside `/status`)
   * the status kept from `old`, validated, stored only if something changed. Returns what is (or
   * would be) stored.
   */
  update(
    old: KubeObject,
    candidate: KubeObject,
    subresource: string | undefined,
    dryRun: boolean,
  ): KubeObject {
    return this.commitUpdate(old, this.prepareUpdate(old, candidate, subresource), dryRun);
  }

  /** A client's delete: preconditions, then finalizers or removal with its cascade. */
  delete(key: StoreKey, options: DeleteOptions): void {
    const old = this.require(key);
    checkDeletePreconditions(this.subject(key), old, options.preconditions);
    if (options.dryRun) return;
    if ((old.metadata.finalizers ?? []).length > 0) {
      if (!old.metadata.deletionTimestamp) {
        const marked = structuredClone(old);
        marked.metadata.deletionTimestamp = this.store.now();
        marked.metadata.deletionGracePeriodSeconds = 0;
        if (marked.metadata.generation !== undefined) marked.metadata.generation += 1;
        this.store.put(marked);
      }
      return;
    }
    this.removeCascading(key, options.propagationPolicy ?? 'Background');
  }

  /**
   * Puts an object in place as it is (status, uid, generation and — when it is newer than every
   * version so far — resourceVersion included; missing server fields are filled), without
   * validation.
   */
  seed(object: KubeObject): void {
    const copy = structuredClone(object);
    copy.metadata ??= {};
    if (!resourceInfo(copy).namespaced) delete copy.metadata.namespace;
    copy.metadata.uid ??= this.store.nextUid();
    copy.metadata.creationTimestamp ??= this.store.now();
    const behavior = this.behavior(copy);
    if (behavior.generation !== 'none') copy.metadata.generation ??= 1;
    const stored = this.normalize(copy);
    this.admission.defaults(stored);
    this.store.seed(stored);
  }

  /** Removes an object and what depends on it (namespace contents, owned objects). */
  removeCascading(
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
  createInternal(object: KubeObject): KubeObject {
    const copy = structuredClone(object);
    copy.metadata.uid = this.store.nextUid();
    copy.metadata.creationTimestamp = this.store.now();
    if (this.behavior(copy).generation !== 'none') copy.metadata.generation = 1;
    const stored = this.normalize(copy);
    this.admission.prepareInternal(stored);
    return this.store.put(stored);
  }

  /** Server-side update for simulated controllers: stores as given, if it changed anything. */
  updateInternal(object: KubeObject): KubeObject {
    const next = this.normalize(object);
    const old = this.store.get(storeKeyOf(next));
    if (old) next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (old && jsonEqual(old, next)) return old;
    return this.store.put(next);
  }

  /** The schema definition patches of `type` are applied with (undefined: not a built-in kind). */
  definition(type: TypeRef): string | undefined {
    return definitionForKind(this.options.table, type.apiVersion, type.kind);
  }

  private behavior(type: TypeRef): KindBehavior {
    return kindBehavior(type.apiVersion, type.kind, this.options.kinds);
  }

  private normalize(object: KubeObject): KubeObject {
    return normalizeStoredObject(object as unknown as JsonObject, this.options.table, {
      definition: this.definition(object),
      stripDirectives: false,
    }) as unknown as KubeObject;
  }

  private invalid(object: KubeObject, errors: FieldError[]): StatusFailure {
    return new StatusFailure(invalidStatus(this.subject(storeKeyOf(object)), errors));
  }

  /** The object an update would store: server-managed fields and status kept from `old`. */
  private prepareUpdate(old: KubeObject, candidate: KubeObject, subresource?: string): KubeObject {
    const behavior = this.behavior(old);
    if (subresource !== undefined && subresource !== 'status') {
      throw new StatusFailure(subresourceNotFoundStatus());
    }
    let source = candidate;
    if (subresource === 'status') {
      if (!behavior.statusSubresource) throw new StatusFailure(subresourceNotFoundStatus());
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
    const normalized = this.normalize(next);
    const errors = this.admission.prepareUpdate(normalized, old);
    if (errors.length > 0) throw this.invalid(normalized, errors);
    const generation = nextGeneration(behavior, old, normalized);
    if (generation === undefined) delete normalized.metadata.generation;
    else normalized.metadata.generation = generation;
    return normalized;
  }

  /** Validates and stores an update (or nothing, if nothing changed); returns what is stored. */
  private commitUpdate(old: KubeObject, next: KubeObject, dryRun: boolean): KubeObject {
    const errors = this.admission.validateUpdate(next, old);
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
}
