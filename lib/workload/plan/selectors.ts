/**
 * Which container list a plan fragment addresses: the workload containers or the init containers.
 * A leaf module, so the errors, the working copy and the fragment kinds can all name it without
 * importing the plan.
 */

/** Which container list a fragment addresses: the workload containers or the init containers. */
export type ContainerKind = 'containers' | 'initContainers';

/** Addresses init containers instead of workload containers. */
export interface ContainerSelector {
  /** Target `initContainers` instead of `containers` (default false). */
  initContainer?: boolean;
}

/** The container list a selector addresses. */
export function kindOf(options: ContainerSelector): ContainerKind {
  return options.initContainer === true ? 'initContainers' : 'containers';
}
