// The import queue's items with their rate counters and row indexes kept as they change: O(1) per update, not O(queue).
import { rateOf, type RateTotals, type ImportRate, type TimedItem } from './import-rate';
import { QUEUE_ROWS, queueView, type QueueView } from './queue-view';

/** What the queue needs of an item: a key (increasing in queue order), a stage, and the rate's fields. */
export interface QueuedItem extends TimedItem {
  key: number;
  stage: string;
}

const FINISHED = new Set(['done', 'error', 'cancelled', 'skipped']);

/** Whether an item's file has reached an end (added, failed, cancelled or skipped). */
export const isFinished = (item: { stage: string }): boolean => FINISHED.has(item.stage);

/** Which part of a summarized queue an item belongs to: added files are counted, waiting ones fill the room left. */
type Group = 'added' | 'waiting' | 'eyes';
const groupOf = (stage: string): Group => (stage === 'done' ? 'added' : stage === 'waiting' ? 'waiting' : 'eyes');

/** Stale keys tolerated inside an ordered list before it is compacted (bounds a scan's skips). */
const MAX_STALE = 64;

/**
 * Keys in increasing order with cheap removal: from the front (the next waiting file starts) or the back (the file
 * being imported finishes) in O(1); elsewhere (a waiting file cancelled) marked stale and compacted every
 * MAX_STALE removals, so `first(k)` skips at most MAX_STALE keys.
 */
export class OrderedKeys {
  private keys: number[] = [];
  private head = 0;
  private readonly stale = new Set<number>();

  get size(): number {
    return this.keys.length - this.head - this.stale.size;
  }

  add(key: number): void {
    const keys = this.keys;
    if (this.head === keys.length || key > keys[keys.length - 1]!) {
      keys.push(key);
      return;
    }
    this.stale.delete(key);
    // Out of order (rare: a waiting file cancelled before the file being imported ends): binary insertion.
    let lo = this.head;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    if (keys[lo] !== key) keys.splice(lo, 0, key);
  }

  delete(key: number): void {
    const keys = this.keys;
    if (this.head < keys.length && keys[keys.length - 1] === key) keys.pop();
    else if (this.head < keys.length && keys[this.head] === key) this.head++;
    else this.stale.add(key);
    this.trim();
    if (this.stale.size >= MAX_STALE) this.compact();
  }

  /** The first `k` keys, in order. */
  first(k: number): number[] {
    const out: number[] = [];
    for (let i = this.head; i < this.keys.length && out.length < k; i++) {
      const key = this.keys[i]!;
      if (!this.stale.has(key)) out.push(key);
    }
    return out;
  }

  /** Drops stale keys at either end, and the consumed front once it is most of the array. */
  private trim(): void {
    const keys = this.keys;
    while (this.head < keys.length && this.stale.delete(keys[this.head]!)) this.head++;
    while (this.head < keys.length && this.stale.delete(keys[keys.length - 1]!)) keys.pop();
    if (this.head === keys.length) {
      this.keys = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > keys.length) {
      this.keys = keys.slice(this.head);
      this.head = 0;
    }
  }

  private compact(): void {
    this.keys = this.keys.slice(this.head).filter((k) => !this.stale.has(k));
    this.head = 0;
    this.stale.clear();
  }
}

/** The rate's running sums, one item's share added (sign 1) or taken away (sign −1). */
function account(t: RateTotals, q: TimedItem, finished: boolean, sign: 1 | -1): void {
  t.total += sign;
  t.fractions += sign * q.fraction;
  if (!finished) {
    t.open += sign;
    t.openFractions += sign * Math.min(1, Math.max(0, q.fraction));
    return;
  }
  t.done += sign;
  if (q.startedAt !== null && q.finishedAt !== null) {
    t.timed += sign;
    t.busyMs += sign * Math.max(0, q.finishedAt - q.startedAt);
    t.bytes += sign * q.size;
  }
}

const emptyTotals = (): RateTotals => ({
  ...{ done: 0, total: 0, fractions: 0, open: 0, openFractions: 0 },
  ...{ timed: 0, busyMs: 0, bytes: 0 },
});

