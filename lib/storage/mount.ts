/**
 * The pod-template fragments that mount a shared claim, and their exact undo.
 *
 * Mounting means three things in the StatefulSet's pod template: a volume referencing the claim, a
 * volumeMount in the workload container, and a pod `fsGroup` so the workload's group can write.
 * They are contributed to a `StatefulSetPlan`, never patched directly, so storage composes with
 * other capabilities into one patch. What was added is recorded in one StatefulSet annotation
 * (metadata, not the pod template: it restarts nothing): unmounting then removes exactly that, and
 * restores an `fsGroup` we replaced instead of guessing whether it was ours.
 */
import { createHash } from 'node:crypto';
import type { StatefulSetPlan } from '../workload/plan/index.js';
import type { Pod, StatefulSet } from '../kube/types.js';

/** Prefix of every volume charmkit storage adds; a user's own volumes never start with it. */
export const STORAGE_VOLUME_PREFIX = 'charmkit-storage-';
/** Annotation key prefix of mount records. */
export const MOUNT_RECORD_PREFIX = 'storage.charmkit.io/';

const DNS_LABEL_MAX = 63;

/**
 * The pod volume name for a relation endpoint: deterministic (the same endpoint always yields the
 * same name, so reconciles find their own volume) and a valid DNS-1123 label of at most 63
 * characters; long or unusual endpoint names are shortened with a hash so two never collide.
 */
export function storageVolumeName(endpoint: string): string {
  const clean = endpoint
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  const candidate = `${STORAGE_VOLUME_PREFIX}${clean || 'volume'}`;
  if (candidate.length <= DNS_LABEL_MAX && clean === endpoint) return candidate;
  const hash = createHash('sha256').update(endpoint).digest('hex').slice(0, 8);
  const room = DNS_LABEL_MAX - STORAGE_VOLUME_PREFIX.length - hash.length - 1;
  const head = clean.slice(0, room).replace(/-$/, '');
  return `${STORAGE_VOLUME_PREFIX}${head ? `${head}-` : ''}${hash}`;
}

/** The StatefulSet annotation key that records a mount of `volume`. */
export function mountRecordKey(volume: string): string {
  return `${MOUNT_RECORD_PREFIX}${volume}`;
}

/** What charmkit added for one storage endpoint, as recorded on the StatefulSet. */
export interface MountRecord {
  readonly volume: string;
  readonly claim: string;
  readonly container: string;
  readonly mountPath: string;
  /** The fsGroup charmkit set, if it set one. */
  readonly fsGroup?: number;
  /** The fsGroup before charmkit set it (null: there was none); restored on unmount. */
  readonly previousFsGroup?: number | null;
}

/** Reads the record of `volume` from a StatefulSet; undefined when absent or not ours. */
export function readMountRecord(sts: StatefulSet, volume: string): MountRecord | undefined {
  const raw = sts.metadata.annotations?.[mountRecordKey(volume)];
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<MountRecord>;
    if (typeof value.container !== 'string' || typeof value.mountPath !== 'string')
      return undefined;
    return value as MountRecord;
  } catch {
    return undefined;
  }
}

/** What to mount where. */
export interface MountSpec {
  /** Owner tag for plan changes and conflicts, e.g. `storage:media`. */
  readonly owner: string;
  /** The pod volume name (see `storageVolumeName`). */
  readonly volume: string;
  /** The PVC to mount. */
  readonly claimName: string;
  /** The workload container (its name in charmcraft.yaml, not the app name). */
  readonly container: string;
  /** Absolute, normalised mount path. */
  readonly mountPath: string;
  /** Pod fsGroup to set, usually the provider's pgid; undefined leaves fsGroup alone. */
  readonly fsGroup?: number;
}

