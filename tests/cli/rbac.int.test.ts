/**
 * `charmkit rbac` on a real API server: each example controller runs as a ServiceAccount that has
 * exactly the generated Roles, through a flow that creates, changes and then re-checks everything
 * (first hook, a hook while rolling, changed relation data, a no-op). Nothing is refused, and for
 * the requirers every granted rule is used by some request of the flow: nothing is granted that
 * the capabilities do not do (the optional reads aside: they serve a stuck rollout's diagnosis).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  createKubePort,
  RequestLog,
  type KubeObject,
  type KubePort,
  type PersistentVolumeClaim,
  type RequestRecord,
  type StatefulSet,
} from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { resourceInfo } from '../../lib/kube/resources.js';
import { jujuStatefulSetFixture } from 'charmkit/testing';
import {
  kubeconfigPath,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import { createHostPathVolume, deleteVolumes } from '../support/storage.js';
import { rbacObjects, type PolicyRule, type RbacRequest } from '../../cli/rbac.js';
import { QBittorrentCharm } from '../../examples/qbittorrent-charm/src/charm.js';
import { RadarrCharm } from '../../examples/radarr-charm/src/charm.js';
import { GluetunCharm } from '../../examples/gluetun-charm/src/charm.js';

const ns = useTestNamespace('cli-rbac');
const admin = (): KubePort => createKubePort({ kubeconfigPath });
const pvs: string[] = [];
const cleanup: KubeObject[] = [];
afterAll(async () => {
  await deleteVolumes(pvs);
  for (const object of cleanup) {
    await admin()
      .delete({ apiVersion: object.apiVersion, kind: object.kind, name: object.metadata.name! })
      .catch(() => undefined);
  }
});

/** Applies the generated RBAC and returns a port acting as the ServiceAccount, with its log. */
async function runAs(
  request: RbacRequest,
): Promise<{ kube: KubePort; log: RequestLog; rules: PolicyRule[] }> {
  const objects = rbacObjects(request);
  const kube = admin();
  for (const object of objects) {
    await kube.create(object);
    if (!object.metadata.namespace) cleanup.push(object);
  }
  const log = new RequestLog();
  const kubeConfig = await serviceAccountKubeConfig(
    ns.name,
    request.serviceAccount ?? request.statefulSet,
  );
  // RBAC changes reach the authorizer's cache asynchronously; wait until the Role is in effect.
  const probe = createKubePort({ kubeConfig });
  await waitUntil('the Role to take effect', async () => {
    try {
      await probe.get({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: ns.name,
        name: request.statefulSet,
      });
      return true;
    } catch {
      return false;
    }
  });
  // The rules every flow must use: the optional ones (events for a stuck rollout's diagnosis,
  // Cilium detection) only matter when something goes wrong or on another CNI.
  const rules = rbacObjects({ ...request, minimal: true })
    .filter((o) => o.metadata.namespace === ns.name && o.kind === 'Role')
    .flatMap((o) => (o as unknown as { rules: PolicyRule[] }).rules);
  return { kube: createKubePort({ kubeConfig, onRequest: log.onRequest }), log, rules };
}

async function claim(name: string): Promise<void> {
  pvs.push(await createHostPathVolume({ size: '1Gi', claim: { namespace: ns.name, name } }));
  await admin().create<PersistentVolumeClaim>({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns.name },
    spec: {
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'standard',
      resources: { requests: { storage: '1Gi' } },
    },
  });
}

async function statefulSet(app: string, container: string, replicas = 1): Promise<void> {
  await admin().create<StatefulSet>(
    jujuStatefulSetFixture(
      app,
      ns.name,
      { name: container, image: 'registry.invalid/x:1' },
      { replicas },
    ),
  );
}

async function rolledOut(app: string, replicas = 1): Promise<void> {
  await waitUntil(
    `${app} to roll out`,
    async () => {
      const s = await admin().get<StatefulSet>({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: ns.name,
        name: app,
      });
      const st = s.status ?? {};
      return (
        (st.observedGeneration ?? 0) >= (s.metadata.generation ?? 0) &&
        st.currentRevision === st.updateRevision &&
        st.readyReplicas === replicas
      );
    },
    { timeoutMs: 90_000, intervalMs: 500 },
  );
}

const refused = (log: RequestLog) => log.requests.filter((r) => r.status === 403).map(describe_);
function describe_(r: RequestRecord): string {
  return `${r.verb} ${r.kind} ${r.namespace ?? ''}/${r.name ?? ''} ${r.status}`;
}

/** The RBAC verb of a request record (`replace` is `update`). */
const rbacVerb = (r: RequestRecord) => (r.verb === 'replace' ? 'update' : r.verb);

/** The rules of `rules` that no request in `requests` used. */
function unusedRules(
  rules: readonly PolicyRule[],
  requests: readonly RequestRecord[],
): PolicyRule[] {
  return rules.flatMap((rule) =>
    rule.verbs
      .filter(
        (verb) =>
          !requests.some(
            (r) =>
              r.namespace === ns.name &&
              rbacVerb(r) === verb &&
              rule.resources.includes(resourceInfo(r).plural) &&
              rule.apiGroups.includes(
                r.apiVersion.includes('/') ? r.apiVersion.split('/')[0]! : '',
              ) &&
              (!rule.resourceNames || rule.resourceNames.includes(r.name ?? '')),
          ),
      )
      .map((verb) => ({ ...rule, verbs: [verb] })),
  );
}

