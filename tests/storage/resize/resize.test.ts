/**
 * The resize helper end to end on FakeCluster plus the world's controllers (support/world.ts):
 * both paths, both swaps, every failure ending.
 */
import { describe, expect, it } from '@jest/globals';
import {
  resizeEmitter,
  resizeVolumes,
  ResizeFailedError,
  ResizeNeedsHumanError,
  ResizeRefusedError,
  VolumeShrinkError,
  type ResizeOptions,
} from 'charmkit/storage';
import { NS, STS, World, type WorldOptions } from './support/world.js';

function options(world: World, extra: Partial<ResizeOptions> = {}): ResizeOptions {
  return {
    kube: world.port,
    namespace: NS,
    statefulSet: STS,
    size: '2Gi',
    clock: world.clock,
    holder: 'unit/0',
    pollIntervalMs: 1000,
    ...extra,
  };
}

async function expectResized(world: World, target: string): Promise<void> {
  // Let deletions the run started (claims held by their protection finalizer) finish.
  await world.advance(1000);
  const set = world.set();
  expect(set).toBeDefined();
  expect(set?.spec.replicas).toBe(world.replicas);
  expect(set?.status?.readyReplicas).toBe(world.replicas);
  for (const template of set?.spec.volumeClaimTemplates ?? []) {
    expect(template.spec.resources?.requests?.storage).toBe(target);
  }
  for (const name of world.claimNames()) {
    const claim = world.claim(name);
    expect(claim?.status?.phase).toBe('Bound');
    expect(claim?.status?.capacity?.storage).toBe(target);
    expect(world.content.get(claim?.spec.volumeName ?? '')).toBe(world.original.get(name));
  }
  expect(world.fake.objects({ apiVersion: 'batch/v1', kind: 'Job' }, NS)).toHaveLength(0);
  expect(world.fake.objects({ apiVersion: 'v1', kind: 'ConfigMap' }, NS)).toHaveLength(0);
  expect(
    world
      .claims()
      .map((c) => c.metadata.name)
      .sort(),
  ).toEqual(world.claimNames().sort());
  expect(world.violations).toEqual([]);
}

describe('resizeVolumes in place', () => {
  it('grows every claim through the driver, then recreates the StatefulSet without a rollout', async () => {
    const world = await World.create({ leftovers: [3] });
    const podsBefore = world.pods().map((p) => [p.metadata.name, p.metadata.uid]);
    const setUid = world.set()?.metadata.uid;
    const result = await resizeVolumes(options(world));
    expect(result.outcome).toBe('resized');
    expect(result.claims.map((c) => [c.claim, c.path])).toEqual([
      ['data-web-0', 'in-place'],
      ['data-web-1', 'in-place'],
      ['data-web-3', 'in-place'],
    ]);
    expect(result.bytesCopied).toBe(0);
    expect(result.zeroReplicaMs).toBe(0);
    await expectResized(world, '2Gi');
    // Orphan delete + create: a new UID, the same pods (adopted, not replaced).
    expect(world.set()?.metadata.uid).not.toBe(setUid);
    expect(world.pods().map((p) => [p.metadata.name, p.metadata.uid])).toEqual(podsBefore);
    for (const pod of world.pods()) {
      expect(pod.metadata.ownerReferences?.[0]?.uid).toBe(world.set()?.metadata.uid);
    }
    // The only StatefulSet delete was the orphan delete with a UID precondition.
    expect(
      world.port.calls.filter((c) => c.verb === 'delete' && c.kind === 'StatefulSet'),
    ).toHaveLength(1);
  });

  it('does nothing (and writes nothing) when every claim already has the size', async () => {
    const world = await World.create({ templates: [{ name: 'data', size: '2Gi' }] });
    const result = await resizeVolumes(options(world));
    expect(result.outcome).toBe('unchanged');
    expect(world.port.calls.filter((c) => c.verb !== 'get' && c.verb !== 'list')).toHaveLength(0);
  });

  it('refuses a shrink with a message', async () => {
    const world = await World.create({ templates: [{ name: 'data', size: '2Gi' }] });
    await expect(resizeVolumes(options(world, { size: '1Gi' }))).rejects.toThrow(VolumeShrinkError);
  });

  it('restarts a pod whose filesystem only grows on remount, one at a time', async () => {
    const world = await World.create({ resizer: 'remount', replicas: 1 });
    const before = world.pods()[0]?.metadata.uid;
    await resizeVolumes(options(world));
    await expectResized(world, '2Gi');
    expect(world.pods()[0]?.metadata.uid).not.toBe(before);
  });

  it('lowers an infeasible request just above capacity and fails without touching data', async () => {
    const world = await World.create({ resizer: 'infeasible' });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(/refused to grow claim data-web-0 to 2Gi.*OutOfRange/);
    expect(world.claim('data-web-0')?.spec.resources?.requests?.storage).toBe('1073741825');
    expect(world.fake.objects({ apiVersion: 'v1', kind: 'ConfigMap' }, NS)).toHaveLength(0);
    expect(world.violations).toEqual([]);
  });

  it('plans without writing anything (dry run)', async () => {
    const world = await World.create({
      templates: [{ name: 'data', size: '1Gi', storageClassName: 'fixed' }],
    });
    const before = JSON.stringify(world.fake.objects());
    const events = resizeEmitter();
    const plans: unknown[] = [];
    events.on('plan', (p) => plans.push(p));
    const result = await resizeVolumes(options(world, { dryRun: true }), events);
    expect(result.outcome).toBe('planned');
    expect(result.plan.claims.map((c) => c.path)).toEqual(['copy', 'copy']);
    expect(result.plan.swap).toBe('rebind');
    expect(result.plan.templateUpdate).toBe('recreate');
    expect(result.plan.steps.length).toBeGreaterThan(10);
    expect(plans).toHaveLength(1);
    expect(JSON.stringify(world.fake.objects())).toBe(before);
  });
});

