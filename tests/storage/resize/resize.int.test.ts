/**
 * The resize helper on the real control plane (kube-apiserver, controller-manager with its
 * StatefulSet controller, garbage collector, PV binder and Job controller, scheduler, kwok nodes).
 * The provisioner, the CSI resizer and the kubelet of the node the copy Jobs run on are played by
 * support/played.ts — the last one by running the Jobs' own scripts on the volumes' real
 * directories — so the copies below move real bytes.
 *
 * Measured and written to .test-results/resize/measurements.json: bytes copied and time at 0
 * replicas for each path.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKubePort } from '../../../lib/kube/client.js';
import { RequestLog } from '../../../lib/kube/request-log.js';
import type { KubePort } from '../../../lib/kube/port.js';
import type { PersistentVolumeClaim, Pod, StatefulSet } from '../../../lib/kube/types.js';
import {
  ResizeFailedError,
  resizeEmitter,
  resizeVolumes,
  type ResizeResult,
} from '../../../lib/storage/index.js';
import {
  adminKubeConfig,
  grantRole,
  request,
  serviceAccountKubeConfig,
  useTestNamespace,
  waitUntil,
} from '../../support/cluster.js';
import { createUnmanagedNode, type UnmanagedNode } from '../../support/kubelet.js';
import { statefulSetFixture } from '../../support/objects.js';
import { playCluster, type PlayedCluster } from './support/played.js';
import { describeTree, makeSource } from './support/tree.js';

const ns = useTestNamespace('resize');
const kc = () => adminKubeConfig();
let node: UnmanagedNode;
let played: PlayedCluster;
let root = '';
const measurements: Record<string, { bytesCopied: number; zeroReplicaMs: number; wallMs: number }> =
  {};

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'charmkit-resize-int-'));
  node = await createUnmanagedNode('charmkit-resize');
  played = playCluster(ns.name, node.name, root);
});

afterAll(async () => {
  await played?.stop();
  for (const set of ['grow', 'rollback', 'copied', 'backcopy']) {
    await request(kc(), 'DELETE', `/apis/apps/v1/namespaces/${ns.name}/statefulsets/${set}`).catch(
      () => undefined,
    );
  }
  await node?.remove();
  await played?.removeVolumes();
  // A subfolder: scripts/test.sh sums the test counts of every .json file at the top level.
  fs.mkdirSync('.test-results/resize', { recursive: true });
  fs.writeFileSync('.test-results/resize/measurements.json', JSON.stringify(measurements, null, 1));
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** A StatefulSet with one claim template, its pods Ready on kwok nodes. */
async function statefulSetWithClaims(
  name: string,
  replicas: number,
  storageClassName: string,
  retention?: { whenDeleted?: string; whenScaled?: string },
): Promise<StatefulSet> {
  const set = statefulSetFixture({
    name,
    namespace: ns.name,
    replicas,
    containers: [
      {
        name: 'workload',
        image: 'registry.invalid/workload:1',
        volumeMounts: [{ name: 'data', mountPath: '/data' }],
      },
    ],
  });
  set.spec.volumeClaimTemplates = [
    {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data' },
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName,
        resources: { requests: { storage: '1Gi' } },
      },
    },
  ];
  if (retention) set.spec.persistentVolumeClaimRetentionPolicy = retention;
  await request(kc(), 'POST', `/apis/apps/v1/namespaces/${ns.name}/statefulsets`, set);
  return waitUntil(
    `${name} to have ${replicas} Ready pods`,
    async () => {
      const s = await request<StatefulSet>(
        kc(),
        'GET',
        `/apis/apps/v1/namespaces/${ns.name}/statefulsets/${name}`,
      );
      return s.status?.readyReplicas === replicas ? s : undefined;
    },
    { timeoutMs: 120_000 },
  );
}

async function claim(name: string): Promise<PersistentVolumeClaim> {
  return request<PersistentVolumeClaim>(
    kc(),
    'GET',
    `/api/v1/namespaces/${ns.name}/persistentvolumeclaims/${name}`,
  );
}

