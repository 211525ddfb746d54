/**
 * VPNGatewayRequirer on FakeCluster: order (kill switch before routing, from the request log),
 * fail-closed paths, the broken-relation policies, the required VPN's minimal kill switch and
 * Cilium detection that is read once and recorded.
 */
import { describe, expect, it } from '@jest/globals';
import type { RequestRecord } from '../../lib/kube/port.js';
import type { KubeObject, StatefulSet } from '../../lib/kube/types.js';
import { FakeCluster } from '../../lib/testing/fake-cluster.js';
import type { NetworkPolicy } from '../../lib/vpn/kill-switch.js';
import { VPNGatewayRequirer, type VPNGatewayRequirerOptions } from '../../lib/vpn/requirer.js';
import { API_SERVER, charmStatefulSet, clientModel, gatewayConfig, NS } from './support.js';

const STS = { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: NS, name: 'qbittorrent' };
const POLICY = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  namespace: NS,
  name: 'qbittorrent-vpn-killswitch',
};
const CONFIG_MAP = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  namespace: NS,
  name: 'qbittorrent-gateway-client-config',
};

const log = (requests: readonly RequestRecord[]) =>
  requests.map((r) => `${r.verb} ${r.kind}${r.status && r.status >= 400 ? ` ${r.status}` : ''}`);

function setup(
  config: Parameters<typeof clientModel>[0] = gatewayConfig(),
  options: Partial<VPNGatewayRequirerOptions> = {},
) {
  const kube = new FakeCluster({ objects: [charmStatefulSet('qbittorrent', 'qbittorrent')] });
  const { model, backend, relationId } = clientModel(config);
  const requirer = new VPNGatewayRequirer({
    kube: kube,
    backend,
    apiServer: API_SERVER,
    nodeCidrs: ['192.168.1.0/24'],
    ...options,
  });
  return { kube, model, backend, relationId, requirer };
}

const template = (kube: FakeCluster) => kube.peek<StatefulSet>(STS)!.spec.template;

