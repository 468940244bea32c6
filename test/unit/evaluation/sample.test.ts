// The stratified passage sample: quotas per document, small documents represented, interleaving, determinism.
import { describe, expect, it } from 'vitest';
import { samplePassages, seededRandom, type SampleDocument } from '../../../src/lib/evaluation/sample';

const doc = (docId: string, n: number): SampleDocument => ({
  docId,
  chunkIds: Array.from({ length: n }, (_, i) => `${docId}:${i}`),
});
const DOCS = [doc('b', 40), doc('a', 2), doc('c', 10)];

describe('samplePassages', () => {
  it('takes the quota from each document, all of a small one, without repeats', () => {
    const s = samplePassages(DOCS, { perDocument: 3, seed: 7 });
    const per = (id: string) => s.filter((p) => p.docId === id);
    expect(
      per('a')
        .map((p) => p.chunkId)
        .sort(),
    ).toEqual(['a:0', 'a:1']);
    expect(per('b')).toHaveLength(3);
    expect(per('c')).toHaveLength(3);
    expect(new Set(s.map((p) => p.chunkId)).size).toBe(s.length);
    for (const p of s) expect(p.chunkId.startsWith(`${p.docId}:`)).toBe(true);
  });

  it('interleaves documents, so a cap still covers every document it can', () => {
    const s = samplePassages(DOCS, { perDocument: 5, seed: 1, max: 4 }).map((p) => p.docId);
    // One passage of each document first (in the seed's turn order), then the first document's second.
    expect([...s.slice(0, 3)].sort()).toEqual(['a', 'b', 'c']);
    expect(s[3]).toBe(s[0]);
    expect(samplePassages(DOCS, { perDocument: 5, seed: 1, max: 0 })).toEqual([]);
  });

  it('under a cap, which documents get a passage varies with the seed (not always the first by id)', () => {
    const many = Array.from({ length: 100 }, (_, i) => doc(`d${String(i).padStart(3, '0')}`, 5));
    const chosen = (seed: number) =>
      samplePassages(many, { perDocument: 3, max: 60, seed })
        .map((p) => p.docId)
        .sort()
        .join(',');
    const first60 = many
      .slice(0, 60)
      .map((d) => d.docId)
      .join(',');
    expect(new Set([1, 7, 99].map(chosen)).size).toBe(3);
    for (const seed of [1, 7, 99]) expect(chosen(seed)).not.toBe(first60);
  });

  it('is the same for the same seed, whatever the listing order, and differs for another seed', () => {
    const one = samplePassages(DOCS, { perDocument: 3, seed: 42 });
    expect(samplePassages([...DOCS].reverse(), { perDocument: 3, seed: 42 })).toEqual(one);
    expect(samplePassages(DOCS, { perDocument: 3, seed: 43 })).not.toEqual(one);
  });

  it('spreads picks over a document (not just its first passages)', () => {
    const s = samplePassages([doc('big', 1000)], { perDocument: 20, seed: 3 });
    const ordinals = s.map((p) => Number(p.chunkId.split(':')[1]));
    expect(Math.max(...ordinals)).toBeGreaterThan(200);
  });

  it('handles no documents, empty documents and a zero quota', () => {
    expect(samplePassages([], { perDocument: 3, seed: 1 })).toEqual([]);
    expect(samplePassages([doc('e', 0)], { perDocument: 3, seed: 1 })).toEqual([]);
    expect(samplePassages(DOCS, { perDocument: 0, seed: 1 })).toEqual([]);
  });

  it('draws numbers in [0, 1) reproducibly', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs).toEqual(Array.from({ length: 100 }, () => b()));
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });
});
