/**
 * The gluetun controller: the VPN gateway. `VPNGatewayProvider` turns its own pod into a
 * pod-gateway gateway; a small capability of the example's own configures the gluetun container
 * for that role, and both go into ONE patch through `reconcileCapabilities`:
 * - NET_ADMIN and the host's /dev/net/tun (a CharDevice hostPath), not a privileged container;
 * - FIREWALL_OUTBOUND_SUBNETS = the cluster ranges, so gluetun's own firewall lets cluster traffic out;
 * - DNS_SERVER=off: pod-gateway's dnsmasq serves the clients on the tunnel's .1 address;
 * - the control server's API-key role, so health can be read (newer gluetun answers 401 without it).
 * Readiness comes from gluetun's own VPN status (`health`), published to clients as `vpn_connected`.
 */
import type { KubePort } from 'charmkit/kube';
import type { RelationBackend } from 'charmkit/relations';
import { active, combineStatuses, type Status } from 'charmkit/relations';
import {
  VPNGatewayProvider,
  type GatewayHealth,
  type VPNGatewayProviderResult,
} from 'charmkit/vpn';
import { reconcileCapabilities, type Capability, type CapabilityResult } from 'charmkit/workload';

/** The workload container, as named under `containers:` in charmcraft.yaml. */
export const GLUETUN_CONTAINER = 'gluetun';

/** What the controller is built from. */
export interface GluetunCharmOptions {
  readonly backend: RelationBackend;
  readonly kube: KubePort;
  readonly statefulSet?: { readonly name: string; readonly namespace: string };
  /** Pods, services and nodes (charm config `cluster-cidrs`). */
  readonly clusterCidrs: readonly string[];
  /** The control server's API key (a Juju secret in a real charm). */
  readonly controlApiKey: string;
  /** gluetun's VPN status; default asks its control server on localhost:8000. */
  readonly health?: () => Promise<GatewayHealth>;
  readonly clusterDnsIp?: string;
}

/** What one reconcile did. */
export interface GluetunReconcile {
  readonly status: Status;
  readonly patched: boolean;
  readonly gateway: VPNGatewayProviderResult;
}

/** The gluetun container's settings for the gateway role, as a capability of its own. */
export function gluetunContainerCapability(
  clusterCidrs: readonly string[],
  apiKey: string,
): Capability {
  const owner = 'gluetun:container';
  const done = (changes: CapabilityResult['changes']): CapabilityResult => ({
    status: active(),
    changes,
  });
  return {
    owner,
    prepare: () =>
      Promise.resolve({
        contribute: (plan) => {
          plan.ensureVolume(owner, {
            name: 'dev-net-tun',
            hostPath: { path: '/dev/net/tun', type: 'CharDevice' },
          });
          plan.ensureVolumeMount(owner, GLUETUN_CONTAINER, {
            name: 'dev-net-tun',
            mountPath: '/dev/net/tun',
          });
          plan.ensureContainerSecurityContext(owner, GLUETUN_CONTAINER, {
            capabilities: { add: ['NET_ADMIN'] },
          });
          plan.ensureEnv(owner, GLUETUN_CONTAINER, {
            name: 'FIREWALL_OUTBOUND_SUBNETS',
            value: clusterCidrs.join(','),
          });
          plan.ensureEnv(owner, GLUETUN_CONTAINER, { name: 'DNS_SERVER', value: 'off' });
          plan.ensureEnv(owner, GLUETUN_CONTAINER, {
            name: 'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE',
            value: JSON.stringify({ auth: 'apikey', apikey: apiKey }),
          });
        },
        verify: (outcome) => Promise.resolve(done(outcome.changes)),
      }),
    failed: (failure) => ({ status: { name: 'blocked', message: String(failure) }, changes: [] }),
  };
}

/** Asks gluetun's control server (same pod) whether the VPN runs and what the exit address is. */
export function controlServerHealth(
  apiKey: string,
  base = 'http://127.0.0.1:8000',
): () => Promise<GatewayHealth> {
  return async () => {
    const headers = { 'X-API-Key': apiKey };
    try {
      const vpn = (await (await fetch(`${base}/v1/vpn/status`, { headers })).json()) as {
        status?: string;
      };
      const ip = (await (await fetch(`${base}/v1/publicip/ip`, { headers })).json()) as {
        public_ip?: string;
      };
      return {
        connected: vpn.status === 'running',
        ...(ip.public_ip ? { externalIp: ip.public_ip } : {}),
      };
    } catch {
      return { connected: false };
    }
  };
}

/** The gluetun charm's controller. */
export class GluetunCharm {
  readonly gateway: VPNGatewayProvider;
  private readonly container: Capability;
  private readonly backend: RelationBackend;
  private readonly kube: KubePort;

  constructor(options: GluetunCharmOptions) {
    this.backend = options.backend;
    this.kube = options.kube;
    this.gateway = new VPNGatewayProvider({
      kube: options.kube,
      backend: options.backend,
      statefulSet: options.statefulSet,
      clusterCidrs: options.clusterCidrs,
      health: options.health ?? controlServerHealth(options.controlApiKey),
      ...(options.clusterDnsIp ? { clusterDnsIp: options.clusterDnsIp } : {}),
    });
    this.container = gluetunContainerCapability(options.clusterCidrs, options.controlApiKey);
  }

  /** Runs on every hook: the gateway and the gluetun container, one patch. */
  async reconcile(): Promise<GluetunReconcile> {
    const reconciled = await reconcileCapabilities(
      { kube: this.kube, statefulSet: this.gateway.statefulSet },
      [this.gateway, this.container] as const,
      { fieldManager: 'gluetun-charm' },
    );
    const [gateway, container] = reconciled.results;
    const status = combineStatuses([gateway.status, container.status]);
    await this.backend.setStatus(status);
    return { status, patched: reconciled.patched, gateway };
  }
}
