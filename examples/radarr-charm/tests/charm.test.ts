/**
 * The Radarr controller, one hook at a time: Scenario builds the Juju side (relations, leadership,
 * the hook context), FakeCluster the Kubernetes side with its StatefulSet controller simulated.
 */
import type { Pod, StatefulSet, PersistentVolumeClaim, StorageClass } from 'charmkit/kube';
import { FakeCluster } from 'charmkit/testing';
import { Scenario, on, type ScenarioRelation } from 'charmkit/testing';
import { runHook } from 'charmkit/workload';
import { RadarrCharm } from '../src/charm.js';

const NS = 'media';

function charmStatefulSet(app: string): StatefulSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: app, namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': app } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': app } },
        spec: {
          containers: [
            { name: 'charm', image: 'charm-base' },
            // The container keeps its charmcraft.yaml name whatever the app is called.
            { name: 'radarr', image: 'lscr.io/linuxserver/radarr:5' },
          ],
        },
      },
    },
  };
}

const standard: StorageClass = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard' },
  provisioner: 'example.com/fake',
};
const claim: PersistentVolumeClaim = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'shared-media', namespace: NS },
  spec: {
    accessModes: ['ReadWriteMany'],
    storageClassName: 'standard',
    resources: { requests: { storage: '1Ti' } },
  },
  status: { phase: 'Bound' },
};

const storage: ScenarioRelation = {
  endpoint: 'storage',
  remoteApp: 'charmarr-storage',
  remoteAppData: {
    'pvc-name': 'shared-media',
    namespace: NS,
    'mount-path': '/data',
    puid: '1000',
    pgid: '1000',
    'access-mode': 'ReadWriteMany',
  },
};

function scenario(app = 'radarr') {
  return new Scenario<FakeCluster>({
    app,
    model: NS,
    controller: ({ backend, kube }) => runHook(backend, new RadarrCharm({ backend, kube })),
  });
}

function cluster(app = 'radarr'): FakeCluster {
  return new FakeCluster({
    simulate: { statefulSets: true },
    objects: [standard, claim, charmStatefulSet(app)],
  });
}

const verbs = (requests: readonly { verb: string; kind: string }[] | undefined) =>
  (requests ?? []).map((r) => `${r.verb} ${r.kind}`);

describe('the Radarr charm', () => {
  it('install without a storage relation: Blocked, no Kubernetes request', async () => {
    const kube = cluster();
    const out = await scenario().run(on.install(), { leader: true, kube });
    expect(out.status).toEqual({ name: 'blocked', message: 'waiting for storage relation' });
    expect(out.requests).toEqual([]);
  });

  it('storage-relation-changed mounts the claim with one patch, then update-status verifies it', async () => {
    const kube = cluster();
    const changed = await scenario().run(on.relationChanged(storage, { remoteUnit: null }), {
      leader: true,
      relations: [storage],
      kube,
    });
    expect(changed.status).toEqual({
      name: 'maintenance',
      message: 'mounting shared storage at /data (rolling out)',
    });
    expect(verbs(changed.requests)).toEqual([
      'get PersistentVolumeClaim',
      'get StatefulSet',
      'patch StatefulSet',
    ]);
    expect(changed.relation('storage').localAppData).toEqual({
      'instance-name': 'radarr',
      config: '{"instance_name":"radarr"}',
    });

    const settled = await scenario().run(on.updateStatus(), changed.state);
    expect(settled.status).toEqual({
      name: 'active',
      message: 'shared storage shared-media mounted at /data',
    });
    expect(kube.writes()).toHaveLength(1);
    expect(verbs(settled.requests)).toEqual(['get PersistentVolumeClaim', 'get StatefulSet']);
    expect(settled.kubeWrites).toEqual([]);
    expect(settled.relationWrites).toEqual([]); // nothing new for the relation either

    const pod = kube.objects<Pod>({ apiVersion: 'v1', kind: 'Pod' }, NS)[0];
    const workload = pod?.spec.containers.find((c) => c.name === 'radarr');
    // The API server adds its service-account token mount to every container; the rest is ours.
    const mounts = workload?.volumeMounts?.filter((m) => !m.name.startsWith('kube-api-access-'));
    expect(mounts).toEqual([{ name: 'charmkit-storage-storage', mountPath: '/data' }]);
  });

  it('deployed as radarr-4k it still mounts into the "radarr" container of the radarr-4k StatefulSet', async () => {
    const kube = cluster('radarr-4k');
    const out = await scenario('radarr-4k').run(on.relationChanged(storage), {
      leader: true,
      relations: [storage],
      kube,
    });
    expect(out.status?.name).toBe('maintenance');
    const sts = kube.peek<StatefulSet>({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      namespace: NS,
      name: 'radarr-4k',
    });
    expect(
      sts?.spec.template.spec.containers.find((c) => c.name === 'radarr')?.volumeMounts,
    ).toHaveLength(1);
  });

  it('storage-relation-broken keeps the mount and makes no request', async () => {
    const kube = cluster();
    const mounted = await scenario().run(on.relationChanged(storage), {
      leader: true,
      relations: [storage],
      kube,
    });
    const template = structuredClone(
      kube.peek<StatefulSet>({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: NS,
        name: 'radarr',
      })?.spec.template,
    );
    const broken = await scenario().run(
      on.relationBroken(mounted.relation('storage')),
      mounted.state,
    );
    expect(broken.status).toEqual({ name: 'blocked', message: 'waiting for storage relation' });
    expect(broken.requests).toEqual([]);
    expect(
      kube.peek<StatefulSet>({
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        namespace: NS,
        name: 'radarr',
      })?.spec.template,
    ).toEqual(template);
  });

  it('invalid data from the storage app: Blocked naming the field, no request', async () => {
    const kube = cluster();
    const bad = {
      ...storage,
      remoteAppData: { ...storage.remoteAppData, 'mount-path': '/data/../etc' },
    };
    const out = await scenario().run(on.relationChanged(bad), {
      leader: true,
      relations: [bad],
      kube,
    });
    expect(out.status?.name).toBe('blocked');
    expect(out.status?.message).toContain('mount-path: must not contain ".." segments');
    expect(out.requests).toEqual([]);
  });
});
