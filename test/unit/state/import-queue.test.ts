// The import queue's kept sums and row indexes equal a full recount after any sequence of adds, updates and clears.
import { prng } from '../../e2e/fuzz-mutations';
import { describe, expect, it } from 'vitest';
import { ImportQueue, OrderedKeys, isFinished, type QueuedItem } from '../../../src/lib/state/import-queue';
import { importRate } from '../../../src/lib/state/import-rate';
import { queueView } from '../../../src/lib/state/queue-view';

interface Item extends QueuedItem {
  name: string;
}

const WORKING = ['reading', 'parsing', 'chunking', 'embedding', 'tokens', 'saving', 'asking'];
const ENDS = ['done', 'error', 'cancelled', 'skipped'];

/** The kept state against a full pass over the same items. */
function expectConsistent(q: ImportQueue<Item>, limit: number): void {
  const all = [...q.all()];
  const want = importRate(all, isFinished);
  const got = q.rate();
  expect(got.done).toBe(want.done);
  expect(got.total).toBe(want.total);
  expect(got.fraction).toBeCloseTo(want.fraction, 9);
  for (const k of ['filesPerMinute', 'bytesPerSecond', 'leftMs'] as const) {
    if (want[k] === null) expect(got[k]).toBeNull();
    else expect(got[k]).toBeCloseTo(want[k], 6);
  }
  const view = q.view(limit);
  const ref = queueView(all, limit);
  expect(view.shown.map((i) => i.key)).toEqual(ref.shown.map((i) => i.key));
  expect(view.shown).toEqual(ref.shown);
  expect({ ...view, shown: null }).toEqual({ ...ref, shown: null });
  for (const item of all) expect(q.get(item.key)).toBe(item);
}

