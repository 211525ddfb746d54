/**
 * The plain entry point, for running the qBittorrent controller outside Juju. Without Juju there
 * is no relation to read, so the gateway's settings (charmarr's `config` JSON) and the storage
 * offer come from the environment and are put into in-memory relations exactly as the providers
 * would publish them: the same validation, the same reconcile, the same statuses.
 *
 *   QBITTORRENT_NAMESPACE    namespace of the StatefulSet (required)
 *   QBITTORRENT_STATEFULSET  its name (default qbittorrent)
 *   VPN_GATEWAY_CONFIG       the gateway's `config` JSON (unset: only the minimal kill switch)
 *   VPN_NODE_CIDRS           comma-separated node address ranges (optional)
 *   STORAGE_CLAIM            the PersistentVolumeClaim to mount at /downloads (optional)
 *   KUBECONFIG               credentials, unless a pod's service account is mounted (that wins);
 *                            else ~/.kube/config (the order of resolveCredentials)
 *
 * Exit code 0 when routed through the VPN, 2 otherwise (the status says why).
 */
import { pathToFileURL } from 'node:url';
import { createKubePort, type KubePort } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import {
  QBittorrentCharm,
  STORAGE_ENDPOINT,
  VPN_ENDPOINT,
  type QBittorrentReconcile,
} from './charm.js';

/** The standalone configuration. */
export interface StandaloneConfig {
  readonly namespace: string;
  readonly statefulSet: string;
  readonly gatewayConfig?: string;
  readonly nodeCidrs: readonly string[];
  readonly claim?: string;
}

/** Thrown for a missing environment variable; the message names it. */
export class StandaloneConfigError extends Error {
  override readonly name = 'StandaloneConfigError';
}

/** Reads `StandaloneConfig` from environment variables (see the module comment). */
export function configFromEnv(env: Readonly<Record<string, string | undefined>>): StandaloneConfig {
  const namespace = env.QBITTORRENT_NAMESPACE;
  if (!namespace)
    throw new StandaloneConfigError(
      'set QBITTORRENT_NAMESPACE (see examples/qbittorrent-charm/src/main.ts)',
    );
  return {
    namespace,
    statefulSet: env.QBITTORRENT_STATEFULSET || 'qbittorrent',
    ...(env.VPN_GATEWAY_CONFIG ? { gatewayConfig: env.VPN_GATEWAY_CONFIG } : {}),
    nodeCidrs: (env.VPN_NODE_CIDRS ?? '').split(',').filter((c) => c.trim().length > 0),
    ...(env.STORAGE_CLAIM ? { claim: env.STORAGE_CLAIM } : {}),
  };
}

/** Runs one reconcile with the relations described by `config`. */
export async function runStandalone(
  config: StandaloneConfig,
  kube: KubePort,
): Promise<QBittorrentReconcile> {
  const model = new MemoryModel({ name: config.namespace });
  const backend = model.backend(`${config.statefulSet}/0`, { leader: true });
  if (config.gatewayConfig !== undefined) {
    backend.addRelation({
      endpoint: VPN_ENDPOINT,
      remoteApp: 'gateway',
      remoteAppData: { config: config.gatewayConfig },
    });
  }
  if (config.claim !== undefined) {
    backend.addRelation({
      endpoint: STORAGE_ENDPOINT,
      remoteApp: 'storage',
      remoteAppData: {
        'pvc-name': config.claim,
        namespace: config.namespace,
        'mount-path': '/downloads',
      },
    });
  }
  const charm = new QBittorrentCharm({
    backend,
    kube,
    statefulSet: { name: config.statefulSet, namespace: config.namespace },
    vpn: { nodeCidrs: config.nodeCidrs },
  });
  return charm.reconcile();
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  (async () => {
    const config = configFromEnv(process.env);
    const kube = createKubePort();
    const result = await runStandalone(config, kube);
    console.log(
      JSON.stringify(
        { status: result.status, vpn: result.vpn.state, sideWrites: result.vpn.sideWrites },
        null,
        2,
      ),
    );
    process.exitCode = result.vpn.state === 'routed' || result.vpn.state === 'routing' ? 0 : 2;
  })().catch((failure: unknown) => {
    console.error(failure instanceof Error ? failure.message : failure);
    process.exitCode = 1;
  });
}
