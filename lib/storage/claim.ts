/**
 * The objects a storage provider creates, built by pure functions: the claim, and for static
 * backends the PersistentVolume it binds to.
 *
 * Everything charmkit creates is labelled, so a human (and charmkit itself) can tell its claims
 * from ones a user made by hand: charmkit only ever resizes or reports on claims it manages. Static
 * volumes are pre-bound both ways (the PV's `claimRef` and the claim's `volumeName`), so no other
 * claim can take the volume and the claim cannot bind anything else.
 */
import { createHash } from 'node:crypto';
import type { OwnerReference, PersistentVolume, PersistentVolumeClaim } from '../kube/types.js';
import type { AccessMode } from './access-mode.js';

/** Standard label naming the tool that manages an object. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Its value on everything charmkit storage creates. */
export const MANAGED_BY_VALUE = 'charmkit';
/** Names the providing application. */
export const PROVIDER_LABEL = 'storage.charmkit.io/provider';

/** A pre-existing backend a static PersistentVolume points at. */
export type StaticVolumeSource =
  | {
      readonly nfs: { readonly server: string; readonly path: string; readonly readOnly?: boolean };
    }
  | { readonly hostPath: { readonly path: string } };

/** What `buildClaim` needs. */
export interface ClaimInput {
  readonly name: string;
  readonly namespace: string;
  /** The providing application, recorded in a label. */
  readonly app: string;
  readonly size: string;
  readonly accessModes: readonly AccessMode[];
  /** undefined: the cluster default class; `''`: no class (static binding). */
  readonly storageClassName?: string;
  /** Pre-binds the claim to this PersistentVolume. */
  readonly volumeName?: string;
  /** Makes the claim a dependent of this object (the provider's StatefulSet). */
  readonly owner?: OwnerReference;
}

/** The labels of charmkit-managed storage objects. */
export function managedLabels(app: string): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [PROVIDER_LABEL]: app };
}

/** Whether charmkit created this object (so it may manage it). */
export function isCharmkitManaged(object: {
  metadata: { labels?: Record<string, string> };
}): boolean {
  return object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/** The claim to create. */
export function buildClaim(input: ClaimInput): PersistentVolumeClaim {
  const spec: PersistentVolumeClaim['spec'] = {
    accessModes: [...input.accessModes],
    resources: { requests: { storage: input.size } },
  };
  if (input.storageClassName !== undefined) spec.storageClassName = input.storageClassName;
  if (input.volumeName !== undefined) spec.volumeName = input.volumeName;
  const claim: PersistentVolumeClaim = {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: input.name, namespace: input.namespace, labels: managedLabels(input.app) },
    spec,
  };
  if (input.owner) claim.metadata.ownerReferences = [input.owner];
  return claim;
}

/**
 * The name of the static PersistentVolume for a claim: PVs are cluster-scoped, so the namespace is
 * part of it; deterministic, and at most 63 characters (a hash replaces what does not fit).
 */
export function staticVolumeName(namespace: string, claim: string): string {
  const full = `charmkit-${namespace}-${claim}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(`${namespace}/${claim}`).digest('hex').slice(0, 10);
  return `${full.slice(0, 52).replace(/[-.]+$/, '')}-${hash}`;
}

/** What `buildStaticVolume` needs. */
export interface StaticVolumeInput {
  readonly name: string;
  readonly app: string;
  readonly source: StaticVolumeSource;
  readonly size: string;
  readonly accessModes: readonly AccessMode[];
  readonly claim: { readonly namespace: string; readonly name: string };
}

/**
 * A PersistentVolume for an existing NFS export or host path, pre-bound to its claim. Its reclaim
 * policy is Retain: deleting the claim must never delete the data behind a static volume. It has
 * no ownerReference, because a cluster-scoped object cannot depend on a namespaced one.
 */
export function buildStaticVolume(input: StaticVolumeInput): PersistentVolume {
  const source =
    'nfs' in input.source
      ? { nfs: { ...input.source.nfs } }
      : { hostPath: { path: input.source.hostPath.path, type: 'DirectoryOrCreate' } };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: input.name, labels: managedLabels(input.app) },
    spec: {
      capacity: { storage: input.size },
      accessModes: [...input.accessModes],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: '',
      claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...input.claim },
      ...source,
    },
  };
}

/** The access modes a static source supports by nature: NFS is shared, a host path is one node. */
export function staticAccessModes(source: StaticVolumeSource): AccessMode[] {
  return 'nfs' in source ? ['ReadWriteMany'] : ['ReadWriteOnce'];
}
