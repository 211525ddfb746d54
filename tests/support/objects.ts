/**
 * StatefulSet helpers shared by the integration tests (and the example's): the fixtures of
 * charmkit/testing, where a StatefulSet is, and waiting for a rollout through the raw helper.
 */
import type { ObjectRef } from '../../lib/kube/port.js';
import type { StatefulSet } from '../../lib/kube/types.js';
import { adminKubeConfig, request, waitUntil } from './cluster.js';

// The object builders live in lib/testing (offered to charm authors as charmkit/testing);
// re-exported here under the names the suites use.
export {
  JUJU_CHARM_CONTAINER,
  jujuStatefulSetFixture as jujuCharmStatefulSet,
  statefulSetFixture,
  WORKLOAD_CONTAINER,
} from '../../lib/testing/fixtures.js';
export type {
  JujuStatefulSetFixtureOptions as JujuCharmStatefulSetOptions,
  StatefulSetFixtureOptions,
} from '../../lib/testing/fixtures.js';

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
