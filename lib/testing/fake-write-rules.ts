/**
 * The rules the API server's registry applies to every write, as pure functions over the stored
 * and the incoming object, for `FakeCluster`: which object a request may address, when a
 * resourceVersion or uid is a failed precondition, what bumps `metadata.generation`, and what a
 * write through `/status` may change. The per-kind inputs come from fake-kinds.ts.
 */
import { jsonEqual } from '../core/json.js';
import type { DeleteOptions, ObjectRef } from '../kube/port.js';
import type { KubeObject } from '../kube/types.js';
import {
  badRequestStatus,
  conflictStatus,
  STALE_OBJECT_DETAIL,
  StatusFailure,
  type StatusSubject,
} from './fake-errors.js';
import type { KindBehavior } from './fake-kinds.js';

/** The patched or replacing object must still be the one the URL names. */
export function checkIdentity(ref: ObjectRef, object: KubeObject): void {
  const name = object.metadata?.name;
  if (name !== ref.name) {
    throw new StatusFailure(
      badRequestStatus(
        `the name of the object (${name ?? ''}) does not match the name on the URL (${ref.name})`,
      ),
    );
  }
  const namespace = object.metadata.namespace;
  if (ref.namespace !== undefined && namespace !== undefined && namespace !== ref.namespace) {
    throw new StatusFailure(
      badRequestStatus(
        'the namespace of the provided object does not match the namespace sent on the request',
      ),
    );
  }
}

/** resourceVersion / uid in a written object act as preconditions. */
export function checkPreconditions(
  subject: StatusSubject,
  old: KubeObject,
  next: KubeObject,
): void {
  const uid = next.metadata?.uid;
  if (uid !== undefined && uid !== old.metadata.uid) {
    // The storage layer reports this one, wrapped in its own error text.
    const namespace = old.metadata.namespace;
    const key = `/registry/${subject.resource}/${namespace ? `${namespace}/` : ''}${subject.name ?? ''}`;
    throw new StatusFailure(
      conflictStatus(
        subject,
        `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, ` +
          `AdditionalErrorMsg: Precondition failed: UID in precondition: ${uid}, ` +
          `UID in object meta: ${old.metadata.uid ?? ''}`,
      ),
    );
  }
  const rv = next.metadata?.resourceVersion;
  if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) {
    throw new StatusFailure(conflictStatus(subject, STALE_OBJECT_DETAIL));
  }
}

/** A delete's explicit preconditions (uid, resourceVersion) against the stored object. */
export function checkDeletePreconditions(
  subject: StatusSubject,
  old: KubeObject,
  preconditions: DeleteOptions['preconditions'],
): void {
  // rest.BeforeDelete names the object by kind here, not by resource.
  const byKind: StatusSubject = { ...subject, resource: subject.kind };
  if (preconditions?.uid !== undefined && preconditions.uid !== old.metadata.uid) {
    throw new StatusFailure(
      conflictStatus(
        byKind,
        `the UID in the precondition (${preconditions.uid}) does not match the UID in record ` +
          `(${old.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
      ),
    );
  }
  const rv = preconditions?.resourceVersion;
  if (rv !== undefined && rv !== old.metadata.resourceVersion) {
    throw new StatusFailure(
      conflictStatus(
        byKind,
        `the ResourceVersion in the precondition (${rv}) does not match the ` +
          `ResourceVersion in record (${old.metadata.resourceVersion ?? ''}). The object might have been modified`,
      ),
    );
  }
}

/** The generation an update stores, by the kind's generation policy. */
export function nextGeneration(
  behavior: KindBehavior,
  old: KubeObject,
  next: KubeObject,
): number | undefined {
  const current = old.metadata.generation;
  if (behavior.generation === 'none') return current;
  const base = current ?? 1;
  let changed: boolean;
  switch (behavior.generation) {
    case 'spec':
      changed = !jsonEqual(old.spec, next.spec);
      break;
    case 'spec+annotations':
      changed =
        !jsonEqual(old.spec, next.spec) ||
        !jsonEqual(old.metadata.annotations, next.metadata.annotations);
      break;
    case 'content':
      changed = !jsonEqual(content(old), content(next));
      break;
  }
  return changed ? base + 1 : base;
}

/** An object without metadata and status: what a custom resource's generation tracks. */
function content(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** The object a `/status` write stores, before server-managed fields (see `StatusWriteKeeps`). */
export function statusWrite(
  behavior: KindBehavior,
  old: KubeObject,
  candidate: KubeObject,
): KubeObject {
  const keeps = behavior.statusWriteKeeps ?? 'spec';
  if (keeps === 'all') {
    const next = structuredClone(old);
    copyOrDelete(next, candidate, 'status');
    return next;
  }
  const next = structuredClone(candidate);
  next.metadata ??= {};
  copyOrDelete(next, old, 'spec');
  if (keeps === 'spec+labels') copyOrDelete(next.metadata, old.metadata, 'labels');
  if (keeps === 'spec+metadata') {
    for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) {
      copyOrDelete(next.metadata, old.metadata, field);
    }
  }
  return next;
}

/** `target[key] = source[key]` (a copy), or no `key` at all when the source has none. */
export function copyOrDelete<T extends object>(target: T, source: T, key: keyof T): void {
  if (source[key] !== undefined) target[key] = structuredClone(source[key]);
  else delete target[key];
}