describe('VPNGatewayRequirer', () => {
  it('creates the kill switch, then the settings, then sends ONE patch; the next reconcile writes nothing', async () => {
    const { kube, requirer, backend, relationId } = setup();
    const first = await requirer.reconcile();
    expect(first.state).toBe('routing');
    expect(log(kube.requests)).toEqual([
      'get StatefulSet',
      'get NetworkPolicy 404',
      'get CustomResourceDefinition 404',
      'create NetworkPolicy',
      'get ConfigMap 404',
      'create ConfigMap',
      'patch StatefulSet',
    ]);
    expect(first.sideWrites).toEqual([
      `create NetworkPolicy ${NS}/qbittorrent-vpn-killswitch`,
      `create ConfigMap ${NS}/qbittorrent-gateway-client-config`,
    ]);
    const spec = template(kube).spec;
    expect(spec.initContainers?.[0]?.name).toBe('vpn-route-init');
    expect(spec.containers.map((c) => c.name)).toEqual([
      'charm',
      'qbittorrent',
      'vpn-route-sidecar',
    ]);
    expect(spec.dnsPolicy).toBe('None');
    expect(spec.dnsConfig).toEqual({
      nameservers: ['172.16.0.1'],
      searches: [`${NS}.svc.cluster.local`, 'svc.cluster.local', 'cluster.local'],
      options: [{ name: 'ndots', value: '5' }],
    });
    expect(spec.initContainers?.[0]?.securityContext).toEqual({
      capabilities: { add: ['NET_ADMIN', 'NET_RAW'] },
      runAsUser: 0,
      runAsNonRoot: false,
    });
    expect(spec.initContainers?.[0]?.env).toEqual([
      { name: 'gateway', value: 'gluetun-vpn-gateway.media.svc.cluster.local' },
    ]);
    expect(backend.model.bag(relationId, { scope: 'app', name: 'qbittorrent' })).toEqual({
      config: '{"instance_name":"qbittorrent"}',
    });

    kube.clearRequests();
    const second = await requirer.reconcile();
    expect(kube.writes()).toEqual([]);
    expect(log(kube.requests)).toEqual(['get StatefulSet', 'get NetworkPolicy', 'get ConfigMap']);
    expect(second.changes).toEqual([]);
  });

  it('builds the kill switch from the StatefulSet selector and the offer, recording what it learnt', async () => {
    const { kube, requirer } = setup();
    await requirer.reconcile();
    const policy = kube.peek<NetworkPolicy>(POLICY)!;
    expect(policy.metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'charmkit',
      'charmkit.io/capability': 'vpn',
      'charmkit.io/statefulset': 'qbittorrent',
    });
    expect(policy.metadata.annotations).toEqual({
      'charmkit.io/kill-switch': 'full',
      'charmkit.io/cilium': 'absent',
    });
    expect(policy.spec.podSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/name': 'qbittorrent' },
    });
    expect(policy.spec.policyTypes).toEqual(['Egress']);
    expect(policy.spec.egress).toEqual([
      {
        to: ['10.1.0.0/16', '10.152.183.0/24', '192.168.1.0/24'].map((cidr) => ({
          ipBlock: { cidr },
        })),
      },
      {
        to: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NS } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'gluetun' } },
          },
        ],
      },
      {
        to: [
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } },
          { ipBlock: { cidr: '10.152.183.10/32' } },
        ],
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { to: [{ ipBlock: { cidr: '10.152.183.1/32' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      { to: [{ ipBlock: { cidr: '192.168.1.10/32' } }], ports: [{ protocol: 'TCP', port: 6443 }] },
      {
        to: [{ ipBlock: { cidr: '169.254.7.127/32' } }, { ipBlock: { cidr: '169.254.20.10/32' } }],
      },
    ]);
  });

  it('a kill switch refused with 403 leaves the StatefulSet unpatched and says why', async () => {
    const { kube, requirer } = setup();
    kube.failNext({
      verb: 'create',
      kind: 'NetworkPolicy',
      status: { code: 403, message: 'networkpolicies is forbidden' },
    });
    const result = await requirer.reconcile();
    expect(result.state).toBe('failed');
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain('routing through the VPN was not changed');
    expect(kube.writes().filter((r) => r.kind === 'StatefulSet')).toEqual([]);
    expect(kube.peek(CONFIG_MAP)).toBeUndefined();
    expect(template(kube).spec.initContainers).toBeUndefined();
  });

  it('a kill switch refused with 422 also leaves routing out', async () => {
    const { kube, requirer } = setup();
    kube.failNext({
      verb: 'create',
      kind: 'NetworkPolicy',
      status: { code: 422, message: 'spec.egress: Invalid' },
    });
    const result = await requirer.reconcile();
    expect(result.status.name).toBe('blocked');
    expect(kube.writes().map((r) => r.kind)).toEqual(['NetworkPolicy']);
  });

  it('invalid gateway data keeps everything in place: no request at all, Blocked naming the fields', async () => {
    const { kube, model, relationId, requirer } = setup();
    await requirer.reconcile();
    const before = structuredClone(template(kube));
    kube.clearRequests();
    model.seedBag(
      relationId,
      { scope: 'app', name: 'gluetun' },
      {
        config: JSON.stringify(
          gatewayConfig({ cluster_cidrs: '0.0.0.0/0', cluster_dns_ip: '$(reboot)' }),
        ),
      },
    );
    const result = await requirer.reconcile();
    expect(result.state).toBe('invalid');
    expect(result.status.name).toBe('blocked');
    expect(result.status.message).toContain('config.cluster_cidrs');
    expect(result.status.message).toContain('config.cluster_dns_ip');
    expect(result.status.message).toContain('kept');
    expect(kube.requests).toEqual([]);
    expect(template(kube)).toEqual(before);
    expect(kube.peek(POLICY)).toBeDefined();
  });

  it('relation broken with failClosed (default): routing removed in one patch, kill switch kept', async () => {
    const { kube, model, relationId, requirer } = setup();
    await requirer.reconcile();
    model.unrelate(relationId);
    kube.clearRequests();
    const result = await requirer.reconcile();
    expect(result.state).toBe('unrouted');
    expect(result.killSwitch).toBe('kept');
    expect(log(kube.requests)).toEqual(['get StatefulSet', 'patch StatefulSet']);
    const spec = template(kube).spec;
    expect(spec.initContainers).toBeUndefined();
    expect(spec.containers.map((c) => c.name)).toEqual(['charm', 'qbittorrent']);
    expect(spec.dnsPolicy).toBe('ClusterFirst');
    expect(spec.dnsConfig).toBeUndefined();
    expect(template(kube).metadata?.annotations ?? {}).toEqual({});
    expect(kube.peek(POLICY)).toBeDefined();
    kube.clearRequests();
    await requirer.reconcile();
    expect(kube.writes()).toEqual([]);
  });

  it('relation broken with remove: the patch first, then every owned object, found by labels', async () => {
    const { kube, model, relationId, backend } = setup();
    await new VPNGatewayRequirer({ kube: kube, backend, apiServer: API_SERVER }).reconcile();
    model.unrelate(relationId);
    // A policy of someone else's, in the same namespace, must survive.
    kube.seed({
      ...POLICY,
      metadata: { name: 'other', namespace: NS, labels: { app: 'other' } },
      spec: { podSelector: {} },
    } as KubeObject);
    kube.clearRequests();
    const removing = new VPNGatewayRequirer({
      kube: kube,
      backend,
      apiServer: API_SERVER,
      onRelationBroken: 'remove',
    });
    const result = await removing.reconcile();
    expect(result.killSwitch).toBe('removed');
    expect(log(kube.requests)).toEqual([
      'get StatefulSet',
      'patch StatefulSet',
      'list ConfigMap',
      'delete ConfigMap',
      'list CiliumNetworkPolicy',
      'list NetworkPolicy',
      'delete NetworkPolicy',
    ]);
    expect(kube.peek(POLICY)).toBeUndefined();
    expect(kube.peek({ ...POLICY, name: 'other' })).toBeDefined();
  });

  it('required + remove on Cilium: the minimal kill switch keeps its Cilium companion, and the next reconcile writes nothing', async () => {
    const options = {
      required: true,
      onRelationBroken: 'remove' as const,
      cilium: 'present' as const,
    };
    const { kube, model, relationId, requirer } = setup(gatewayConfig(), options);
    await requirer.reconcile();
    const companion = {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      namespace: NS,
      name: 'qbittorrent-vpn-killswitch-cilium',
    };
    expect(kube.peek(companion)).toBeDefined();
    model.unrelate(relationId);
    const broken = await requirer.reconcile();
    expect(broken.killSwitch).toBe('minimal');
    expect(kube.peek(companion)).toBeDefined();
    kube.clearRequests();
    await requirer.reconcile();
    expect(kube.writes()).toEqual([]);
    expect(kube.peek(companion)).toBeDefined();
  });

  it('a required VPN has a minimal kill switch from the first hook, before any relation', async () => {
    const kube = new FakeCluster({ objects: [charmStatefulSet('qbittorrent', 'qbittorrent')] });
    const { backend, relationId, model } = clientModel(undefined);
    model.unrelate(relationId);
    const requirer = new VPNGatewayRequirer({
      kube: kube,
      backend,
      apiServer: API_SERVER,
      required: true,
    });
    const result = await requirer.reconcile();
    expect(result.state).toBe('protected');
    expect(result.status.name).toBe('blocked');
    expect(log(kube.requests)).toEqual([
      'get StatefulSet',
      'get NetworkPolicy 404',
      'get CustomResourceDefinition 404',
      'create NetworkPolicy',
    ]);
    const policy = kube.peek<NetworkPolicy>(POLICY)!;
    expect(policy.metadata.annotations?.['charmkit.io/kill-switch']).toBe('minimal');
    expect(policy.spec.egress.flatMap((r) => r.to.map((p) => p.ipBlock?.cidr ?? 'ns'))).toEqual([
      'ns',
      '10.152.183.1/32',
      '192.168.1.10/32',
    ]);
    kube.clearRequests();
    await requirer.reconcile();
    expect(kube.writes()).toEqual([]);
  });

  it('a required VPN related to a gateway that has not published yet keeps the minimal kill switch', async () => {
    const kube = new FakeCluster({ objects: [charmStatefulSet('qbittorrent', 'qbittorrent')] });
    const { backend, model, relationId } = clientModel(undefined);
    const requirer = new VPNGatewayRequirer({
      kube: kube,
      backend,
      apiServer: API_SERVER,
      required: true,
    });
    const result = await requirer.reconcile();
    expect(result.state).toBe('waiting-for-gateway');
    expect(
      kube.peek<NetworkPolicy>(POLICY)?.metadata.annotations?.['charmkit.io/kill-switch'],
    ).toBe('minimal');
    expect(kube.writes().map((r) => r.kind)).toEqual(['NetworkPolicy']);
    // Once the gateway publishes, the full kill switch replaces it before routing is added.
    model.seedBag(
      relationId,
      { scope: 'app', name: 'gluetun' },
      { config: JSON.stringify(gatewayConfig()) },
    );
    kube.clearRequests();
    await requirer.reconcile();
    expect(log(kube.writes())).toEqual([
      'replace NetworkPolicy',
      'create ConfigMap',
      'patch StatefulSet',
    ]);
    expect(
      kube.peek<NetworkPolicy>(POLICY)?.metadata.annotations?.['charmkit.io/kill-switch'],
    ).toBe('full');
  });

  it('Cilium: a 403 on its CRD is "unknown" with a note, recorded, and never read again', async () => {
    const { kube, requirer } = setup();
    kube.failNext({ verb: 'get', kind: 'CustomResourceDefinition', status: { code: 403 } });
    const first = await requirer.reconcile();
    expect(first.state).toBe('routing');
    expect(first.notes.join(' ')).toContain('could not tell whether Cilium runs');
    expect(kube.peek<NetworkPolicy>(POLICY)?.metadata.annotations?.['charmkit.io/cilium']).toBe(
      'unknown',
    );
    kube.clearRequests();
    const second = await requirer.reconcile();
    expect(log(kube.requests)).not.toContain('get CustomResourceDefinition');
    expect(second.notes.join(' ')).toContain('could not tell whether Cilium runs');
  });

  it('Cilium present: a CiliumNetworkPolicy allowing the kube-apiserver entity is created too', async () => {
    const { kube, requirer } = setup(gatewayConfig(), { cilium: 'present' });
    await requirer.reconcile();
    const cnp = kube.peek<KubeObject>({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      namespace: NS,
      name: 'qbittorrent-vpn-killswitch-cilium',
    });
    expect(cnp?.spec).toEqual({
      endpointSelector: { matchLabels: { 'app.kubernetes.io/name': 'qbittorrent' } },
      egress: [{ toEntities: ['kube-apiserver'] }],
    });
  });

  it('changed gateway settings update the kill switch and ConfigMap first, then roll the pods once', async () => {
    const { kube, model, relationId, requirer } = setup();
    await requirer.reconcile();
    const hash = template(kube).metadata?.annotations?.['charmkit.io/vpn-settings-hash'];
    model.seedBag(
      relationId,
      { scope: 'app', name: 'gluetun' },
      { config: JSON.stringify(gatewayConfig({ vxlan_port: 4789 })) },
    );
    kube.clearRequests();
    await requirer.reconcile();
    expect(log(kube.writes())).toEqual(['replace ConfigMap', 'patch StatefulSet']);
    expect(template(kube).metadata?.annotations?.['charmkit.io/vpn-settings-hash']).not.toBe(hash);
    // vpn_connected flipping changes nothing on the cluster.
    model.seedBag(
      relationId,
      { scope: 'app', name: 'gluetun' },
      { config: JSON.stringify(gatewayConfig({ vxlan_port: 4789, vpn_connected: false })) },
    );
    kube.clearRequests();
    const down = await requirer.reconcile();
    expect(kube.writes()).toEqual([]);
    void down;
  });

  it('dns: cluster keeps the pod DNS and names the leak', async () => {
    const { kube, requirer } = setup(gatewayConfig(), { dns: 'cluster' });
    const result = await requirer.reconcile();
    // The server's default (FakeCluster fills it in as the server does): not `None`, no dnsConfig.
    expect(template(kube).spec.dnsPolicy).toBe('ClusterFirst');
    expect(template(kube).spec.dnsConfig).toBeUndefined();
    expect(result.notes.join(' ')).toContain('DNS leak');
  });

  it('a missing node range is named in a note', async () => {
    const { kube, backend } = setup();
    const result = await new VPNGatewayRequirer({
      kube: kube,
      backend,
      apiServer: API_SERVER,
    }).reconcile();
    expect(result.notes.join(' ')).toContain('nodeCidrs');
  });

  it('refuses bad options at construction, naming each', () => {
    const { kube, backend } = setup();
    expect(
      () =>
        new VPNGatewayRequirer({
          kube: kube,
          backend,
          nodeCidrs: ['0.0.0.0/0'],
          linkLocalAddresses: ['8.8.8.8'],
        }),
    ).toThrow(
      /nodeCidrs: .*every address.*linkLocalAddresses: "8.8.8.8" is not a link-local address/,
    );
  });

  it('discovers the API server from the kubernetes Service and its EndpointSlices', async () => {
    const { kube, backend } = setup();
    kube.seed(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default' },
        spec: { clusterIP: '10.152.183.1', ports: [{ name: 'https', port: 443 }] },
      } as KubeObject,
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'kubernetes' },
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['192.168.1.10'] }],
        ports: [{ name: 'https', port: 6443, protocol: 'TCP' }],
      } as KubeObject,
    );
    await new VPNGatewayRequirer({ kube: kube, backend, env: {} }).reconcile();
    const cidrs = kube
      .peek<NetworkPolicy>(POLICY)!
      .spec.egress.flatMap((r) =>
        r.ports?.[0]?.protocol === 'TCP' && r.ports[0].port !== 53
          ? r.to.map((p) => `${p.ipBlock?.cidr}:${r.ports?.[0]?.port}`)
          : [],
      );
    expect(cidrs).toEqual(['10.152.183.1/32:443', '192.168.1.10/32:6443']);
  });
});
