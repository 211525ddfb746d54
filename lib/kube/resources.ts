import type { ObjectRef, TypeRef } from './port.js';

/** What the REST mapping of one kind is: its plural and whether it lives in a namespace. */
import { CharmkitError } from '../core/errors.js';
export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/**
 * The kinds charmkit works with, mapped without a discovery request. A controller that only
 * patches its own StatefulSet should not pay for API discovery on every hook (rule: minimum API
 * traffic); `registerResource` adds others.
 */
const registry = new Map<string, ResourceInfo>([
  ['v1/Pod', { plural: 'pods', namespaced: true }],
  ['v1/PersistentVolumeClaim', { plural: 'persistentvolumeclaims', namespaced: true }],
  ['v1/PersistentVolume', { plural: 'persistentvolumes', namespaced: false }],
  ['v1/Namespace', { plural: 'namespaces', namespaced: false }],
  ['v1/Node', { plural: 'nodes', namespaced: false }],
  ['v1/Event', { plural: 'events', namespaced: true }],
  ['v1/ConfigMap', { plural: 'configmaps', namespaced: true }],
  ['v1/Secret', { plural: 'secrets', namespaced: true }],
  ['v1/Service', { plural: 'services', namespaced: true }],
  ['v1/ServiceAccount', { plural: 'serviceaccounts', namespaced: true }],
  ['v1/ResourceQuota', { plural: 'resourcequotas', namespaced: true }],
  ['apps/v1/StatefulSet', { plural: 'statefulsets', namespaced: true }],
  ['apps/v1/Deployment', { plural: 'deployments', namespaced: true }],
  ['apps/v1/ControllerRevision', { plural: 'controllerrevisions', namespaced: true }],
  ['batch/v1/Job', { plural: 'jobs', namespaced: true }],
  [
    'autoscaling/v2/HorizontalPodAutoscaler',
    { plural: 'horizontalpodautoscalers', namespaced: true },
  ],
  ['storage.k8s.io/v1/StorageClass', { plural: 'storageclasses', namespaced: false }],
  ['storage.k8s.io/v1/CSIDriver', { plural: 'csidrivers', namespaced: false }],
  ['networking.k8s.io/v1/NetworkPolicy', { plural: 'networkpolicies', namespaced: true }],
  ['rbac.authorization.k8s.io/v1/Role', { plural: 'roles', namespaced: true }],
  ['rbac.authorization.k8s.io/v1/RoleBinding', { plural: 'rolebindings', namespaced: true }],
  ['rbac.authorization.k8s.io/v1/ClusterRole', { plural: 'clusterroles', namespaced: false }],
  [
    'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    { plural: 'clusterrolebindings', namespaced: false },
  ],
  [
    'authorization.k8s.io/v1/SelfSubjectAccessReview',
    { plural: 'selfsubjectaccessreviews', namespaced: false },
  ],
  ['coordination.k8s.io/v1/Lease', { plural: 'leases', namespaced: true }],
]);

/** Thrown when a kind is not in the registry; the message says how to add it. */
export class UnknownResourceError extends CharmkitError {
  override readonly name = 'UnknownResourceError';
  readonly remedy = 'fix' as const;
  constructor(readonly type: TypeRef) {
    super(
      `charmkit does not know the REST path of ${type.apiVersion} ${type.kind}; ` +
        `call registerResource({ apiVersion: '${type.apiVersion}', kind: '${type.kind}' }, { plural, namespaced }) first`,
    );
  }
}

/** Teaches charmkit the REST mapping of another kind (a CRD, say). */
export function registerResource(type: TypeRef, info: ResourceInfo): void {
  registry.set(`${type.apiVersion}/${type.kind}`, info);
}

/** The REST mapping of a kind, or `UnknownResourceError`. */
export function resourceInfo(type: TypeRef): ResourceInfo {
  const info = registry.get(`${type.apiVersion}/${type.kind}`);
  if (!info) throw new UnknownResourceError(type);
  return info;
}

/** The API group of an apiVersion: '' for the core group. */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/**
 * The URL path of a collection (no name) or of one object, e.g.
 * `/apis/apps/v1/namespaces/media/statefulsets/radarr`.
 */
export function resourcePath(
  type: TypeRef,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  const info = resourceInfo(type);
  const base = type.apiVersion.includes('/')
    ? `/apis/${type.apiVersion}`
    : `/api/${type.apiVersion}`;
  let path = base;
  if (info.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${info.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource) path += `/${subresource}`;
  return path;
}

/** The path of the object a ref names. */
export function objectPath(ref: ObjectRef, subresource?: string): string {
  return resourcePath(ref, ref.namespace, ref.name, subresource);
}
