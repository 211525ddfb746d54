/**
 * The least-privilege RBAC for what a controller's capabilities do: every rule here is a request
 * the capability makes (tests/cli/rbac.int.test.ts runs each capability with exactly these rules
 * on a real API server and shows that each rule is needed). Rules are narrowed by `resourceNames`
 * wherever Kubernetes allows it: not for `create` (the name is not known to the authorizer before
 * the object exists) and not for `list`/`watch` of a collection.
 *
 * Objects outside the controller's namespace get their own Role where they live (the API server's
 * `kubernetes` Service and its EndpointSlices in `default`, cluster DNS in `kube-system`); the few
 * cluster-scoped reads (Cilium's CRD, storage classes) get a ClusterRole. The reads the library
 * treats as optional (it degrades to a note when they are refused) are marked so.
 */
import type { KubeObject } from 'charmkit/kube';

/** A capability the RBAC can be computed for. */
export type CapabilityName =
  'storage-requirer' | 'storage-provider' | 'vpn-requirer' | 'vpn-provider';

/** The capabilities, with what each one is. */
export const CAPABILITIES: Readonly<Record<CapabilityName, string>> = {
  'storage-requirer': 'StorageRequirer: mounts a shared claim into its own StatefulSet',
  'storage-provider': 'StorageProvider: creates the shared claim and explains it',
  'vpn-requirer': 'VPNGatewayRequirer: routes its pods through a gateway behind a kill switch',
  'vpn-provider': 'VPNGatewayProvider: turns its pod into a pod-gateway gateway',
};

/** The capabilities of each example controller. */
export const EXAMPLE_CAPABILITIES: Readonly<Record<string, readonly CapabilityName[]>> = {
  radarr: ['storage-requirer'],
  qbittorrent: ['vpn-requirer', 'storage-requirer'],
  gluetun: ['vpn-provider'],
};

/** What the RBAC is for. */
export interface RbacRequest {
  readonly capabilities: readonly CapabilityName[];
  readonly namespace: string;
  /** The controller's own StatefulSet (under Juju: the application name). */
  readonly statefulSet: string;
  /** The ServiceAccount the controller runs as (default: the StatefulSet's name, as Juju names it). */
  readonly serviceAccount?: string;
  /** The shared claim's name, when known: the requirer's claim read is then narrowed to it. */
  readonly claim?: string;
  /** The VPN requirer removes its objects when the relation goes (`onRelationBroken: 'remove'`). */
  readonly vpnRemove?: boolean;
  /** The API server's addresses are given as options (no reads in `default`). */
  readonly apiServerGiven?: boolean;
  /** The cluster DNS address is given to the VPN provider (no reads in `kube-system`). */
  readonly clusterDnsGiven?: boolean;
  /** Leave out the optional reads (diagnosis, Cilium detection): the status says less. */
  readonly minimal?: boolean;
}

/** One RBAC rule. */
export interface PolicyRule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
}

interface Grant {
  /** Namespace, or undefined for cluster-scoped. */
  readonly scope: string | undefined;
  readonly group: string;
  readonly resource: string;
  readonly verbs: readonly string[];
  readonly names?: readonly string[];
  /** The library degrades (a note, a less precise diagnosis) without it. */
  readonly optional?: boolean;
}