const fixed: WorldOptions = {
  templates: [{ name: 'data', size: '1Gi', storageClassName: 'fixed' }],
};

describe('resizeVolumes by copy', () => {
  it('copies once, verifies, rebinds the original name to the copy and scales back up', async () => {
    const world = await World.create({
      ...fixed,
      retention: { whenScaled: 'Delete', whenDeleted: 'Delete' },
    });
    const originals = world.claimNames().map((n) => world.originalClaims.get(n)?.volume);
    const steps: string[] = [];
    const events = resizeEmitter();
    events.on('step', (e) => e.state === 'done' && steps.push(e.id));
    const progress: { percent: number; bytesCopied: number }[] = [];
    events.on('progress', (e) => progress.push(e));
    const waits: string[] = [];
    events.on('wait', (e) => waits.push(e.what));
    const result = await resizeVolumes(options(world), events);
    expect(result.outcome).toBe('resized');
    expect(result.bytesCopied).toBeGreaterThan(0);
    // Progress: monotonic percent to 100, bytes once the copies reported them.
    expect(progress.map((p) => p.percent)).toEqual(
      [...progress.map((p) => p.percent)].sort((a, b) => a - b),
    );
    expect(progress[progress.length - 1]).toEqual(
      expect.objectContaining({ percent: 100, bytesCopied: result.bytesCopied }),
    );
    expect(waits.some((w) => /copy Job rsz-copy-data-web-0-[0-9a-f]{8} to finish/.test(w))).toBe(
      true,
    );
    expect(result.zeroReplicaMs).toBeGreaterThan(0);
    await expectResized(world, '2Gi');
    // The old volumes are kept, Released, on Retain; the new ones got their class's policy back.
    expect(result.keptVolumes).toEqual(originals);
    for (const name of originals) {
      expect(world.volume(name ?? '')?.spec.persistentVolumeReclaimPolicy).toBe('Retain');
    }
    for (const name of world.claimNames()) {
      const pv = world.volume(world.claim(name)?.spec.volumeName ?? '');
      expect(pv?.spec.persistentVolumeReclaimPolicy).toBe('Delete');
    }
    expect(world.set()?.spec.persistentVolumeClaimRetentionPolicy).toEqual({
      whenScaled: 'Delete',
      whenDeleted: 'Delete',
    });
    expect(steps.indexOf('retain-claims')).toBeLessThan(steps.indexOf('scale-down'));
    expect(world.podStarts.every((s) => s.ok)).toBe(true);
  });

  it('copies back into a new claim when it may not write PersistentVolumes', async () => {
    const world = await World.create({ ...fixed, volumeWrites: false });
    const result = await resizeVolumes(options(world));
    expect(result.plan.swap).toBe('copy-back');
    expect(result.plan.warnings.join(' ')).toMatch(/cannot be set to reclaim policy Retain/);
    await expectResized(world, '2Gi');
    // Copied there and back.
    expect(result.claims[0]?.bytesCopied).toBe(
      2 * Buffer.byteLength(world.original.get('data-web-0') ?? ''),
    );
  });

  it('reclaims the old volumes when asked', async () => {
    const world = await World.create(fixed);
    const originals = world.claimNames().map((n) => world.originalClaims.get(n)?.volume ?? '');
    const result = await resizeVolumes(options(world, { oldVolumes: 'reclaim' }));
    expect(result.keptVolumes).toEqual([]);
    await world.advance(1000);
    for (const name of originals) expect(world.volume(name)).toBeUndefined();
    await expectResized(world, '2Gi');
  });

  it('rolls back when a copy Job fails: originals untouched, replicas back, no journal', async () => {
    const world = await World.create({
      ...fixed,
      jobs: (role, claim) => (role === 'copy' && claim === 'data-web-1' ? 'fail' : 'ok'),
    });
    const uids = world.claimNames().map((n) => world.claim(n)?.metadata.uid);
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(/copy Job .* failed.*rsync exited with status 23/);
    expect((error as Error).message).toMatch(/kubectl -n media logs job\//);
    expect(world.claimNames().map((n) => world.claim(n)?.metadata.uid)).toEqual(uids);
    expect(world.set()?.spec.replicas).toBe(2);
    expect(world.set()?.status?.readyReplicas).toBe(2);
    for (const name of world.claimNames()) {
      const pv = world.volume(world.originalClaims.get(name)?.volume ?? '');
      expect(pv?.spec.persistentVolumeReclaimPolicy).toBe('Delete');
    }
    expect(world.claims()).toHaveLength(2);
    expect(world.fake.objects({ apiVersion: 'v1', kind: 'ConfigMap' }, NS)).toHaveLength(0);
    // Every Job of the run is gone (a kept pod would hold the copy claim for ever).
    expect(world.fake.objects({ apiVersion: 'batch/v1', kind: 'Job' }, NS)).toEqual([]);
    await world.advance(1000);
    expect(world.claims().map((c) => c.metadata.name)).toEqual(['data-web-0', 'data-web-1']);
    expect(world.violations).toEqual([]);
  });

  it('rolls back when the source changed after the copy (verify fails)', async () => {
    const world = await World.create({
      ...fixed,
      jobs: (role) => (role === 'copy' ? 'tamper-source' : 'ok'),
    });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(/verify Job .* failed/);
    expect(world.set()?.status?.readyReplicas).toBe(2);
    expect(world.violations).toEqual([]);
  });

  it('treats a Job that succeeded without a report as a failure', async () => {
    const world = await World.create({
      ...fixed,
      jobs: (role) => (role === 'verify' ? 'no-report' : 'ok'),
    });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(
      /did not prove its work: the verify pod wrote no report/,
    );
  });

  it('rolls back a copy that hangs past its deadline', async () => {
    const world = await World.create({
      ...fixed,
      jobs: (role) => (role === 'copy' ? 'hang' : 'ok'),
    });
    const error = await resizeVolumes(options(world, { copyDeadlineSeconds: 60 })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ResizeFailedError);
    expect((error as Error).message).toMatch(/DeadlineExceeded|longer than specified deadline/);
    expect(world.set()?.status?.readyReplicas).toBe(2);
  });

  it('ends in NeedsHuman with exact commands when a copy-back fails after the swap', async () => {
    const world = await World.create({
      ...fixed,
      volumeWrites: false,
      jobs: (role) => (role === 'copy-back' ? 'fail' : 'ok'),
    });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeNeedsHumanError);
    const human = error as ResizeNeedsHumanError;
    expect(human.commands.join('\n')).toContain(
      'kubectl -n media scale statefulset web --replicas=2',
    );
    expect(human.commands.join('\n')).toMatch(
      /the verified copy is claim data-web-0-rsz-[0-9a-f]{8}/,
    );
    // The verified copies still exist; nothing scaled up onto the empty claims.
    expect(world.podStarts.filter((s) => !s.ok)).toEqual([]);
    expect(world.violations).toEqual([]);
    // Running again repeats the same answer and acts on nothing.
    const calls = world.port.calls.length;
    const again = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(ResizeNeedsHumanError);
    expect(
      world.port.calls
        .slice(calls)
        .filter((c) => c.verb !== 'get' && c.verb !== 'list')
        .map((c) => c.kind),
    ).toEqual(['ConfigMap']);
  });
});

