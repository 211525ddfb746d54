/**
 * Proves the local control plane is a real one: the StatefulSet controller, the scheduler, kwok's
 * fake kubelet, the PV binder, the Job controller and RBAC all do their jobs. Everything else in
 * the integration suite stands on these behaviours.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  adminKubeConfig,
  grantRole,
  rawRequest,
  request,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../support/cluster.js';
import { statefulSetFixture } from '../support/objects.js';
import {
  createBoundClaim,
  createHostPathVolume,
  deleteVolumes,
  playResizeDriver,
} from '../support/storage.js';

interface Sts {
  metadata: { generation: number };
  spec: { replicas: number; template: { spec: { containers: { name: string }[] } } };
  status: {
    observedGeneration?: number;
    readyReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    updatedReplicas?: number;
  };
}
interface PodList {
  items: {
    metadata: { name: string; labels: Record<string, string> };
    spec: {
      containers: { name: string; volumeMounts?: { mountPath: string }[] }[];
      volumes?: { name: string }[];
    };
    status: { phase?: string; conditions?: { type: string; status: string }[] };
  }[];
}

const ns = useTestNamespace('smoke');
const kc = () => adminKubeConfig();
const pvs: string[] = [];
afterAll(() => deleteVolumes(pvs));

const statefulSet = (name: string, replicas: number) =>
  statefulSetFixture({ name, namespace: ns.name, replicas });

const stsPath = (name: string) => `/apis/apps/v1/namespaces/${ns.name}/statefulsets/${name}`;
const readyPods = async (app: string) => {
  const pods = await request<PodList>(
    kc(),
    'GET',
    `/api/v1/namespaces/${ns.name}/pods?labelSelector=app%3D${app}`,
  );
  return pods.items.filter((p) =>
    p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  );
};

describe('the local control plane', () => {
  it('reports the version it was built as', async () => {
    const version = await request<{ gitVersion: string; major: string }>(kc(), 'GET', '/version');
    expect(version.gitVersion).toMatch(/^v1\.\d+\.\d+$/);
    expect(version.major).toBe('1');
  });

  it('runs a 2-replica StatefulSet to 2 Ready pods on kwok nodes', async () => {
    await request(
      kc(),
      'POST',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets`,
      statefulSet('web', 2),
    );
    const pods = await waitUntil('2 ready pods', async () => {
      const ready = await readyPods('web');
      return ready.length === 2 ? ready : undefined;
    });
    expect(pods.map((p) => p.metadata.name).sort()).toEqual(['web-0', 'web-1']);
    const sts = await waitUntil('sts status', async () => {
      const s = await request<Sts>(kc(), 'GET', stsPath('web'));
      return s.status.readyReplicas === 2 ? s : undefined;
    });
    expect(sts.status.readyReplicas).toBe(2);
  });

  it('rolls out a strategic merge patch of the pod template to new pods', async () => {
    const before = await request<Sts>(kc(), 'GET', stsPath('web'));
    const patch = {
      spec: {
        template: {
          spec: {
            volumes: [{ name: 'scratch', emptyDir: {} }],
            containers: [
              { name: 'workload', volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] },
              { name: 'sidecar', image: 'registry.invalid/sidecar:1' },
            ],
          },
        },
      },
    };
    const patched = await request<Sts>(
      kc(),
      'PATCH',
      stsPath('web'),
      patch,
      'application/strategic-merge-patch+json',
    );
    // The patch merged by name: the existing container kept its image and gained a mount.
    expect(patched.spec.template.spec.containers.map((c) => c.name)).toEqual([
      'workload',
      'sidecar',
    ]);
    expect(patched.metadata.generation).toBe(before.metadata.generation + 1);

    const done = await waitUntil(
      'rollout to complete',
      async () => {
        const s = await request<Sts>(kc(), 'GET', stsPath('web'));
        const complete =
          (s.status.observedGeneration ?? 0) >= s.metadata.generation &&
          s.status.updateRevision !== undefined &&
          s.status.updateRevision === s.status.currentRevision &&
          s.status.updateRevision !== before.status.updateRevision &&
          s.status.readyReplicas === 2;
        return complete ? s : undefined;
      },
      { timeoutMs: 120000 },
    );
    expect(done.status.currentRevision).toBe(done.status.updateRevision);
    const pods = await readyPods('web');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.labels['controller-revision-hash']).toBe(done.status.updateRevision);
      expect(pod.spec.volumes?.map((v) => v.name)).toContain('scratch');
      const workload = pod.spec.containers.find((c) => c.name === 'workload');
      expect(workload?.volumeMounts?.map((m) => m.mountPath)).toContain('/scratch');
      expect(pod.spec.containers.map((c) => c.name)).toContain('sidecar');
    }
  });

  it('binds a PVC to a fixture PV through the real PV binder', async () => {
    // Pre-bound to its claim: test files run side by side, and an unreserved PV could be taken by
    // another file's claim. The PV binder still does the binding.
    pvs.push(
      await createHostPathVolume({
        size: '1Gi',
        storageClassName: 'standard',
        claim: { namespace: ns.name, name: 'data' },
      }),
    );
    await request(kc(), 'POST', `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
    const claim = await waitUntil('claim to bind', async () => {
      const c = await request<{
        spec: { volumeName?: string; storageClassName?: string };
        status: { phase: string };
      }>(kc(), 'GET', `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/data`);
      return c.status.phase === 'Bound' ? c : undefined;
    });
    // No class was named: the DefaultStorageClass admission plugin filled in our default class.
    expect(claim.spec.storageClassName).toBe('standard');
    expect(pvs).toContain(claim.spec.volumeName);
  });

  it('runs a Job to completion', async () => {
    await request(kc(), 'POST', `/apis/batch/v1/namespaces/${ns.name}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'once' },
      spec: {
        backoffLimit: 0,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [{ name: 'run', image: 'registry.invalid/run:1' }],
          },
        },
      },
    });
    const job = await waitUntil(
      'job to complete',
      async () => {
        const j = await request<{
          status: { succeeded?: number; conditions?: { type: string; status: string }[] };
        }>(kc(), 'GET', `/apis/batch/v1/namespaces/${ns.name}/jobs/once`);
        return j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')
          ? j
          : undefined;
      },
      { timeoutMs: 90000 },
    );
    expect(job.status.succeeded).toBe(1);
  });

  it('enforces RBAC: a Role for one named StatefulSet does not reach another', async () => {
    await request(
      kc(),
      'POST',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets`,
      statefulSet('other', 0),
    );
    await grantRole(ns.name, 'radarr', 'own-statefulset', [
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        resourceNames: ['web'],
        verbs: ['get', 'patch'],
      },
    ]);
    const sa = await serviceAccountKubeConfig(ns.name, 'radarr');
    // RBAC changes reach the authorizer's cache asynchronously; wait until the grant is visible.
    await waitUntil(
      'the grant to take effect',
      async () => (await rawRequest(sa, 'GET', stsPath('web'))).status === 200,
    );

    const own = await rawRequest(
      sa,
      'PATCH',
      stsPath('web'),
      { metadata: { labels: { seen: 'yes' } } },
      'application/strategic-merge-patch+json',
    );
    expect(own.status).toBe(200);
    const other = await rawRequest<{ reason: string; message: string }>(
      sa,
      'GET',
      stsPath('other'),
    );
    expect(other.status).toBe(403);
    expect(other.body.reason).toBe('Forbidden');
    expect(other.body.message).toContain(`system:serviceaccount:${ns.name}:radarr`);
    const otherPatch = await rawRequest(
      sa,
      'PATCH',
      stsPath('other'),
      { metadata: { labels: { seen: 'yes' } } },
      'application/strategic-merge-patch+json',
    );
    expect(otherPatch.status).toBe(403);
  });

  it('receives DeleteOptions sent in a request body (the support helper frames DELETE bodies)', async () => {
    await request(kc(), 'POST', `/api/v1/namespaces/${ns.name}/configmaps`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'guarded' },
    });
    const path = `/api/v1/namespaces/${ns.name}/configmaps/guarded`;
    const stale = await rawRequest<{ reason: string }>(kc(), 'DELETE', path, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      preconditions: { uid: '00000000-0000-0000-0000-000000000000' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
    expect((await rawRequest(kc(), 'GET', path)).status).toBe(200);
  });

  it('lets a claim on the expandable class grow (resize driver played) and refuses the fixed class', async () => {
    pvs.push(await createBoundClaim(ns.name, 'grows', '1Gi'));
    const claimPath = (name: string) =>
      `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/${name}`;
    const grow = { spec: { resources: { requests: { storage: '2Gi' } } } };
    const accepted = await rawRequest(
      kc(),
      'PATCH',
      claimPath('grows'),
      grow,
      'application/merge-patch+json',
    );
    expect(accepted.status).toBe(200);
    await playResizeDriver(ns.name, 'grows');
    const grown = await request<{ status: { capacity: { storage: string } } }>(
      kc(),
      'GET',
      claimPath('grows'),
    );
    expect(grown.status.capacity.storage).toBe('2Gi');

    // The same request on a class without allowVolumeExpansion is refused by admission.
    pvs.push(
      await createHostPathVolume({
        size: '1Gi',
        storageClassName: 'fixed-size',
        claim: { namespace: ns.name, name: 'fixed' },
      }),
    );
    await request(kc(), 'POST', `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`, {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'fixed' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'fixed-size',
        resources: { requests: { storage: '1Gi' } },
      },
    });
    await waitUntil('fixed to bind', async () => {
      const c = await request<{ status: { phase: string } }>(kc(), 'GET', claimPath('fixed'));
      return c.status.phase === 'Bound';
    });
    const refused = await rawRequest<{ message: string }>(
      kc(),
      'PATCH',
      claimPath('fixed'),
      grow,
      'application/merge-patch+json',
    );
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(
      /storageclass that provisions the pvc must support resize/,
    );
  });
});
