/**
 * Choosing a claim's access mode: ReadWriteMany when the storage can do it, ReadWriteOnce otherwise.
 *
 * A shared media volume is mounted by several applications (radarr, sonarr, a download client),
 * which Kubernetes may schedule on different nodes. Only ReadWriteMany lets them all mount it; with
 * ReadWriteOnce every consumer must land on the node that attached the volume, or its pod hangs in
 * ContainerCreating with a Multi-Attach error. Nothing in the API says whether a class supports
 * RWX, so we keep a table of provisioners known to, fall back to RWO with a status note saying what
 * that costs, and let the user override either way.
 */
import { CharmkitError } from '../core/errors.js';
import type { StorageClass } from '../kube/types.js';

/** The access modes Kubernetes defines. */
export type AccessMode = 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' | 'ReadWriteOncePod';

const ACCESS_MODES: readonly AccessMode[] = [
  'ReadWriteOnce',
  'ReadOnlyMany',
  'ReadWriteMany',
  'ReadWriteOncePod',
];

/** Thrown for an access mode Kubernetes does not know; the message lists the valid ones. */
export class InvalidAccessModeError extends CharmkitError {
  override readonly name = 'InvalidAccessModeError';
  readonly remedy = 'fix' as const;
  constructor(readonly mode: string) {
    super(`"${mode}" is not a Kubernetes access mode; use one of ${ACCESS_MODES.join(', ')}`);
  }
}

/** Narrows a string to an `AccessMode` or throws `InvalidAccessModeError`. */
export function parseAccessMode(mode: string): AccessMode {
  if ((ACCESS_MODES as readonly string[]).includes(mode)) return mode as AccessMode;
  throw new InvalidAccessModeError(mode);
}

/** One family of storage known to support ReadWriteMany, and how to recognise its provisioner. */
export interface RwxProvisioner {
  /** The storage family, for messages. */
  readonly family: string;
  /** Does this provisioner name (and class parameters) belong to the family and allow RWX? */
  matches(provisioner: string, parameters: Readonly<Record<string, string>>): boolean;
}

const exact =
  (...names: string[]) =>
  (p: string): boolean =>
    names.includes(p);
/**
 * An NFS-backed provisioner: `nfs` as a whole word in the name (nfs.csi.k8s.io,
 * cluster.local/nfs-client-provisioner, k8s-sigs.io/nfs-subdir-external-provisioner, ...).
 */
const NFS_WORD = /(^|[^a-z0-9])nfs([^a-z0-9]|$)/i;

/**
 * Provisioners that can serve ReadWriteMany claims. Order does not matter; the first match names
 * the family in messages. Extend it through `decideAccessModes({ extraRwxProvisioners })`.
 */
export const KNOWN_RWX_PROVISIONERS: readonly RwxProvisioner[] = [
  { family: 'NFS', matches: (p) => NFS_WORD.test(p) },
  {
    family: 'CephFS',
    matches: (p) =>
      p === 'cephfs.csi.ceph.com' || p.endsWith('.cephfs.csi.ceph.com') || p === 'ceph.com/cephfs',
  },
  { family: 'Amazon EFS', matches: exact('efs.csi.aws.com') },
  { family: 'Azure Files', matches: exact('file.csi.azure.com', 'kubernetes.io/azure-file') },
  { family: 'Google Filestore', matches: exact('filestore.csi.storage.gke.io') },
  { family: 'SeaweedFS', matches: exact('seaweedfs-csi-driver') },
  // Longhorn serves RWX through its share-manager (an NFS export), given an NFS client on nodes.
  { family: 'Longhorn (share-manager)', matches: exact('driver.longhorn.io') },
  {
    family: 'GlusterFS',
    matches: exact('kubernetes.io/glusterfs', 'org.gluster.glusterfs', 'glusterfs.csi.gluster.org'),
  },
  { family: 'JuiceFS', matches: exact('csi.juicefs.com') },
  // Portworx volumes are RWO unless the class asks for a shared volume.
  {
    family: 'Portworx sharedv4',
    matches: (p, params) =>
      (p === 'pxd.portworx.com' || p === 'kubernetes.io/portworx-volume') &&
      (params.sharedv4 === 'true' || params.shared === 'true'),
  },
  { family: 'BeeGFS', matches: exact('beegfs.csi.netapp.com') },
  { family: 'CubeFS', matches: exact('csi.cubefs.com') },
];

/** What to decide the access mode from. */
export interface AccessModeInput {
  /** The class the claim will use (its own, or the cluster default); undefined if there is none. */
  storageClass: StorageClass | undefined;
  /** The user's explicit choice; when set, it wins. */
  override?: readonly string[];
  /** More provisioners the user knows to support RWX. */
  extraRwxProvisioners?: readonly string[];
}

/** The decision, with a note for the status when it has a cost the user should know. */
export interface AccessModeDecision {
  readonly accessModes: readonly AccessMode[];
  /** Why this mode was chosen, for logs and docs. */
  readonly reason: string;
  /** Set when the choice restricts scheduling (RWO): show it in the status. */
  readonly note: string | undefined;
}

/** The RWX family a class belongs to, or undefined if none is known. */
export function rwxFamily(
  storageClass: StorageClass,
  extra: readonly string[] = [],
): string | undefined {
  const provisioner = storageClass.provisioner;
  if (extra.includes(provisioner)) return 'user-declared RWX';
  const parameters = storageClass.parameters ?? {};
  return KNOWN_RWX_PROVISIONERS.find((f) => f.matches(provisioner, parameters))?.family;
}

/** The note shown whenever a shared volume ends up ReadWriteOnce. */
export const RWO_NOTE =
  'volume is ReadWriteOnce: every pod that mounts it must run on the same node';

/**
 * ReadWriteMany when the override says so or the class is known to support it; otherwise
 * ReadWriteOnce with a note. An override is validated but otherwise trusted.
 */
export function decideAccessModes(input: AccessModeInput): AccessModeDecision {
  if (input.override && input.override.length > 0) {
    const modes = input.override.map(parseAccessMode);
    const note = modes.includes('ReadWriteMany') ? undefined : RWO_NOTE;
    return { accessModes: modes, reason: 'set explicitly in the storage configuration', note };
  }
  const sc = input.storageClass;
  if (!sc) {
    return {
      accessModes: ['ReadWriteOnce'],
      reason: 'no storage class to inspect',
      note: RWO_NOTE,
    };
  }
  const family = rwxFamily(sc, input.extraRwxProvisioners);
  if (family !== undefined) {
    return {
      accessModes: ['ReadWriteMany'],
      reason: `storage class ${sc.metadata.name ?? ''} uses ${family} (${sc.provisioner})`,
      note: undefined,
    };
  }
  return {
    accessModes: ['ReadWriteOnce'],
    reason:
      `provisioner ${sc.provisioner} of storage class ${sc.metadata.name ?? ''} is not known to ` +
      'support ReadWriteMany (set accessModes to override)',
    note: RWO_NOTE,
  };
}
