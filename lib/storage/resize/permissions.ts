/**
 * The permissions a resize needs, checked before it starts.
 *
 * A resize that discovers a missing permission half way — after the scale-down, say — stops with
 * the StatefulSet at 0 replicas until a person grants it. So preflight asks the API server
 * (SelfSubjectAccessReview: "may I do this?") for every namespaced verb the plan will use and
 * refuses to start, naming the Role rules to grant, when one is missing. PersistentVolume access is
 * not required (without it the copy is swapped by copying back) and is probed separately; nor is
 * StorageClass access (without it a class counts as not expandable).
 */
import type { KubePort } from '../../kube/port.js';
import type { KubeObject } from '../../kube/types.js';
import { formatRbacRule } from '../../kube/errors.js';
import { isPlainObject } from '../../core/json.js';

/** One verb on one namespaced resource. */
export interface Permission {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
}

/** What the plan does, as far as permissions go. */
export interface PermissionNeeds {
  readonly inPlace: boolean;
  readonly copy: boolean;
  readonly templateUpdate: 'patch' | 'recreate' | 'none';
}

/** The namespaced permissions a plan needs. */
export function requiredPermissions(needs: PermissionNeeds): Permission[] {
  const out: Permission[] = [];
  const add = (group: string, resource: string, ...verbs: string[]) =>
    verbs.forEach((verb) => out.push({ group, resource, verb }));
  add('', 'configmaps', 'get', 'create', 'update', 'delete');
  add('apps', 'statefulsets', 'get');
  add('', 'persistentvolumeclaims', 'get', 'list');
  if (needs.inPlace) {
    add('', 'persistentvolumeclaims', 'patch');
    add('', 'pods', 'list', 'delete');
  }
  if (needs.templateUpdate === 'recreate') {
    add('apps', 'statefulsets', 'delete', 'create', 'patch');
    add('', 'pods', 'list');
  }
  if (needs.templateUpdate === 'patch') add('apps', 'statefulsets', 'patch');
  if (needs.copy) {
    add('apps', 'statefulsets', 'patch');
    add('', 'pods', 'list');
    add('', 'persistentvolumeclaims', 'create', 'delete', 'patch');
    add('batch', 'jobs', 'get', 'list', 'create', 'delete');
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    const key = `${p.group}/${p.resource}/${p.verb}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Asks the server about each permission; returns the Role rules missing (one per resource), or
 * undefined when the server could not answer (then the run finds out as it goes).
 */
export async function missingPermissions(
  port: KubePort,
  namespace: string,
  needed: readonly Permission[],
): Promise<string[] | undefined> {
  const denied: Permission[] = [];
  for (const permission of needed) {
    let answer: unknown;
    try {
      const review = await port.create<KubeObject>({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: {
          resourceAttributes: {
            namespace,
            group: permission.group,
            resource: permission.resource,
            verb: permission.verb,
          },
        },
      });
      answer = isPlainObject(review.status) ? review.status.allowed : undefined;
    } catch {
      return undefined;
    }
    if (typeof answer !== 'boolean') return undefined;
    if (!answer) denied.push(permission);
  }
  const byResource = new Map<string, Permission[]>();
  for (const p of denied) {
    const key = `${p.group}/${p.resource}`;
    byResource.set(key, [...(byResource.get(key) ?? []), p]);
  }
  return [...byResource.values()].map((perms) =>
    formatRbacRule({
      roleKind: 'Role',
      apiGroups: [perms[0]?.group ?? ''],
      resources: [perms[0]?.resource ?? ''],
      verbs: perms.map((p) => p.verb),
    }),
  );
}
