/**
 * How fast is FakeCluster, and does it stay that way as a test stores more objects? Its get,
 * list and patch are measured with 1, 100 and 1000 StatefulSets stored, next to the simplest store
 * with the same copy-in/copy-out contract: a Map whose reads and writes `structuredClone`, with an
 * RFC 7386 merge patch for writes. The difference is what the fake's fidelity costs (request log,
 * strategic merge, validation, normalization, resourceVersions, watch history); the ratio at 1000
 * objects over the ratio at 1 shows whether that cost grows with the store.
 *
 * Before timing, each size checks that both stores return the same object for get, the same
 * items for list, and the same spec after the same patch.
 */
import { describe, expect, it } from '@jest/globals';
import type { ObjectRef, Patch, TypeRef } from '../lib/kube/port.js';
import type { JsonValue, KubeObject, StatefulSet } from '../lib/kube/types.js';
import { FakeCluster } from '../lib/testing/fake-cluster.js';
import { charmStatefulSet } from './fixtures.js';
import {
  formatBytes,
  formatOps,
  gcExposed,
  heapRatio,
  lastResult,
  measureAsync,
  ratio,
  table,
  timeRatio,
  type Measurement,
  type MeasureOptions,
} from './harness.js';

const SIZES = [1, 100, 1000] as const;
const NAMESPACE = 'media';
const STATEFULSETS: TypeRef = { apiVersion: 'apps/v1', kind: 'StatefulSet' };
const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** A pod-template annotation change: a real write (new generation, new revision) every time. */
function restartBody(stamp: string): JsonValue {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: stamp } } } } };
}

/** The same change as the strategic merge patch a controller sends to the fake. */
function restartPatch(stamp: string): Patch {
  return { type: 'strategic', body: restartBody(stamp) as Record<string, unknown> };
}

function refOf(name: string): ObjectRef {
  return { ...STATEFULSETS, namespace: NAMESPACE, name };
}

/** Names sort like the fake's etcd key order, so both stores list in the same order. */
function nameOf(i: number): string {
  return `app-${String(i).padStart(4, '0')}`;
}

/** The baseline: what a store that only copies in and out costs. */
class CloneMapStore {
  private readonly objects = new Map<string, KubeObject>();
  private revision = 0;

  constructor(objects: readonly KubeObject[]) {
    for (const o of objects) this.objects.set(keyOf(o.metadata.namespace, o.metadata.name), o);
  }

  async get(ref: ObjectRef): Promise<KubeObject> {
    const found = this.objects.get(keyOf(ref.namespace, ref.name));
    if (!found) throw new Error(`not found: ${ref.name}`);
    return structuredClone(found);
  }

  async list(): Promise<{ items: KubeObject[] }> {
    return { items: [...this.objects.values()].map((o) => structuredClone(o)) };
  }

