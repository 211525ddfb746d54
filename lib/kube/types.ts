/**
 * Plain-JSON shapes of the Kubernetes objects charmkit reads and writes.
 *
 * We do not use @kubernetes/client-node's model classes here: they turn timestamps into `Date`
 * objects and drop unknown fields, while a strategic merge patch must be computed against exactly
 * what the API server returned. These types name only the fields we use; every object keeps the
 * rest through its index signature, so nothing a server or another writer set is lost.
 */

export type { JsonValue } from '../core/json.js';

/** Object metadata, as served by the API server. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

/** Points from a dependent object at its owner, so that deleting the owner collects the dependent. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Every Kubernetes object: a type, metadata and whatever its kind adds. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A list response. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string };
  items: T[];
}

/** A container environment variable (a literal or a reference). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: Record<string, unknown>;
}

/** Where a pod volume appears in a container; capabilities add these by patch. */
export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  [key: string]: unknown;
}

/** Container-level privileges; the VPN capability adds NET_ADMIN here. */
export interface SecurityContext {
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  [key: string]: unknown;
}

/** A container of a pod template; strategic merge patches match containers by `name`. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  ports?: { containerPort: number; name?: string; protocol?: string; [key: string]: unknown }[];
  volumeMounts?: VolumeMount[];
  securityContext?: SecurityContext;
  restartPolicy?: string;
  [key: string]: unknown;
}

/** A pod volume; only the PVC source is named, others pass through the index signature. */
export interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string; readOnly?: boolean };
  [key: string]: unknown;
}

/** Pod-level security settings; `fsGroup` decides who can write a mounted volume. */
export interface PodSecurityContext {
  fsGroup?: number;
  runAsUser?: number;
  runAsGroup?: number;
  supplementalGroups?: number[];
  [key: string]: unknown;
}

/** The parts of a pod spec capabilities read or patch. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  nodeName?: string;
  [key: string]: unknown;
}

/** The pod template a StatefulSet stamps its pods from; changing it starts a rollout. */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** The controller's own workload: the object charmkit patches and whose rollout it watches. */
export interface StatefulSet extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string>; [key: string]: unknown };
    serviceName?: string;
    template: PodTemplateSpec;
    volumeClaimTemplates?: PersistentVolumeClaim[];
    [key: string]: unknown;
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    currentReplicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    [key: string]: unknown;
  };
}

/** The kubelet's report on one container; `state.waiting.reason` says why it is not running. */
export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { reason?: string; exitCode?: number; message?: string };
  };
  [key: string]: unknown;
}

/** A pod, read to explain a stuck rollout (conditions, container statuses). */
export interface Pod extends KubeObject {
  spec: PodSpec;
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    [key: string]: unknown;
  };
}

/** A claim on storage; `status.phase` other than Bound keeps its pods from starting. */
export interface PersistentVolumeClaim extends KubeObject {
  spec: {
    accessModes?: string[];
    storageClassName?: string | null;
    volumeName?: string;
    volumeMode?: string;
    resources?: { requests?: Record<string, string> };
    selector?: Record<string, unknown>;
    [key: string]: unknown;
  };
  status?: {
    phase?: string;
    capacity?: Record<string, string>;
    accessModes?: string[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    allocatedResources?: Record<string, string>;
    [key: string]: unknown;
  };
}

/** A volume a claim binds to; its source (hostPath, NFS, CSI) says where data lives. */
export interface PersistentVolume extends KubeObject {
  spec: {
    capacity?: Record<string, string>;
    accessModes?: string[];
    storageClassName?: string;
    persistentVolumeReclaimPolicy?: string;
    claimRef?: { namespace?: string; name?: string; uid?: string; [key: string]: unknown };
    hostPath?: { path: string; type?: string };
    nfs?: { server: string; path: string; readOnly?: boolean };
    csi?: Record<string, unknown>;
    [key: string]: unknown;
  };
  status?: { phase?: string; [key: string]: unknown };
}

/** How claims of a class are provisioned and when they bind (`volumeBindingMode`). */
export interface StorageClass extends KubeObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: string;
  volumeBindingMode?: string;
  allowVolumeExpansion?: boolean;
}

/** A core/v1 Event: the cluster's own account of why something is stuck. */
export interface KubeEvent extends KubeObject {
  involvedObject: { kind?: string; name?: string; namespace?: string; uid?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
}

/** The Status object an API server returns with every failure. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: { reason?: string; message?: string; field?: string }[];
    retryAfterSeconds?: number;
  };
}
