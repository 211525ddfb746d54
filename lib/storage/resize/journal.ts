/**
 * The resize journal: where a run writes down what it is about to do, before it does it.
 *
 * Kept in a ConfigMap of its own (deterministic name, see names.ts) and never on the StatefulSet,
 * because the StatefulSet is one of the objects a resize deletes and recreates: progress stored on
 * it (as the controller in seed 002 does) is lost exactly when it matters. The journal holds the
 * target, the original replica count, the sanitized StatefulSet and its UID, its retention policy,
 * for every claim its UID, volume, reclaim policy and phase, the manifests of copies, and which
 * steps are done. Every destructive action is preceded by a journal write that names it.
 *
 * The same ConfigMap is the lock. Every write is a compare-and-swap on its resourceVersion, so two
 * runs can never both act: the slower one's write fails with a conflict and it stops. The holder
 * and the time of its last write sit in annotations; another holder may take over only once that
 * lease has expired, while the same holder (a charm unit re-running its hook) resumes at once.
 */
import type { KubePort } from '../../kube/port.js';
import type { KubeObject } from '../../kube/types.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import type { JsonObject } from '../../core/json.js';
import { isPlainObject } from '../../core/json.js';
import type { Clock } from '../../core/clock.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../claim.js';
import { ResizeLockedError, ResizeRefusedError } from './errors.js';
import { journalName, RESIZE_LABEL } from './names.js';
import type { ResizePath } from './plan.js';

/** The journal format version; a run refuses a journal it does not understand. */
export const JOURNAL_VERSION = 1;
const DATA_KEY = 'journal.json';
const HOLDER_ANNOTATION = 'resize.charmkit.io/lock-holder';
const RENEWED_ANNOTATION = 'resize.charmkit.io/lock-renewed';
const EXPIRES_ANNOTATION = 'resize.charmkit.io/lock-expires';

/** Where a journaled step stands. */
export type StepState = 'pending' | 'started' | 'done';

/** One step of the plan, in order. */
export interface JournalStep {
  readonly id: string;
  readonly kind: StepKind;
  readonly claim?: string;
  state: StepState;
}

/** Every kind of step (see steps.ts for what each does). */
export type StepKind =
  | 'expand'
  | 'await-expansion'
  | 'retain-claims'
  | 'retain-volume'
  | 'scale-down'
  | 'create-copy'
  | 'copy'
  | 'verify'
  | 'swap'
  | 'copy-back'
  | 'verify-back'
  | 'template'
  | 'scale-up'
  | 'restore-retention'
  | 'restore-volumes'
  | 'cleanup';

/** A volume as journaled: enough to find it again and to put its reclaim policy back. */
export interface JournalVolume {
  name: string;
  uid?: string;
  /** Its reclaim policy before the resize touched it. */
  reclaimPolicy?: string;
  /** Its `spec.nodeAffinity`, copied to the Job pods (local volumes can only be read there). */
  nodeAffinity?: JsonObject;
}

/** What a copy or verification Job reported. */
export interface CopyReport {
  /** Bytes of file data transferred (rsync's "total transferred file size"). */
  bytes: number;
  /** Entries in the tree (files, directories, links...). */
  files: number;
  /** sha256 of the tree's manifest (type, mode, owner, size, mtime, path, link target, content hash). */
  digest: string;
}

/** One claim of the plan. */
export interface JournalClaim {
  name: string;
  template: string;
  ordinal: number;
  uid: string;
  request: string;
  capacity?: string;
  target: string;
  path: ResizePath;
  storageClassName?: string;
  /** The class's volumeBindingMode, if it could be read (new claims bind per it). */
  bindingMode?: string;
  accessModes: string[];
  volumeMode: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  volume?: JournalVolume;
  /** The new, larger claim the data is copied into (copy path). */
  copy?: { name: string; uid?: string; volume?: JournalVolume };
  /** The copy Job's report. */
  copied?: CopyReport;
  /** Set once the verification Job found source and copy identical. */
  verified?: CopyReport;
  /** Set when the swap deleted the original claim: from here on, going back needs a person. */
  swapStarted?: boolean;
  /** Set when the original claim disappeared without the swap (someone else deleted it). */
  originalGone?: boolean;
  /** The claim recreated under the original name (copy-back) and its report. */
  restored?: { uid?: string; copied?: CopyReport; verified?: CopyReport };
  /** In place: the request the helper set to recover from an infeasible expansion. */
  loweredTo?: string;
}