/**
 * The queue as plain data (the UI's reactivity is a version counter its owner bumps): items in order, by key, the
 * rate's sums, and the ordered keys of waiting files and of the rows needing the user's eyes (importing, asking,
 * failed, cancelled, skipped). Adding files is one pass with no copies; replacing an item, O(1) amortized; a
 * summarized view, O(limit). Only clearing the finished rows is a pass over the queue (a click).
 */
export class ImportQueue<T extends QueuedItem> {
  private items: T[] = [];
  private readonly byKey = new Map<number, T>();
  private totals = emptyTotals();
  private added = 0;
  private waiting = new OrderedKeys();
  private eyes = new OrderedKeys();

  get length(): number {
    return this.items.length;
  }

  /** Every item, in queue order (do not edit: `replace` keeps the indexes). */
  all(): readonly T[] {
    return this.items;
  }

  get(key: number): T | undefined {
    return this.byKey.get(key);
  }

  /** Appends items (keys larger than any queued). */
  add(items: readonly T[]): void {
    for (const item of items) {
      this.items.push(item);
      this.byKey.set(item.key, item);
      account(this.totals, item, isFinished(item), 1);
      this.enter(item);
    }
  }

  /** Puts `next` in place of the item with its key (nothing if there is none). */
  replace(next: T): void {
    const prev = this.byKey.get(next.key);
    if (!prev) return;
    this.byKey.set(next.key, next);
    // The item's place: its key's index, found by binary search (keys increase in queue order).
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (items[mid]!.key < next.key) lo = mid + 1;
      else hi = mid;
    }
    items[lo] = next;
    const was = groupOf(prev.stage);
    const is = groupOf(next.stage);
    account(this.totals, prev, isFinished(prev), -1);
    account(this.totals, next, isFinished(next), 1);
    this.settle();
    if (was === is) return;
    this.leave(prev);
    this.enter(next);
  }

  /** Keeps only the items `keep` accepts (one pass; indexes rebuilt). */
  retain(keep: (item: T) => boolean): void {
    const items = this.items.filter(keep);
    this.items = [];
    this.byKey.clear();
    this.totals = emptyTotals();
    this.added = 0;
    this.waiting = new OrderedKeys();
    this.eyes = new OrderedKeys();
    this.add(items);
  }

  /** Files done of total, overall fraction, throughput and time left. */
  rate(): ImportRate {
    return rateOf(this.totals);
  }

  /** The rows to draw (see queueView): a short queue whole; a long one from the indexes, in O(limit). */
  view(limit = QUEUE_ROWS): QueueView<T> {
    if (this.items.length <= limit) return queueView(this.items, limit);
    const eyesRoom = Math.min(this.eyes.size, limit);
    const waitingKeys = this.waiting.first(limit - eyesRoom);
    const eyesKeys = this.eyes.first(eyesRoom);
    const shown: T[] = [];
    let w = 0;
    let e = 0;
    while (w < waitingKeys.length || e < eyesKeys.length) {
      const next = e >= eyesKeys.length || (w < waitingKeys.length && waitingKeys[w]! < eyesKeys[e]!);
      shown.push(this.byKey.get(next ? waitingKeys[w++]! : eyesKeys[e++]!)!);
    }
    return {
      shown,
      added: this.added,
      waiting: this.waiting.size - waitingKeys.length,
      others: this.eyes.size - eyesKeys.length,
    };
  }

  private enter(item: T): void {
    const group = groupOf(item.stage);
    if (group === 'added') this.added++;
    else if (group === 'waiting') this.waiting.add(item.key);
    else this.eyes.add(item.key);
  }

  private leave(item: T): void {
    const group = groupOf(item.stage);
    if (group === 'added') this.added--;
    else if (group === 'waiting') this.waiting.delete(item.key);
    else this.eyes.delete(item.key);
  }

  /** Sums of nothing are exactly zero (no float residue: "time left" must vanish when every file is finished). */
  private settle(): void {
    if (this.totals.open === 0) this.totals.openFractions = 0;
    if (this.totals.total === 0) this.totals.fractions = 0;
    if (this.totals.timed === 0) {
      this.totals.busyMs = 0;
      this.totals.bytes = 0;
    }
  }
}
