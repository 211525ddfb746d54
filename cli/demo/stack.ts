/**
 * The media stack the demo runs: a storage provider, gluetun (the VPN gateway), qBittorrent (VPN +
 * storage through `reconcileCapabilities`, one patch) and Radarr (storage) — the example
 * controllers themselves, unchanged, wired by a `MemoryModel` the way Juju would wire them.
 *
 * The CLI is not part of the library: docs/adr/0013-cli-outside-the-library.md says why it lives
 * in cli/ and may run the examples.
 */
import type { KubePort } from 'charmkit/kube';
import { MemoryModel, type MemoryBackend } from 'charmkit/relations';
import { StorageProvider, type StaticVolumeSource } from 'charmkit/storage';
import { EXAMPLES, type ControllerReconcile } from '../controllers.js';

/** The applications, in deployment order. */
export const APPS = ['storage', 'gluetun', 'qbittorrent', 'radarr'] as const;
/** One of the stack's applications. */
export type AppName = (typeof APPS)[number];

/** The workload container of each application that has a StatefulSet the demo creates. */
export const WORKLOADS: Readonly<
  Record<Exclude<AppName, 'storage'>, { container: string; image: string }>
> = {
  gluetun: { container: 'gluetun', image: 'qmcgaw/gluetun:v3.40' },
  qbittorrent: { container: 'qbittorrent', image: 'lscr.io/linuxserver/qbittorrent:5.0.3' },
  radarr: { container: 'radarr', image: 'lscr.io/linuxserver/radarr:5' },
};

/** Where the stack runs: a namespace on some cluster, and the cluster's address ranges. */
export interface StackOptions {
  readonly kube: KubePort;
  readonly namespace: string;
  /** Pod and Service ranges of the cluster (gluetun lets them past its firewall). */
  readonly clusterCidrs: readonly string[];
  /** The cluster DNS Service address. */
  readonly clusterDnsIp: string;
  /** A static volume for the shared claim, where the cluster has no provisioner. */
  readonly staticVolume?: StaticVolumeSource;
  /** Size of the shared claim (default 10Gi). */
  readonly size?: string;
}

/** What one hook's reconcile reports, whatever the application. */
export type AppReconcile = ControllerReconcile;

/** One application of the stack: its unit's backend and one reconcile per hook. */
export interface StackApp {
  readonly name: AppName;
  readonly backend: MemoryBackend;
  reconcile(): Promise<AppReconcile>;
}

/** The wired stack. */
export interface Stack {
  readonly model: MemoryModel;
  readonly apps: Readonly<Record<AppName, StackApp>>;
  /** The shared claim's name. */
  readonly claimName: string;
}

/** The gateway's VPN as the demo reports it: connected, with a documentation-range exit address. */
const DEMO_HEALTH = { connected: true, externalIp: '203.0.113.7' } as const;

/** Builds the stack's controllers over one model. */
export function buildStack(options: StackOptions): Stack {
  const { kube, namespace } = options;
  const model = new MemoryModel({ name: namespace });
  const unit = (app: AppName) => model.backend(`${app}/0`, { leader: true });
  const claimName = 'media-shared';

  const storageBackend = unit('storage');
  const provider = new StorageProvider({
    kube,
    backend: storageBackend,
    namespace,
    claimName,
    mountPath: '/data',
    puid: 1000,
    pgid: 1000,
    ...(options.staticVolume ? { staticVolume: options.staticVolume } : {}),
  });
  const example = (app: Exclude<AppName, 'storage'>) => {
    const backend = unit(app);
    const controller = EXAMPLES[app]!({
      backend,
      kube,
      namespace,
      statefulSet: app,
      clusterCidrs: options.clusterCidrs,
      clusterDnsIp: options.clusterDnsIp,
      health: () => Promise.resolve(DEMO_HEALTH),
    });
    return { name: app, backend, reconcile: () => controller.reconcile() };
  };

  const apps: Record<AppName, StackApp> = {
    storage: {
      name: 'storage',
      backend: storageBackend,
      async reconcile() {
        const result = await provider.reconcile({ size: options.size ?? '10Gi' });
        await storageBackend.setStatus(result.status);
        return { status: result.status, changes: [], sideWrites: [] };
      },
    },
    gluetun: example('gluetun'),
    qbittorrent: example('qbittorrent'),
    radarr: example('radarr'),
  };
  return { model, apps, claimName };
}