/** The StatefulSet as journaled. */
export interface JournalStatefulSet {
  name: string;
  uid: string;
  /** The replica count to come back to. */
  replicas: number;
  /** The retention policy to come back to (absent = the default, Retain/Retain). */
  retention?: { whenDeleted?: string; whenScaled?: string };
  /** The object as read at the start, without server-managed fields. */
  original: JsonObject;
  /** The object the template step recreates, written just before it deletes the live one. */
  recreate?: JsonObject;
  /** The UID of the recreated StatefulSet. */
  recreatedUid?: string;
  /** Pod name → UID before the orphan delete (to prove the pods were adopted, not replaced). */
  pods?: Record<string, string>;
}

/** The whole journal. */
export interface ResizeJournal {
  version: number;
  runId: string;
  startedAt: string;
  namespace: string;
  statefulSet: JournalStatefulSet;
  targets: Record<string, string>;
  /** How the template gets the new size: patched (server allows it) or by orphan delete + create. */
  templateUpdate: 'patch' | 'recreate';
  /** How a copy replaces the original claim. */
  swap?: 'rebind' | 'copy-back';
  /** What happens to the original volumes after success. */
  oldVolumes: 'keep' | 'reclaim';
  claims: JournalClaim[];
  steps: JournalStep[];
  /** forward: steps run in order; rolling-back: undoing; needs-human: stopped for a person. */
  phase: 'forward' | 'rolling-back' | 'needs-human';
  failure?: { step: string; reason: string; advice: string; commands?: string[] };
  /** Clock time (ms) when the scale-down was sent, and the total once the set was Ready again. */
  zeroSince?: number;
  zeroMs?: number;
  bytesCopied: number;
  warnings: string[];
}

/** The journal and its lock, read and written through the port with compare-and-swap. */
export class JournalStore {
  private resourceVersion: string | undefined;
  private uid: string | undefined;

  private constructor(
    private readonly kube: KubePort,
    private readonly namespace: string,
    readonly name: string,
    private readonly holder: string,
    private readonly clock: Clock,
    private readonly leaseMs: number,
    /** The journal; mutate it, then `save()`. */
    readonly data: ResizeJournal,
  ) {}

