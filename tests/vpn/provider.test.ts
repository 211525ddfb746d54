/**
 * VPNGatewayProvider on FakeCluster: its own pod becomes the gateway (privileged init with INPUT
 * accepts passed as arguments, dnsmasq sidecar, settings with nat.conf, a headless Service), the
 * cluster DNS is discovered, and clients are told only once the gateway has rolled out.
 */
import { describe, expect, it } from '@jest/globals';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import { MemoryModel } from '../../lib/relations/memory-backend.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import { VPNGatewayProvider, type VPNGatewayProviderOptions } from '../../lib/vpn/provider.js';
import { validateGatewayConfig } from '../../lib/vpn/validate.js';
import { charmStatefulSet, NS } from './support.js';

const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: 'gluetun' };
const kubeDns = (clusterIP: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kube-dns', namespace: 'kube-system' },
  spec: { clusterIP, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] },
});

function setup(
  options: Partial<VPNGatewayProviderOptions> = {},
  objects: KubeObject[] = [kubeDns('10.152.183.10')],
  replicas = 1,
) {
  const kube = new FakeCluster({
    simulate: { statefulSets: true },
    objects: [charmStatefulSet('gluetun', 'gluetun', replicas), ...objects],
  });
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('gluetun/0', { leader: true });
  const relationId = backend.addRelation({
    endpoint: 'vpn-gateway',
    remoteApp: 'qbittorrent',
    remoteAppData: { config: '{"instance_name":"qbittorrent"}' },
  });
  const provider = new VPNGatewayProvider({
    kube: kube,
    backend,
    clusterCidrs: ['10.1.0.0/16', '10.152.183.0/24', '192.168.1.0/24'],
    health: () => Promise.resolve({ connected: true, externalIp: '203.0.113.7' }),
    ...options,
  });
  return { kube, model, backend, relationId, provider };
}

describe('VPNGatewayProvider', () => {
  it('patches its own pod once, then publishes charmarr-format data once the rollout is done', async () => {
    const { kube, model, relationId, provider } = setup();
    const first = await provider.reconcile();
    expect(first.state).toBe('rolling-out');
    expect(first.published).toEqual([]);
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'create ConfigMap',
      'create Service',
      'patch StatefulSet',
    ]);
    const spec = kube.peek<StatefulSet>(STS)!.spec.template.spec;
    const init = spec.initContainers?.[0];
    expect(init?.name).toBe('gateway-init');
    expect(init?.securityContext).toEqual({ privileged: true });
    expect(init?.command?.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    expect(init?.command?.[2]).not.toContain('10.1.0.0');
    expect(init?.args).toEqual(['10.1.0.0/16', '10.152.183.0/24', '192.168.1.0/24']);
    expect(
      spec.containers.find((c) => c.name === 'gateway-sidecar')?.securityContext?.privileged,
    ).toBeUndefined();

    const cm = kube.peek<KubeObject & { data: Record<string, string> }>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: 'gluetun-gateway-settings',
    })!;
    expect(cm.data['nat.conf']).toBe('');
    for (const line of [
      "VXLAN_PORT='4790'",
      "VPN_BLOCK_OTHER_TRAFFIC='true'",
      "VPN_INTERFACE='tun0'",
      "DNS_LOCAL_SERVER='10.152.183.10'",
      "DNS_LOCAL_CIDRS='cluster.local'",
      "VPN_LOCAL_CIDRS='10.1.0.0/16 10.152.183.0/24 192.168.1.0/24'",
    ]) {
      expect(cm.data['settings.sh']).toContain(line);
    }
    const svc = kube.peek<KubeObject & { spec: Record<string, unknown> }>({
      apiVersion: 'v1',
      kind: 'Service',
      namespace: NS,
      name: 'gluetun-vpn-gateway',
    })!;
    expect(svc.spec).toMatchObject({
      clusterIP: 'None',
      selector: { 'app.kubernetes.io/name': 'gluetun' },
    });

    await kube.settle();
    kube.clearRequests();
    const second = await provider.reconcile();
    expect(kube.writes()).toEqual([]);
    expect(second.state).toBe('serving');
    expect(second.status).toEqual({
      name: 'active',
      message: 'VPN gateway serving 1 client (exit 203.0.113.7)',
    });
    expect(second.published).toEqual([relationId]);
    const config = JSON.parse(model.bag(relationId, { scope: 'app', name: 'gluetun' }).config!);
    expect(config).toEqual({
      routing_method: 'pod-gateway',
      gateway_dns_name: 'gluetun-vpn-gateway.media.svc.cluster.local',
      vxlan_id: 42,
      vxlan_ip_network: '172.16.0',
      vxlan_port: 4790,
      cluster_cidrs: '10.1.0.0/16,10.152.183.0/24,192.168.1.0/24,169.254.7.127/32',
      cluster_dns_ip: '10.152.183.10',
      vpn_connected: true,
      external_ip: '203.0.113.7',
      instance_name: 'gluetun',
    });
    // What it publishes passes its own clients' checks.
    expect(() => validateGatewayConfig(config, 'own')).not.toThrow();
  });

  it('refuses more than one replica without patching', async () => {
    const { kube, provider } = setup({}, undefined, 2);
    const result = await provider.reconcile();
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain('exactly one pod');
    expect(kube.writes()).toEqual([]);
  });

  it('discovers cluster DNS as coredns when kube-dns is absent, and refuses a headless one', async () => {
    const coredns = {
      ...kubeDns('10.43.0.10'),
      metadata: { name: 'coredns', namespace: 'kube-system' },
    };
    const { provider } = setup({}, [coredns]);
    expect((await provider.reconcile()).config?.cluster_dns_ip).toBe('10.43.0.10');
    const headless = setup({}, [kubeDns('None')]);
    const refused = await headless.provider.reconcile();
    expect(refused.status.message).toContain('kube-dns has no ClusterIP (headless)');
    expect(headless.kube.writes()).toEqual([]);
    const none = setup({}, []);
    expect((await none.provider.reconcile()).status.message).toContain('none of them exists');
  });

  it('refuses bad options, naming each', () => {
    expect(() =>
      setup({
        clusterCidrs: ['0.0.0.0/0'],
        vxlanPort: 0,
        vpnInterface: 'tun0; reboot',
        vxlanIpNetwork: '10.1.0',
      }),
    ).toThrow(
      /clusterCidrs: .*every address.*vxlanPort: must be a whole number from 1 to 65535.*vpnInterface/,
    );
  });

  it('remove() takes out the containers, then its ConfigMap and Service', async () => {
    const { kube, provider } = setup();
    await provider.reconcile();
    kube.clearRequests();
    const removed = await provider.remove();
    expect(removed.state).toBe('removed');
    expect(kube.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'patch StatefulSet',
      'delete ConfigMap',
      'delete Service',
    ]);
    const spec = kube.peek<StatefulSet>(STS)!.spec.template.spec;
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers.map((c) => c.name)).toEqual(['charm', 'gluetun']);
  });
});
