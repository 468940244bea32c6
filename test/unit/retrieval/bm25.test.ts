// BM25 index: hand-computed scores, incremental updates versus rebuild, and per-document postings.
import { describe, expect, it } from 'vitest';
import { Bm25Index, type Bm25Hit } from '../../../src/lib/retrieval/bm25';
import { seededRandom as prng } from '../../../src/lib/evaluation/sample';

const plain = { tokenize: { stopWords: false, stem: false } };

describe('Bm25Index scoring', () => {
  // d1: apple×2 banana (dl 3); d2: banana cherry (dl 2); d3: cherry×3 date (dl 4). N = 3, avgdl = 3.
  const index = new Bm25Index(plain);
  index.add('d1', 'apple banana apple');
  index.add('d2', 'banana cherry');
  index.add('d3', 'cherry cherry cherry date');
  const k1 = 0.9;
  const b = 0.4;
  const avgdl = 3;
  const idf = (df: number): number => Math.log(1 + (3 - df + 0.5) / (df + 0.5));
  const tfPart = (tf: number, dl: number): number => (tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * dl) / avgdl));

  it('matches the Lucene BM25 formula computed by hand', () => {
    const hits = index.search('apple cherry', { k: 10 });
    const expected: Bm25Hit[] = [
      { id: 'd1', score: idf(1) * tfPart(2, 3) }, // ln(8/3)·3.8/2.9 ≈ 1.2852
      { id: 'd3', score: idf(2) * tfPart(3, 4) }, // ln(1.6)·5.7/4.02 ≈ 0.6664
      { id: 'd2', score: idf(2) * tfPart(1, 2) }, // ln(1.6)·1.9/1.78 ≈ 0.5017
    ];
    expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id));
    hits.forEach((h, i) => expect(h.score).toBeCloseTo(expected[i]!.score, 12));
    expect(hits[0]!.score).toBeCloseTo(1.28523, 4);
  });

  it('counts a repeated query term once per occurrence and ignores unknown terms', () => {
    const [hit] = index.search('banana banana zebra', { k: 1 });
    expect(hit!.id).toBe('d2'); // shorter document wins at equal tf
    expect(hit!.score).toBeCloseTo(2 * idf(2) * tfPart(1, 2), 12);
    expect(index.search('zebra')).toEqual([]);
  });

  it('honours k and the filter', () => {
    expect(index.search('apple cherry', { k: 1 }).map((h) => h.id)).toEqual(['d1']);
    expect(index.search('apple cherry', { filter: (id) => id !== 'd1' }).map((h) => h.id)).toEqual(['d3', 'd2']);
    expect(index.search('apple', { k: 0 })).toEqual([]);
  });
});