  async patch(ref: ObjectRef, body: JsonValue): Promise<KubeObject> {
    const key = keyOf(ref.namespace, ref.name);
    const found = this.objects.get(key);
    if (!found) throw new Error(`not found: ${ref.name}`);
    const next = mergePatch(found, body) as KubeObject;
    next.metadata.resourceVersion = String(++this.revision);
    this.objects.set(key, next);
    return structuredClone(next);
  }
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/** RFC 7386 on a copy: objects merge, `null` deletes, anything else replaces. */
function mergePatch(target: unknown, patch: JsonValue): JsonValue {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return structuredClone(patch);
  }
  const isMap = target !== null && typeof target === 'object' && !Array.isArray(target);
  const out = (isMap ? structuredClone(target) : {}) as Record<string, JsonValue>;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** A fresh FakeCluster holding `size` StatefulSets. */
function fakeWith(size: number): FakeCluster {
  const objects = Array.from({ length: size }, (_, i) => charmStatefulSet(nameOf(i), NAMESPACE));
  return new FakeCluster({ objects });
}

/** The baseline holds what the fake stored (uid, generation, resourceVersion filled in). */
function baseFrom(fake: FakeCluster): CloneMapStore {
  return new CloneMapStore(fake.objects(STATEFULSETS, NAMESPACE));
}

interface Row {
  readonly size: number;
  readonly op: string;
  readonly fake: Measurement;
  readonly base: Measurement;
}

/** Fewer, shorter samples for whole-store lists: one list of 1000 copies takes milliseconds. */
function optionsFor(op: string, size: number): MeasureOptions {
  return op === 'list' && size >= 1000 ? { minIterations: 5, samples: 3, heapSamples: 1 } : {};
}

async function measureSize(size: number): Promise<Row[]> {
  let fake = fakeWith(size);
  const base = baseFrom(fake);
  const target = refOf(nameOf(size - 1));

  // Correctness first: the two stores answer alike.
  expect(await fake.get(target)).toStrictEqual(await base.get(target));
  expect((await fake.list(STATEFULSETS, { namespace: NAMESPACE })).items).toStrictEqual(
    (await base.list()).items,
  );
  const patchedFake = await fake.patch<StatefulSet>(target, restartPatch('check'));
  const patchedBase = (await base.patch(target, restartBody('check'))) as StatefulSet;
  expect(patchedFake.spec).toStrictEqual(patchedBase.spec);
  expect(patchedFake.spec.template.metadata?.annotations?.[RESTARTED_AT]).toBe('check');
  expect(patchedFake.metadata.generation).toBe(4); // the fixture's 3, bumped by a spec change
  expect(fake.writes()).toHaveLength(1);

  const rows: Row[] = [];
  const freshFake = (): void => {
    fake = fakeWith(size);
  };
  // Reads only grow the request log; clear it between samples.
  const clearLog = (): void => fake.clearRequests();
  const listOptions = { namespace: NAMESPACE };
  rows.push({
    size,
    op: 'get',
    fake: await measureAsync('fake', () => fake.get(target), { beforeSample: clearLog }),
    base: await measureAsync('base', () => base.get(target)),
  });
  // The baseline's last read is the object patched above; its metadata differs (own counter).
  expect((lastResult() as StatefulSet).spec).toStrictEqual(
    (await fake.get<StatefulSet>(target)).spec,
  );
  rows.push({
    size,
    op: 'list',
    fake: await measureAsync('fake', () => fake.list(STATEFULSETS, listOptions), {
      ...optionsFor('list', size),
      beforeSample: clearLog,
    }),
    base: await measureAsync('base', () => base.list(), optionsFor('list', size)),
  });
  // Every patch is a real write; a fresh fake per sample keeps its watch history and log short.
  let n = 0;
  rows.push({
    size,
    op: 'patch',
    fake: await measureAsync('fake', () => fake.patch(target, restartPatch(String(++n))), {
      beforeSample: freshFake,
    }),
    base: await measureAsync('base', () => base.patch(target, restartBody(String(++n)))),
  });
  // Each patch above was a write the fake accepted and logged.
  expect(fake.writes().length).toBeGreaterThan(0);
  expect(fake.writes().every((w) => w.status === 200)).toBe(true);
  return rows;
}

describe('FakeCluster vs a Map of structuredClone copies', () => {
  it('get / list / patch with 1, 100 and 1000 StatefulSets; prints ratios', async () => {
    const rows: Row[] = [];
    for (const size of SIZES) rows.push(...(await measureSize(size)));

    const byOp = (op: string, size: number): Row => {
      const row = rows.find((r) => r.op === op && r.size === size);
      if (!row) throw new Error(`no measurement for ${op} at ${size}`);
      return row;
    };
    const detail = rows.map((r) => [
      r.op,
      String(r.size),
      formatOps(r.fake.opsPerSec),
      formatOps(r.base.opsPerSec),
      timeRatio(r.fake, r.base),
      formatBytes(r.fake.heapBytesPerOp),
      formatBytes(r.base.heapBytesPerOp),
      heapRatio(r.fake, r.base),
    ]);
    const first = SIZES[0];
    const last = SIZES[2];
    const scaling = ['get', 'list', 'patch'].map((op) => {
      const small = byOp(op, first);
      const large = byOp(op, last);
      const timeVsBase = (r: Row): number => r.base.opsPerSec / r.fake.opsPerSec;
      return [
        op,
        ratio(small.fake.opsPerSec, large.fake.opsPerSec),
        ratio(small.base.opsPerSec, large.base.opsPerSec),
        ratio(timeVsBase(large), timeVsBase(small)),
      ];
    });

    console.log(
      [
        table(
          `FakeCluster vs Map+structuredClone, StatefulSets stored (time and heap: x the baseline; ` +
            `gc ${gcExposed() ? 'on' : 'off'})`,
          [
            'op',
            'objects',
            'fake ops/s',
            'base ops/s',
            'time vs base',
            'fake heap',
            'base heap',
            'heap vs base',
          ],
          detail,
        ),
        '',
        table(
          `scaling from ${first} to ${last} objects (time per op at ${last} / at ${first}; ` +
            `last column: the time-vs-base ratio at ${last} / at ${first}, 1.00x = overhead does not grow)`,
          ['op', 'fake', 'base', 'overhead growth'],
          scaling,
        ),
      ].join('\n'),
    );
  });
});
