/**
 * The qBittorrent example on the real control plane — the VPN capability's acceptance test:
 * - a first reconcile creates the kill switch BEFORE the one StatefulSet patch (request order from
 *   the adapter's request log);
 * - the next reconcile makes 0 writes, with the server's defaulting of containers, the ConfigMap
 *   volume and the NetworkPolicy in play;
 * - invalid gateway data keeps everything in place (no request at all);
 * - failClosed on relation broken drops the routing containers and keeps the policy;
 * - a policy create refused with 403 leaves the StatefulSet unpatched.
 * Request and write counts of a first, a no-op and a removal reconcile are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort, RequestLog, type KubePort, type RequestRecord } from 'charmkit/kube';
import type { KubeObject, PersistentVolumeClaim, StatefulSet } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import {
  grantRole,
  kubeconfigPath,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../../../tests/support/cluster.js';
import { jujuCharmStatefulSet, statefulSetRef } from '../../../tests/support/objects.js';
import { createHostPathVolume, deleteVolumes } from '../../../tests/support/storage.js';
import { QBittorrentCharm } from '../src/charm.js';

const ns = useTestNamespace('qbittorrent-example');
const pvs: string[] = [];
let admin: KubePort;

beforeAll(() => {
  admin = createKubePort({ kubeconfigPath });
});
afterAll(() => deleteVolumes(pvs));

function gatewayConfig(namespace: string, overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    routing_method: 'pod-gateway',
    gateway_dns_name: `gluetun-vpn-gateway.${namespace}.svc.cluster.local`,
    vxlan_id: 42,
    vxlan_ip_network: '172.16.0',
    vxlan_port: 4790,
    cluster_cidrs: '10.0.0.0/16,10.96.0.0/12',
    cluster_dns_ip: '10.96.0.10',
    vpn_connected: true,
    external_ip: '203.0.113.7',
    instance_name: 'gluetun',
    ...overrides,
  });
}

const line = (r: RequestRecord) => `${r.verb} ${r.kind} ${r.status}`;
const summary = (log: RequestLog) =>
  `${log.requests.length} requests / ${log.writes().length} writes`;

async function setup(app: string) {
  await admin.create<StatefulSet>(
    jujuCharmStatefulSet(app, ns.name, {
      name: 'qbittorrent',
      image: 'registry.invalid/linuxserver/qbittorrent:5',
    }),
  );
  const claim = `${app}-media`;
  pvs.push(await createHostPathVolume({ size: '1Gi', claim: { namespace: ns.name, name: claim } }));
  await admin.create<PersistentVolumeClaim>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: claim, namespace: ns.name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard',
      resources: { requests: { storage: '1Gi' } },
    },
  });
  const model = new MemoryModel({ name: ns.name });
  const backend = model.backend(`${app}/0`, { leader: true });
  const vpnId = backend.addRelation({
    endpoint: 'vpn-gateway',
    remoteApp: 'gluetun',
    remoteAppData: { config: gatewayConfig(ns.name) },
  });
  backend.addRelation({
    endpoint: 'storage',
    remoteApp: 'storage',
    remoteAppData: { 'pvc-name': claim, namespace: ns.name, 'mount-path': '/data' },
  });
  const log = new RequestLog();
  const charm = new QBittorrentCharm({
    backend,
    kube: createKubePort({ kubeconfigPath, onRequest: log.onRequest }),
    vpn: { nodeCidrs: ['172.18.0.0/16'], onRelationBroken: 'failClosed' },
  });
  return { model, backend, vpnId, log, charm };
}

/** Until the StatefulSet controller reports every pod on the current template. */
async function waitUntilRolledOut(app: string): Promise<void> {
  await waitUntil(
    `${app} to roll out`,
    async () => {
      const s = await admin.get<StatefulSet>(statefulSetRef(ns.name, app));
      const status = s.status ?? {};
      return (
        (status.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) &&
        status.currentRevision === status.updateRevision &&
        status.readyReplicas === 1 &&
        status.updatedReplicas === 1
      );
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

const policyRef = (app: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  namespace: ns.name,
  name: `${app}-vpn-killswitch`,
});

describe('qbittorrent example on a real API server', () => {
  it('kill switch before the one patch, then 0 writes; invalid data keeps all; failClosed keeps the policy', async () => {
    const { model, backend, vpnId, log, charm } = await setup('qbittorrent');

    const first = await charm.reconcile();
    const firstCount = summary(log);
    expect(first.vpn.state).toBe('routing');
    expect(first.patched).toBe(true);
    expect([first.storage.state, first.storage.status.message]).toEqual([
      'patched',
      expect.any(String),
    ]);
    const order = log.requests.map(line);
    const policyAt = order.indexOf('create NetworkPolicy 201');
    const patchAt = order.indexOf('patch StatefulSet 200');
    expect(policyAt).toBeGreaterThanOrEqual(0);
    expect(policyAt).toBeLessThan(patchAt);
    expect(order.filter((l) => l.startsWith('patch StatefulSet'))).toHaveLength(1);
    expect(order.indexOf('create ConfigMap 201')).toBeLessThan(patchAt);
    const sts = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'qbittorrent'));
    expect(sts.spec.template.spec.initContainers?.[0]?.name).toBe('vpn-route-init');
    expect(sts.spec.template.spec.containers.map((c) => c.name)).toContain('vpn-route-sidecar');
    // The API server's addresses were discovered on the real server and allowed.
    const policy = await admin.get<
      KubeObject & { spec: { egress: { ports?: { port: number }[] }[] } }
    >(policyRef('qbittorrent'));
    expect(policy.spec.egress.some((r) => r.ports?.some((p) => p.port === 443))).toBe(true);

    log.clear();
    const noop = await charm.reconcile();
    const noopCount = summary(log);
    expect(log.writes()).toEqual([]);
    expect(noop.vpn.changes).toEqual([]);
    expect(noop.patched).toBe(false);
    // The reads a no-op still needs: the claim (it may be gone), the StatefulSet, the kill switch,
    // the API server's Service (from the pod environment under Juju: no read there) and its
    // endpoints (the kill switch must follow them), the settings ConfigMap. No pod list: the
    // StatefulSet's status proves the rollout once it has finished.
    await waitUntilRolledOut('qbittorrent');
    log.clear();
    await charm.reconcile();
    expect(log.requests.map(line)).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
      'get NetworkPolicy 200',
      'get Service 200',
      'list EndpointSlice 200',
      'get ConfigMap 200',
    ]);
    const settledNoopCount = summary(log);
    // In a pod (as under Juju) the Service address comes from the environment: 5 reads.
    const podLog = new RequestLog();
    const inPod = new QBittorrentCharm({
      backend,
      kube: createKubePort({ kubeconfigPath, onRequest: podLog.onRequest }),
      vpn: {
        nodeCidrs: ['172.18.0.0/16'],
        onRelationBroken: 'failClosed',
        env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      },
    });
    await inPod.reconcile();
    expect(podLog.writes()).toEqual([]);
    expect(podLog.requests.map(line)).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
      'get NetworkPolicy 200',
      'list EndpointSlice 200',
      'get ConfigMap 200',
    ]);

    // Invalid data: nothing is read or written, everything stays.
    const before = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'qbittorrent'));
    model.seedBag(
      vpnId,
      { scope: 'app', name: 'gluetun' },
      { config: gatewayConfig(ns.name, { cluster_cidrs: '0.0.0.0/0' }) },
    );
    log.clear();
    const invalid = await charm.reconcile();
    expect(invalid.vpn.state).toBe('invalid');
    expect(invalid.status.name).toBe('blocked');
    // Only storage's own reads remain (its claim, the StatefulSet, and the pods and events it
    // reads while the first rollout may still be running): the VPN asked for nothing.
    const storageKinds = new Set(['PersistentVolumeClaim', 'StatefulSet', 'Pod', 'Event']);
    expect(log.requests.filter((r) => !storageKinds.has(r.kind))).toEqual([]);
    expect(log.writes()).toEqual([]);
    const after = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'qbittorrent'));
    expect(after.spec.template).toEqual(before.spec.template);
    await admin.get(policyRef('qbittorrent'));

    // Relation broken, failClosed: the routing containers go in one patch, the policy stays.
    model.unrelate(vpnId);
    log.clear();
    const removal = await charm.reconcile();
    const removalCount = summary(log);
    expect(removal.vpn.state).toBe('unrouted');
    expect(log.writes().map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
    const unrouted = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'qbittorrent'));
    expect(unrouted.spec.template.spec.initContainers ?? []).toEqual([]);
    expect(unrouted.spec.template.spec.containers.map((c) => c.name)).not.toContain(
      'vpn-route-sidecar',
    );
    expect(
      unrouted.spec.template.spec.containers.find((c) => c.name === 'qbittorrent')?.volumeMounts,
    ).toEqual([expect.objectContaining({ mountPath: '/downloads' })]);
    await admin.get(policyRef('qbittorrent'));

    log.clear();
    await charm.reconcile();
    expect(log.writes()).toEqual([]);
    const afterRemovalNoop = summary(log);

    console.log(
      `qbittorrent example (VPN + storage, one patch): first reconcile ${firstCount}; ` +
        `no-op ${noopCount} (after the rollout: ${settledNoopCount}; in a pod: ${summary(podLog)}); removal (failClosed) ${removalCount}; no-op after removal ${afterRemovalNoop} ` +
        '(charmarr-lib-vpn: 4 requests / 3 writes on every hook)',
    );
  });

  it('a kill switch refused with 403 leaves the StatefulSet unpatched and says why', async () => {
    const app = 'qbittorrent-rbac';
    const sa = 'qbittorrent-rbac';
    await grantRole(ns.name, sa, 'qbittorrent-no-netpol', [
      { apiGroups: ['apps'], resources: ['statefulsets'], verbs: ['get', 'patch'] },
      {
        apiGroups: [''],
        resources: ['configmaps', 'persistentvolumeclaims', 'pods'],
        verbs: ['get', 'list', 'create', 'update'],
      },
      { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get'] },
    ]);
    const log = new RequestLog();
    const kube = createKubePort({
      kubeConfig: await serviceAccountKubeConfig(ns.name, sa),
      onRequest: log.onRequest,
    });
    const { backend } = await setup(app);
    // The service account cannot read the default namespace: the API server's addresses are given.
    const restricted = new QBittorrentCharm({
      backend,
      kube,
      vpn: {
        apiServer: {
          service: { ip: '10.96.0.1', port: 443 },
          endpoints: [{ ip: '127.0.0.1', port: 6443 }],
        },
      },
    });
    const result = await restricted.reconcile();
    expect(result.vpn.state).toBe('failed');
    expect(result.vpn.status.name).toBe('blocked');
    expect(result.vpn.status.message).toContain('routing through the VPN was not changed');
    expect(log.requests.map(line)).toContain('create NetworkPolicy 403');
    const after = await admin.get<StatefulSet>(statefulSetRef(ns.name, app));
    // The storage mount may go (it is another capability's); the VPN's containers must not.
    expect(after.spec.template.spec.initContainers ?? []).toEqual([]);
    expect(after.spec.template.spec.containers.map((c) => c.name)).not.toContain(
      'vpn-route-sidecar',
    );
    expect(JSON.stringify(after.spec.template)).not.toContain('vpn-route');
  });
});