  /** Reads the journal of `statefulSet` without taking the lock (dry runs); undefined if none. */
  static async peek(
    port: KubePort,
    namespace: string,
    statefulSet: string,
  ): Promise<ResizeJournal | undefined> {
    const name = journalName(namespace, statefulSet);
    try {
      const object = await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
      return parseJournal(object, name);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * Reads the journal of `statefulSet`, taking its lock. Undefined when there is none. Throws
   * `ResizeLockedError` while another holder's lease is live.
   */
  static async open(
    port: KubePort,
    namespace: string,
    statefulSet: string,
    holder: string,
    clock: Clock,
    leaseMs: number,
  ): Promise<JournalStore | undefined> {
    const name = journalName(namespace, statefulSet);
    let object: KubeObject;
    try {
      object = await port.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace, name });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const data = parseJournal(object, name);
    const store = new JournalStore(port, namespace, name, holder, clock, leaseMs, data);
    store.resourceVersion = object.metadata.resourceVersion;
    store.uid = object.metadata.uid;
    store.checkLock(object);
    // Taking the lock is a write: it fails with a conflict if another run got there first.
    await store.save();
    return store;
  }

  /** Writes a new journal (and takes its lock); `ResizeLockedError` if one appeared meanwhile. */
  static async create(
    port: KubePort,
    holder: string,
    clock: Clock,
    leaseMs: number,
    data: ResizeJournal,
  ): Promise<JournalStore> {
    const name = journalName(data.namespace, data.statefulSet.name);
    const store = new JournalStore(port, data.namespace, name, holder, clock, leaseMs, data);
    try {
      const created = await port.create(store.object());
      store.resourceVersion = created.metadata.resourceVersion;
      store.uid = created.metadata.uid;
    } catch (error) {
      if (isAlreadyExists(error)) {
        throw new ResizeLockedError('another run', 'it finishes (its journal appeared just now)');
      }
      throw error;
    }
    return store;
  }

  /** Writes the journal and renews the lock; a conflict means another run wrote it: stop. */
  async save(): Promise<void> {
    try {
      const written = await this.kube.replace(this.object());
      this.resourceVersion = written.metadata.resourceVersion;
    } catch (error) {
      if (isConflict(error)) {
        throw new ResizeLockedError('another run', 'it finishes (it wrote the journal meanwhile)');
      }
      throw error;
    }
  }

  /** Renews the lock if half its lease has passed (called while waiting). */
  async heartbeat(lastWrite: { at: number }): Promise<void> {
    if (this.clock.now() - lastWrite.at < this.leaseMs / 2) return;
    await this.save();
    lastWrite.at = this.clock.now();
  }

  /** Deletes the journal (end of a run), guarded by its UID and version. */
  async remove(): Promise<void> {
    try {
      await this.kube.delete(
        { apiVersion: 'v1', kind: 'ConfigMap', namespace: this.namespace, name: this.name },
        { preconditions: { uid: this.uid, resourceVersion: this.resourceVersion } },
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  private checkLock(object: KubeObject): void {
    const annotations = object.metadata.annotations ?? {};
    const holder = annotations[HOLDER_ANNOTATION];
    const expires = Number(annotations[EXPIRES_ANNOTATION]);
    if (
      holder &&
      holder !== this.holder &&
      Number.isFinite(expires) &&
      expires > this.clock.now()
    ) {
      throw new ResizeLockedError(holder, new Date(expires).toISOString());
    }
  }

  private object(): KubeObject {
    const now = this.clock.now();
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: {
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
          [RESIZE_LABEL]: this.data.statefulSet.name,
        },
        annotations: {
          [HOLDER_ANNOTATION]: this.holder,
          [RENEWED_ANNOTATION]: String(now),
          [EXPIRES_ANNOTATION]: String(now + this.leaseMs),
        },
      },
      data: { [DATA_KEY]: JSON.stringify(this.data, null, 1) },
    };
    if (this.resourceVersion !== undefined) {
      object.metadata.resourceVersion = this.resourceVersion;
    }
    return object;
  }
}

function parseJournal(object: KubeObject, name: string): ResizeJournal {
  const data = isPlainObject(object.data) ? object.data : {};
  const text = data[DATA_KEY];
  let parsed: unknown;
  try {
    parsed = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isPlainObject(parsed) || parsed.version !== JOURNAL_VERSION) {
    throw new ResizeRefusedError([
      `ConfigMap ${object.metadata.namespace ?? ''}/${name} does not hold a version ` +
        `${JOURNAL_VERSION} resize journal; inspect it with ` +
        `kubectl -n ${object.metadata.namespace ?? ''} get configmap ${name} -o yaml`,
    ]);
  }
  return parsed as unknown as ResizeJournal;
}

/**
 * The StatefulSet without what the server manages (uid, resourceVersion, generation, timestamps,
 * managedFields, status): what can be created again.
 */
export function sanitizeStatefulSet(set: KubeObject): JsonObject {
  const copy = structuredClone(set) as unknown as JsonObject;
  delete copy.status;
  const meta = isPlainObject(copy.metadata) ? copy.metadata : {};
  for (const field of [
    'uid',
    'resourceVersion',
    'generation',
    'creationTimestamp',
    'managedFields',
    'deletionTimestamp',
    'deletionGracePeriodSeconds',
    'selfLink',
  ]) {
    delete meta[field];
  }
  copy.metadata = meta;
  return copy;
}
