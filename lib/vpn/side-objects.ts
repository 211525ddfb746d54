/**
 * The objects the VPN capability keeps beside the StatefulSet (kill switch, settings ConfigMaps,
 * the gateway's Service): observe → diff → write only if needed, and removal found by ownership
 * labels rather than by a flag the caller must remember to repeat.
 *
 * The diff is "does the observed object already contain what we want": our labels, annotations
 * and content must be there; fields the server defaults (a Service's `clusterIPs`, a port's
 * `targetPort`) and labels others added are fine. A list must match element by element, so an
 * extra egress rule someone added to the kill switch is taken out again.
 */
import { isPlainObject } from '../core/json.js';
import { asKubernetesError } from '../kube/errors.js';
import type { KubePort, TypeRef } from '../kube/port.js';
import type { KubeObject } from '../kube/types.js';

/** Labels on everything the VPN capability creates, so removal finds exactly its own objects. */
export function ownershipLabels(statefulSet: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': 'charmkit',
    'charmkit.io/capability': 'vpn',
    'charmkit.io/statefulset': statefulSet,
  };
}

/** The label selector of `ownershipLabels(statefulSet)`. */
export function ownershipSelector(statefulSet: string): string {
  return Object.entries(ownershipLabels(statefulSet))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** What `ensureSideObject` did. */
export interface EnsuredObject<T extends KubeObject> {
  /** `none` when the object was already as wanted (no write). */
  readonly write: 'none' | 'create' | 'replace';
  /** The object as it now is on the server. */
  readonly object: T;
}

/** True when `observed` holds everything in `desired` (objects by key, lists element by element). */
export function contains(desired: unknown, observed: unknown): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(observed) &&
      observed.length === desired.length &&
      desired.every((item, i) => contains(item, observed[i]))
    );
  }
  if (isPlainObject(desired)) {
    return (
      isPlainObject(observed) &&
      Object.entries(desired).every(([k, v]) => v === undefined || contains(v, observed[k]))
    );
  }
  return desired === observed;
}

/**
 * Makes the object named by `desired` contain `desired`: GET it, create it when missing, replace
 * it (with the observed resourceVersion, so a concurrent writer causes a 409 rather than a lost
 * update) when it differs, and write nothing when it already matches. `content` names the fields
 * besides metadata that we own (`spec`, or `data` for a ConfigMap). Pass `observed` when the
 * caller already read it (undefined = read it here; null = known to be missing).
 */
export async function ensureSideObject<T extends KubeObject>(
  port: KubePort,
  desired: T,
  content: readonly string[],
  fieldManager: string,
  observed?: T | null,
): Promise<EnsuredObject<T>> {
  const current =
    observed === undefined ? await readOptional<T>(port, desired) : (observed ?? undefined);
  if (current === undefined) {
    return { write: 'create', object: await port.create<T>(desired, { fieldManager }) };
  }
  const same =
    contains(desired.metadata.labels ?? {}, current.metadata.labels ?? {}) &&
    contains(desired.metadata.annotations ?? {}, current.metadata.annotations ?? {}) &&
    content.every(
      (key) =>
        contains(desired[key], current[key]) &&
        (key !== 'data' || sameKeys(desired[key], current[key])),
    );
  if (same) return { write: 'none', object: current };
  const next: T = {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...(current.metadata.labels ?? {}), ...(desired.metadata.labels ?? {}) },
      annotations: {
        ...(current.metadata.annotations ?? {}),
        ...(desired.metadata.annotations ?? {}),
      },
    },
  };
  for (const key of content) {
    const before = current[key];
    const wanted = desired[key];
    // A spec keeps the server's own fields (a Service's clusterIP is immutable); data is ours whole.
    (next as Record<string, unknown>)[key] =
      key !== 'data' && isPlainObject(before) && isPlainObject(wanted)
        ? { ...before, ...wanted }
        : wanted;
  }
  return { write: 'replace', object: await port.replace<T>(next, { fieldManager }) };
}

/** GETs an object; undefined when it does not exist. */
export async function readOptional<T extends KubeObject>(
  port: KubePort,
  object: { apiVersion: string; kind: string; metadata: { name?: string; namespace?: string } },
): Promise<T | undefined> {
  try {
    return await port.get<T>({
      apiVersion: object.apiVersion,
      kind: object.kind,
      name: object.metadata.name ?? '',
      namespace: object.metadata.namespace,
    });
  } catch (failure) {
    if (asKubernetesError(failure)?.isNotFound()) return undefined;
    throw failure;
  }
}

/**
 * Deletes every object of `type` in `namespace` carrying the ownership labels of `statefulSet`,
 * each with a uid precondition (never a same-named object created since). Returns their names.
 */
export async function deleteOwned(
  port: KubePort,
  type: TypeRef,
  namespace: string,
  statefulSet: string,
  keep: readonly string[] = [],
): Promise<string[]> {
  const list = await port.list(type, { namespace, labelSelector: ownershipSelector(statefulSet) });
  const deleted: string[] = [];
  for (const item of list.items) {
    const name = item.metadata.name ?? '';
    if (keep.includes(name)) continue;
    try {
      await port.delete(
        { ...type, name, namespace },
        item.metadata.uid ? { preconditions: { uid: item.metadata.uid } } : {},
      );
      deleted.push(name);
    } catch (failure) {
      if (!asKubernetesError(failure)?.isNotFound()) throw failure;
    }
  }
  return deleted;
}

function sameKeys(a: unknown, b: unknown): boolean {
  if (!isPlainObject(a) || !isPlainObject(b)) return a === b;
  return Object.keys(a).length === Object.keys(b).length;
}
