/**
 * The qBittorrent controller, one hook at a time: Scenario builds the Juju side, FakeCluster the
 * Kubernetes side. VPN and storage share one patch; the VPN is required from the first hook.
 */
import type { PersistentVolumeClaim, StatefulSet } from 'charmkit/kube';
import { FakeCluster, on, Scenario, type ScenarioRelation } from 'charmkit/testing';
import { QBittorrentCharm } from '../src/charm.js';

const NS = 'media';
const API_SERVER = {
  service: { ip: '10.152.183.1', port: 443 },
  endpoints: [{ ip: '192.168.1.10', port: 6443 }],
};

function statefulSet(): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'qbittorrent', namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'qbittorrent' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'qbittorrent' } },
        spec: {
          containers: [
            { name: 'charm', image: 'charm-base' },
            { name: 'qbittorrent', image: 'lscr.io/linuxserver/qbittorrent:5' },
          ],
        },
      },
    },
  };
}

const claim: PersistentVolumeClaim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'shared-media', namespace: NS },
  spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Ti' } } },
  status: { phase: 'Bound' },
};

const vpn: ScenarioRelation = {
  endpoint: 'vpn-gateway',
  remoteApp: 'gluetun',
  remoteAppData: {
    config: JSON.stringify({
      routing_method: 'pod-gateway',
      gateway_dns_name: 'gluetun-vpn-gateway.media.svc.cluster.local',
      vxlan_id: 42,
      vxlan_ip_network: '172.16.0',
      vxlan_port: 4790,
      cluster_cidrs: '10.1.0.0/16,10.152.183.0/24',
      cluster_dns_ip: '10.152.183.10',
      vpn_connected: true,
      external_ip: null,
      instance_name: 'gluetun',
    }),
  },
};
const storage: ScenarioRelation = {
  endpoint: 'storage',
  remoteApp: 'charmarr-storage',
  remoteAppData: { 'pvc-name': 'shared-media', namespace: NS, 'mount-path': '/data' },
};

const scenario = () =>
  new Scenario<FakeCluster>({
    app: 'qbittorrent',
    model: NS,
    controller: async ({ backend, kube }) => {
      await new QBittorrentCharm({
        backend,
        kube,
        vpn: { apiServer: API_SERVER, nodeCidrs: ['192.168.1.0/24'] },
      }).reconcile();
    },
  });

const verbs = (requests: readonly { verb: string; kind: string }[] | undefined) =>
  (requests ?? []).map((r) => `${r.verb} ${r.kind}`);

describe('the qBittorrent charm', () => {
  it('install, no relation: the minimal kill switch exists from the first hook, Blocked until a gateway is related', async () => {
    const kube = new FakeCluster({ objects: [statefulSet(), claim] });
    const out = await scenario().run(on.install(), { leader: true, kube });
    expect(out.status?.name).toBe('blocked');
    expect(out.status?.message).toContain('a VPN gateway is required');
    expect(verbs(kube.writes())).toEqual(['create NetworkPolicy']);
  });

  it('both relations: kill switch and settings first, then ONE patch carrying routing and the mount', async () => {
    const kube = new FakeCluster({ objects: [statefulSet(), claim] });
    const out = await scenario().run(on.relationChanged(vpn), {
      leader: true,
      relations: [vpn, storage],
      kube,
    });
    expect(out.status?.name).toBe('maintenance');
    const writes = verbs(kube.writes());
    expect(writes).toEqual(['create NetworkPolicy', 'create ConfigMap', 'patch StatefulSet']);
    const spec = kube.peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: NS,
      name: 'qbittorrent',
    })!.spec.template.spec;
    expect(spec.initContainers?.map((c) => c.name)).toEqual(['vpn-route-init']);
    expect(spec.containers.find((c) => c.name === 'qbittorrent')?.volumeMounts).toEqual([
      expect.objectContaining({ mountPath: '/downloads' }),
    ]);
    kube.clearRequests();
    await scenario().run(on.updateStatus(), out.state);
    expect(kube.writes()).toEqual([]);
  });
});
