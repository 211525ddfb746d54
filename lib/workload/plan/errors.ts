/**
 * The typed errors of a StatefulSet plan. `compute()` throws them before anything is sent, each
 * naming the fragment or owner at fault, so a controller can turn it into a status a user can act
 * on. Exported by index.ts.
 */
import { CharmkitError } from '../../core/errors.js';
import type { ContainerKind } from './selectors.js';

/**
 * Thrown by `compute()` when two fragments want different things for the same key (the same
 * volume, mount path, container or field). Which one should win is a design decision of the
 * controller, never something the plan may guess.
 */
export class PlanConflictError extends CharmkitError {
  override readonly name = 'PlanConflictError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly key: string,
    readonly owners: readonly [string, string],
    detail = 'want different values',
  ) {
    super(`${owners[0]} and ${owners[1]} ${detail} for ${key}; they cannot share one StatefulSet`);
  }
}

/**
 * Thrown when a fragment names a container the StatefulSet does not have. In a Juju sidecar charm
 * the workload container is named after the container in charmcraft.yaml (`containers:`), not after
 * the application, so this is a common configuration mistake that must not pass silently.
 */
export class ContainerNotFoundError extends CharmkitError {
  override readonly name = 'ContainerNotFoundError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly container: string,
    readonly kind: ContainerKind,
    readonly available: readonly string[],
    readonly statefulSet: string,
  ) {
    super(
      `StatefulSet ${statefulSet} has no ${kind === 'initContainers' ? 'init container' : 'container'} ` +
        `named "${container}" (it has: ${available.length > 0 ? available.join(', ') : 'none'}); ` +
        'use the workload container name from charmcraft.yaml, not the application name',
    );
  }
}

/**
 * Thrown when a mount path is already used by a volume the plan does not own. Merging our mount
 * into that entry would silently swap the user's data for ours.
 */
export class MountPathConflictError extends CharmkitError {
  override readonly name = 'MountPathConflictError';
  readonly remedy = 'fix' as const;
  constructor(
    readonly container: string,
    readonly mountPath: string,
    readonly existingVolume: string,
    readonly wantedVolume: string,
  ) {
    super(
      `container ${container} already mounts volume "${existingVolume}" at ${mountPath}; ` +
        `choose another mount path for "${wantedVolume}" or remove that mount first`,
    );
  }
}

/**
 * Thrown when the planned template would be invalid: a mount of a volume that does not exist, or
 * a removed volume still mounted. The API server would reject the patch anyway (422); failing
 * before sending names the fragment at fault.
 */
export class PlanInconsistentError extends CharmkitError {
  override readonly name = 'PlanInconsistentError';
  readonly remedy = 'fix' as const;
}
