/**
 * The crash-resume proof. For each path (in place; copy with rebind; copy-back), the helper is
 *
 * 1. stopped at every step boundary (the abort signal, checked between steps), then run again;
 * 2. hit by a fault in each of its API calls in turn, in two ways: the call fails before the
 *    server applies it (FakeCluster's `failNext`, HTTP 500), or the server applies it and the
 *    answer is lost (the connection breaks) — then run again.
 *
 * Every case must end in the right state (the same checks as a clean run: sizes, data, replicas,
 * policies, no leftovers), and the world's invariants must hold at every moment of every run: the
 * original data of each claim exists on some volume, no original claim disappears before a
 * verified copy of it exists, and no pod of the StatefulSet ever starts on a volume whose data is
 * not the claim's original data.
 *
 * What was covered is written to .test-results/resize/crash-coverage.json for the closing note.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import {
  resizeEmitter,
  resizeVolumes,
  ResizeInterruptedError,
  type ResizeOptions,
  type ResizeResult,
} from 'charmkit/storage';
import { NS, STS, World, type WorldOptions } from './support/world.js';

const scenarios: { name: string; world: WorldOptions }[] = [
  { name: 'in place', world: { leftovers: [2], retention: { whenDeleted: 'Delete' } } },
  {
    name: 'copy, rebind',
    world: {
      templates: [{ name: 'data', size: '1Gi', storageClassName: 'fixed' }],
      retention: { whenScaled: 'Delete', whenDeleted: 'Delete' },
    },
  },
  {
    name: 'copy, copy-back',
    world: {
      templates: [{ name: 'data', size: '1Gi', storageClassName: 'fixed' }],
      volumeWrites: false,
    },
  },
];

const coverage: Record<string, { boundaries: string[]; calls: string[]; cases: number }> = {};

afterAll(() => {
  // A subfolder: scripts/test.sh sums the test counts of every .json file at the top level.
  fs.mkdirSync('.test-results/resize', { recursive: true });
  fs.writeFileSync('.test-results/resize/crash-coverage.json', JSON.stringify(coverage, null, 1));
});

function options(world: World, signal?: AbortSignal): ResizeOptions {
  return {
    kube: world.port,
    namespace: NS,
    statefulSet: STS,
    size: '2Gi',
    clock: world.clock,
    holder: 'unit/0',
    pollIntervalMs: 5000,
    ...(signal ? { signal } : {}),
  };
}

async function expectRightEnd(
  world: World,
  what: string,
  retention: WorldOptions['retention'],
): Promise<void> {
  await world.advance(5000);
  const problems: string[] = [...world.violations];
  const set = world.set();
  if (!set) problems.push('no StatefulSet');
  if (set?.spec.replicas !== world.replicas)
    problems.push(`replicas ${String(set?.spec.replicas)}`);
  if (set?.status?.readyReplicas !== world.replicas) problems.push('not all replicas Ready');
  for (const t of set?.spec.volumeClaimTemplates ?? []) {
    if (t.spec.resources?.requests?.storage !== '2Gi')
      problems.push(`template ${t.metadata.name ?? ''} not 2Gi`);
  }
  for (const name of world.claimNames()) {
    const claim = world.claim(name);
    if (claim?.status?.capacity?.storage !== '2Gi')
      problems.push(`${name} capacity ${String(claim?.status?.capacity?.storage)}`);
    if (world.content.get(claim?.spec.volumeName ?? '') !== world.original.get(name))
      problems.push(`${name} data`);
  }
  const names = world
    .claims()
    .map((c) => c.metadata.name)
    .sort();
  if (JSON.stringify(names) !== JSON.stringify(world.claimNames().sort()))
    problems.push(`claims ${names.join(',')}`);
  if (world.fake.objects({ apiVersion: 'batch/v1', kind: 'Job' }, NS).length)
    problems.push('Jobs left');
  if (world.fake.objects({ apiVersion: 'v1', kind: 'ConfigMap' }, NS).length)
    problems.push('journal left');
  // Compared as the server defaults it: an absent field is Retain.
  const policy = set?.spec.persistentVolumeClaimRetentionPolicy as WorldOptions['retention'];
  const defaulted = (p: WorldOptions['retention']) => ({
    whenDeleted: p?.whenDeleted ?? 'Retain',
    whenScaled: p?.whenScaled ?? 'Retain',
  });
  if (JSON.stringify(defaulted(policy)) !== JSON.stringify(defaulted(retention))) {
    problems.push(`retention ${JSON.stringify(policy)}`);
  }
  expect({ case: what, problems }).toEqual({ case: what, problems: [] });
}

/** Runs to the end, resuming after interruptions (at most `tries` runs). */
async function runToEnd(world: World, first: unknown): Promise<ResizeResult> {
  let outcome = first;
  for (let i = 0; i < 3 && !isResult(outcome); i++) {
    if (
      !(outcome instanceof ResizeInterruptedError) &&
      !(outcome instanceof Error && /injected/.test(outcome.message))
    ) {
      throw outcome;
    }
    await world.advance(5000);
    outcome = await resizeVolumes(options(world)).catch((e: unknown) => e);
  }
  if (!isResult(outcome)) throw outcome;
  return outcome;
}

function isResult(value: unknown): value is ResizeResult {
  return typeof value === 'object' && value !== null && 'outcome' in value;
}

describe.each(scenarios)('crash and resume: $name', ({ name, world: worldOptions }) => {
  const boundaries: string[] = [];
  let calls: string[] = [];

  it('runs cleanly (the reference run)', async () => {
    const world = await World.create(worldOptions);
    const events = resizeEmitter();
    events.on('step', (e) => e.state === 'done' && boundaries.push(e.id));
    const result = await resizeVolumes(options(world), events);
    expect(result.outcome).toBe('resized');
    calls = world.port.calls.map((c) => `${c.verb} ${c.kind}${c.name ? ` ${c.name}` : ''}`);
    coverage[name] = { boundaries, calls, cases: 0 };
    await expectRightEnd(world, `${name} @reference`, worldOptions.retention);
  });

  it('resumes after a stop at every step boundary', async () => {
    expect(boundaries.length).toBeGreaterThan(3);
    for (let k = 1; k <= boundaries.length; k++) {
      const world = await World.create(worldOptions);
      const abort = new AbortController();
      const events = resizeEmitter();
      let done = 0;
      events.on('step', (e) => {
        if (e.state === 'done' && ++done === k) abort.abort();
      });
      const first = await resizeVolumes(options(world, abort.signal), events).catch(
        (e: unknown) => e,
      );
      expect(first).toBeInstanceOf(ResizeInterruptedError);
      await runToEnd(world, first);
      await expectRightEnd(
        world,
        `${name} @boundary ${boundaries[k - 1] ?? k}`,
        worldOptions.retention,
      );
      coverage[name]!.cases++;
    }
  }, 600_000);

  it.each(['before', 'after'] as const)(
    'resumes after a fault in each API call in turn (%s the server applies it)',
    async (mode) => {
      expect(calls.length).toBeGreaterThan(10);
      for (let call = 0; call < calls.length; call++) {
        const world = await World.create(worldOptions);
        world.port.crash = { call, mode };
        const first = await resizeVolumes(options(world)).catch((e: unknown) => e);
        world.port.crash = undefined;
        await runToEnd(world, first);
        await expectRightEnd(
          world,
          `${name} @call ${call} (${calls[call] ?? ''}) ${mode}`,
          worldOptions.retention,
        );
        coverage[name]!.cases++;
      }
    },
    600_000,
  );
});
