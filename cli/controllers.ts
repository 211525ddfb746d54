/**
 * The example controllers by name, built the same way for every command that runs one (`demo`
 * wires three of them into its stack, `plan` runs one against a real cluster): one place that
 * knows each example's constructor and how to read its result.
 */
import type { KubePort } from 'charmkit/kube';
import type { RelationBackend, Status } from 'charmkit/relations';
import type { GatewayHealth } from 'charmkit/vpn';
import type { PlanChange } from 'charmkit/workload';
import { GluetunCharm } from '../examples/gluetun-charm/src/charm.js';
import { QBittorrentCharm } from '../examples/qbittorrent-charm/src/charm.js';
import { RadarrCharm } from '../examples/radarr-charm/src/charm.js';

/** What one reconcile of any controller reports. */
export interface ControllerReconcile {
  readonly status: Status;
  /** The StatefulSet changes of the one patch, if one was sent. */
  readonly changes: readonly PlanChange[];
  /** Side objects written (kill switch, ConfigMaps, the gateway Service), in order. */
  readonly sideWrites: readonly string[];
}

/** A controller the CLI can run: one reconcile per hook. */
export interface Controller {
  reconcile(): Promise<ControllerReconcile>;
}

/** What building an example needs. */
export interface ControllerContext {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  readonly namespace: string;
  readonly statefulSet: string;
  /** Cluster pod and Service ranges (gluetun). */
  readonly clusterCidrs: readonly string[];
  /** Cluster DNS address (gluetun; discovered when absent). */
  readonly clusterDnsIp?: string;
  /** The gateway's VPN status (gluetun; default: its control server in the pod). */
  readonly health?: () => Promise<GatewayHealth>;
}

/** The examples, by name. */
export const EXAMPLES: Readonly<Record<string, (context: ControllerContext) => Controller>> = {
  radarr(context) {
    const charm = new RadarrCharm({
      backend: context.backend,
      kube: context.kube,
      statefulSet: { name: context.statefulSet, namespace: context.namespace },
    });
    return {
      async reconcile() {
        const result = await charm.reconcile();
        return { status: result.status, changes: result.storage.changes, sideWrites: [] };
      },
    };
  },
  qbittorrent(context) {
    const charm = new QBittorrentCharm({
      backend: context.backend,
      kube: context.kube,
      statefulSet: { name: context.statefulSet, namespace: context.namespace },
      vpn: { nodeCidrs: ['10.0.0.0/24'] },
    });
    return {
      async reconcile() {
        const result = await charm.reconcile();
        return {
          status: result.status,
          changes: [...result.vpn.changes, ...result.storage.changes],
          sideWrites: result.vpn.sideWrites,
        };
      },
    };
  },
  gluetun(context) {
    const charm = new GluetunCharm({
      backend: context.backend,
      kube: context.kube,
      statefulSet: { name: context.statefulSet, namespace: context.namespace },
      clusterCidrs: context.clusterCidrs,
      controlApiKey: 'charmkit',
      ...(context.health ? { health: context.health } : {}),
      ...(context.clusterDnsIp ? { clusterDnsIp: context.clusterDnsIp } : {}),
    });
    return {
      async reconcile() {
        const result = await charm.reconcile();
        return {
          status: result.status,
          changes: result.gateway.changes,
          sideWrites: result.gateway.sideWrites,
        };
      },
    };
  },
};
