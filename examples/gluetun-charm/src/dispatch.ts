/**
 * The Juju entry point: one reconcile per hook. Configuration comes from the environment the
 * dispatch script sets from charm config (`GLUETUN_CLUSTER_CIDRS`, `GLUETUN_CONTROL_API_KEY`).
 */
import { pathToFileURL } from 'node:url';
import { createKubePort, resolveSelfIdentity, type KubePort } from 'charmkit/kube';
import { JujuBackend, type HookEnv } from 'charmkit/relations';
import { runHook } from 'charmkit/workload';
import { GluetunCharm, type GluetunReconcile } from './charm.js';

/** What `dispatch` can be given instead of what it would find. */
export interface DispatchOptions {
  readonly env?: HookEnv;
  readonly kube?: KubePort;
}

/** Handles the current hook. */
export async function dispatch(
  options: DispatchOptions = {},
): Promise<{ exitCode: number; result: GluetunReconcile | undefined }> {
  const env = options.env ?? process.env;
  const backend = new JujuBackend({ env });
  const self = resolveSelfIdentity({ env });
  // The pod's service account under Juju (read directly, without loading client-node).
  const kube = options.kube ?? createKubePort({ env });
  const charm = new GluetunCharm({
    backend,
    kube,
    statefulSet: { name: self.name, namespace: self.namespace },
    clusterCidrs: (env.GLUETUN_CLUSTER_CIDRS ?? '').split(',').filter((c) => c.length > 0),
    controlApiKey: env.GLUETUN_CONTROL_API_KEY ?? '',
  });
  let result: GluetunReconcile | undefined;
  const run = await runHook(backend, {
    endpoints: [charm.gateway.endpoint],
    reconcile: async () => {
      result = await charm.reconcile();
      // The combined status, with the gateway's typed error deciding the exit code.
      return { status: result.status, error: result.gateway.error };
    },
  });
  return { exitCode: run.exitCode, result };
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  dispatch().then(
    ({ exitCode }) => {
      process.exitCode = exitCode;
    },
    (failure: unknown) => {
      console.error(failure instanceof Error ? (failure.stack ?? failure.message) : failure);
      process.exitCode = 1;
    },
  );
}
