/**
 * Creating the provider's claim: choose its access modes (ReadWriteMany when the class is known to
 * support it, else ReadWriteOnce with a note), check namespace quotas first (a quota refusal is a
 * 403 that no Role can fix), create a static PersistentVolume when one is configured, and create
 * the claim, labelled and owned by a StatefulSet when asked. A claim created concurrently by
 * another unit is adopted, not an error.
 */
import { isAlreadyExists } from '../kube/errors.js';
import type { PersistentVolume, PersistentVolumeClaim } from '../kube/types.js';
import {
  decideAccessModes,
  RWO_NOTE,
  type AccessMode,
  type AccessModeDecision,
} from './access-mode.js';
import {
  buildClaim,
  buildStaticVolume,
  isCharmkitManaged,
  staticAccessModes,
  staticVolumeName,
  type StaticVolumeSource,
} from './claim.js';
import { quotaExceeded, type ClaimDiagnosis } from './pending-diagnosis.js';
import type { ProviderReads } from './provider-reads.js';
import type { ProviderScope } from './provider-scope.js';
import { checkClaimQuota } from './quota.js';
import { resolveStorageClass } from './storage-class.js';
import { InvalidStorageDataError } from './validate.js';

/** What the new claim is made of: the configuration and the provider options that shape it. */
export interface NewClaim {
  readonly className: string | undefined;
  readonly size: string;
  readonly accessModes: readonly string[] | undefined;
  readonly staticVolume: StaticVolumeSource | undefined;
  readonly extraRwxProvisioners: readonly string[] | undefined;
  readonly ownerStatefulSet: string | boolean;
}

/** The claim was created (or adopted), or a quota refused it before anything was written. */
export type ClaimCreation =
  | {
      readonly kind: 'created';
      readonly claim: PersistentVolumeClaim;
      readonly decision: AccessModeDecision;
    }
  | { readonly kind: 'over-quota'; readonly diagnosis: ClaimDiagnosis };

/** Creates the claim (and its static volume) as described in the module comment. */
export async function createClaim(
  scope: ProviderScope,
  reads: ProviderReads,
  wanted: NewClaim,
): Promise<ClaimCreation> {
  const source = wanted.staticVolume;
  let decision: AccessModeDecision;
  let className: string | undefined;
  let resolvedClass: string | undefined;
  if (source) {
    const modes = wanted.accessModes?.length ? undefined : staticAccessModes(source);
    decision = modes
      ? {
          accessModes: modes,
          reason: `static ${'nfs' in source ? 'NFS' : 'hostPath'} volume`,
          note: modes.includes('ReadWriteMany') ? undefined : RWO_NOTE,
        }
      : decideAccessModes({ storageClass: undefined, override: wanted.accessModes });
    className = '';
  } else {
    const classes = await reads.storageClasses();
    const resolution =
      classes === undefined ? undefined : resolveStorageClass(wanted.className, classes);
    const storageClass = resolution?.kind === 'class' ? resolution.storageClass : undefined;
    resolvedClass = storageClass?.metadata.name ?? wanted.className;
    decision = decideAccessModes({
      storageClass,
      override: wanted.accessModes,
      extraRwxProvisioners: wanted.extraRwxProvisioners,
    });
    className = wanted.className;
  }
  const violation = checkClaimQuota(
    { storageClassName: resolvedClass, storage: wanted.size, claims: 1 },
    (await reads.quotas()) ?? [],
  );
  if (violation) return { kind: 'over-quota', diagnosis: quotaExceeded(scope.ref.name, violation) };
  const owner = await reads.ownerReference(wanted.ownerStatefulSet);
  let volumeName: string | undefined;
  if (source)
    volumeName = await ensureStaticVolume(scope, source, wanted.size, decision.accessModes);
  const desired = buildClaim({
    ...scope.ref,
    app: scope.app,
    size: wanted.size,
    accessModes: decision.accessModes,
    storageClassName: className,
    volumeName,
    owner,
  });
  try {
    const claim = await scope.kube.create(desired, { fieldManager: scope.fieldManager });
    scope.wrote();
    return { kind: 'created', claim, decision };
  } catch (failure) {
    if (!isAlreadyExists(failure)) throw failure;
    const claim = await reads.claim();
    if (!claim) throw failure;
    return { kind: 'created', claim, decision };
  }
}

/**
 * Creates the static PersistentVolume pre-bound to the claim, or accepts an existing one only if
 * it is charmkit's volume for this very claim (never adopts someone else's data).
 */
async function ensureStaticVolume(
  scope: ProviderScope,
  source: StaticVolumeSource,
  size: string,
  accessModes: readonly AccessMode[],
): Promise<string> {
  const { ref } = scope;
  const name = staticVolumeName(ref.namespace, ref.name);
  const volume = buildStaticVolume({ name, app: scope.app, source, size, accessModes, claim: ref });
  try {
    await scope.kube.create(volume, { fieldManager: scope.fieldManager });
    scope.wrote();
  } catch (failure) {
    if (!isAlreadyExists(failure)) throw failure;
    const existing = await scope.kube.get<PersistentVolume>({
      apiVersion: 'v1',
      kind: 'PersistentVolume',
      name,
    });
    const claimRef = existing.spec.claimRef;
    if (
      !isCharmkitManaged(existing) ||
      claimRef?.name !== ref.name ||
      claimRef.namespace !== ref.namespace
    ) {
      throw new InvalidStorageDataError('the static volume configuration', [
        {
          field: 'staticVolume',
          reason: `PersistentVolume ${name} already exists and is not charmkit's volume for ${ref.namespace}/${ref.name}`,
        },
      ]);
    }
  }
  return name;
}