function gatewayConfig(cidrs: string): string {
  return JSON.stringify({
    routing_method: 'pod-gateway',
    gateway_dns_name: `gluetun-vpn-gateway.${ns.name}.svc.cluster.local`,
    vxlan_id: 42,
    vxlan_ip_network: '172.16.0',
    vxlan_port: 4790,
    cluster_cidrs: cidrs,
    cluster_dns_ip: '10.96.0.10',
    vpn_connected: true,
    external_ip: null,
    instance_name: 'gluetun',
  });
}

describe('charmkit rbac: each capability runs with exactly the generated Role', () => {
  it('qbittorrent (VPN requirer + storage requirer): nothing refused, every namespaced rule used', async () => {
    const app = 'qbittorrent';
    // Two pods, started one after the other: the hook right after the patch finds the rollout
    // still running, so the verification lists the pods (and the diagnosis their events).
    await statefulSet(app, 'qbittorrent', 2);
    await claim('rbac-media');
    const { kube, log, rules } = await runAs({
      capabilities: ['vpn-requirer', 'storage-requirer'],
      namespace: ns.name,
      statefulSet: app,
      claim: 'rbac-media',
    });
    const model = new MemoryModel({ name: ns.name });
    const backend = model.backend(`${app}/0`, { leader: true });
    const vpnId = backend.addRelation({
      endpoint: 'vpn-gateway',
      remoteApp: 'gluetun',
      remoteAppData: { config: gatewayConfig('10.244.0.0/16,10.96.0.0/16') },
    });
    backend.addRelation({
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteAppData: { 'pvc-name': 'rbac-media', namespace: ns.name, 'mount-path': '/data' },
    });
    const charm = new QBittorrentCharm({ backend, kube, vpn: { nodeCidrs: ['10.0.0.0/24'] } });

    const first = await charm.reconcile();
    expect([first.vpn.state, first.storage.state]).toEqual(['routing', 'patched']);
    await charm.reconcile(); // while rolling: the rollout diagnosis lists pods and events
    model.seedBag(
      vpnId,
      { scope: 'app', name: 'gluetun' },
      { config: gatewayConfig('10.244.0.0/16,10.96.0.0/12') },
    );
    const changed = await charm.reconcile(); // kill switch and settings replaced
    expect(changed.vpn.sideWrites.some((w) => w.startsWith('replace'))).toBe(true);
    await rolledOut(app, 2);
    const settled = await charm.reconcile();
    expect(settled.status.name).toBe('active');

    expect(refused(log)).toEqual([]);
    expect(unusedRules(rules, log.requests)).toEqual([]);
  });

  it('radarr (storage requirer): nothing refused, every namespaced rule used', async () => {
    const app = 'radarr';
    await statefulSet(app, 'radarr', 2);
    await claim('rbac-radarr');
    const { kube, log, rules } = await runAs({
      capabilities: ['storage-requirer'],
      namespace: ns.name,
      statefulSet: app,
      claim: 'rbac-radarr',
    });
    const backend = new MemoryModel({ name: ns.name }).backend(`${app}/0`, { leader: true });
    backend.addRelation({
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteAppData: { 'pvc-name': 'rbac-radarr', namespace: ns.name, 'mount-path': '/data' },
    });
    const charm = new RadarrCharm({ backend, kube });
    expect((await charm.reconcile()).storage.state).toBe('patched');
    await charm.reconcile();
    await rolledOut(app, 2);
    expect((await charm.reconcile()).status.name).toBe('active');
    expect(refused(log)).toEqual([]);
    expect(unusedRules(rules, log.requests)).toEqual([]);
  });

  it('gluetun (VPN provider): nothing refused', async () => {
    const app = 'gluetun';
    await statefulSet(app, 'gluetun');
    const { kube, log } = await runAs({
      capabilities: ['vpn-provider'],
      namespace: ns.name,
      statefulSet: app,
      clusterDnsGiven: true,
    });
    const backend = new MemoryModel({ name: ns.name }).backend(`${app}/0`, { leader: true });
    backend.addRelation({ endpoint: 'vpn-gateway', remoteApp: 'qbittorrent' });
    const charm = new GluetunCharm({
      backend,
      kube,
      clusterCidrs: ['10.244.0.0/16', '10.96.0.0/16'],
      controlApiKey: 'k',
      health: () => Promise.resolve({ connected: true }),
      clusterDnsIp: '10.96.0.10',
    });
    await charm.reconcile();
    await rolledOut(app);
    expect((await charm.reconcile()).status.name).toBe('active');
    expect(refused(log)).toEqual([]);
  });

  it('without a rule the controller is refused: the Role is not wider than it looks', async () => {
    const app = 'radarr-narrow';
    await statefulSet(app, 'radarr');
    await claim('rbac-narrow');
    // Generated for another claim name: the claim read must be refused.
    const { kube, log } = await runAs({
      capabilities: ['storage-requirer'],
      namespace: ns.name,
      statefulSet: app,
      claim: 'some-other-claim',
    });
    const backend = new MemoryModel({ name: ns.name }).backend(`${app}/0`, { leader: true });
    backend.addRelation({
      endpoint: 'storage',
      remoteApp: 'storage',
      remoteAppData: { 'pvc-name': 'rbac-narrow', namespace: ns.name, 'mount-path': '/data' },
    });
    const result = await new RadarrCharm({ backend, kube }).reconcile();
    expect(result.status.name).toBe('blocked');
    expect(refused(log)).toEqual([`get PersistentVolumeClaim ${ns.name}/rbac-narrow 403`]);
  });
});
