/**
 * Object builders for tests: the StatefulSet Juju creates for a sidecar charm, a plain one, a claim
 * and a storage class — the objects every controller test starts from, so a test states only what
 * its case depends on (a replica count, a container, a phase).
 *
 * Images live under `registry.invalid`: nothing here is meant to be pulled, and the reserved
 * `.invalid` domain guarantees nothing would be fetched if a node ever tried. Every builder returns
 * a fresh object, so a test may change what it gets back.
 */
import type {
  Container,
  PersistentVolumeClaim,
  PodSecurityContext,
  StatefulSet,
  StorageClass,
  Volume,
} from '../kube/types.js';

/** What a plain StatefulSet fixture may differ in; everything else has a working default. */
export interface StatefulSetFixtureOptions {
  name: string;
  namespace: string;
  /** Defaults to 1 (a pod the StatefulSet controller creates); 0 keeps the set without pods. */
  replicas?: number;
  /** Defaults to one `workload` container. */
  containers?: Container[];
  /** Selector and pod labels alike (the server requires them to match); defaults to `app: <name>`. */
  labels?: Record<string, string>;
  /** The governing Service; defaults to the name. `null` leaves the field out (it is optional). */
  serviceName?: string | null;
  /** The pod-level securityContext; left out when not given. */
  podSecurityContext?: PodSecurityContext;
  /** Pod volumes; left out when not given. */
  volumes?: Volume[];
}

/** The container a plain fixture runs when a test does not care which. */
export const WORKLOAD_CONTAINER: Readonly<Container> = {
  name: 'workload',
  image: 'registry.invalid/workload:1',
};

/** A minimal valid StatefulSet, the one most tests create and then patch or watch roll out. */
export function statefulSetFixture(options: StatefulSetFixtureOptions): StatefulSet {
  const { name, namespace, replicas = 1, serviceName = name } = options;
  const labels = options.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name, namespace },
    spec: {
      replicas,
      ...(serviceName === null ? {} : { serviceName }),
      selector: { matchLabels: { ...labels } },
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          ...(options.podSecurityContext
            ? { securityContext: structuredClone(options.podSecurityContext) }
            : {}),
          containers: structuredClone(options.containers ?? [WORKLOAD_CONTAINER]),
          ...(options.volumes ? { volumes: structuredClone(options.volumes) } : {}),
        },
      },
    },
  };
}

/** What a Juju charm fixture may differ in besides its workload container. */
export type JujuStatefulSetFixtureOptions = Pick<
  StatefulSetFixtureOptions,
  'replicas' | 'podSecurityContext' | 'volumes'
>;

/** The container Juju runs the charm itself in, always first and always named `charm`. */
export const JUJU_CHARM_CONTAINER: Readonly<Container> = {
  name: 'charm',
  image: 'registry.invalid/charm-base:22.04',
};

/**
 * The StatefulSet Juju creates for a sidecar charm `app`: the `charm` container first, then the
 * workload container, pods labelled `app.kubernetes.io/name: <app>` and governed by the
 * `<app>-endpoints` Service. The workload container keeps the name charmcraft.yaml gives it,
 * which is not necessarily the app name: that is why the caller passes it whole. Juju's init
 * container and charm volumes are left out.
 */
export function jujuStatefulSetFixture(
  app: string,
  namespace: string,
  workloadContainer: Container,
  options: JujuStatefulSetFixtureOptions = {},
): StatefulSet {
  return statefulSetFixture({
    ...options,
    name: app,
    namespace,
    serviceName: `${app}-endpoints`,
    labels: { 'app.kubernetes.io/name': app },
    containers: [JUJU_CHARM_CONTAINER, workloadContainer],
  });
}

/** What a claim fixture may differ in. */
export interface ClaimFixtureOptions {
  name: string;
  namespace: string;
  /** Defaults to `10Gi`. */
  size?: string;
  /** Defaults to `['ReadWriteMany']`. */
  accessModes?: string[];
  /** Left out when not given (the server's default class then applies). */
  storageClassName?: string;
  /** `status.phase`; left out when not given (a fresh claim has none until the binder runs). */
  phase?: 'Pending' | 'Bound' | 'Lost';
}

/** A PersistentVolumeClaim; give it a phase to stand for one the binder has seen. */
export function claimFixture(options: ClaimFixtureOptions): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      accessModes: [...(options.accessModes ?? ['ReadWriteMany'])],
      ...(options.storageClassName === undefined
        ? {}
        : { storageClassName: options.storageClassName }),
      resources: { requests: { storage: options.size ?? '10Gi' } },
    },
    ...(options.phase === undefined ? {} : { status: { phase: options.phase } }),
  };
}

/** What a storage class fixture may differ in. */
export interface StorageClassFixtureOptions {
  name: string;
  /** Defaults to `example.com/fake`. */
  provisioner?: string;
  /** Marks it the cluster's default class. */
  isDefault?: boolean;
  allowVolumeExpansion?: boolean;
  /** Defaults to `Immediate`. */
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
}

/** A StorageClass. */
export function storageClassFixture(options: StorageClassFixtureOptions): StorageClass {
  return {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: {
      name: options.name,
      ...(options.isDefault
        ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }
        : {}),
    },
    provisioner: options.provisioner ?? 'example.com/fake',
    volumeBindingMode: options.volumeBindingMode ?? 'Immediate',
    ...(options.allowVolumeExpansion === undefined
      ? {}
      : { allowVolumeExpansion: options.allowVolumeExpansion }),
  };
}