describe('preflight', () => {
  it('refuses a copy the namespace Pod Security level forbids', async () => {
    const world = await World.create({ ...fixed, podSecurity: 'restricted' });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeRefusedError);
    expect((error as Error).message).toMatch(/Pod Security admission refuses the copy pod/);
  });

  it('refuses a copy while an HPA scales the StatefulSet', async () => {
    const world = await World.create({
      ...fixed,
      objects: [
        {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: 'web', namespace: NS },
          spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'StatefulSet', name: STS } },
        },
      ],
    });
    await expect(resizeVolumes(options(world))).rejects.toThrow(
      /HorizontalPodAutoscaler web scales StatefulSet web/,
    );
  });

  it('refuses a copy while a pod outside the StatefulSet mounts a claim', async () => {
    const world = await World.create({
      ...fixed,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'debug', namespace: NS },
          spec: {
            containers: [{ name: 'sh', image: 'registry.invalid/sh:1' }],
            volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'data-web-0' } }],
          },
          status: { phase: 'Running' },
        },
      ],
    });
    await expect(resizeVolumes(options(world))).rejects.toThrow(
      /pod debug .* mounts claim data-web-0/,
    );
  });

  it('refuses a copy the quota has no room for', async () => {
    const world = await World.create({
      ...fixed,
      objects: [
        {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: { name: 'storage', namespace: NS },
          spec: { hard: { 'requests.storage': '5Gi' } },
          status: { hard: { 'requests.storage': '5Gi' }, used: { 'requests.storage': '2Gi' } },
        },
      ],
    });
    // Two copies of 2Gi on top of 2Gi used: the second does not fit in 5Gi.
    await expect(resizeVolumes(options(world))).rejects.toThrow(
      /the copy of data-web-1 would exceed ResourceQuota storage/,
    );
  });

  it('refuses a forced in-place resize on a class that cannot expand', async () => {
    const world = await World.create(fixed);
    await expect(resizeVolumes(options(world, { path: 'in-place' }))).rejects.toThrow(
      /cannot grow in place.*does not allow volume expansion/,
    );
  });

  it('refuses to start without the permissions the plan needs, naming the rules', async () => {
    const world = await World.create({ ...fixed, denied: ['jobs/create', 'jobs/delete'] });
    const before = JSON.stringify(world.fake.objects());
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeRefusedError);
    expect((error as Error).message).toContain(
      'grant Role rules {apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "delete"]}',
    );
    expect(JSON.stringify(world.fake.objects())).toBe(before);
  });

  it('refuses to act on leftovers of a run whose journal was deleted by hand', async () => {
    const world = await World.create({
      ...fixed,
      jobs: (role) => (role === 'verify' ? 'hang' : 'ok'),
    });
    const abort = new AbortController();
    const events = resizeEmitter();
    events.on('step', (e) => e.id === 'copy:data-web-1' && e.state === 'done' && abort.abort());
    await expect(resizeVolumes(options(world, { signal: abort.signal }), events)).rejects.toThrow(
      /interrupted/,
    );
    const journal = world.fake.objects({ apiVersion: 'v1', kind: 'ConfigMap' }, NS)[0];
    await world.fake.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: NS,
      name: journal?.metadata.name ?? '',
    });
    const error = await resizeVolumes(options(world)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResizeRefusedError);
    expect((error as Error).message).toMatch(
      /data-web-0-rsz-[0-9a-f]{8}, data-web-1-rsz-[0-9a-f]{8} were left by an earlier resize/,
    );
    expect(world.violations).toEqual([]);
  });

  it('shows the plan of a run in progress on a dry run, with its done steps, writing nothing', async () => {
    const world = await World.create(fixed);
    const abort = new AbortController();
    const events = resizeEmitter();
    events.on('step', (e) => e.id === 'scale-down' && e.state === 'done' && abort.abort());
    await expect(resizeVolumes(options(world, { signal: abort.signal }), events)).rejects.toThrow(
      /interrupted at "create-copy:data-web-0".*0 replicas/,
    );
    const before = JSON.stringify(world.fake.objects());
    const dry = await resizeVolumes(options(world, { dryRun: true }));
    expect(dry.outcome).toBe('planned');
    expect(dry.resumed).toBe(true);
    expect(dry.plan.steps.filter((s) => s.startsWith('[done]'))).toHaveLength(3);
    expect(JSON.stringify(world.fake.objects())).toBe(before);
    // And the real run resumes from there.
    const result = await resizeVolumes(options(world));
    expect(result.resumed).toBe(true);
    expect(world.violations).toEqual([]);
  });

  it('refuses a size for a template the StatefulSet does not have', async () => {
    const world = await World.create();
    await expect(resizeVolumes(options(world, { size: { logs: '2Gi' } }))).rejects.toThrow(
      /no volumeClaimTemplate named logs/,
    );
  });
});
