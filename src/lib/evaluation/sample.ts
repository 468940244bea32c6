// A stratified, seeded sample of passages: a quota per document, taken in turns, so every document is represented.

/** One document's passages, in reading order. */
export interface SampleDocument {
  docId: string;
  chunkIds: readonly string[];
}

export interface SampleOptions {
  /** Passages taken from each document at most (a document with fewer gives all of its own). */
  perDocument: number;
  /** Passages in all at most; documents take turns, so up to `max` documents get at least one. Default: no cap. */
  max?: number;
  /** Same seed, same documents: same sample. */
  seed: number;
}

export interface SampledPassage {
  docId: string;
  chunkId: string;
}

/** mulberry32: a small, well-known 32-bit PRNG; enough to pick passages reproducibly (not for secrets). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The first `k` items of a seeded Fisher–Yates shuffle of `items` (a uniform sample without replacement). */
function pick<T>(items: readonly T[], k: number, random: () => number): T[] {
  const a = [...items];
  const n = Math.min(k, a.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}

/**
 * Passages to write questions for, stratified by document: each document gives min(perDocument, its passages),
 * picked at random with the seed, and the result interleaves the documents (round i holds each document's i-th pick),
 * so a cap or a cancelled run still covers as many documents as it can. The documents' turn order is itself shuffled
 * with the seed (after sorting by id, so the listing order does not matter): under a cap, which documents get a
 * passage varies with the seed instead of always being the first by id.
 */
export function samplePassages(docs: readonly SampleDocument[], options: SampleOptions): SampledPassage[] {
  const random = seededRandom(options.seed);
  const byId = [...docs].sort((a, b) => (a.docId < b.docId ? -1 : a.docId > b.docId ? 1 : 0));
  const sorted = pick(byId, byId.length, random);
  const picks = sorted.map((d) => pick(d.chunkIds, Math.max(0, options.perDocument), random));
  const out: SampledPassage[] = [];
  const max = options.max ?? Infinity;
  const rounds = Math.max(0, ...picks.map((p) => p.length));
  for (let round = 0; round < rounds && out.length < max; round++) {
    sorted.forEach((d, i) => {
      const chunkId = picks[i]![round];
      if (chunkId !== undefined && out.length < max) out.push({ docId: d.docId, chunkId });
    });
  }
  return out;
}