describe('ImportQueue', () => {
  it('keeps sums and rows equal to a full recount through random adds, progress, ends, cancels and clears', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const random = prng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
      const limit = 1 + Math.floor(random() * 12);
      const q = new ImportQueue<Item>();
      let key = 1;
      let clock = 0;
      for (let step = 0; step < 300; step++) {
        clock += random() * 100;
        const r = random();
        const open = q.all().filter((i) => !isFinished(i));
        if (r < 0.12 || q.length === 0) {
          const n = 1 + Math.floor(random() * 8);
          q.add(
            Array.from({ length: n }, () => ({
              key: key++,
              name: `f${key}`,
              size: Math.floor(random() * 1e5),
              stage: 'waiting',
              fraction: 0,
              startedAt: null,
              finishedAt: null,
            })),
          );
        } else if (r < 0.6 && open.length) {
          // Progress on the first unfinished file (the worker's order) or, now and then, any one.
          const item = random() < 0.8 ? open[0]! : pick(open);
          q.replace({
            ...item,
            stage: pick(WORKING),
            fraction: random() < 0.05 ? random() * 1.4 - 0.2 : random(),
            startedAt: item.startedAt ?? clock,
          });
        } else if (r < 0.85 && open.length) {
          // A file ends: most after starting, some (cancelled while waiting) never started.
          const item = random() < 0.7 ? open[0]! : pick(open);
          const ended = random() < 0.5 ? 'done' : pick(ENDS);
          q.replace({
            ...item,
            stage: ended,
            fraction: 1,
            finishedAt: item.startedAt === null ? null : clock,
          });
        } else if (r < 0.9 && q.length) {
          // An item replaced with itself changed nothing (also a finished one: stage transitions are not assumed).
          q.replace({ ...pick(q.all()) });
        } else if (r < 0.93) {
          q.retain((i) => !isFinished(i));
        } else if (r < 0.95 && open.length) {
          q.replace({ ...open[0]!, key: key + 1000 } as Item);
        }
        expectConsistent(q, limit);
      }
    }
  });

  it('has no time left once every file is finished, however the sums were reached', () => {
    const q = new ImportQueue<Item>();
    const items = Array.from({ length: 50 }, (_, i) => ({
      ...{ key: i + 1, name: `f${i}`, size: 10, stage: 'waiting', fraction: 0 },
      ...{ startedAt: null, finishedAt: null },
    }));
    q.add(items);
    let t = 0;
    for (const item of items) {
      for (const f of [0.1, 0.3, 0.7, 0.9])
        q.replace({ ...q.get(item.key)!, stage: 'embedding', fraction: f, startedAt: t });
      q.replace({ ...q.get(item.key)!, stage: 'done', fraction: 1, finishedAt: (t += 7) });
    }
    expect(q.rate()).toMatchObject({ done: 50, total: 50, leftMs: null });
    expect(q.view(10)).toMatchObject({ shown: [], added: 50, waiting: 0, others: 0 });
  });

  it('draws a long queue from its indexes as queueView does: eyes first, then waiting files, in queue order', () => {
    const q = new ImportQueue<Item>();
    const stages = ['done', 'done', 'error', 'waiting', 'embedding', 'waiting', 'waiting', 'cancelled', 'waiting'];
    q.add(
      stages.map((stage, i) => ({
        ...{ key: i + 1, name: `f${i}`, size: 1, stage, fraction: isFinished({ stage }) ? 1 : 0 },
        ...{ startedAt: null, finishedAt: null },
      })),
    );
    const v = q.view(5);
    expect(v.shown.map((r) => r.key - 1)).toEqual([2, 3, 4, 5, 7]);
    expect(v).toMatchObject({ added: 2, waiting: 2, others: 0 });
  });

  it('adds 10,000 files and takes 20,000 updates and 10,000 views without a pass over the queue each time', () => {
    const n = 10_000;
    // Every queued item counts the reads of its stage: a pass over the waiting files would read 10,000 of them.
    let reads = 0;
    const q = new ImportQueue<Item>();
    q.add(
      Array.from({ length: n }, (_, i) => ({
        ...{ key: i + 1, name: `f${i}`, size: 1000, fraction: 0, startedAt: null, finishedAt: null },
        get stage() {
          reads++;
          return 'waiting';
        },
      })),
    );
    expect(reads).toBeLessThanOrEqual(4 * n);
    reads = 0;
    for (let i = 1; i <= n; i++) {
      q.replace({ ...q.get(i)!, stage: 'parsing', fraction: 0.5, startedAt: i });
      q.replace({ ...q.get(i)!, stage: 'done', fraction: 1, finishedAt: i + 1 });
      expect(q.view().shown).toHaveLength(Math.min(200, n - i));
      q.rate();
    }
    // Each original item is read a few times when it is replaced, never again.
    expect(reads).toBeLessThanOrEqual(4 * n);
    expect(q.rate()).toMatchObject({ done: n, total: n, leftMs: null, filesPerMinute: 60_000 });
  });
});

describe('OrderedKeys', () => {
  it('lists its keys in order after removals anywhere and re-insertions out of order', () => {
    const random = prng(42);
    const keys = new OrderedKeys();
    const ref = new Set<number>();
    let next = 1;
    for (let step = 0; step < 5000; step++) {
      const r = random();
      if (r < 0.4) {
        keys.add(next);
        ref.add(next++);
      } else if (r < 0.5 && next > 1) {
        const k = 1 + Math.floor(random() * (next - 1));
        if (!ref.has(k)) {
          keys.add(k);
          ref.add(k);
        }
      } else if (ref.size) {
        const sorted = [...ref].sort((a, b) => a - b);
        const k =
          random() < 0.5
            ? sorted[0]!
            : random() < 0.5
              ? sorted[sorted.length - 1]!
              : sorted[Math.floor(random() * sorted.length)]!;
        keys.delete(k);
        ref.delete(k);
      }
      const sorted = [...ref].sort((a, b) => a - b);
      expect(keys.size).toBe(sorted.length);
      expect(keys.first(7)).toEqual(sorted.slice(0, 7));
    }
    expect(keys.first(Infinity)).toEqual([...ref].sort((a, b) => a - b));
  });
});
