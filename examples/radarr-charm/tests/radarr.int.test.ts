/**
 * The Radarr example end to end on the real control plane: a storage provider and the Radarr
 * controller, related through one in-memory Juju model. The provider creates the claim (bound by
 * the real PV binder to a hostPath fixture) and publishes it; Radarr patches its StatefulSet, the
 * real StatefulSet controller rolls the pod, and the running pod carries the mount. The request
 * counts of the first and of a no-op reconcile are printed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort, RequestLog } from 'charmkit/kube';
import type { KubePort } from 'charmkit/kube';
import type { Pod, StatefulSet } from 'charmkit/kube';
import { MemoryModel } from 'charmkit/relations';
import { StorageProvider } from 'charmkit/storage';
import { runHook } from 'charmkit/workload';
import { kubeconfigPath, useTestNamespace, waitUntil } from '../../../tests/support/cluster.js';
import { jujuCharmStatefulSet, statefulSetRef } from '../../../tests/support/objects.js';
import { createHostPathVolume, deleteVolumes } from '../../../tests/support/storage.js';
import { RadarrCharm, type RadarrReconcile } from '../src/charm.js';

const ns = useTestNamespace('radarr-example');
const radarrLog = new RequestLog();
const pvs: string[] = [];
let admin: KubePort;

beforeAll(() => {
  admin = createKubePort({ kubeconfigPath });
});
afterAll(() => deleteVolumes(pvs));

/**
 * The StatefulSet Juju would create for the radarr charm deployed as `app`: the workload container
 * keeps its charmcraft.yaml name, `radarr`, whatever the app is called.
 */
async function jujuStatefulSet(app: string): Promise<void> {
  await admin.create<StatefulSet>(
    jujuCharmStatefulSet(app, ns.name, {
      name: 'radarr',
      image: 'registry.invalid/linuxserver/radarr:5',
    }),
  );
}

describe('radarr example on a real API server', () => {
  it('provider publishes, radarr mounts with one patch, pods roll, and a second reconcile writes nothing', async () => {
    await jujuStatefulSet('radarr');
    pvs.push(
      await createHostPathVolume({
        size: '10Gi',
        claim: { namespace: ns.name, name: 'charmarr-shared-media' },
      }),
    );

    const model = new MemoryModel({ name: ns.name });
    const storageBackend = model.backend('charmarr-storage/0', { leader: true });
    const radarrBackend = model.backend('radarr/0', {
      leader: true,
      context: { hookName: 'update-status' },
    });
    model.relate(
      { app: 'charmarr-storage', endpoint: 'storage' },
      { app: 'radarr', endpoint: 'storage' },
    );

    const provider = new StorageProvider({
      kube: createKubePort({ kubeconfigPath }),
      backend: storageBackend,
      claimName: 'charmarr-shared-media',
      mountPath: '/data',
      puid: 1000,
      pgid: 1000,
      ownerStatefulSet: false,
    });
    await waitUntil('the provider to publish the claim', async () => {
      const r = await provider.reconcile({ size: '10Gi' });
      return r.published.length > 0;
    });

    const radarr = new RadarrCharm({
      backend: radarrBackend,
      kube: createKubePort({ kubeconfigPath, onRequest: radarrLog.onRequest }),
    });
    const hook = async (): Promise<RadarrReconcile> => {
      const run = await runHook(radarrBackend, radarr);
      if (run.result === undefined) throw new Error(`the hook failed: ${run.status?.message}`);
      return run.result;
    };
    radarrLog.clear();
    const first = await hook();
    const firstRequests = radarrLog.requests.length;
    const firstWrites = radarrLog.writes().length;
    expect(first.storage.state).toBe('patched');
    expect(first.status.name).toBe('maintenance');
    expect(firstWrites).toBe(1);
    expect(radarrLog.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
      'patch StatefulSet 200',
    ]);

    const mounted = await waitUntil<RadarrReconcile>(
      'the rollout to finish and the mount to be verified',
      async () => {
        const r = await hook();
        return r.storage.state === 'mounted' ? r : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(mounted.status.name).toBe('active');
    expect(radarrBackend.status).toEqual(mounted.status);
    const pod = await admin.get<Pod>({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: ns.name,
      name: 'radarr-0',
    });
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.spec.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: 'charmarr-shared-media' } }),
    );
    expect(pod.spec.containers.find((c) => c.name === 'radarr')?.volumeMounts).toContainEqual(
      expect.objectContaining({ mountPath: '/data' }),
    );

    radarrLog.clear();
    const noop = await hook();
    expect(noop.storage.changed).toBe(false);
    expect(radarrLog.writes()).toEqual([]);
    // The StatefulSet's status proves the rollout (revisions swapped, ready = updated = replicas),
    // so the pods are not listed: 2 reads.
    expect(radarrLog.requests.map((r) => `${r.verb} ${r.kind} ${r.status}`)).toEqual([
      'get PersistentVolumeClaim 200',
      'get StatefulSet 200',
    ]);
    console.log(
      `radarr example: first reconcile ${firstRequests} API requests (${firstWrites} write); ` +
        `no-op reconcile ${radarrLog.requests.length} API requests (${radarrLog.writes().length} writes): ` +
        radarrLog.requests.map((r) => `${r.verb} ${r.kind}`).join(', '),
    );
  });

  it('main.ts runs the same controller outside Juju and waits for the rollout itself', async () => {
    await jujuStatefulSet('radarr-standalone');
    await waitUntil(
      'radarr-standalone to exist with a pod',
      async () => {
        const s = await admin.get<StatefulSet>(statefulSetRef(ns.name, 'radarr-standalone'));
        return (s.status?.readyReplicas ?? 0) === 1;
      },
      { timeoutMs: 90_000 },
    );
    // main.ts is a script configured by its environment: set it, then import it.
    const saved = { ...process.env };
    Object.assign(process.env, {
      RADARR_NAMESPACE: ns.name,
      RADARR_STATEFULSET: 'radarr-standalone',
      STORAGE_CLAIM: 'charmarr-shared-media',
      STORAGE_MOUNT_PATH: '/movies',
      STORAGE_PGID: '1000',
      ROLLOUT_WAIT_MS: '90000',
      KUBECONFIG: kubeconfigPath,
    });
    let run;
    try {
      ({ run } = await import('../src/main.js'));
    } finally {
      process.env = saved;
    }
    expect(run.exitCode).toBe(0);
    expect(run.result?.storage.state).toBe('mounted');
    expect(run.status).toEqual({
      name: 'active',
      message: 'shared storage charmarr-shared-media mounted at /movies',
    });
  });
});
