/**
 * Looking up the StorageClass a claim will really use.
 *
 * A claim without `storageClassName` gets the cluster's default class (the admission plugin sets
 * it at creation, or the PV controller later, retroactively), `""` means "no class: bind to a
 * pre-created volume only", and a named class may simply not exist. Everything that decides access
 * modes or explains a Pending claim starts from this answer.
 */
import type { KubeObject, StorageClass } from '../kube/types.js';

/** The annotation that marks the default class, and its deprecated beta spelling. */
export const DEFAULT_CLASS_ANNOTATIONS = [
  'storageclass.kubernetes.io/is-default-class',
  'storageclass.beta.kubernetes.io/is-default-class',
] as const;

/** The provisioner name of classes that only bind pre-created volumes. */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** A storage.k8s.io/v1 CSIDriver: its presence says a CSI driver registered with the cluster. */
export interface CsiDriver extends KubeObject {
  spec?: { attachRequired?: boolean; volumeLifecycleModes?: string[]; [key: string]: unknown };
}

/** Whether a class is marked default. */
export function isDefaultClass(sc: StorageClass): boolean {
  const annotations = sc.metadata.annotations ?? {};
  return DEFAULT_CLASS_ANNOTATIONS.some((a) => annotations[a] === 'true');
}

/**
 * The cluster's default class. When several are marked, Kubernetes uses the most recently created
 * one, so we do too (ties broken by name, for determinism).
 */
export function defaultStorageClass(classes: readonly StorageClass[]): StorageClass | undefined {
  return [...classes].filter(isDefaultClass).sort((a, b) => {
    const ta = a.metadata.creationTimestamp ?? '';
    const tb = b.metadata.creationTimestamp ?? '';
    if (ta !== tb) return ta < tb ? 1 : -1;
    return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  })[0];
}

/** What a claim's class name resolves to. */
export type ClassResolution =
  | { readonly kind: 'class'; readonly storageClass: StorageClass; readonly defaulted: boolean }
  /** `storageClassName: ""`: static binding to a pre-created PersistentVolume only. */
  | { readonly kind: 'static' }
  | { readonly kind: 'missing'; readonly name: string }
  | { readonly kind: 'no-default' };

/** Resolves a class name as the API server would (undefined/null = default, '' = none). */
export function resolveStorageClass(
  name: string | null | undefined,
  classes: readonly StorageClass[],
): ClassResolution {
  if (name === '') return { kind: 'static' };
  if (name === undefined || name === null) {
    const sc = defaultStorageClass(classes);
    return sc ? { kind: 'class', storageClass: sc, defaulted: true } : { kind: 'no-default' };
  }
  const sc = classes.find((c) => c.metadata.name === name);
  return sc ? { kind: 'class', storageClass: sc, defaulted: false } : { kind: 'missing', name };
}

/**
 * Whether a provisioner name looks like a CSI driver (those register a CSIDriver object). External
 * provisioners such as `cluster.local/nfs-client-provisioner` and in-tree `kubernetes.io/...` ones
 * contain a slash; CSI driver names are DNS-like (`ebs.csi.aws.com`) or say "csi".
 */
export function isCsiLikeProvisioner(provisioner: string): boolean {
  if (provisioner.includes('/')) return false;
  return provisioner.includes('.') || /csi/i.test(provisioner);
}
