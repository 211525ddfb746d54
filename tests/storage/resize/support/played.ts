/**
 * The parts of a cluster the test control plane does not run, played on the real API server for
 * the resize integration tests — and nothing more:
 *
 * - a dynamic provisioner: a Pending claim of the namespace gets a hostPath PersistentVolume made
 *   for it (pre-bound by UID, reclaim policy Delete, as CSI provisioners create them), whose
 *   directory is a real local directory; the real PV binder then binds the two;
 * - a CSI resizer: `playResizeDriver` (tests/support/storage.ts) for a claim asking for more than
 *   its capacity on an expandable class;
 * - the kubelet of one node (tests/support/kubelet.ts's unmanaged node): a resize Job pod
 *   scheduled there is run HERE, by executing the exact script of its container with `SRC` and
 *   `DST` pointing at the directories of the volumes its claims are bound to, and its pod status
 *   is reported (Succeeded/Failed, the termination message the script wrote) for the real Job
 *   controller to act on. Pods deleted on that node are confirmed gone.
 *
 * So the copy, the verification and the swap move real bytes between real directories, while
 * scheduling, binding, Jobs, garbage collection and the StatefulSet controller are the control
 * plane's own. What a real kubelet and CSI driver would add (mounts, attach, filesystem growth)
 * is not tested here.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApiException, CoreV1Api } from '@kubernetes/client-node';
import type { PersistentVolume, PersistentVolumeClaim, Pod } from '../../../../lib/kube/types.js';
import { compareQuantities } from '../../../../lib/kube/quantity.js';
import { adminKubeConfig, request } from '../../../support/cluster.js';
import { playResizeDriver } from '../../../support/storage.js';

const EXPANDABLE = new Set(['standard', 'wait-for-consumer']);

/** One Job pod the played kubelet ran. */
export interface PlayedRun {
  pod: string;
  role: string;
  exitCode: number;
  report: string;
  stderr: string;
}

/** The played components; `stop()` them in afterAll, then `removeVolumes()`. */
export interface PlayedCluster {
  /** Volumes it created, and the local directory behind each. */
  readonly volumes: Map<string, string>;
  readonly runs: PlayedRun[];
  /** Called just before a Job pod's script runs here (a test's writer, say). */
  beforeRun: ((role: string, claim: string, dirs: Record<string, string>) => void) | undefined;
  /** The local directory of a volume (created by this player or not). */
  directoryOf(volume: string): Promise<string>;
  stop(): Promise<void>;
  removeVolumes(): Promise<void>;
}