/** Contributes the mount fragments (volume, mount, fsGroup, record) to `plan`. */
export function contributeMount(plan: StatefulSetPlan, spec: MountSpec): void {
  const { owner, volume } = spec;
  const record = readMountRecord(plan.observed, volume);
  plan.ensureVolume(owner, { name: volume, persistentVolumeClaim: { claimName: spec.claimName } });
  plan.ensureVolumeMount(owner, spec.container, { name: volume, mountPath: spec.mountPath });
  if (record && record.container !== spec.container) {
    plan.removeVolumeMountAt(owner, record.container, record.mountPath);
  }
  const observedFsGroup = plan.observed.spec.template.spec.securityContext?.fsGroup;
  let next: MountRecord = {
    volume,
    claim: spec.claimName,
    container: spec.container,
    mountPath: spec.mountPath,
  };
  if (spec.fsGroup !== undefined) {
    plan.ensurePodSecurityContext(owner, { fsGroup: spec.fsGroup });
    const previous =
      record?.fsGroup !== undefined ? (record.previousFsGroup ?? null) : (observedFsGroup ?? null);
    next = { ...next, fsGroup: spec.fsGroup, previousFsGroup: previous };
  } else if (record?.fsGroup !== undefined && observedFsGroup === record.fsGroup) {
    plan.ensurePodSecurityContext(owner, { fsGroup: record.previousFsGroup ?? null });
  }
  plan.ensureAnnotation(owner, mountRecordKey(volume), JSON.stringify(next));
}

/**
 * The pod fsGroup `contributeMount` will replace, when the pod has one that charmkit did not set
 * (one it set for an earlier pgid is its own to change). Undefined when nothing of the user's is
 * replaced. The record keeps the replaced value, so `unmount()` restores it.
 */
export function replacedFsGroup(observed: StatefulSet, spec: MountSpec): number | undefined {
  if (spec.fsGroup === undefined) return undefined;
  const current = observed.spec.template.spec.securityContext?.fsGroup;
  if (current === undefined || current === spec.fsGroup) return undefined;
  if (readMountRecord(observed, spec.volume)?.fsGroup === current) return undefined;
  return current;
}

/**
 * Contributes the exact undo of `contributeMount`: every mount of the volume, the volume, the
 * record, and the fsGroup restored to its previous value if it is still the one charmkit set.
 */
export function contributeUnmount(plan: StatefulSetPlan, owner: string, volume: string): void {
  const record = readMountRecord(plan.observed, volume);
  plan.removeVolumeMounts(owner, volume);
  plan.removeVolume(owner, volume);
  const observedFsGroup = plan.observed.spec.template.spec.securityContext?.fsGroup;
  if (record?.fsGroup !== undefined && observedFsGroup === record.fsGroup) {
    plan.ensurePodSecurityContext(owner, { fsGroup: record.previousFsGroup ?? null });
  }
  plan.ensureAnnotation(owner, mountRecordKey(volume), null);
}

/**
 * Checks a running pod really carries the mount: the volume references the claim and the container
 * mounts it at the path. Returns the problem, or undefined when the pod is as desired. Nodes in
 * tests are fakes and real ones may forbid exec, so this reads the pod spec the kubelet ran.
 */
export function podMountProblem(pod: Pod, spec: MountSpec): string | undefined {
  const podName = pod.metadata.name ?? '';
  const volume = (pod.spec.volumes ?? []).find((v) => v.name === spec.volume);
  if (!volume) return `pod ${podName} has no volume ${spec.volume}`;
  if (volume.persistentVolumeClaim?.claimName !== spec.claimName) {
    return `pod ${podName} volume ${spec.volume} does not reference PVC ${spec.claimName}`;
  }
  const container = pod.spec.containers.find((c) => c.name === spec.container);
  if (!container) return `pod ${podName} has no container ${spec.container}`;
  const mounted = (container.volumeMounts ?? []).some(
    (m) => m.name === spec.volume && m.mountPath === spec.mountPath,
  );
  return mounted
    ? undefined
    : `container ${spec.container} of pod ${podName} does not mount ${spec.mountPath}`;
}