/** Every request each capability makes, as grants. */
function grants(request: RbacRequest): Grant[] {
  const ns = request.namespace;
  const sts = request.statefulSet;
  const out: Grant[] = [];
  const ownStatefulSet: Grant = {
    scope: ns,
    group: 'apps',
    resource: 'statefulsets',
    verbs: ['get', 'patch'],
    names: [sts],
  };
  for (const capability of request.capabilities) {
    switch (capability) {
      case 'storage-requirer':
        out.push(
          ownStatefulSet,
          {
            scope: ns,
            group: '',
            resource: 'persistentvolumeclaims',
            verbs: ['get'],
            ...(request.claim ? { names: [request.claim] } : {}),
          },
          // Verifying the mount where the StatefulSet's status cannot prove it, and the rollout
          // diagnosis, list the pods and their events.
          { scope: ns, group: '', resource: 'pods', verbs: ['list'] },
          { scope: ns, group: '', resource: 'events', verbs: ['list'], optional: true },
        );
        break;
      case 'storage-provider':
        out.push(
          {
            scope: ns,
            group: '',
            resource: 'persistentvolumeclaims',
            verbs: ['get'],
            ...(request.claim ? { names: [request.claim] } : {}),
          },
          { scope: ns, group: '', resource: 'persistentvolumeclaims', verbs: ['create'] },
          { scope: ns, group: 'apps', resource: 'statefulsets', verbs: ['get'], names: [sts] },
          { scope: ns, group: '', resource: 'resourcequotas', verbs: ['list'], optional: true },
          { scope: ns, group: '', resource: 'events', verbs: ['list'], optional: true },
          {
            scope: undefined,
            group: 'storage.k8s.io',
            resource: 'storageclasses',
            verbs: ['list'],
            optional: true,
          },
          {
            scope: undefined,
            group: 'storage.k8s.io',
            resource: 'csidrivers',
            verbs: ['list'],
            optional: true,
          },
        );
        break;
      case 'vpn-requirer': {
        const killSwitch = `${sts}-vpn-killswitch`;
        const settings = `${sts}-gateway-client-config`;
        const removeVerbs = request.vpnRemove ? ['delete'] : [];
        out.push(
          ownStatefulSet,
          {
            scope: ns,
            group: 'networking.k8s.io',
            resource: 'networkpolicies',
            verbs: ['get', 'update', ...removeVerbs],
            names: [killSwitch],
          },
          { scope: ns, group: 'networking.k8s.io', resource: 'networkpolicies', verbs: ['create'] },
          {
            scope: ns,
            group: '',
            resource: 'configmaps',
            verbs: ['get', 'update', ...removeVerbs],
            names: [settings],
          },
          { scope: ns, group: '', resource: 'configmaps', verbs: ['create'] },
        );
        if (request.vpnRemove) {
          out.push(
            { scope: ns, group: 'networking.k8s.io', resource: 'networkpolicies', verbs: ['list'] },
            { scope: ns, group: '', resource: 'configmaps', verbs: ['list'] },
          );
        }
        if (!request.apiServerGiven) {
          out.push(
            // Outside a pod only; in one the Service address comes from the environment.
            {
              scope: 'default',
              group: '',
              resource: 'services',
              verbs: ['get'],
              names: ['kubernetes'],
            },
            {
              scope: 'default',
              group: 'discovery.k8s.io',
              resource: 'endpointslices',
              verbs: ['list'],
            },
          );
        }
        out.push({
          scope: undefined,
          group: 'apiextensions.k8s.io',
          resource: 'customresourcedefinitions',
          verbs: ['get'],
          names: ['ciliumnetworkpolicies.cilium.io'],
          optional: true,
        });
        break;
      }
      case 'vpn-provider': {
        const names = [`${sts}-gateway-settings`];
        out.push(
          ownStatefulSet,
          { scope: ns, group: '', resource: 'configmaps', verbs: ['get', 'update'], names },
          { scope: ns, group: '', resource: 'configmaps', verbs: ['create'] },
          {
            scope: ns,
            group: '',
            resource: 'services',
            verbs: ['get', 'update'],
            names: [`${sts}-vpn-gateway`],
          },
          { scope: ns, group: '', resource: 'services', verbs: ['create'] },
        );
        if (!request.clusterDnsGiven) {
          out.push({
            scope: 'kube-system',
            group: '',
            resource: 'services',
            verbs: ['get'],
            names: ['kube-dns', 'coredns'],
          });
        }
        break;
      }
    }
  }
  return request.minimal ? out.filter((g) => !g.optional) : out;
}

/** Merges grants into rules: one rule per group, resource and name list, verbs united and sorted. */
export function rulesOf(list: readonly Grant[]): PolicyRule[] {
  const merged = new Map<
    string,
    { group: string; resource: string; names?: readonly string[]; verbs: Set<string> }
  >();
  for (const g of list) {
    const key = `${g.group}|${g.resource}|${(g.names ?? []).join(',')}`;
    const rule = merged.get(key) ?? {
      group: g.group,
      resource: g.resource,
      ...(g.names ? { names: g.names } : {}),
      verbs: new Set(),
    };
    for (const verb of g.verbs) rule.verbs.add(verb);
    merged.set(key, rule);
  }
  return [...merged.values()]
    .sort(
      (a, b) =>
        `${a.group}/${a.resource}`.localeCompare(`${b.group}/${b.resource}`) ||
        (a.names ? 1 : 0) - (b.names ? 1 : 0),
    )
    .map((r) => ({
      apiGroups: [r.group],
      resources: [r.resource],
      ...(r.names ? { resourceNames: [...r.names] } : {}),
      verbs: [...r.verbs].sort(),
    }));
}

/**
 * The Roles, ClusterRole and bindings for `request`, ready to apply: a Role and RoleBinding in the
 * controller's namespace, one per other namespace it reads, and a ClusterRole(Binding) for
 * cluster-scoped reads.
 */
export function rbacObjects(request: RbacRequest): KubeObject[] {
  const sa = request.serviceAccount ?? request.statefulSet;
  const name = `${sa}-charmkit`;
  const subject = { kind: 'ServiceAccount', name: sa, namespace: request.namespace };
  const all = grants(request);
  const scopes = [...new Set(all.map((g) => g.scope))].sort((a, b) =>
    a === request.namespace ? -1 : b === request.namespace ? 1 : String(a).localeCompare(String(b)),
  );
  const labels = { 'app.kubernetes.io/managed-by': 'charmkit', 'charmkit.io/service-account': sa };
  const objects: KubeObject[] = [];
  for (const scope of scopes) {
    const rules = rulesOf(all.filter((g) => g.scope === scope));
    if (scope === undefined) {
      const clusterName = `${request.namespace}-${name}`;
      objects.push(
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: clusterName, labels },
          rules,
        } as KubeObject,
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: clusterName, labels },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: clusterName,
          },
          subjects: [subject],
        } as KubeObject,
      );
      continue;
    }
    const roleName = scope === request.namespace ? name : `${request.namespace}-${name}`;
    objects.push(
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: roleName, namespace: scope, labels },
        rules,
      } as KubeObject,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: roleName, namespace: scope, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
        subjects: [subject],
      } as KubeObject,
    );
  }
  return objects;
}

/** The optional grants of `request` (shown as comments). */
export function optionalRules(request: RbacRequest): PolicyRule[] {
  return rulesOf(grants(request).filter((g) => g.optional));
}
