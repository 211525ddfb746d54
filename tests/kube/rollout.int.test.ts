/**
 * Rollout waiting and diagnosis against the real control plane: the real StatefulSet controller
 * decides when a rollout is complete, the real scheduler and PV binder say why one is stuck.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../lib/kube/client.js';
import { RequestLog } from '../../lib/kube/request-log.js';
import type { KubePort } from '../../lib/kube/port.js';
import { waitForRollout } from '../../lib/kube/rollout.js';
import { resolveSelf } from '../../lib/kube/self.js';
import type { Pod, StatefulSet } from '../../lib/kube/types.js';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../support/cluster.js';
import { statefulSetFixture, statefulSetRef } from '../support/objects.js';

const ns = useTestNamespace('kube-rollout');
const log = new RequestLog();
let port: KubePort;

beforeAll(() => {
  port = createKubePort({ kubeconfigPath, onRequest: log.onRequest });
});

const ref = (name: string) => statefulSetRef(ns.name, name);

/** Waits (outside the code under test) until the pod exists and the scheduler has refused it. */
async function podUnschedulable(name: string): Promise<Pod> {
  return waitUntil(`${name} to be unschedulable`, async () => {
    const pods = await port.list<Pod>(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: ns.name, fieldSelector: `metadata.name=${name}` },
    );
    const pod = pods.items[0];
    const scheduled = pod?.status?.conditions?.find((c) => c.type === 'PodScheduled');
    return pod && !pod.metadata.deletionTimestamp && scheduled?.status === 'False'
      ? pod
      : undefined;
  });
}

describe('waitForRollout against the real StatefulSet controller', () => {
  it('finds its own StatefulSet from the Juju context and waits for the first rollout', async () => {
    await port.create(statefulSetFixture({ name: 'web', namespace: ns.name }));
    const self = resolveSelf({
      kubeconfigPath,
      env: { JUJU_UNIT_NAME: 'web/0', JUJU_MODEL_NAME: ns.name },
    });
    expect(self.ref).toEqual(ref('web'));
    const selfPort = createKubePort({ credentials: self.credentials });
    const result = await waitForRollout(selfPort, self.ref, { timeoutMs: 90_000, intervalMs: 500 });
    expect(result.complete).toBe(true);
    expect(result.statefulSet.status?.readyReplicas).toBe(1);
  });

  it('completes after a template patch, when the new pod runs the update revision', async () => {
    const before = await port.get<StatefulSet>(ref('web'));
    const patched = await port.patch<StatefulSet>(ref('web'), {
      type: 'strategic',
      body: {
        spec: { template: { metadata: { annotations: { 'charmkit.dev/config-hash': 'v2' } } } },
      },
    });
    expect(patched.metadata.generation).toBe((before.metadata.generation ?? 0) + 1);

    log.clear();
    const result = await waitForRollout(port, ref('web'), { timeoutMs: 90_000, intervalMs: 500 });
    expect(result.complete).toBe(true);
    const waited = [...log.requests];
    const status = result.statefulSet.status;
    expect(status?.observedGeneration).toBe(patched.metadata.generation);
    expect(status?.currentRevision).toBe(status?.updateRevision);
    expect(status?.updateRevision).not.toBe(before.status?.updateRevision);
    // The running pod really is the new template.
    const pod = await port.get<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns.name,
      name: 'web-0',
    });
    expect(pod.metadata.labels?.['controller-revision-hash']).toBe(status?.updateRevision);
    expect(pod.metadata.annotations?.['charmkit.dev/config-hash']).toBe('v2');
    // Waiting is reads only: one GET of the StatefulSet per poll, nothing else.
    expect(waited.map((r) => `${r.verb} ${r.kind}`)).toEqual(
      Array.from({ length: result.polls }, () => 'get StatefulSet'),
    );
  });

  it('diagnoses a rollout stuck on a claim that does not exist', async () => {
    await port.patch(ref('web'), {
      type: 'strategic',
      body: {
        spec: {
          template: {
            spec: {
              volumes: [{ name: 'media', persistentVolumeClaim: { claimName: 'media-library' } }],
              containers: [
                { name: 'workload', volumeMounts: [{ name: 'media', mountPath: '/media' }] },
              ],
            },
          },
        },
      },
    });
    await podUnschedulable('web-0');

    log.clear();
    const result = await waitForRollout(port, ref('web'), { timeoutMs: 1000, intervalMs: 500 });
    expect(result.complete).toBe(false);
    if (result.complete) return;
    const findings = result.diagnosis?.findings ?? [];
    expect(findings.map((f) => [f.kind, f.pod ?? f.object])).toEqual([
      ['UnboundPVC', 'media-library'],
      ['FailedScheduling', 'web-0'],
    ]);
    expect(findings[0]?.message).toBe(
      'PersistentVolumeClaim "media-library" does not exist (used by pod web-0)',
    );
    // The scheduler's own words, without its "preemption: ..." tail.
    expect(findings[1]?.message).toMatch(
      /^pod web-0 cannot be scheduled: 0\/\d+ nodes are available: persistentvolumeclaim "media-library" not found$/,
    );
    expect(result.diagnosis?.summary).toBe(
      'PersistentVolumeClaim "media-library" does not exist (used by pod web-0) (+1 more)',
    );
    // Polls, then: list the pods, list the stuck pod's events, get the claim. No writes.
    expect(log.writes()).toEqual([]);
    expect(log.requests.slice(result.polls).map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'list Pod 200',
      'list Event 200',
      'get PersistentVolumeClaim 404',
    ]);
  });

  it('diagnoses a claim that exists but cannot bind, with the PV binder explaining why', async () => {
    await port.create({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'db-data', namespace: ns.name },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: '',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await port.create(
      statefulSetFixture({
        name: 'db',
        namespace: ns.name,
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'db-data' } }],
      }),
    );
    await podUnschedulable('db-0');
    await waitUntil('the PV binder to report on db-data', async () => {
      const events = await port.list(
        { apiVersion: 'v1', kind: 'Event' },
        { namespace: ns.name, fieldSelector: 'involvedObject.name=db-data' },
      );
      return events.items.length > 0;
    });

    const result = await waitForRollout(port, ref('db'), { timeoutMs: 0 });
    expect(result.complete).toBe(false);
    if (result.complete) return;
    const [claim, scheduling] = result.diagnosis?.findings ?? [];
    expect(claim).toMatchObject({ kind: 'UnboundPVC', object: 'db-data' });
    expect(claim?.message).toMatch(
      /^PersistentVolumeClaim "db-data" is Pending \(used by pod db-0\): no persistent volumes available for this claim/,
    );
    expect(claim?.hint).toMatch(/^no PersistentVolume matches the claim/);
    expect(scheduling).toMatchObject({ kind: 'FailedScheduling', pod: 'db-0' });
    expect(scheduling?.message).toContain('unbound immediate PersistentVolumeClaims');
  });
});
