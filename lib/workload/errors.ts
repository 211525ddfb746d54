/**
 * Errors of the workload layer that are about the controller's own StatefulSet rather than about
 * one capability: every capability of a reconcile meets them at once.
 */
import { CharmkitError } from '../core/errors.js';
import type { WorkloadRef } from './capability.js';

/**
 * The controller's own StatefulSet does not exist where it was looked for. The name and namespace
 * were worked out from somewhere (the Juju unit and model names, a pod's hostname, the caller's
 * options); the message says where, because a wrong guess there is the usual cause, and how to name
 * the StatefulSet explicitly. A person must fix it: reading again finds nothing again.
 */
export class OwnStatefulSetNotFoundError extends CharmkitError {
  override readonly name = 'OwnStatefulSetNotFoundError';
  readonly remedy = 'fix' as const;

  constructor(
    /** The StatefulSet that was looked for, with where its name and namespace came from. */
    readonly statefulSet: WorkloadRef,
    cause?: unknown,
  ) {
    super(
      `this controller's own StatefulSet "${statefulSet.name}" does not exist in namespace ` +
        `"${statefulSet.namespace}" (${describeSources(statefulSet)}); pass ` +
        '`statefulSet: { name, namespace }` to name it explicitly',
      { cause },
    );
  }
}

function describeSources(ref: WorkloadRef): string {
  if (ref.nameSource === undefined && ref.namespaceSource === undefined) {
    return 'both as given in `statefulSet`';
  }
  const from = (source: string | undefined) => source ?? 'as given';
  return `name from ${from(ref.nameSource)}, namespace from ${from(ref.namespaceSource)}`;
}
