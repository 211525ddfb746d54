/**
 * charmkit/kube: the Kubernetes layer — one narrow port, an adapter for real clusters (which
 * loads @kubernetes/client-node only to read kubeconfig files), typed errors, retries, finding
 * one's own StatefulSet, and rollout waiting with diagnosis.
 *
 * This list is the public API; anything not exported here is private. It knows nothing of
 * relations or capabilities (see lib/relations, lib/storage, lib/vpn for those).
 */

// Object shapes (plain JSON, as the API server serves them).
export type {
  Container,
  ContainerStatus,
  EnvVar,
  JsonValue,
  KubeEvent,
  KubeList,
  KubeObject,
  KubeStatus,
  ObjectMeta,
  OwnerReference,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSecurityContext,
  PodSpec,
  PodTemplateSpec,
  SecurityContext,
  StatefulSet,
  StorageClass,
  Volume,
  VolumeMount,
} from './types.js';

// The port every capability talks through, patches as values, request records.
export { writes } from './port.js';
export type {
  DeleteOptions,
  KubePort,
  ListOptions,
  ObjectRef,
  Patch,
  RequestRecord,
  TypeRef,
  WatchEvent,
  WatchHandle,
  WatchOptions,
  WriteOptions,
} from './port.js';

// REST mapping without discovery.
export { registerResource, UnknownResourceError } from './resources.js';
export type { ResourceInfo } from './resources.js';

// Resource quantities (`10Gi`), parsed exactly.
export { compareQuantities, InvalidQuantityError, parseQuantity } from './quantity.js';
export type { Quantity } from './quantity.js';

// Errors and their predicates.
export {
  asKubernetesError,
  isAlreadyExists,
  isConflict,
  isConnectionError,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isServerError,
  isTooManyRequests,
  KubeConfigError,
  KubeConnectionError,
  KubernetesError,
  RetryExhaustedError,
  SelfResolutionError,
} from './errors.js';
export type { KubeRequestInfo, KubeStatusCause, RbacDenial, RbacRule } from './errors.js';

// Retries: transient failures, and the conflict loop.
export type { RetryPolicy } from './retry.js';

// The adapter for real clusters, and counting what it sent.
export { RequestLog } from './request-log.js';
export { createKubePort } from './client.js';
export type { KubePortOptions } from './client.js';

// Credentials: one order of sources; the pod's service account is read without client-node.
export { resolveCredentials } from './credentials.js';
export type { CredentialOptions, KubeConfigLike, KubeCredentials } from './credentials.js';

// Finding one's own StatefulSet.
export { resolveSelf, resolveSelfIdentity } from './self.js';
export type { SelfIdentity, SelfOptions, SelfTarget } from './self.js';

// Label selectors.
export type { LabelSelector } from './selectors.js';

// Rollouts: completion, waiting, and diagnosis as data.
export { rolloutProgress } from './rollout-progress.js';
export type { RolloutProgress } from './rollout-progress.js';
export type { RolloutDiagnosis, RolloutFinding, RolloutFindingKind } from './rollout-diagnosis.js';
export { diagnoseStatefulSet, waitForRollout } from './rollout.js';
export type {
  RolloutComplete,
  RolloutIncomplete,
  RolloutResult,
  EvidenceLimits,
  RolloutWaitOptions,
} from './rollout.js';
