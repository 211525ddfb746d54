/**
 * `charmkit plan` on a real API server: the qBittorrent example's first reconcile, planned with
 * server-side dry runs. It shows the kill switch, the settings and the one patch as diffs, and
 * writes nothing: the requests are reads and dry runs only, and the server's objects are as before.
 */
import { describe, expect, it } from '@jest/globals';
import {
  createKubePort,
  RequestLog,
  writes,
  type PersistentVolumeClaim,
  type StatefulSet,
} from 'charmkit/kube';
import { jujuStatefulSetFixture } from 'charmkit/testing';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../support/cluster.js';
import { main } from '../../cli/main.js';
import { MemoryStream } from '../../cli/output.js';
import { parseRelation, runPlan } from '../../cli/commands/plan.js';
import { EXAMPLES } from '../../cli/controllers.js';

const ns = useTestNamespace('cli-plan');

function gateway(namespace: string): string {
  return JSON.stringify({
    config: {
      routing_method: 'pod-gateway',
      gateway_dns_name: `gluetun-vpn-gateway.${namespace}.svc.cluster.local`,
      vxlan_id: 42,
      vxlan_ip_network: '172.16.0',
      vxlan_port: 4790,
      cluster_cidrs: '10.244.0.0/16,10.96.0.0/16',
      cluster_dns_ip: '10.96.0.10',
      vpn_connected: true,
      external_ip: null,
      instance_name: 'gluetun',
    },
  });
}

describe('charmkit plan on a real API server', () => {
  it('shows the kill switch, settings and patch as diffs, and writes nothing', async () => {
    const admin = createKubePort({ kubeconfigPath });
    await admin.create<StatefulSet>(
      jujuStatefulSetFixture('qbittorrent', ns.name, {
        name: 'qbittorrent',
        image: 'registry.invalid/qb:5',
      }),
    );
    await admin.create<PersistentVolumeClaim>({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'media', namespace: ns.name },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    // Let the StatefulSet controller finish its own writes first, so the plan reads a quiet object.
    await waitUntil(
      'qbittorrent to roll out',
      async () => {
        const s = await admin.get<StatefulSet>({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          namespace: ns.name,
          name: 'qbittorrent',
        });
        return (
          s.status?.readyReplicas === 1 && s.status.currentRevision === s.status.updateRevision
        );
      },
      { timeoutMs: 90_000 },
    );
    const before = await admin.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: ns.name,
      name: 'qbittorrent',
    });
    const relations = [
      `storage=${JSON.stringify({ 'pvc-name': 'media', namespace: ns.name, 'mount-path': '/data' })}`,
      `vpn-gateway:gluetun=${gateway(ns.name)}`,
    ];

    const stdout = new MemoryStream();
    const code = await main(
      [
        'plan',
        'qbittorrent',
        '--kubeconfig',
        kubeconfigPath,
        '-n',
        ns.name,
        ...relations.flatMap((r) => ['--relation', r]),
      ],
      { stdout, stderr: new MemoryStream(), env: {} },
    );
    expect(code).toBe(0);
    expect(stdout.text).toContain(
      `would create NetworkPolicy ${ns.name}/qbittorrent-vpn-killswitch`,
    );
    expect(stdout.text).toContain(
      `would create ConfigMap ${ns.name}/qbittorrent-gateway-client-config`,
    );
    expect(stdout.text).toContain(`would patch StatefulSet ${ns.name}/qbittorrent`);
    expect(stdout.text).toMatch(/\+ +- name: vpn-route-sidecar/);
    expect(stdout.text).toMatch(/\+ +claimName: media/);
    expect(stdout.text).toContain('nothing was stored');

    // The same plan through the function: every write the server saw was one of the dry runs.
    const log = new RequestLog();
    const kube = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
    const outcome = await runPlan(
      kube,
      log,
      { namespace: ns.name, statefulSet: 'qbittorrent' },
      relations.map(parseRelation),
      (backend, dry) =>
        EXAMPLES.qbittorrent!({
          backend,
          kube: dry,
          namespace: ns.name,
          statefulSet: 'qbittorrent',
          clusterCidrs: [],
        }),
    );
    // (a 409 from the StatefulSet controller's own status write in between is re-read and resent)
    const sent = writes(outcome.requests).filter((r) => r.status !== 409);
    expect(sent.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'create NetworkPolicy',
      'create ConfigMap',
      'patch StatefulSet',
    ]);
    expect(outcome.writes.map((w) => `${w.verb} ${w.ref.kind} ${w.dryRun}`)).toEqual([
      'create NetworkPolicy true',
      'create ConfigMap true',
      'patch StatefulSet true',
    ]);
    expect(
      outcome.requests
        .filter((r) => !sent.includes(r))
        .every((r) => r.verb === 'get' || r.verb === 'list'),
    ).toBe(true);

    // Nothing stored: the StatefulSet is untouched and the side objects do not exist.
    const after = await admin.get<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: ns.name,
      name: 'qbittorrent',
    });
    // (its status moves as the controller creates the pod; its spec and generation must not)
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.spec).toEqual(before.spec);
    for (const [apiVersion, kind, name] of [
      ['networking.k8s.io/v1', 'NetworkPolicy', 'qbittorrent-vpn-killswitch'],
      ['v1', 'ConfigMap', 'qbittorrent-gateway-client-config'],
    ] as const) {
      await expect(admin.get({ apiVersion, kind, namespace: ns.name, name })).rejects.toMatchObject(
        {
          status: { code: 404 },
        },
      );
    }
  });
});
