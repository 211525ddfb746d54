// The example test of docs/testing.md and docs/getting-started.md, kept runnable: a unit test of
// the controller in src/charm.ts, one hook at a time, with Scenario (the Juju side) and FakeCluster
// (the Kubernetes side). No cluster needed.
import { describe, expect, it } from '@jest/globals';
import type { KubeObject, StatefulSet } from 'charmkit/kube';
import { FakeCluster, Scenario, on, type ScenarioRelation } from 'charmkit/testing';
import { runHook } from 'charmkit/workload';
import { RadarrCharm } from '../src/charm.js';

// The world before the hook: our own StatefulSet and the claim the storage app created.
const objects: KubeObject[] = [
  {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'radarr', namespace: 'media' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'radarr' } },
      template: {
        metadata: { labels: { app: 'radarr' } },
        spec: { containers: [{ name: 'radarr', image: 'lscr.io/linuxserver/radarr:5' }] },
      },
    },
  },
  {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'shared-media', namespace: 'media' },
    spec: { accessModes: ['ReadWriteMany'], resources: { requests: { storage: '1Ti' } } },
    status: { phase: 'Bound' },
  },
];

// What the storage app published on the relation (untrusted input: the charm validates it).
const storage: ScenarioRelation = {
  endpoint: 'storage',
  remoteApp: 'charmarr-storage',
  remoteAppData: { 'pvc-name': 'shared-media', namespace: 'media', 'mount-path': '/data' },
};

// How the charm is run for each hook: exactly as its Juju entry (src/dispatch.ts) runs it.
const scenario = new Scenario<FakeCluster>({
  app: 'radarr',
  model: 'media',
  controller: ({ backend, kube }) => runHook(backend, new RadarrCharm({ backend, kube })),
});

describe('radarr, as a charm author tests it', () => {
  it('mounts the shared claim with exactly one patch, then does nothing on the next hook', async () => {
    const kube = new FakeCluster({ objects, simulate: { statefulSets: true } });

    const first = await scenario.run(on.relationChanged(storage), {
      leader: true,
      relations: [storage],
      kube,
    });
    expect(first.status?.name).toBe('maintenance');
    expect(first.exitCode).toBe(0);
    // Kubernetes writes and relation-data writes are counted apart.
    expect(first.kubeWrites?.map((r) => `${r.verb} ${r.kind}`)).toEqual(['patch StatefulSet']);
    expect(first.relationWrites.map((w) => w.changes['instance-name'])).toEqual(['radarr']);
    const sts = kube.peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: 'media',
      name: 'radarr',
    });
    expect(sts?.spec.template.spec.containers[0]?.volumeMounts).toEqual([
      { name: 'charmkit-storage-storage', mountPath: '/data' },
    ]);

    // Feed the output state into the next hook: the rollout finished, nothing left to write.
    const next = await scenario.run(on.updateStatus(), first.state);
    expect(next.status).toEqual({
      name: 'active',
      message: 'shared storage shared-media mounted at /data',
    });
    expect(next.kubeWrites).toEqual([]);
    expect(next.relationWrites).toEqual([]);
  });

  it('turns repeated conflicts into a status that names them, instead of throwing', async () => {
    const kube = new FakeCluster({ objects });
    kube.failNext({
      verb: 'patch',
      kind: 'StatefulSet',
      status: { code: 409, reason: 'Conflict', message: 'the object has been modified' },
      times: 10,
    });
    const out = await scenario.run(on.relationChanged(storage), {
      leader: true,
      relations: [storage],
      kube,
    });
    // A conflict is retried by re-reading and recomputing (never by resending the same body), a
    // bounded number of times; then the unit waits and says why.
    const verbs = (out.requests ?? []).map((r) => `${r.verb} ${r.kind}`);
    const patches = verbs.filter((v) => v === 'patch StatefulSet').length;
    expect(patches).toBeGreaterThan(1);
    expect(patches).toBeLessThan(10);
    expect(verbs.filter((v) => v === 'get StatefulSet')).toHaveLength(patches);
    expect(out.status?.name).toBe('waiting');
    expect(out.status?.message).toContain('the StatefulSet kept changing while we patched it');
    // A retry may succeed, so the hook exits non-zero and Juju runs it again.
    expect(out.exitCode).toBe(1);
  });
});
