// The import queue's overall line: files done of total, throughput and time left, from each file's start and end times.

/** What the rate needs of a queue item; times in ms from one clock (performance.now()). */
export interface TimedItem {
  /** Whether the file is finished (added, failed, cancelled or skipped); or ask importRate's `isFinished`. */
  finished?: boolean;
  size: number;
  /** 0..1 within the file's work. */
  fraction: number;
  /** When the worker began the file; null if it never did (still waiting, or cancelled before its turn). */
  startedAt: number | null;
  /** When the file finished; null while it is not. */
  finishedAt: number | null;
}

export interface ImportRate {
  done: number;
  total: number;
  /** 0..1 of the whole queue's work: the mean of the items' fractions (0 for an empty queue). */
  fraction: number;
  /** Files the worker finished per minute of its work; null before the first one. */
  filesPerMinute: number | null;
  /** Bytes of those files per second of work; null before the first one. */
  bytesPerSecond: number | null;
  /** Estimated time until the queue is through, in ms; null until two files were timed, or when nothing is left. */
  leftMs: number | null;
}

/** The sums a rate is made of: kept as files change by the import queue, or counted over a list by importRate. */
export interface RateTotals {
  done: number;
  total: number;
  /** Sum of every item's fraction. */
  fractions: number;
  /** Unfinished items, and the sum of their fractions (each clamped to 0..1). */
  open: number;
  openFractions: number;
  /** Finished items with both times, their summed start-to-end time (ms) and bytes. */
  timed: number;
  busyMs: number;
  bytes: number;
}

/**
 * Files are imported one at a time, so the worker's time is the sum of each timed file's start-to-end time (idle
 * gaps between batches do not count). Time left: the mean time per file times the work still to do (each unfinished
 * file counts 1 − its fraction).
 */
export function rateOf(t: RateTotals): ImportRate {
  const measured = t.timed > 0 && t.busyMs > 0;
  const remaining = t.open - t.openFractions;
  return {
    done: t.done,
    total: t.total,
    fraction: t.total ? t.fractions / t.total : 0,
    filesPerMinute: measured ? (t.timed / t.busyMs) * 60_000 : null,
    bytesPerSecond: measured ? (t.bytes / t.busyMs) * 1000 : null,
    // A float leftover of the running sums is not work left.
    leftMs: measured && t.timed >= 2 && remaining > 1e-9 ? (t.busyMs / t.timed) * remaining : null,
  };
}

/**
 * The rate of a list, counted in one pass that reads each item's fields once and copies nothing (items may be
 * reactive proxies). The library keeps the same sums as files change instead (import-queue.ts); this full count is
 * the reference its tests compare against.
 */
export function importRate<T extends TimedItem>(
  items: readonly T[],
  isFinished: (item: T) => boolean = (q) => q.finished === true,
): ImportRate {
  const t: RateTotals = {
    done: 0,
    total: items.length,
    fractions: 0,
    open: 0,
    openFractions: 0,
    timed: 0,
    busyMs: 0,
    bytes: 0,
  };
  for (const q of items) {
    const finished = isFinished(q);
    const fraction = q.fraction;
    t.fractions += fraction;
    if (!finished) {
      t.open++;
      t.openFractions += Math.min(1, Math.max(0, fraction));
      continue;
    }
    t.done++;
    const startedAt = q.startedAt;
    const finishedAt = q.finishedAt;
    if (startedAt !== null && finishedAt !== null) {
      t.timed++;
      t.busyMs += Math.max(0, finishedAt - startedAt);
      t.bytes += q.size;
    }
  }
  return rateOf(t);
}

const perMinute = (n: number) => (n >= 10 ? Math.round(n).toString() : n.toFixed(1));
const perSecond = (b: number) =>
  b >= 1e5 ? `${(b / 1e6).toFixed(1)} MB/s` : `${Math.max(1, Math.round(b / 1e3))} KB/s`;

/** "about 40 s left", "about 3 min left", "about 1 h 20 min left". */
export function timeLeft(ms: number): string {
  return `${about(ms)} left`;
}

/** "about 40 s", "about 3 min", "about 1 h 5 min". */
function about(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `about ${Math.max(5, Math.ceil(s / 5) * 5)} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `about ${min} min`;
  return `about ${Math.floor(min / 60)} h ${min % 60} min`;
}

/** The estimate an OCR offer shows: "About 40 s." */
export function describeEstimate(seconds: number): string {
  const text = about(seconds * 1000);
  return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
}

/** "3 of 10 files · 12 files/min · 0.4 MB/s · about 1 min left" (the parts known so far). */
export function describeImportRate(r: ImportRate): string {
  const parts = [`${r.done} of ${r.total} ${r.total === 1 ? 'file' : 'files'}`];
  if (r.filesPerMinute !== null) parts.push(`${perMinute(r.filesPerMinute)} files/min`);
  if (r.bytesPerSecond !== null) parts.push(perSecond(r.bytesPerSecond));
  if (r.leftMs !== null) parts.push(timeLeft(r.leftMs));
  return parts.join(' · ');
}
