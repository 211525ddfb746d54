/**
 * Every failure a capability can meet, as the status a user sees — one mapping for all of them, so
 * the same failure always reads the same way whichever capability met it.
 *
 * The error's remedy decides the status name (docs/adr/0004-errors-carry-a-remedy.md): a
 * failure a person must fix is Blocked, one a retry may cure is an error. This layer adds the words
 * only it can add: it knows it runs a charm, so an RBAC denial carries the `juju trust` command
 * with the application's name (lib/kube reports the missing rule as data and knows nothing of
 * Juju), and a conflict that outlived our own re-reads is "will retry", not an alarm.
 */
import { asError, remedyOf } from '../core/errors.js';
import { asKubernetesError } from '../kube/errors.js';
import {
  formatFieldIssues,
  InterfaceSchemaError,
  RelationDataValidationError,
} from '../relations/errors.js';
import { blocked, errorStatus, waiting, type Status } from '../relations/status.js';

/** Who is reporting, so messages can name the application in fix instructions. */
export interface FailureContext {
  /** The Juju application (or controller) name, substituted into `juju trust <app>`. */
  readonly app?: string;
  /** A prefix naming the relation or component, e.g. `storage:3`. */
  readonly label?: string;
}

/** The status for any thrown value; never a silent Active. */
export function statusForFailure(failure: unknown, context: FailureContext = {}): Status {
  // Name the relation once: many errors already say where they come from ("... on storage:0").
  const named = context.label !== undefined && mentions(asError(failure).message, context.label);
  const where = context.label === undefined || named ? '' : `${context.label}: `;
  if (failure instanceof RelationDataValidationError) {
    // The error's source already names the relation; do not repeat the label.
    return blocked(
      `invalid relation data in ${failure.source}: ${formatFieldIssues(failure.issues)}`,
    );
  }
  if (failure instanceof InterfaceSchemaError)
    return blocked(`${where}charm bug: ${failure.message}`);
  const kube = asKubernetesError(failure);
  if (kube) {
    if (kube.rbac) {
      const app = context.app ?? '<app>';
      return blocked(
        `${where}${kube.message} (under Juju: juju trust ${app} --scope=cluster grants it)`,
      );
    }
    if (kube.isConflict()) {
      const wrote = kube.request.verb === 'patch' ? 'patched' : 'wrote';
      return waiting(
        `${where}the ${kube.request.kind} kept changing while we ${wrote} it; will retry (${kube.message})`,
      );
    }
    if (kube.isInvalid())
      return blocked(`${where}the API server rejected the change: ${kube.message}`);
    if (kube.isUnauthorized()) {
      return blocked(`${where}the API server did not accept our credentials: ${kube.message}`);
    }
  }
  const message = `${where}${asError(failure).message}`;
  return remedyOf(failure) === 'fix' ? blocked(message) : errorStatus(message);
}

/** Whether `message` names `label` as a word of its own (`storage:1` is not in `storage:10`). */
function mentions(message: string, label: string): boolean {
  const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<![\\w:-])${escaped}(?![\\w-])`).test(message);
}
