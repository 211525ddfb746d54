/**
 * What differs between kinds in how the API server stores them, for `FakeCluster`.
 *
 * The registry strategies of kube-apiserver decide, per kind, whether `metadata.generation` is
 * tracked (and what bumps it) and whether `status` may only be written through the `status`
 * subresource. Controllers lean on both — "has the StatefulSet controller observed my patch?" is
 * `status.observedGeneration === metadata.generation` — so the fake follows the same table
 * (taken from the v1.37 registry strategies) instead of one rule for all kinds.
 */
import type { JsonValue } from '../kube/types.js';

/** What bumps `metadata.generation` on an update. */
export type GenerationPolicy =
  /** Not tracked (ConfigMap, Secret, Service, PVC, RBAC...). */
  | 'none'
  /** `spec` changes (StatefulSet, Job, Pod, NetworkPolicy...). */
  | 'spec'
  /** `spec` or `metadata.annotations` changes (Deployment, whose annotations reach its ReplicaSets). */
  | 'spec+annotations'
  /** Anything but metadata and status (custom resources). */
  | 'content';

/**
 * What a write through `/status` keeps from the stored object (the rest comes from the request).
 * The registry strategies differ: most only reset `spec`, Deployment also `labels`, Pod all of
 * labels/annotations/finalizers/ownerReferences, and custom resources everything but `status`.
 */
export type StatusWriteKeeps = 'spec' | 'spec+labels' | 'spec+metadata' | 'all';

/** How one kind behaves in storage. */
export interface KindBehavior {
  generation: GenerationPolicy;
  /** Status is written only through `/status`; ordinary writes keep the stored status. */
  statusSubresource: boolean;
  /** For kinds with a status subresource: what a status write cannot change. Default `spec`. */
  statusWriteKeeps?: StatusWriteKeeps;
  /** The status a create stores (creates cannot set status on these kinds). */
  initialStatus?: () => { [key: string]: JsonValue };
}

const SPEC_WITH_STATUS: KindBehavior = { generation: 'spec', statusSubresource: true };

const BUILT_IN: Readonly<Record<string, KindBehavior>> = {
  'v1/Pod': {
    generation: 'spec',
    statusSubresource: true,
    statusWriteKeeps: 'spec+metadata',
    initialStatus: () => ({ phase: 'Pending' }),
  },
  'v1/PersistentVolumeClaim': {
    generation: 'none',
    statusSubresource: true,
    initialStatus: () => ({ phase: 'Pending' }),
  },
  'v1/PersistentVolume': {
    generation: 'none',
    statusSubresource: true,
    initialStatus: () => ({ phase: 'Pending' }),
  },
  'v1/Namespace': {
    generation: 'none',
    statusSubresource: true,
    initialStatus: () => ({ phase: 'Active' }),
  },
  'v1/Service': {
    generation: 'none',
    statusSubresource: true,
    initialStatus: () => ({ loadBalancer: {} }),
  },
  'v1/Node': { generation: 'none', statusSubresource: true },
  'v1/ResourceQuota': { generation: 'none', statusSubresource: true },
  'apps/v1/StatefulSet': {
    generation: 'spec',
    statusSubresource: true,
    initialStatus: () => ({ replicas: 0, availableReplicas: 0 }),
  },
  'apps/v1/Deployment': {
    generation: 'spec+annotations',
    statusSubresource: true,
    statusWriteKeeps: 'spec+labels',
    initialStatus: () => ({}),
  },
  'apps/v1/DaemonSet': {
    generation: 'spec',
    statusSubresource: true,
    initialStatus: () => ({
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
    }),
  },
  'apps/v1/ReplicaSet': {
    generation: 'spec',
    statusSubresource: true,
    initialStatus: () => ({ replicas: 0 }),
  },
  'batch/v1/Job': { generation: 'spec', statusSubresource: true, initialStatus: () => ({}) },
  'batch/v1/CronJob': SPEC_WITH_STATUS,
  'networking.k8s.io/v1/NetworkPolicy': { generation: 'spec', statusSubresource: false },
  'networking.k8s.io/v1/Ingress': SPEC_WITH_STATUS,
  'policy/v1/PodDisruptionBudget': SPEC_WITH_STATUS,
  'storage.k8s.io/v1/CSIDriver': { generation: 'spec', statusSubresource: false },
};

const PLAIN: KindBehavior = { generation: 'none', statusSubresource: false };

/** Kinds that are plain data: no generation, no status subresource. */
const PLAIN_KINDS = new Set([
  'v1/ConfigMap',
  'v1/Secret',
  'v1/ServiceAccount',
  'v1/Event',
  'v1/Endpoints',
  'apps/v1/ControllerRevision',
  'storage.k8s.io/v1/StorageClass',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRole',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding',
  'coordination.k8s.io/v1/Lease',
  'authorization.k8s.io/v1/SelfSubjectAccessReview',
]);

/**
 * Custom resources: the API server always tracks generation for them, and most CRDs enable the
 * status subresource; `FakeClusterOptions.kinds` overrides either for a CRD that differs.
 */
const CUSTOM: KindBehavior = {
  generation: 'content',
  statusSubresource: true,
  statusWriteKeeps: 'all',
};

/** The storage behaviour of `apiVersion/kind`, with per-test overrides applied. */
export function kindBehavior(
  apiVersion: string,
  kind: string,
  overrides?: Readonly<Record<string, Partial<KindBehavior>>>,
): KindBehavior {
  const key = `${apiVersion}/${kind}`;
  const base = BUILT_IN[key] ?? (PLAIN_KINDS.has(key) ? PLAIN : CUSTOM);
  const override = overrides?.[key];
  return override ? { ...base, ...override } : base;
}