function randomText(rand: () => number, words: number): string {
  const vocab = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}`);
  // Skewed word choice so some terms are common and some rare, as in real text.
  return Array.from({ length: words }, () => vocab[Math.floor(vocab.length * rand() ** 2)]!).join(' ');
}

function expectSameResults(a: Bm25Index, b: Bm25Index, queries: string[]): void {
  for (const q of queries) {
    const ha = a.search(q, { k: 20 });
    const hb = b.search(q, { k: 20 });
    expect(ha.map((h) => h.id)).toEqual(hb.map((h) => h.id));
    ha.forEach((h, i) => expect(h.score).toBeCloseTo(hb[i]!.score, 10));
  }
}

describe('Bm25Index updates and persistence', () => {
  const rand = prng(42);
  const docs = new Map<string, string>();
  for (let i = 0; i < 600; i++) docs.set(`doc${i}`, randomText(rand, 5 + Math.floor(rand() * 40)));
  const queries = Array.from({ length: 25 }, () => randomText(rand, 1 + Math.floor(rand() * 4)));

  it('gives the same results after incremental add/remove/replace as a fresh build', () => {
    const live = new Bm25Index();
    for (const [id, text] of docs) live.add(id, text);
    const final = new Map(docs);
    // Remove two thirds (enough to trigger compaction), then replace and re-add some.
    for (let i = 0; i < 600; i++) {
      if (i % 3 !== 0) {
        expect(live.remove(`doc${i}`)).toBe(true);
        final.delete(`doc${i}`);
      }
    }
    live.search('w1'); // compaction happens lazily on search
    for (let i = 0; i < 600; i += 9) {
      const text = randomText(rand, 20);
      live.add(`doc${i}`, text); // replaces
      final.set(`doc${i}`, text);
    }
    for (let i = 1; i < 600; i += 30) {
      live.add(`doc${i}`, docs.get(`doc${i}`)!);
      final.set(`doc${i}`, docs.get(`doc${i}`)!);
    }
    expect(live.remove('missing')).toBe(false);

    const rebuilt = new Bm25Index();
    for (const [id, text] of final) rebuilt.add(id, text);
    expect(live.size).toBe(final.size);
    expectSameResults(live, rebuilt, queries);
  });

  it('restores from per-document exports (exportDoc/importDoc)', () => {
    const index = new Bm25Index();
    for (const [id, text] of docs) index.add(id, text);
    const stored = [...docs.keys()].map((id) => structuredClone(index.exportDoc(id)!));
    const restored = new Bm25Index();
    for (const doc of stored) restored.importDoc(doc);
    expectSameResults(index, restored, queries);

    const one = new Bm25Index(plain);
    one.add('x', 'apple banana apple');
    expect(one.exportDoc('x')).toEqual({ id: 'x', length: 3, terms: ['apple', 'banana'], freqs: [2, 1] });
    expect(one.exportDoc('nope')).toBeUndefined();
  });
});

describe('Bm25Index postings snapshot (toPostings / fromPostings)', () => {
  const words =
    'ownership borrowing lifetimes traits closures iterators macros modules crates slices vectors strings'.split(' ');
  /** A seeded document of 5–40 words from a small vocabulary, so terms repeat across documents. */
  const doc = (i: number) => {
    let s = (i * 2654435761) >>> 0;
    const out: string[] = [];
    for (let n = 5 + (i % 36); n > 0; n--) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out.push(words[s % words.length]!, `w${s % 97}`);
    }
    return out.join(' ');
  };
  const queries = ['ownership traits', 'w3 w17 macros', 'slices strings vectors', 'w42', 'nothing here'];

  function original(): Bm25Index {
    const index = new Bm25Index();
    for (let i = 0; i < 300; i++) index.add(`c${i}`, doc(i));
    for (let i = 0; i < 300; i += 7) index.remove(`c${i}`);
    return index;
  }

  it('restores an index that ranks and scores exactly as the original', () => {
    const a = original();
    const p = a.toPostings();
    expect(p.ids).toHaveLength(a.size);
    const b = Bm25Index.fromPostings(p);
    expect(b.size).toBe(a.size);
    for (const q of queries) expect(b.search(q, { k: 20 })).toEqual(a.search(q, { k: 20 }));
  });

  it('keeps working after restore: removal, re-adding and export build the forward index on demand', () => {
    const a = original();
    const b = Bm25Index.fromPostings(a.toPostings());
    for (const index of [a, b]) {
      index.remove('c1');
      index.add('c2', 'ownership ownership rewritten');
      index.add('c1000', doc(1000));
      for (let i = 3; i < 300; i += 5) index.remove(`c${i}`);
    }
    for (const q of [...queries, 'rewritten']) expect(b.search(q, { k: 20 })).toEqual(a.search(q, { k: 20 }));
    const sorted = (d: ReturnType<Bm25Index['exportDoc']>) =>
      d && { ...d, pairs: d.terms.map((t, i) => `${t}:${d.freqs[i]}`).sort(), terms: [], freqs: [] };
    for (const id of ['c4', 'c2', 'c1000', 'c1']) expect(sorted(b.exportDoc(id))).toEqual(sorted(a.exportDoc(id)));
  });

  it('restores an index with no removals the same way (its posting lists are copied without compacting)', () => {
    const a = new Bm25Index();
    for (let i = 0; i < 120; i++) a.add(`c${i}`, doc(i));
    const b = Bm25Index.fromPostings(a.toPostings());
    for (const q of queries) expect(b.search(q, { k: 20 })).toEqual(a.search(q, { k: 20 }));
    b.remove('c3');
    a.remove('c3');
    for (const q of queries) expect(b.search(q, { k: 20 })).toEqual(a.search(q, { k: 20 }));
  });

  it('refuses postings whose parts disagree', () => {
    const p = original().toPostings();
    expect(() => Bm25Index.fromPostings({ ...p, lengths: p.lengths.subarray(1) })).toThrow(/inconsistent/);
    expect(() => Bm25Index.fromPostings({ ...p, offsets: p.offsets.subarray(1) })).toThrow(/inconsistent/);
  });
});
