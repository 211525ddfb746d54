/**
 * charmkit/storage: share one PersistentVolumeClaim between charm-like controllers over a relation.
 *
 * `StorageProvider` creates and explains the claim and publishes it; `StorageRequirer` mounts it
 * into the controller's own StatefulSet with one patch (composable with other capabilities through
 * `StatefulSetPlan`). The pure functions below are exported too, because a controller often wants
 * the same answers (is this class RWX? why is this claim Pending?) without the whole flow.
 *
 * This list is the public API; anything not exported here is private.
 */

// The two capability classes.
export { StorageRequirer } from './requirer.js';
export type {
  StorageRequirerOptions,
  StorageRequirerResult,
  StorageRequirerState,
} from './requirer.js';
export { StorageProvider } from './provider.js';
export type { StorageConfig, StorageProviderOptions, StorageProviderResult } from './provider.js';
export type { StorageRequirerInstance } from './provider-publish.js';

// The `storage` v1 relation interface.
export {
  DEFAULT_STORAGE_ENDPOINT,
  STORAGE_INTERFACE,
  STORAGE_INTERFACE_VERSION,
  StorageProviderEndpoint,
  StorageRequirerEndpoint,
  storageInterfaceSchema,
} from './interface.js';
export type { StorageProviderSide, StorageRequirerSide } from './interface.js';
export { InvalidStorageDataError, mountPathProblem, toStorageOffer } from './validate.js';
export type {
  StorageDataIssue,
  StorageOffer,
  StorageProviderAppData,
  StorageRequirerAppData,
  StorageWireFormat,
} from './validate.js';
// charmarr's `media-storage` format, read and published beside ours.
export { fromStorageOffer } from './wire-format.js';

// Quantities and grow-only sizes.
export {
  addQuantities,
  compareQuantities,
  InvalidQuantityError,
  parseQuantity,
  quantityBytes,
  subtractQuantities,
} from './quantity.js';
export type { Quantity } from './quantity.js';
export { checkSizeChange, validateStorageSize, VolumeShrinkError } from './size.js';
export type { SizeChange } from './size.js';

// Access modes and storage classes.
export {
  decideAccessModes,
  InvalidAccessModeError,
  KNOWN_RWX_PROVISIONERS,
  parseAccessMode,
  RWO_NOTE,
  rwxFamily,
} from './access-mode.js';
export type {
  AccessMode,
  AccessModeDecision,
  AccessModeInput,
  RwxProvisioner,
} from './access-mode.js';
export {
  DEFAULT_CLASS_ANNOTATIONS,
  defaultStorageClass,
  isCsiLikeProvisioner,
  isDefaultClass,
  NO_PROVISIONER,
  resolveStorageClass,
} from './storage-class.js';
export type { ClassResolution, CsiDriver } from './storage-class.js';

// Why a claim is Pending, and quotas.
export {
  claimEvents,
  diagnoseClaim,
  quotaExceeded,
  SELECTED_NODE_ANNOTATION,
} from './pending-diagnosis.js';
export type { ClaimCondition, ClaimDiagnosis, ClaimState } from './pending-diagnosis.js';
export { checkClaimQuota, describeQuotaViolation, parseQuotaError } from './quota.js';
export type { ClaimUsage, QuotaViolation, ResourceQuota } from './quota.js';

// Objects the provider creates.
export {
  buildClaim,
  buildStaticVolume,
  isCharmkitManaged,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  managedLabels,
  PROVIDER_LABEL,
  staticAccessModes,
  staticVolumeName,
} from './claim.js';
export type { ClaimInput, StaticVolumeInput, StaticVolumeSource } from './claim.js';
export { buildProbeJob, DEFAULT_PROBE_IMAGE, probeJobName, probeOutcome } from './probe.js';
export type { ProbeJob, ProbeOutcome, ProbeSpec } from './probe.js';

// Mount fragments for a StatefulSetPlan.
export {
  contributeMount,
  contributeUnmount,
  MOUNT_RECORD_PREFIX,
  mountRecordKey,
  podMountProblem,
  readMountRecord,
  STORAGE_VOLUME_PREFIX,
  storageVolumeName,
} from './mount.js';
export type { MountRecord, MountSpec } from './mount.js';
