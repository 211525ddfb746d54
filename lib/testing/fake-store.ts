/**
 * The in-memory storage behind `FakeCluster`: objects by type/namespace/name, one monotonic
 * resourceVersion counter for all of them (as etcd has), and the change history watches read.
 *
 * Kept apart from the request handling so the simulated controllers (fake-simulation.ts) write
 * through the same path — their changes bump resourceVersions and reach watches exactly like
 * a client's — without appearing in the request log, which records only what the code under test
 * sent.
 */
import type { TypeRef } from '../kube/port.js';
import type { KubeObject } from '../kube/types.js';

/** What identifies a stored object. */
export interface StoreKey extends TypeRef {
  namespace?: string;
  name: string;
}

/** One change, as a watch reports it. */
export interface StoreChange {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** The object after the change (for DELETED: its last state, with the deletion's version). */
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  previous?: KubeObject;
  revision: number;
}

function keyOf(key: StoreKey): string {
  return `${key.apiVersion}/${key.kind}/${key.namespace ?? ''}/${key.name}`;
}

function typeOf(key: TypeRef): string {
  return `${key.apiVersion}/${key.kind}`;
}

/** The key of a stored object. */
export function storeKeyOf(object: KubeObject): StoreKey {
  const key: StoreKey = {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name ?? '',
  };
  if (object.metadata.namespace !== undefined) key.namespace = object.metadata.namespace;
  return key;
}

/** Objects, versions and history; every read and write copies, so callers never share state. */
export class ObjectStore {
  private objects = new Map<string, KubeObject>();
  private revision = 0;
  private history: StoreChange[] = [];
  private listeners = new Set<(change: StoreChange) => void>();
  private uids = 0;
  private names = 0;

  constructor(private readonly clock: () => Date) {}

  /** The current (latest) resourceVersion, as lists report it. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** A copy of the stored object, or undefined. */
  get(key: StoreKey): KubeObject | undefined {
    const object = this.objects.get(keyOf(key));
    return object ? structuredClone(object) : undefined;
  }

  /** Copies of every object of `type` (in `namespace`, if given), in etcd key order. */
  list(type: TypeRef, namespace?: string): KubeObject[] {
    const wanted = typeOf(type);
    return [...this.objects.values()]
      .filter((o) => typeOf(o) === wanted)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .sort((a, b) => compareKeys(a, b))
      .map((o) => structuredClone(o));
  }

  /** Copies of every object in `namespace`, any type. */
  inNamespace(namespace: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => o.metadata.namespace === namespace)
      .map((o) => structuredClone(o));
  }

  /** Copies of every object whose ownerReferences name `uid`. */
  dependentsOf(uid: string): KubeObject[] {
    return [...this.objects.values()]
      .filter((o) => (o.metadata.ownerReferences ?? []).some((ref) => ref.uid === uid))
      .map((o) => structuredClone(o));
  }

  /** Copies of every object. */
  all(): KubeObject[] {
    return [...this.objects.values()].sort(compareKeys).map((o) => structuredClone(o));
  }

  /**
   * Stores `object` under a new resourceVersion and tells watchers. Returns the stored copy.
   */
  put(object: KubeObject): KubeObject {
    const key = keyOf(storeKeyOf(object));
    const previous = this.objects.get(key);
    const stored = structuredClone(object);
    stored.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, stored);
    this.emit({
      type: previous ? 'MODIFIED' : 'ADDED',
      object: stored,
      ...(previous ? { previous } : {}),
      revision: this.revision,
    });
    return structuredClone(stored);
  }

  /**
   * Stores a seeded object, keeping its resourceVersion when that is a number above every version
   * handed out so far (the counter jumps to it), so state copied from a real cluster keeps its
   * versions; otherwise like `put`.
   */
  seed(object: KubeObject): KubeObject {
    const given = Number(object.metadata.resourceVersion);
    if (Number.isSafeInteger(given) && given > this.revision) this.revision = given - 1;
    return this.put(object);
  }

  /** Removes an object; returns its last state (with the deletion's resourceVersion). */
  remove(key: StoreKey): KubeObject | undefined {
    const id = keyOf(key);
    const previous = this.objects.get(id);
    if (!previous) return undefined;
    this.objects.delete(id);
    const last = structuredClone(previous);
    last.metadata.resourceVersion = String(++this.revision);
    this.emit({ type: 'DELETED', object: last, previous, revision: this.revision });
    return structuredClone(last);
  }

  /** Changes after `revision`, oldest first (copies). */
  changesSince(revision: number): StoreChange[] {
    return this.history.filter((c) => c.revision > revision).map((c) => structuredClone(c));
  }

  /** Calls `listener` with every later change; returns the unsubscribe function. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A fresh, deterministic UID (tests can snapshot objects without masking UIDs). */
  nextUid(): string {
    const n = ++this.uids;
    return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
  }

  /** A deterministic 5-character suffix for `generateName`, like the server's random one. */
  nextNameSuffix(): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let n = ++this.names;
    let suffix = '';
    for (let i = 0; i < 5; i++) {
      suffix += alphabet[n % alphabet.length];
      n = Math.floor(n / alphabet.length);
    }
    return suffix;
  }

  /** Now, in the API's timestamp format (RFC 3339, whole seconds). */
  now(): string {
    return this.clock()
      .toISOString()
      .replace(/\.\d{3}Z$/, 'Z');
  }

  /** Forgets every object and the history (versions keep counting up). */
  clear(): void {
    this.objects.clear();
    this.history = [];
  }

  private emit(change: StoreChange): void {
    this.history.push(change);
    for (const listener of [...this.listeners]) listener(structuredClone(change));
  }
}

function compareKeys(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
