/**
 * The StatefulSet plan: how capabilities compose their pod-template changes into ONE strategic
 * merge patch per reconcile (see docs/adr for why one patch). The public names of the plan's
 * modules; everything else in this folder is private.
 */
export { StatefulSetPlan } from './plan.js';
export type { ComputeOptions, PlanChange, PlanResult } from './plan.js';
export {
  ContainerNotFoundError,
  MountPathConflictError,
  PlanConflictError,
  PlanInconsistentError,
} from './errors.js';
export type { ContainerKind, ContainerSelector } from './selectors.js';
export type { VolumeMountOptions } from './volumes.js';
export type { InitContainerOptions } from './containers.js';
export type { ContainerSecurityContextFragment, PodSecurityContextFragment } from './security.js';
