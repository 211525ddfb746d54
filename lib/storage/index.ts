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
} from './interface.js';
export type { StorageProviderSide, StorageRequirerSide } from './interface.js';
export { InvalidStorageDataError } from './validate.js';
export type {
  StorageDataIssue,
  StorageOffer,
  StorageProviderAppData,
  StorageRequirerAppData,
  StorageWireFormat,
} from './validate.js';
// charmarr's `media-storage` format, read and published beside ours.

// Quantities and grow-only sizes.
export { VolumeShrinkError } from './size.js';
export type { SizeChange } from './size.js';
export type { ProbeOutcome } from './probe.js';
export type { CsiDriver } from './storage-class.js';

// Access modes and storage classes.
export {
  decideAccessModes,
  InvalidAccessModeError,
  KNOWN_RWX_PROVISIONERS,
} from './access-mode.js';
export type {
  AccessMode,
  AccessModeDecision,
  AccessModeInput,
  RwxProvisioner,
} from './access-mode.js';

// Why a claim is Pending, and quotas.
export { diagnoseClaim } from './pending-diagnosis.js';
export type { ClaimCondition, ClaimDiagnosis, ClaimState } from './pending-diagnosis.js';

// Objects the provider creates.
export type { StaticVolumeSource } from './claim.js';

// Mount fragments for a StatefulSetPlan.
// Resizing a StatefulSet's volumes: in place where the class can expand, else one verified copy.
export { resizeVolumes } from './resize/resize.js';
export type { ResizedClaim, ResizeOptions, ResizeResult } from './resize/resize.js';
export type {
  ResizeClaim,
  ResizePath,
  ResizePlan,
  ResizePlanClaim,
  ResizeTarget,
} from './resize/plan.js';
export { resizeEmitter } from './resize/events.js';
export type {
  ResizeEmitter,
  ResizeEvents,
  ResizeProgressEvent,
  ResizeStepEvent,
  ResizeWaitEvent,
} from './resize/events.js';
export {
  ResizeFailedError,
  ResizeInterruptedError,
  ResizeLockedError,
  ResizeNeedsHumanError,
  ResizeRefusedError,
} from './resize/errors.js';
export { resizeStatus, resizeStepStatus } from './resize/status.js';
export { DEFAULT_RESIZE_IMAGE } from './resize/jobs.js';
