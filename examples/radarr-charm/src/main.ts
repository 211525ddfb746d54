/**
 * The standalone entry point: the same controller outside Juju (from a laptop against a test
 * cluster, in CI, as a plain Deployment's sidecar).
 *
 * Without a Juju agent, an in-memory model plays its part, with the defaults Juju would give:
 * - the model name is the namespace: `RADARR_NAMESPACE` (default `media`);
 * - the unit is `<app>/0` and the application name is the StatefulSet's: `RADARR_STATEFULSET`
 *   (default `radarr`); this unit is the leader;
 * - the hook is always `update-status` (a hook name is required; any non-relation hook reconciles);
 * - what a storage provider would publish comes from `STORAGE_CLAIM` (default `shared-media`),
 *   `STORAGE_MOUNT_PATH` (default `/data`) and `STORAGE_PGID` (optional), and is validated exactly
 *   as relation data is;
 * - credentials: the pod's service account, else `KUBECONFIG`, else `~/.kube/config`.
 * It waits up to `ROLLOUT_WAIT_MS` (default 120000) for the rollout, prints the status, and exits
 * non-zero only when a retry may help, as under Juju.
 */
import { createKubePort } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { runHook } from 'charmkit/workload';
import { RadarrCharm, STORAGE_ENDPOINT } from './charm.js';

const env = process.env;
const model = new MemoryModel({ name: env.RADARR_NAMESPACE ?? 'media' });
const backend = model.backend(`${env.RADARR_STATEFULSET ?? 'radarr'}/0`, {
  leader: true,
  context: { hookName: 'update-status' },
});
backend.addRelation({
  endpoint: STORAGE_ENDPOINT,
  remoteApp: 'storage',
  remoteAppData: {
    'pvc-name': env.STORAGE_CLAIM ?? 'shared-media',
    namespace: model.name,
    'mount-path': env.STORAGE_MOUNT_PATH ?? '/data',
    ...(env.STORAGE_PGID ? { pgid: env.STORAGE_PGID } : {}),
  },
});
const charm = new RadarrCharm({
  backend,
  kube: createKubePort(),
  rolloutWaitMs: Number(env.ROLLOUT_WAIT_MS ?? 120_000),
});

/** What this run did; exported so a test can import this file and look. */
export const run = await runHook(backend, charm);
console.log(`${run.status?.name ?? 'no status'}: ${run.status?.message ?? ''}`);
