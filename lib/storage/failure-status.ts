/**
 * One place that turns every failure a storage reconcile can meet into the status a user sees.
 *
 * House rule 3: invalid relation data is Blocked naming the fields; a Kubernetes error names its
 * cause (RBAC with the rule to grant, a missing object, a conflict); unknown errors are `error`
 * with their message, never a silent Active. Both storage classes use this mapping so the same
 * failure always reads the same way.
 */
import {
  ContainerNotFoundError,
  MountPathConflictError,
  PlanConflictError,
  PlanInconsistentError,
} from '../kube/statefulset-plan.js';
import { asKubernetesError, isConnectionError, RetryExhaustedError } from '../kube/errors.js';
import { RelationError } from '../relations/errors.js';
import { statusForRelationError } from '../relations/error-status.js';
import { blocked, error as errorStatus, waiting, type Status } from '../relations/status.js';
import { InvalidAccessModeError } from './access-mode.js';
import { InvalidQuantityError } from './quantity.js';
import { VolumeShrinkError } from './size.js';
import { InvalidStorageDataError } from './validate.js';

/** Who is reporting, so messages can name the application in fix instructions. */
export interface FailureContext {
  /** The Juju application (or controller) name, substituted into `juju trust <app>`. */
  readonly app?: string;
  /** A prefix naming the relation or component, e.g. `storage:3`. */
  readonly label?: string;
}

/** The status for a failure of a storage reconcile. */
export function statusForStorageFailure(failure: unknown, context: FailureContext = {}): Status {
  const where = context.label === undefined ? '' : `${context.label}: `;
  if (failure instanceof RelationError) return statusForRelationError(failure, context.label);
  if (
    failure instanceof InvalidStorageDataError ||
    failure instanceof ContainerNotFoundError ||
    failure instanceof MountPathConflictError ||
    failure instanceof PlanConflictError ||
    failure instanceof PlanInconsistentError ||
    failure instanceof VolumeShrinkError ||
    failure instanceof InvalidQuantityError ||
    failure instanceof InvalidAccessModeError
  ) {
    return blocked(`${where}${failure.message}`);
  }
  const kube = asKubernetesError(failure);
  if (kube) {
    const message = kube.message.replace(
      'juju trust <app>',
      `juju trust ${context.app ?? '<app>'}`,
    );
    if (kube.isForbidden()) return blocked(`${where}${message}`);
    if (kube.isConflict()) {
      return waiting(
        `${where}the StatefulSet kept changing while we patched it; will retry (${message})`,
      );
    }
    if (kube.isInvalid()) return blocked(`${where}the API server rejected the change: ${message}`);
    if (kube.isUnauthorized()) {
      return blocked(`${where}the API server did not accept our credentials: ${message}`);
    }
    return errorStatus(`${where}${message}`);
  }
  if (isConnectionError(failure) || failure instanceof RetryExhaustedError) {
    return errorStatus(`${where}${(failure as Error).message}`);
  }
  return errorStatus(`${where}${failure instanceof Error ? failure.message : String(failure)}`);
}

/** Narrows an unknown thrown value to an Error for result objects (non-Errors are wrapped). */
export function asError(failure: unknown): Error {
  return failure instanceof Error ? failure : new Error(String(failure));
}
