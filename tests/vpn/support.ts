/**
 * Fixtures shared by the VPN unit tests: a download client's and a gateway's StatefulSet as Juju
 * creates them, a valid gateway offer in charmarr's wire format, and a model relating the two.
 */
import type { StatefulSet } from '../../lib/kube/types.js';
import { MemoryModel, type MemoryBackend } from '../../lib/relations/memory-backend.js';
import type { VPNGatewayProviderConfig } from '../../lib/vpn/interface.js';

export const NS = 'media';

/** A Juju sidecar charm's StatefulSet: the charm container and one workload container. */
export function charmStatefulSet(app: string, workload: string, replicas = 1): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: app, namespace: NS },
    spec: {
      replicas,
      serviceName: `${app}-endpoints`,
      selector: { matchLabels: { 'app.kubernetes.io/name': app } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': app } },
        spec: {
          containers: [
            { name: 'charm', image: 'registry.invalid/charm-base:1' },
            { name: workload, image: `registry.invalid/${workload}:1` },
          ],
        },
      },
    },
  };
}

/** What a gateway publishes (as charmarr's gluetun-k8s would, plus our defaults). */
export function gatewayConfig(
  overrides: Partial<VPNGatewayProviderConfig> = {},
): VPNGatewayProviderConfig {
  return {
    routing_method: 'pod-gateway',
    gateway_dns_name: 'gluetun-vpn-gateway.media.svc.cluster.local',
    vxlan_id: 42,
    vxlan_ip_network: '172.16.0',
    vxlan_port: 4790,
    cluster_cidrs: '10.1.0.0/16,10.152.183.0/24',
    cluster_dns_ip: '10.152.183.10',
    vpn_connected: true,
    external_ip: '203.0.113.7',
    instance_name: 'gluetun',
    ...overrides,
  };
}

/** The relation as the client sees it: a qbittorrent leader and a gluetun app with `config`. */
export function clientModel(config: VPNGatewayProviderConfig | string | undefined): {
  model: MemoryModel;
  backend: MemoryBackend;
  relationId: number;
} {
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('qbittorrent/0', { leader: true });
  const relationId = backend.addRelation({
    endpoint: 'vpn-gateway',
    remoteApp: 'gluetun',
    remoteAppData:
      config === undefined
        ? undefined
        : { config: typeof config === 'string' ? config : JSON.stringify(config) },
  });
  return { model, backend, relationId };
}

/** The API server as the tests' kill switches allow it (no discovery needed). */
export const API_SERVER = {
  service: { ip: '10.152.183.1', port: 443 },
  endpoints: [{ ip: '192.168.1.10', port: 6443 }],
};
