/**
 * A `KubePort` that never writes: every create, replace, patch and delete goes to the API server
 * as a server-side dry run (`?dryRun=All`), so admission, defaulting and validation run and the
 * answer is what the write would have produced, while nothing is stored. Reads pass through. Each
 * write is recorded with the object before it (the last read of it) and the server's answer.
 */
import type {
  DeleteOptions,
  KubeObject,
  KubePort,
  ObjectRef,
  Patch,
  WriteOptions,
} from 'charmkit/kube';

/** One write that was sent as a dry run. */
export interface DryRunWrite {
  readonly verb: 'create' | 'replace' | 'patch' | 'delete';
  readonly ref: ObjectRef;
  /** The object as last read through this port (undefined: never read, or a create). */
  readonly before?: KubeObject;
  /** What the server answered the dry run with (undefined for a delete). */
  readonly after?: KubeObject;
  /** Always true: the write carried `dryRun`. */
  readonly dryRun: true;
}

const key = (ref: ObjectRef) => `${ref.apiVersion}/${ref.kind}/${ref.namespace ?? ''}/${ref.name}`;
const refOf = (object: KubeObject): ObjectRef => ({
  apiVersion: object.apiVersion,
  kind: object.kind,
  name: object.metadata.name ?? '',
  ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
});

/** Wraps `port` so that every write is a server-side dry run; see the module comment. */
export function dryRunPort(port: KubePort): { kube: KubePort; writes: DryRunWrite[] } {
  const seen = new Map<string, KubeObject>();
  const writes: DryRunWrite[] = [];
  const dry = (options: WriteOptions | undefined): WriteOptions => ({ ...options, dryRun: true });
  const record = (verb: DryRunWrite['verb'], ref: ObjectRef, after: KubeObject | undefined) => {
    const before = seen.get(key(ref));
    writes.push({
      verb,
      ref,
      ...(before ? { before } : {}),
      ...(after ? { after } : {}),
      dryRun: true,
    });
    // Later steps of the same reconcile read their own (dry) write back as if it had happened.
    if (after) seen.set(key(ref), after);
  };
  const kube: KubePort = {
    async get<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T> {
      const object = await port.get<T>(ref);
      seen.set(key(ref), object);
      return object;
    },
    list: (type, options) => port.list(type, options),
    async create<T extends KubeObject = KubeObject>(object: T, options?: WriteOptions): Promise<T> {
      const after = await port.create<T>(object, dry(options));
      record('create', refOf(object), after);
      return after;
    },
    async replace<T extends KubeObject = KubeObject>(
      object: T,
      options?: WriteOptions,
    ): Promise<T> {
      const after = await port.replace<T>(object, dry(options));
      record('replace', refOf(object), after);
      return after;
    },
    async patch<T extends KubeObject = KubeObject>(
      ref: ObjectRef,
      patch: Patch,
      options?: WriteOptions,
    ): Promise<T> {
      const after = await port.patch<T>(ref, patch, dry(options));
      record('patch', ref, after);
      return after;
    },
    async delete(ref: ObjectRef, options?: DeleteOptions): Promise<void> {
      await port.delete(ref, { ...options, dryRun: true });
      record('delete', ref, undefined);
    },
    watch: (type, options, onEvent) => port.watch(type, options, onEvent),
  };
  return { kube, writes };
}
