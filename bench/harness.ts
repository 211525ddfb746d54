/**
 * A tiny benchmark harness: warm-up, time-boxed samples with a minimum iteration count, the median
 * of several samples, heap bytes allocated per operation, and ratios against a baseline.
 *
 * Absolute numbers depend on the machine and on whatever else it is running, so every benchmark
 * measures a baseline in the same process, right next to the code under test, and reports the
 * ratio; nothing here asserts a time. The median (not the mean) keeps one sample disturbed by a
 * neighbour's build or a major GC from moving the result.
 *
 * Heap allocation is `process.memoryUsage().heapUsed` after minus before N iterations, plus what
 * every garbage collection during those iterations freed (from `v8.GCProfiler`). The raw delta
 * alone undercounts by orders of magnitude as soon as a scavenge runs inside the window, which for
 * anything that clones a pod template happens within a few hundred iterations. `global.gc()` (run
 * with `node --expose-gc`, as `npm run bench` does) starts each window from a collected heap.
 */
import v8 from 'node:v8';

/** How long and how often to sample; the defaults keep one contender under a second. */
export interface MeasureOptions {
  /** Time spent running the operation before anything is recorded (JIT, caches). */
  warmupMs?: number;
  /** Minimum duration of one timing sample. */
  sampleMs?: number;
  /** A sample never ends before this many iterations, however slow the operation. */
  minIterations?: number;
  /** Number of timing samples; the median is reported. */
  samples?: number;
  /** Number of heap windows; the median bytes per operation is reported. */
  heapSamples?: number;
  /** Runs before each sample and heap window, untimed: e.g. a fresh store so history stays small. */
  beforeSample?: () => void | Promise<void>;
}

/** The result of measuring one contender. */
export interface Measurement {
  readonly name: string;
  /** Median operations per second over the samples. */
  readonly opsPerSec: number;
  /** Median heap bytes allocated per operation over the heap windows. */
  readonly heapBytesPerOp: number;
  /** Operations timed, over all samples. */
  readonly iterations: number;
  /** Ops/sec of each sample, in order, to judge the spread. */
  readonly sampleOpsPerSec: readonly number[];
}

const DEFAULTS: Required<Omit<MeasureOptions, 'beforeSample'>> = {
  warmupMs: 100,
  sampleMs: 100,
  minIterations: 20,
  samples: 5,
  heapSamples: 3,
};

/** A batch runner: runs the operation `n` times, returns elapsed nanoseconds. */
type Batch = (n: number) => Promise<number>;

/** Keeps results reachable so the engine cannot discard the work that produced them. */
let sink: unknown;

/** The value the last measured operation returned (for a sanity check after measuring). */
export function lastResult(): unknown {
  return sink;
}

/** Measures a synchronous operation. */
export function measure(
  name: string,
  op: () => unknown,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const batch: Batch = (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = op();
    return Promise.resolve(Number(process.hrtime.bigint() - start));
  };
  return run(name, batch, options);
}

/** Measures an asynchronous operation, awaiting each call before the next. */
export function measureAsync(
  name: string,
  op: () => Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Measurement> {
  const batch: Batch = async (n) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sink = await op();
    return Number(process.hrtime.bigint() - start);
  };
  return run(name, batch, options);
}

async function run(name: string, batch: Batch, options: MeasureOptions): Promise<Measurement> {
  const o = { ...DEFAULTS, ...options };
  await options.beforeSample?.();
  const perOpNs = await warmUp(batch, o.warmupMs * 1e6, o.minIterations);
  // Check the clock about once per millisecond, not once per call.
  const batchSize = Math.max(1, Math.round(1e6 / perOpNs));

  const sampleOpsPerSec: number[] = [];
  let iterations = 0;
  for (let s = 0; s < o.samples; s++) {
    await options.beforeSample?.();
    collectGarbage();
    let count = 0;
    let elapsed = 0;
    while (elapsed < o.sampleMs * 1e6 || count < o.minIterations) {
      elapsed += await batch(batchSize);
      count += batchSize;
    }
    iterations += count;
    sampleOpsPerSec.push(count / (elapsed / 1e9));
  }

  // A heap window of about 30 ms of work, never fewer than minIterations operations.
  const heapIterations = Math.max(o.minIterations, Math.round(30e6 / perOpNs));
  const perOp: number[] = [];
  for (let s = 0; s < o.heapSamples; s++) {
    await options.beforeSample?.();
    perOp.push((await allocatedBytes(batch, heapIterations)) / heapIterations);
  }
  return {
    name,
    opsPerSec: median(sampleOpsPerSec),
    heapBytesPerOp: median(perOp),
    iterations,
    sampleOpsPerSec,
  };
}

/** Runs for `ns` and at least `minIterations`; returns the observed nanoseconds per operation. */
async function warmUp(batch: Batch, ns: number, minIterations: number): Promise<number> {
  let count = 0;
  let elapsed = 0;
  let size = 1;
  while (elapsed < ns || count < minIterations) {
    elapsed += await batch(size);
    count += size;
    size = Math.min(size * 2, 1024);
  }
  return Math.max(1, elapsed / count);
}

/** Heap bytes allocated by `n` operations: the heapUsed delta plus what GCs freed meanwhile. */
async function allocatedBytes(batch: Batch, n: number): Promise<number> {
  collectGarbage();
  const profiler = new v8.GCProfiler();
  const before = process.memoryUsage().heapUsed;
  profiler.start();
  await batch(n);
  const after = process.memoryUsage().heapUsed;
  const stats = profiler.stop();
  let freed = 0;
  for (const gc of stats.statistics) {
    freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize;
  }
  return Math.max(0, after - before + freed);
}

/** Whether `global.gc` is available (node --expose-gc); heap numbers are noisier without it. */
export function gcExposed(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function';
}

function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] ?? NaN;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] ?? NaN) + hi) / 2;
}

/** `2.35x`: how many times `value` is `baseline`; above 1 means more (slower, or more bytes). */
export function ratio(value: number, baseline: number): string {
  if (!Number.isFinite(value) || !Number.isFinite(baseline) || baseline === 0) return 'n/a';
  const r = value / baseline;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/**
 * Time per operation relative to the baseline (baseline ops/sec over ours): 3.00x means each of
 * our operations takes three times as long as one baseline operation.
 */
export function timeRatio(ours: Measurement, baseline: Measurement): string {
  return ratio(baseline.opsPerSec, ours.opsPerSec);
}

/** Heap bytes per operation relative to the baseline. */
export function heapRatio(ours: Measurement, baseline: Measurement): string {
  return ratio(ours.heapBytesPerOp, baseline.heapBytesPerOp);
}

/** `12,345`: operations per second, rounded, with thousands separators. */
export function formatOps(opsPerSec: number): string {
  return Math.round(opsPerSec).toLocaleString('en-US');
}

/** `812 B`, `3.4 KB`, `1.25 MB`: bytes for a table cell. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
}

/** A plain-text table with a title, right-aligned columns after the first. */
export function table(title: string, header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [title, line(header), rule, ...rows.map(line)].join('\n');
}

/** Table rows for one case: each contender's speed and heap, as ratios to the baseline. */
export function comparisonRows(
  name: string,
  contenders: readonly Measurement[],
  baseline: Measurement,
): string[][] {
  return contenders.map((m, i) => [
    i === 0 ? name : '',
    m.name,
    formatOps(m.opsPerSec),
    timeRatio(m, baseline),
    formatBytes(m.heapBytesPerOp),
    heapRatio(m, baseline),
  ]);
}