async function podsOf(set: string): Promise<Pod[]> {
  const list = await request<{ items: Pod[] }>(
    kc(),
    'GET',
    `/api/v1/namespaces/${ns.name}/pods?labelSelector=app%3D${set}`,
  );
  return list.items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** Fills each claim's volume directory with a real tree; returns claim → tree description. */
async function writeData(
  set: string,
  replicas: number,
): Promise<Map<string, ReturnType<typeof describeTree>>> {
  const trees = new Map<string, ReturnType<typeof describeTree>>();
  for (let i = 0; i < replicas; i++) {
    const name = `data-${set}-${i}`;
    const dir = await played.directoryOf((await claim(name)).spec.volumeName ?? '');
    makeSource(dir);
    fs.writeFileSync(path.join(dir, 'ordinal'), `${set}-${i}\n`);
    trees.set(name, describeTree(dir));
  }
  return trees;
}

function runOptions(port: KubePort, set: string) {
  return {
    kube: port,
    namespace: ns.name,
    statefulSet: set,
    size: '2Gi',
    holder: 'resize-int-test',
    pollIntervalMs: 500,
    nodeSelector: node.nodeSelector,
    tolerations: node.tolerations.map((t) => ({ ...t })),
    timeouts: { expansionSeconds: 120, podsSeconds: 180, objectsSeconds: 120 },
  };
}

async function measure(label: string, run: () => Promise<ResizeResult>): Promise<ResizeResult> {
  const start = Date.now();
  const result = await run();
  measurements[label] = {
    bytesCopied: result.bytesCopied,
    zeroReplicaMs: result.zeroReplicaMs,
    wallMs: Date.now() - start,
  };
  return result;
}

describe('resizeVolumes on the real control plane', () => {
  it('grows in place on the expandable class and recreates the StatefulSet: same pods, no rollout', async () => {
    const before = await statefulSetWithClaims('grow', 2, 'standard', { whenDeleted: 'Delete' });
    const podsBefore = (await podsOf('grow')).map((p) => [p.metadata.name, p.metadata.uid]);
    const log = new RequestLog();
    const port = createKubePort({ kubeConfig: kc(), onRequest: log.onRequest });

    // The dry run asks the real server: in place (the dry-run patch passes admission), and no
    // volumeClaimTemplate updates in v1.37 (KEP-4650 absent: the dry-run template patch is refused).
    const plan = await resizeVolumes({ ...runOptions(port, 'grow'), dryRun: true });
    expect(plan.outcome).toBe('planned');
    expect(plan.plan.claims.map((c) => [c.claim, c.path])).toEqual([
      ['data-grow-0', 'in-place'],
      ['data-grow-1', 'in-place'],
    ]);
    expect(plan.plan.templateUpdate).toBe('recreate');
    expect(
      log.requests.filter((r) => r.verb !== 'get' && r.verb !== 'list').length,
    ).toBeGreaterThan(0);

    const result = await measure('in place', () => resizeVolumes(runOptions(port, 'grow')));
    expect(result.outcome).toBe('resized');
    expect(result.bytesCopied).toBe(0);
    expect(result.zeroReplicaMs).toBe(0);
    for (const name of ['data-grow-0', 'data-grow-1']) {
      expect((await claim(name)).status?.capacity?.storage).toBe('2Gi');
    }
    const after = await request<StatefulSet>(
      kc(),
      'GET',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets/grow`,
    );
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
    expect(after.spec.volumeClaimTemplates?.[0]?.spec.resources?.requests?.storage).toBe('2Gi');
    expect(after.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenDeleted: 'Delete',
      whenScaled: 'Retain',
    });
    // The garbage collector orphaned the pods; the new StatefulSet adopted the same pods.
    const podsAfter = await podsOf('grow');
    expect(podsAfter.map((p) => [p.metadata.name, p.metadata.uid])).toEqual(podsBefore);
    for (const pod of podsAfter) {
      expect(pod.metadata.ownerReferences?.find((r) => r.controller)?.uid).toBe(after.metadata.uid);
    }
    // No rollout: one revision, the pods' own.
    const settled = await waitUntil('status of the recreated set', async () => {
      const s = await request<StatefulSet>(
        kc(),
        'GET',
        `/apis/apps/v1/namespaces/${ns.name}/statefulsets/grow`,
      );
      return s.status?.updateRevision && s.status.readyReplicas === 2 ? s : undefined;
    });
    expect(settled.status?.currentRevision).toBe(settled.status?.updateRevision);
    for (const pod of podsAfter) {
      expect(pod.metadata.labels?.['controller-revision-hash']).toBe(
        settled.status?.updateRevision,
      );
    }
    expect(result.warnings).toEqual([]);
    // The claims are owned by the recreated set again (whenDeleted: Delete restored).
    await waitUntil('claims owned by the new set', async () => {
      const c = await claim('data-grow-0');
      return c.metadata.ownerReferences?.some((r) => r.uid === after.metadata.uid);
    });

    // Run again: nothing to do is three reads (journal, StatefulSet, claims) and no write.
    log.clear();
    const again = await resizeVolumes(runOptions(port, 'grow'));
    expect(again.outcome).toBe('unchanged');
    expect(log.writes()).toEqual([]);
    expect(log.requests.map((r) => `${r.verb} ${r.kind}`)).toEqual([
      'get ConfigMap',
      'get StatefulSet',
      'list PersistentVolumeClaim',
    ]);
  });

  it('rolls back when a writer changes the source between the copy and the verification', async () => {
    await statefulSetWithClaims('rollback', 1, 'fixed-size', { whenScaled: 'Delete' });
    const trees = await writeData('rollback', 1);
    const before = await claim('data-rollback-0');
    played.beforeRun = (role, claimName, dirs) => {
      if (role === 'verify' && claimName === 'data-rollback-0' && dirs.src) {
        fs.appendFileSync(path.join(dirs.src, 'config.xml'), '<!-- a writer -->\n');
      }
    };
    const port = createKubePort({ kubeConfig: kc() });
    const error = await resizeVolumes(runOptions(port, 'rollback')).catch((e: unknown) => e);
    played.beforeRun = undefined;
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(
      /verify failed: the checksum dry run found \d+ difference/,
    );
    // Back where it started: the same claim on the same volume, Ready, nothing left behind.
    const now = await claim('data-rollback-0');
    expect(now.metadata.uid).toBe(before.metadata.uid);
    expect(now.spec.volumeName).toBe(before.spec.volumeName);
    const pv = await request<{ spec: { persistentVolumeReclaimPolicy: string } }>(
      kc(),
      'GET',
      `/api/v1/persistentvolumes/${before.spec.volumeName ?? ''}`,
    );
    expect(pv.spec.persistentVolumeReclaimPolicy).toBe('Delete');
    const set = await request<StatefulSet>(
      kc(),
      'GET',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets/rollback`,
    );
    expect(set.spec.replicas).toBe(1);
    expect(set.status?.readyReplicas).toBe(1);
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenScaled: 'Delete',
      whenDeleted: 'Retain',
    });
    // The copy claim was deleted by the rollback; its protection finalizer lets it go once the
    // pvc-protection controller has seen that no running pod uses it.
    await waitUntil('the copy claim to be gone', async () => {
      const claims = await request<{ items: PersistentVolumeClaim[] }>(
        kc(),
        'GET',
        `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`,
      );
      return !claims.items.some((c) => (c.metadata.name ?? '').startsWith('data-rollback-0-rsz'));
    });
    const journals = await request<{ items: unknown[] }>(
      kc(),
      'GET',
      `/api/v1/namespaces/${ns.name}/configmaps?labelSelector=resize.charmkit.io%2Fstatefulset%3Drollback`,
    );
    expect(journals.items).toEqual([]);
    // The data is the writer's (the original volume was never touched by the resize).
    const tree = trees.get('data-rollback-0');
    expect(describeTree(await played.directoryOf(before.spec.volumeName ?? ''))).not.toEqual(tree);
  });

  it('copies a fixed-size class once, verifies, rebinds, and scales back up onto the same bytes', async () => {
    await statefulSetWithClaims('copied', 2, 'fixed-size', {
      whenScaled: 'Delete',
      whenDeleted: 'Retain',
    });
    const trees = await writeData('copied', 2);
    const originals = new Map<string, string>();
    for (const name of trees.keys()) originals.set(name, (await claim(name)).spec.volumeName ?? '');
    const events = resizeEmitter();
    const steps: string[] = [];
    events.on('step', (e) => e.state === 'done' && steps.push(e.id));
    const port = createKubePort({ kubeConfig: kc() });

    const result = await measure('copy (rebind)', () =>
      resizeVolumes(runOptions(port, 'copied'), events),
    );
    expect(result.outcome).toBe('resized');
    expect(result.plan.swap).toBe('rebind');
    expect(result.bytesCopied).toBeGreaterThan(2 * 64 * 1024 * 1024);
    expect(result.zeroReplicaMs).toBeGreaterThan(0);
    expect(steps).toContain('retain-claims');

    for (const [name, tree] of trees) {
      const now = await claim(name);
      expect(now.status?.capacity?.storage).toBe('2Gi');
      expect(now.spec.volumeName).not.toBe(originals.get(name));
      // The claim's new volume holds exactly the original tree...
      expect(describeTree(await played.directoryOf(now.spec.volumeName ?? ''))).toEqual(tree);
      // ...and the original volume is kept, Released, on Retain, with its data.
      const old = await request<{
        spec: { persistentVolumeReclaimPolicy: string };
        status: { phase: string };
      }>(kc(), 'GET', `/api/v1/persistentvolumes/${originals.get(name) ?? ''}`);
      expect(old.spec.persistentVolumeReclaimPolicy).toBe('Retain');
      expect(describeTree(await played.directoryOf(originals.get(name) ?? ''))).toEqual(tree);
    }
    expect([...result.keptVolumes].sort()).toEqual([...originals.values()].sort());
    const set = await request<StatefulSet>(
      kc(),
      'GET',
      `/apis/apps/v1/namespaces/${ns.name}/statefulsets/copied`,
    );
    expect(set.status?.readyReplicas).toBe(2);
    expect(set.spec.volumeClaimTemplates?.[0]?.spec.resources?.requests?.storage).toBe('2Gi');
    expect(set.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenScaled: 'Delete',
      whenDeleted: 'Retain',
    });
    // Every script run the played kubelet executed succeeded: 2 copies, 2 verifications.
    const mine = played.runs.filter((r) => /data-copied/.test(r.pod));
    expect(mine.map((r) => r.role).sort()).toEqual(['copy', 'copy', 'verify', 'verify']);
    expect(mine.every((r) => r.exitCode === 0)).toBe(true);
  });

  it('copies back into a new claim when its ServiceAccount may not touch PersistentVolumes', async () => {
    await statefulSetWithClaims('backcopy', 1, 'wait-for-consumer');
    const trees = await writeData('backcopy', 1);
    await grantRole(ns.name, 'resizer', 'resizer', [
      {
        apiGroups: ['apps'],
        resources: ['statefulsets'],
        verbs: ['get', 'list', 'patch', 'create', 'delete'],
      },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'create', 'delete'] },
      {
        apiGroups: [''],
        resources: ['persistentvolumeclaims'],
        verbs: ['get', 'list', 'create', 'patch', 'delete'],
      },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'update', 'delete'] },
      { apiGroups: [''], resources: ['resourcequotas'], verbs: ['list'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'create', 'delete'] },
      { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: ['list'] },
    ]);
    const port = createKubePort({ kubeConfig: await serviceAccountKubeConfig(ns.name, 'resizer') });
    await waitUntil('the Role to take effect', async () => {
      try {
        await port.get({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          namespace: ns.name,
          name: 'backcopy',
        });
        return true;
      } catch {
        return false;
      }
    });

    const result = await measure('copy (copy-back)', () =>
      resizeVolumes({ ...runOptions(port, 'backcopy'), path: 'copy' }),
    );
    expect(result.outcome).toBe('resized');
    expect(result.plan.swap).toBe('copy-back');
    expect(result.plan.warnings.join(' ')).toMatch(/cannot be set to reclaim policy Retain/);
    const now = await claim('data-backcopy-0');
    expect(now.status?.capacity?.storage).toBe('2Gi');
    expect(describeTree(await played.directoryOf(now.spec.volumeName ?? ''))).toEqual(
      trees.get('data-backcopy-0'),
    );
    const mine = played.runs.filter((r) => /data-backcopy/.test(r.pod)).map((r) => r.role);
    expect(mine).toEqual(['copy', 'verify', 'copy-back', 'verify-back']);
    // The temporary claim is gone (deleted at cleanup).
    const claims = await request<{ items: PersistentVolumeClaim[] }>(
      kc(),
      'GET',
      `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`,
    );
    await waitUntil('the temporary claim to go', async () => {
      const list = await request<{ items: PersistentVolumeClaim[] }>(
        kc(),
        'GET',
        `/api/v1/namespaces/${ns.name}/persistentvolumeclaims`,
      );
      return !list.items.some((c) => (c.metadata.name ?? '').startsWith('data-backcopy-0-rsz'));
    });
    expect(claims.items.length).toBeGreaterThan(0);
  });
});
