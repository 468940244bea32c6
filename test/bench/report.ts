// Benchmark plumbing: sizes from BENCH_SIZES, per-call latency capture, and `BENCH {json}` lines with baseline ratios.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { bench } from 'vitest';
import type { VoyIndex } from '../../src/lib/retrieval/voy-index';

/** Library sizes (chunks) to benchmark: BENCH_SIZES=10000,100000 by default. */
export const SIZES: number[] = (process.env.BENCH_SIZES ?? '10000,100000')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);

// A full GC before each bench, so one bench's garbage (Voy's JSON-like rows, say) is not collected on the next's time.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (() => void) | undefined;

/** 10000 → "10k". */
export function label(n: number): string {
  return n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);
}

/**
 * One JSON line per figure, prefixed so `grep '^BENCH '` collects them; the leading newline keeps vitest's colour
 * codes off the line.
 */
export function emit(record: Record<string, unknown>): void {
  console.log(`\nBENCH ${JSON.stringify(record)}`);
}

export interface Stats {
  samples: number;
  mean_ms: number;
  p50_ms: number;
  p99_ms: number;
  min_ms: number;
  max_ms: number;
}

export function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    samples: s.length,
    mean_ms: round(s.reduce((a, b) => a + b, 0) / s.length),
    p50_ms: round(at(0.5)),
    p99_ms: round(at(0.99)),
    min_ms: round(s[0] ?? NaN),
    max_ms: round(s[s.length - 1] ?? NaN),
  };
}

/** Every finished bench by "group › name", so later groups can state ratios to earlier ones. */
export const results = new Map<string, Stats>();

export interface RunOptions {
  /** Minimum measuring time (ms); tinybench also runs at least `iterations` times. */
  time: number;
  iterations: number;
  warmupIterations: number;
}

/**
 * Run lengths that keep `npm run bench` well under 5 minutes on 2 cores. Heavy benches (index builds, cold starts:
 * up to ~15 s a call for Voy at 100k) get 3 timed calls and no warm-up; queries get ≥ 0.8–1.5 s of samples.
 */
export function runOptions(size: number, heavy = false): RunOptions {
  if (heavy) return { time: 0, iterations: 3, warmupIterations: 0 };
  return size >= 50_000
    ? { time: 1500, iterations: 8, warmupIterations: 2 }
    : { time: 800, iterations: 10, warmupIterations: 3 };
}

export interface GroupHooks {
  /** Called when measuring starts (after warm-up): clear any side measurements. */
  reset?: () => void;
  /** Extra fields for the bench's line, e.g. per-stage timings. */
  extra?: () => Record<string, unknown>;
}

/**
 * A vitest bench group whose first bench is the baseline. Each bench also times its own calls (warm-up discarded)
 * and, when done, emits p50/p99/mean and the speed-up against the baseline: baseline time ÷ this time (> 1: faster).
 */
export class Group {
  private baseline: Stats | undefined;
  private first = true;

  /**
   * `prepare` runs before each bench of the group (it must be idempotent): heavy data is built when its group starts,
   * so a 10k group is not timed inside a heap that already holds the 100k data (bigger heap, slower GCs).
   */
  constructor(
    readonly name: string,
    private readonly fields: Record<string, unknown> = {},
    private readonly prepare: () => unknown = () => undefined,
  ) {}

  add(name: string, fn: () => unknown, options: RunOptions, hooks: GroupHooks = {}): void {
    const samples: number[] = [];
    // Process CPU time per call: on a shared machine, wall ≫ CPU means the figure waited for a core.
    const cpu: number[] = [];
    const isBaseline = this.first;
    this.first = false;
    // An async function: tinybench then skips its extra "is it async?" probe call, which would double slow benches.
    const timed = async (): Promise<void> => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const out = fn();
      if (out instanceof Promise) await out;
      samples.push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1000);
    };
    bench(name, timed, {
      time: options.time,
      iterations: options.iterations,
      warmupTime: 0,
      warmupIterations: options.warmupIterations,
      setup: async (_task, mode) => {
        await this.prepare();
        collectGarbage?.();
        if (mode !== 'run') return;
        samples.length = 0;
        cpu.length = 0;
        hooks.reset?.();
      },
      teardown: (_task, mode) => {
        if (mode !== 'run') return;
        const s = stats(samples);
        if (isBaseline) this.baseline = s;
        results.set(`${this.name} › ${name}`, s);
        const base = this.baseline;
        emit({
          group: this.name,
          name,
          ...this.fields,
          ...s,
          cpu_p50_ms: stats(cpu).p50_ms,
          ...(base && !isBaseline
            ? {
                speedup_vs_baseline_p50: round2(base.p50_ms / s.p50_ms),
                speedup_vs_baseline_mean: round2(base.mean_ms / s.mean_ms),
              }
            : {}),
          ...hooks.extra?.(),
        });
      },
    });
  }
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/**
 * Voy rows per add() call. A single VoyIndex.build() of 100k rows throws "`unwrap_throw` failed" inside voy-search
 * 0.6.3 (65,537 rows in one call work, 70,000 fail), so the benches build Voy in batches, as the app would have to.
 */
export const VOY_BATCH = 10_000;

/** VoyIndex.build in VOY_BATCH slices; the same contents as one build() call. */
export function buildVoy(voy: VoyIndex, ids: string[], data: Float32Array): void {
  const dims = voy.dims;
  voy.build(ids.slice(0, VOY_BATCH), data.subarray(0, VOY_BATCH * dims));
  for (let start = VOY_BATCH; start < ids.length; start += VOY_BATCH) {
    const end = Math.min(ids.length, start + VOY_BATCH);
    voy.add(ids.slice(start, end), data.subarray(start * dims, end * dims));
  }
}
