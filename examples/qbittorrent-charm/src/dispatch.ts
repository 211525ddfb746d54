/**
 * The Juju entry point: `dispatch` runs `node dist/dispatch.js` once per hook.
 *
 * It builds the Juju backend from the hook environment, finds its own StatefulSet and credentials
 * (grant them with `juju trust qbittorrent --scope=cluster`), routes relation hooks to both
 * endpoints and reconciles on every hook through `runHook`: a failure retrying may fix exits
 * non-zero so Juju retries; one a person must fix is a Blocked status and a zero exit.
 */
import { pathToFileURL } from 'node:url';
import { createKubePort, resolveSelfIdentity, type KubePort } from 'charmkit/kube';
import { JujuBackend, type HookEnv } from 'charmkit/relations';
import { runHook } from 'charmkit/workload';
import { QBittorrentCharm, type QBittorrentReconcile } from './charm.js';

/** What `dispatch` can be given instead of what it would find (tests inject both). */
export interface DispatchOptions {
  readonly env?: HookEnv;
  readonly kube?: KubePort;
}

/** Handles the current hook; resolves to the process exit code and what the reconcile did. */
export async function dispatch(
  options: DispatchOptions = {},
): Promise<{ exitCode: number; result: QBittorrentReconcile | undefined }> {
  const env = options.env ?? process.env;
  const backend = new JujuBackend({ env });
  const self = resolveSelfIdentity({ env });
  // The pod's service account under Juju (read directly, without loading client-node).
  const kube = options.kube ?? createKubePort({ env });
  const charm = new QBittorrentCharm({
    backend,
    kube,
    statefulSet: { name: self.name, namespace: self.namespace },
    vpn: { env },
  });
  let result: QBittorrentReconcile | undefined;
  const run = await runHook(backend, {
    endpoints: [charm.vpn.endpoint, charm.storage.endpoint],
    reconcile: async () => {
      result = await charm.reconcile();
      // One result per capability: runHook shows the most severe status and takes the exit code
      // from the failures' remedies.
      return [result.vpn, result.storage];
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
