/**
 * The gluetun example on the real control plane: the gateway patches its own StatefulSet once
 * (ConfigMap and headless Service first), the server's defaulting does not make the next
 * reconcile write, and the provider data is published once the pod has rolled out.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort, RequestLog, type KubePort, type StatefulSet } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../../../tests/support/cluster.js';
import { jujuCharmStatefulSet, statefulSetRef } from '../../../tests/support/objects.js';
import { GluetunCharm, type GluetunReconcile } from '../src/charm.js';

const ns = useTestNamespace('gluetun-example');
let admin: KubePort;
beforeAll(() => {
  admin = createKubePort({ kubeconfigPath });
});

describe('gluetun example on a real API server', () => {
  it('one patch, then 0 writes, then publishes to the client', async () => {
    await admin.create<StatefulSet>(
      jujuCharmStatefulSet('gluetun', ns.name, {
        name: 'gluetun',
        image: 'registry.invalid/qdm12/gluetun:v3',
      }),
    );
    const model = new MemoryModel({ name: ns.name });
    const backend = model.backend('gluetun/0', { leader: true });
    const id = backend.addRelation({
      endpoint: 'vpn-gateway',
      remoteApp: 'qbittorrent',
      remoteAppData: { config: '{"instance_name":"qbittorrent"}' },
    });
    const log = new RequestLog();
    const charm = new GluetunCharm({
      backend,
      kube: createKubePort({ kubeconfigPath, onRequest: log.onRequest }),
      clusterCidrs: ['10.0.0.0/16', '10.96.0.0/12'],
      controlApiKey: 'test-key',
      // The test control plane runs no cluster DNS Service.
      clusterDnsIp: '10.96.0.10',
      health: () => Promise.resolve({ connected: true, externalIp: '203.0.113.7' }),
    });
    const first = await charm.reconcile();
    expect(first.patched).toBe(true);
    const writes = log.writes().map((r) => `${r.verb} ${r.kind}`);
    expect(writes).toEqual(['create ConfigMap', 'create Service', 'patch StatefulSet']);
    const sts = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'gluetun'));
    expect(sts.spec.template.spec.initContainers?.[0]?.securityContext?.privileged).toBe(true);

    const served = await waitUntil<GluetunReconcile>(
      'the gateway to roll out and publish',
      async () => {
        log.clear();
        const r = await charm.reconcile();
        return r.gateway.state === 'serving' ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(log.writes()).toEqual([]);
    expect(served.gateway.published).toEqual([id]);
    const config = JSON.parse(model.bag(id, { scope: 'app', name: 'gluetun' }).config!);
    expect(config.gateway_dns_name).toBe(`gluetun-vpn-gateway.${ns.name}.svc.cluster.local`);
    expect(config.cluster_dns_ip).toBe('10.96.0.10');
  });
});
