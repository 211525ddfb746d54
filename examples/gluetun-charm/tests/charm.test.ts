/** The gluetun controller on FakeCluster: gateway and gluetun settings in one patch, then publish. */
import type { KubeObject, StatefulSet } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { FakeCluster } from 'charmkit/testing';
import { GluetunCharm } from '../src/charm.js';

const NS = 'media';
const sts: StatefulSet = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'gluetun', namespace: NS },
  spec: {
    replicas: 1,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'gluetun' } },
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'gluetun' } },
      spec: {
        containers: [
          { name: 'charm', image: 'charm' },
          { name: 'gluetun', image: 'gluetun' },
        ],
      },
    },
  },
};
const kubeDns = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'kube-dns', namespace: 'kube-system' },
  spec: { clusterIP: '10.152.183.10' },
} as KubeObject;

it('patches gateway containers and gluetun settings in ONE patch, and publishes once ready', async () => {
  const kube = new FakeCluster({ simulate: { statefulSets: true }, objects: [sts, kubeDns] });
  const model = new MemoryModel({ name: NS });
  const backend = model.backend('gluetun/0', { leader: true });
  const id = backend.addRelation({ endpoint: 'vpn-gateway', remoteApp: 'qbittorrent' });
  const charm = new GluetunCharm({
    backend,
    kube,
    clusterCidrs: ['10.1.0.0/16', '10.152.183.0/24'],
    controlApiKey: 'k',
    health: () => Promise.resolve({ connected: true }),
  });
  const first = await charm.reconcile();
  expect(kube.writes().filter((r) => r.kind === 'StatefulSet')).toHaveLength(1);
  expect(first.status.name).toBe('maintenance');
  const gluetun = kube
    .peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: NS,
      name: 'gluetun',
    })!
    .spec.template.spec.containers.find((c) => c.name === 'gluetun')!;
  expect(gluetun.securityContext).toEqual({ capabilities: { add: ['NET_ADMIN'] } });
  expect(gluetun.env?.map((e) => e.name)).toEqual([
    'FIREWALL_OUTBOUND_SUBNETS',
    'DNS_SERVER',
    'HTTP_CONTROL_SERVER_AUTH_DEFAULT_ROLE',
  ]);
  await kube.settle();
  kube.clearRequests();
  const second = await charm.reconcile();
  expect(kube.writes()).toEqual([]);
  expect(second.status.name).toBe('active');
  expect(JSON.parse(model.bag(id, { scope: 'app', name: 'gluetun' }).config!).vpn_connected).toBe(
    true,
  );
});
