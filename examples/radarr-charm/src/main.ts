/**
 * The plain entry point, for running the Radarr controller outside Juju (a Deployment's sidecar, a
 * laptop against a test cluster, CI).
 *
 * Without Juju there is no relation to read, so the storage offer comes from the environment and
 * is put into an in-memory relation exactly as a storage provider would publish it: the same
 * validation, the same reconcile, the same statuses. Configuration:
 *
 *   RADARR_NAMESPACE     namespace of the StatefulSet (required)
 *   RADARR_STATEFULSET   its name (default radarr)
 *   STORAGE_CLAIM        the PersistentVolumeClaim to mount (required)
 *   STORAGE_MOUNT_PATH   where to mount it (default /data)
 *   STORAGE_PGID         group id for fsGroup (optional)
 *   ROLLOUT_WAIT_MS      how long to wait for the rollout (default 120000)
 *   KUBECONFIG           credentials, unless a pod's service account is mounted (that wins);
 *                        else ~/.kube/config (the order of resolveCredentials)
 *
 * Exit code 0 when storage is mounted and verified, 2 otherwise (the status says why).
 */
import { pathToFileURL } from 'node:url';
import { createKubePort } from 'charmkit/kube';
import type { KubePort } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { RadarrCharm, STORAGE_ENDPOINT, type RadarrReconcile } from './charm.js';

/** The standalone configuration. */
export interface StandaloneConfig {
  readonly namespace: string;
  readonly statefulSet: string;
  readonly claim: string;
  readonly mountPath: string;
  readonly pgid?: number;
  readonly rolloutWaitMs: number;
}

/** Thrown for a missing or malformed environment variable; the message names it. */
export class StandaloneConfigError extends Error {
  override readonly name = 'StandaloneConfigError';
}

/** Reads `StandaloneConfig` from environment variables (see the module comment). */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): StandaloneConfig {
  const required = (key: string): string => {
    const value = env[key];
    if (!value)
      throw new StandaloneConfigError(`set ${key} (see examples/radarr-charm/src/main.ts)`);
    return value;
  };
  const integer = (key: string): number | undefined => {
    const value = env[key];
    if (value === undefined || value === '') return undefined;
    if (!/^\d+$/.test(value))
      throw new StandaloneConfigError(`${key} must be a non-negative integer`);
    return Number(value);
  };
  return {
    namespace: required('RADARR_NAMESPACE'),
    statefulSet: env.RADARR_STATEFULSET || 'radarr',
    claim: required('STORAGE_CLAIM'),
    mountPath: env.STORAGE_MOUNT_PATH || '/data',
    pgid: integer('STORAGE_PGID'),
    rolloutWaitMs: integer('ROLLOUT_WAIT_MS') ?? 120_000,
  };
}

/** Runs one reconcile of the controller with the offer from `config`. */
export async function runStandalone(
  config: StandaloneConfig,
  kube: KubePort,
): Promise<RadarrReconcile> {
  const model = new MemoryModel({ name: config.namespace });
  const backend = model.backend(`${config.statefulSet}/0`, { leader: true });
  const offer: Record<string, string> = {
    'pvc-name': config.claim,
    namespace: config.namespace,
    'mount-path': config.mountPath,
  };
  if (config.pgid !== undefined) offer.pgid = String(config.pgid);
  backend.addRelation({ endpoint: STORAGE_ENDPOINT, remoteApp: 'storage', remoteAppData: offer });
  const charm = new RadarrCharm({
    backend,
    kube,
    statefulSet: { name: config.statefulSet, namespace: config.namespace },
    rolloutWaitMs: config.rolloutWaitMs,
  });
  return charm.reconcile();
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  (async () => {
    const config = configFromEnv(process.env);
    const kube = createKubePort();
    const { status, storage } = await runStandalone(config, kube);
    console.log(
      JSON.stringify({ status, changes: storage.changes.map((c) => c.summary) }, null, 2),
    );
    process.exitCode = storage.state === 'mounted' ? 0 : 2;
  })().catch((failure: unknown) => {
    console.error(failure instanceof Error ? failure.message : failure);
    process.exitCode = 1;
  });
}
