/**
 * StatefulSet fixtures shared by the integration tests (and the example's), so that a suite states
 * only what its case depends on: a replica count, a container, a volume.
 *
 * Images live under `registry.invalid`: the test cluster's nodes are kwok fakes that never pull,
 * and the reserved `.invalid` domain guarantees nothing would be fetched if one ever tried.
 * Builders return a fresh object on every call, so a test may change what it gets back.
 */
import type { ObjectRef } from '../../lib/kube/port.js';
import type { Container, PodSecurityContext, StatefulSet, Volume } from '../../lib/kube/types.js';
import { adminKubeConfig, request, waitUntil } from './cluster.js';

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
export type JujuCharmStatefulSetOptions = Pick<
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
 * container and charm volumes are left out; no test here depends on them.
 */
export function jujuCharmStatefulSet(
  app: string,
  namespace: string,
  workloadContainer: Container,
  options: JujuCharmStatefulSetOptions = {},
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

/** Where a StatefulSet is, for get/patch/watch calls and for comparing with recorded requests. */
export function statefulSetRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace, name };
}

/**
 * Waits until a single-replica StatefulSet has rolled out: the controller saw the latest
 * generation, its pod is Ready, and current and update revisions agree. Reads through the raw
 * helper, so test set-up does not depend on the rollout code under test.
 */
export async function waitForSingleReplicaRollout(
  namespace: string,
  name: string,
): Promise<StatefulSet> {
  return waitUntil(
    `${name} to roll out`,
    async () => {
      const s = await request<StatefulSet>(
        adminKubeConfig(),
        'GET',
        `/apis/apps/v1/namespaces/${namespace}/statefulsets/${name}`,
      );
      const st = s.status;
      return st?.observedGeneration === s.metadata.generation &&
        st?.readyReplicas === 1 &&
        st?.currentRevision === st?.updateRevision
        ? s
        : undefined;
    },
    { timeoutMs: 90_000 },
  );
}
