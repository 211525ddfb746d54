/**
 * The Juju entry point: one reconcile per hook. Configuration comes from the environment the
 * dispatch script sets from charm config (`GLUETUN_CLUSTER_CIDRS`, `GLUETUN_CONTROL_API_KEY`).
 */
import { pathToFileURL } from 'node:url';
import { createKubePort, resolveSelfIdentity, type KubePort } from 'charmkit/kube';
import { Dispatcher, JujuBackend, type HookEnv } from 'charmkit/relations';
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
  const dispatcher = new Dispatcher(backend).register(charm.gateway.endpoint);
  dispatcher.on('hook', async () => {
    result = await charm.reconcile();
  });
  await dispatcher.dispatch();
  return { exitCode: result?.status.name === 'error' ? 1 : 0, result };
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