/** Starts playing provisioner, resizer and one node's kubelet for `namespace`. */
export function playCluster(namespace: string, nodeName: string, root: string): PlayedCluster {
  const kc = adminKubeConfig();
  const volumes = new Map<string, string>();
  const runs: PlayedRun[] = [];
  const handled = new Set<string>();
  const provisioned = new Set<string>();
  let stopped = false;
  let busy: Promise<void> = Promise.resolve();

  const directoryOf = async (volume: string): Promise<string> => {
    const pv = await request<PersistentVolume>(kc, 'GET', `/api/v1/persistentvolumes/${volume}`);
    const dir = pv.spec.hostPath?.path;
    if (!dir) throw new Error(`volume ${volume} has no hostPath`);
    return dir;
  };

  const provision = async (claims: PersistentVolumeClaim[]) => {
    for (const claim of claims) {
      const uid = claim.metadata.uid ?? '';
      if (claim.status?.phase !== 'Pending' || claim.metadata.deletionTimestamp) continue;
      if (claim.spec.volumeName || provisioned.has(uid)) continue;
      provisioned.add(uid);
      const name = `rsz-pv-${randomBytes(4).toString('hex')}`;
      const dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      volumes.set(name, dir);
      await request(kc, 'POST', '/api/v1/persistentvolumes', {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, labels: { 'charmkit.dev/fixture': 'true' } },
        spec: {
          capacity: { storage: claim.spec.resources?.requests?.storage ?? '1Gi' },
          accessModes: claim.spec.accessModes ?? ['ReadWriteOnce'],
          storageClassName: claim.spec.storageClassName ?? 'standard',
          persistentVolumeReclaimPolicy: 'Delete',
          volumeMode: claim.spec.volumeMode ?? 'Filesystem',
          hostPath: { path: dir, type: 'Directory' },
          claimRef: {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            namespace,
            name: claim.metadata.name,
            uid,
          },
        },
      });
    }
  };

  const resize = async (claims: PersistentVolumeClaim[]) => {
    for (const claim of claims) {
      if (claim.status?.phase !== 'Bound' || !EXPANDABLE.has(claim.spec.storageClassName ?? '')) {
        continue;
      }
      const want = claim.spec.resources?.requests?.storage ?? '0';
      const have = claim.status.capacity?.storage ?? '0';
      if (compareQuantities(want, have) > 0)
        await playResizeDriver(namespace, claim.metadata.name ?? '');
    }
  };

  const runJobPods = async (pods: Pod[]) => {
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const role = pod.metadata.labels?.['resize.charmkit.io/role'];
      if (!role || pod.spec.nodeName !== nodeName || handled.has(uid)) continue;
      if (
        pod.metadata.deletionTimestamp ||
        ['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')
      ) {
        continue;
      }
      handled.add(uid);
      const container = pod.spec.containers[0];
      const script = container?.command?.[2] ?? '';
      const dirs: Record<string, string> = {};
      for (const volume of pod.spec.volumes ?? []) {
        const claimName = volume.persistentVolumeClaim?.claimName;
        if (!claimName) continue;
        const claim = await request<PersistentVolumeClaim>(
          kc,
          'GET',
          `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName}`,
        );
        dirs[volume.name] = await directoryOf(claim.spec.volumeName ?? '');
      }
      player.beforeRun?.(role, pod.metadata.labels?.['resize.charmkit.io/claim'] ?? '', dirs);
      const env = Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? '']));
      const report = path.join(root, `report-${uid}`);
      const tmp = fs.mkdtempSync(path.join(root, 'tmp-'));
      const result = spawnSync('sh', ['-c', script], {
        env: {
          ...env,
          PATH: process.env.PATH ?? '',
          SRC: dirs.src ?? '/nonexistent',
          DST: dirs.dst ?? '/nonexistent',
          REPORT: report,
          TMPDIR: tmp,
        },
        encoding: 'utf8',
      });
      const message = fs.existsSync(report) ? fs.readFileSync(report, 'utf8') : '';
      const exitCode = result.status ?? 1;
      runs.push({
        pod: pod.metadata.name ?? '',
        role,
        exitCode,
        report: message,
        stderr: result.stderr,
      });
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await request(
        kc,
        'PATCH',
        `/api/v1/namespaces/${namespace}/pods/${pod.metadata.name ?? ''}/status`,
        {
          metadata: { uid },
          status: {
            phase: exitCode === 0 ? 'Succeeded' : 'Failed',
            startTime: now,
            conditions: [
              { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now },
            ],
            containerStatuses: [
              {
                name: container?.name ?? '',
                image: container?.image ?? '',
                imageID: '',
                ready: false,
                started: false,
                restartCount: 0,
                state: {
                  terminated: {
                    exitCode,
                    reason: exitCode === 0 ? 'Completed' : 'Error',
                    message,
                    startedAt: now,
                    finishedAt: now,
                  },
                },
              },
            ],
          },
        },
        'application/strategic-merge-patch+json',
      );
    }
  };

  const confirmDeletions = async (pods: Pod[]) => {
    for (const pod of pods) {
      if (pod.spec.nodeName !== nodeName || !pod.metadata.deletionTimestamp) continue;
      try {
        await kc.makeApiClient(CoreV1Api).deleteNamespacedPod({
          namespace,
          name: pod.metadata.name ?? '',
          gracePeriodSeconds: 0,
          body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid ?? '' } },
        });
      } catch (error) {
        const code = error instanceof ApiException ? error.code : undefined;
        if (code !== 404 && code !== 409) throw error;
      }
    }
  };

  const round = async () => {
    const claims = await request<{ items: PersistentVolumeClaim[] }>(
      kc,
      'GET',
      `/api/v1/namespaces/${namespace}/persistentvolumeclaims`,
    );
    await provision(claims.items);
    await resize(claims.items);
    const pods = await request<{ items: Pod[] }>(kc, 'GET', `/api/v1/namespaces/${namespace}/pods`);
    await runJobPods(pods.items);
    await confirmDeletions(pods.items);
  };

  const timer = setInterval(() => {
    if (stopped) return;
    busy = busy.then(round).catch((error: unknown) => {
      // A round can race the test's own deletes; the next round sees the new state.
      if (!/404|409|not found/i.test(String(error))) console.error('played cluster:', error);
    });
  }, 300);

  const player: PlayedCluster = {
    volumes,
    runs,
    beforeRun: undefined,
    directoryOf,
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
    removeVolumes: async () => {
      for (const name of volumes.keys()) {
        await request(kc, 'DELETE', `/api/v1/persistentvolumes/${name}`).catch(() => undefined);
      }
    },
  };
  return player;
}
