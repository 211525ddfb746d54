/**
 * Maps relation errors to the workload status a user should see.
 *
 * House rule 3: invalid relation data is the remote side's problem and needs a human, so it is
 * Blocked with the failing fields named; a failing hook tool is infrastructure that retrying may
 * fix, so it is `error` (sent to Juju as blocked "error: ..."). Keeping the mapping here means
 * every capability words the same failure the same way.
 */
import {
  HookToolError,
  InterfaceSchemaError,
  RelationDataAccessError,
  RelationDataValidationError,
  RelationError,
} from './errors.js';
import { blocked, error as errorStatus, type Status } from './status.js';

/**
 * The status for an error thrown while handling relation `label` (e.g. `storage:3`). Unknown
 * errors become `error` with their message, never a silent active.
 */
export function statusForRelationError(failure: unknown, label?: string): Status {
  const where = label === undefined ? '' : `${label}: `;
  if (failure instanceof RelationDataValidationError) {
    return blocked(
      `${where}invalid relation data: ${failure.message.replace(/^Invalid relation data in /, '')}`,
    );
  }
  if (failure instanceof RelationDataAccessError) return errorStatus(`${where}${failure.message}`);
  if (failure instanceof InterfaceSchemaError)
    return blocked(`${where}charm bug: ${failure.message}`);
  if (failure instanceof HookToolError) return errorStatus(`${where}${failure.message}`);
  if (failure instanceof RelationError || failure instanceof Error) {
    return errorStatus(`${where}${failure.message}`);
  }
  return errorStatus(`${where}${String(failure)}`);
}
