/**
 * The Juju entry point: `dispatch` runs `node dist/dispatch.js` once per hook.
 *
 * It builds the Juju backend from the hook environment, finds its own StatefulSet and credentials
 * (`JUJU_UNIT_NAME`/`JUJU_MODEL_NAME`, the pod's service account — grant it with `juju trust`),
 * routes relation hooks to the storage endpoint, and reconciles on every hook (not on actions;
 * Radarr defines none). Infrastructure failures (a hook tool failing, the API server unreachable)
 * exit non-zero so Juju retries the hook; problems retrying cannot fix (invalid relation data,
 * missing RBAC) are a Blocked status and a zero exit. What each hook did, and any failure, goes to
 * `juju debug-log` through juju-log.
 */
import { pathToFileURL } from 'node:url';
import { createKubePort } from 'charmkit/kube';
import type { KubePort } from 'charmkit/kube';
import { resolveSelfIdentity } from 'charmkit/kube';
import { Dispatcher } from 'charmkit/relations';
import type { HookEnv } from 'charmkit/relations';
import { JujuBackend } from 'charmkit/relations';
import { RadarrCharm, type RadarrReconcile } from './charm.js';

/** What `dispatch` can be given instead of what it would find (tests inject both). */
export interface DispatchOptions {
  /** The hook environment (default `process.env`). */
  readonly env?: HookEnv;
  /** The Kubernetes port (default: the pod's own credentials, see `resolveSelf`). */
  readonly kube?: KubePort;
}

/** Handles the current hook; resolves to the process exit code and what the reconcile did. */
export async function dispatch(
  options: DispatchOptions = {},
): Promise<{ exitCode: number; result: RadarrReconcile | undefined }> {
  const env = options.env ?? process.env;
  const backend = new JujuBackend({ env });
  const self = resolveSelfIdentity({ env });
  // The pod's service account under Juju (read directly, without loading client-node).
  const kube = options.kube ?? createKubePort({ env });
  const charm = new RadarrCharm({
    backend,
    kube,
    statefulSet: { name: self.name, namespace: self.namespace },
  });
  let result: RadarrReconcile | undefined;
  const dispatcher = new Dispatcher(backend).register(charm.storage.endpoint);
  dispatcher.on('hook', async ({ hook }) => {
    result = await charm.reconcile();
    const { name, message } = result.status;
    await backend.log(name === 'error' ? 'ERROR' : 'INFO', `${hook.name}: ${name}: ${message}`);
  });
  try {
    await dispatcher.dispatch();
  } catch (failure) {
    const text = failure instanceof Error ? (failure.stack ?? failure.message) : String(failure);
    // The hook fails either way; a log that cannot be written must not hide the first failure.
    await backend.log('ERROR', `hook failed: ${text}`).catch(() => undefined);
    throw failure;
  }
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
