// Import rate: files done of total, files per minute and bytes per second over the worker's time, and time left.
import { describe, expect, it } from 'vitest';
import { describeImportRate, importRate, timeLeft, type TimedItem } from '../../../src/lib/state/import-rate';

const done = (startedAt: number, finishedAt: number, size = 100_000): TimedItem => ({
  ...{ finished: true, size, fraction: 1, startedAt, finishedAt },
});
const waiting = (size = 100_000): TimedItem => ({
  finished: false,
  size,
  fraction: 0,
  startedAt: null,
  finishedAt: null,
});
const running = (startedAt: number, fraction: number): TimedItem => ({
  ...{ finished: false, size: 100_000, fraction, startedAt, finishedAt: null },
});

describe('importRate', () => {
  it('gives the overall fraction, zero for an empty queue, and asks isFinished when given', () => {
    expect(importRate([]).fraction).toBe(0);
    expect(importRate([done(0, 1000), running(1000, 0.5), waiting(), waiting()]).fraction).toBe(1.5 / 4);
    const queue = [
      { stage: 'done', size: 10, fraction: 1, startedAt: 0, finishedAt: 1000 },
      { stage: 'error', size: 10, fraction: 1, startedAt: 1000, finishedAt: 2000 },
      { stage: 'parsing', size: 10, fraction: 0.25, startedAt: 2000, finishedAt: null },
    ];
    const r = importRate(queue, (q) => q.stage === 'done' || q.stage === 'error');
    expect(r).toMatchObject({ done: 2, total: 3, filesPerMinute: 60, leftMs: 750 });
  });

  it('reads each item once, field by field, and never copies one (the queue it gets is a reactive proxy)', () => {
    const reads: string[] = [];
    let copies = 0;
    const watched = (item: TimedItem) =>
      new Proxy(item, {
        get: (t, key, r) => (reads.push(String(key)), Reflect.get(t, key, r)),
        ownKeys: (t) => (copies++, Reflect.ownKeys(t)),
      });
    const items = [done(0, 1000), done(1000, 2000), running(2000, 0.5), waiting()].map(watched);
    importRate(items);
    expect(copies).toBe(0);
    // finished, fraction, and for the finished ones startedAt, finishedAt and size.
    expect(reads.length).toBe(4 * 2 + 2 * 3);
  });

  it('knows no rate before a file finished', () => {
    const r = importRate([running(0, 0.5), waiting(), waiting()]);
    expect(r).toEqual({
      done: 0,
      total: 3,
      fraction: 0.5 / 3,
      filesPerMinute: null,
      bytesPerSecond: null,
      leftMs: null,
    });
    expect(describeImportRate(r)).toBe('0 of 3 files');
  });

  it('gives throughput after one file, and time left only after two', () => {
    const one = importRate([done(1000, 3000), running(3000, 0), waiting(), waiting()]);
    expect(one.filesPerMinute).toBe(30);
    expect(one.bytesPerSecond).toBe(50_000);
    expect(one.leftMs).toBeNull();

    // Two files in 4 s of work: 2 s a file; 2.5 files' work left (one half done, two waiting).
    const two = importRate([done(1000, 3000), done(3000, 5000), running(5000, 0.5), waiting(), waiting()]);
    expect(two.done).toBe(2);
    expect(two.total).toBe(5);
    expect(two.filesPerMinute).toBe(30);
    expect(two.leftMs).toBe(5000);
    expect(describeImportRate(two)).toBe('2 of 5 files · 30 files/min · 50 KB/s · about 5 s left');
  });

  it('does not count idle time between batches, nor files that never started', () => {
    const cancelledEarly: TimedItem = { finished: true, size: 5e6, fraction: 1, startedAt: null, finishedAt: null };
    // A batch at t=0 and another an hour later: 4 s of work in all.
    const r = importRate([done(0, 2000), done(3_600_000, 3_602_000), cancelledEarly, waiting()]);
    expect(r.done).toBe(3);
    expect(r.filesPerMinute).toBe(30);
    expect(r.bytesPerSecond).toBe(50_000);
    expect(r.leftMs).toBe(2000);
  });

  it('has nothing left once every file is finished', () => {
    const r = importRate([done(0, 1000, 2e6), done(1000, 2000, 2e6), done(2000, 3000, 2e6)]);
    expect(r.leftMs).toBeNull();
    expect(describeImportRate(r)).toBe('3 of 3 files · 60 files/min · 2.0 MB/s');
  });

  it('ignores a zero-length timing instead of dividing by zero', () => {
    const r = importRate([done(5, 5), waiting()]);
    expect(r.filesPerMinute).toBeNull();
    expect(r.leftMs).toBeNull();
  });
});

describe('timeLeft', () => {
  it('rounds to words a person reads', () => {
    expect(timeLeft(1200)).toBe('about 5 s left');
    expect(timeLeft(41_000)).toBe('about 45 s left');
    expect(timeLeft(150_000)).toBe('about 3 min left');
    expect(timeLeft(80 * 60_000)).toBe('about 1 h 20 min left');
  });
});
