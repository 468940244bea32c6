// The evaluation metrics against hand-computed cases: nDCG@k, Recall@k, MRR@k, ties, a query with no relevant passage.
import { describe, expect, it } from 'vitest';
import { byPosition, mrrAt, ndcgAt, recallAt, trecOrder } from '../../../src/lib/evaluation';

describe('metrics', () => {
  const judged = new Map([
    ['d2', 2],
    ['d3', 1],
    ['d4', 3],
    ['d9', 0],
  ]);
  const run = [
    { id: 'd1', score: 3 },
    { id: 'd2', score: 2 },
    { id: 'd3', score: 1 },
  ];

  it('computes nDCG@k with linear gains and the ideal ranking from the judgments', () => {
    // DCG = 2/log2(3) + 1/log2(4) = 1.26186 + 0.5; IDCG = 3/1 + 2/log2(3) + 1/2 = 4.76186.
    expect(ndcgAt(run, judged, 10)).toBeCloseTo(1.7618595 / 4.7618595, 6);
    expect(ndcgAt(run, judged, 1)).toBe(0);
    // Perfect order of the three relevant ones.
    const perfect = byPosition(['d4', 'd2', 'd3']);
    expect(ndcgAt(perfect, judged, 10)).toBeCloseTo(1, 12);
    // @2: DCG = 3 + 2/log2(3) over the same IDCG@2: exactly 1.
    expect(ndcgAt(perfect, judged, 2)).toBeCloseTo(1, 12);
  });

  it('computes recall@k and MRR@k by hand', () => {
    expect(recallAt(run, judged, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(run, judged, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAt(run, judged, 1)).toBe(0);
    expect(mrrAt(run, judged, 10)).toBe(0.5);
    expect(mrrAt(run, judged, 1)).toBe(0);
    expect(mrrAt(byPosition(['x', 'y', 'd3']), judged, 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(byPosition(['x', 'y', 'd3']), judged, 2)).toBe(0);
    // An empty result scores 0, not null: the query has relevant passages, none was found.
    expect(recallAt([], judged, 10)).toBe(0);
    expect(ndcgAt([], judged, 10)).toBe(0);
  });

  it('a judgment of 0 is not relevant', () => {
    expect(mrrAt(byPosition(['d9', 'd3']), judged, 10)).toBe(0.5);
  });

  it('returns null, not 0 or 1, for a query with no relevant passage (left out of the means)', () => {
    for (const j of [new Map<string, number>(), new Map([['d1', 0]])]) {
      expect(ndcgAt(run, j, 10)).toBeNull();
      expect(recallAt(run, j, 10)).toBeNull();
      expect(mrrAt(run, j, 10)).toBeNull();
    }
  });

  it('orders ties like trec_eval: score descending, equal scores by id descending, whatever the input order', () => {
    const a = trecOrder([
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
      { id: 'b', score: 1 },
    ]);
    const b = trecOrder([
      { id: 'b', score: 1 },
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
    ]);
    expect(a.map((h) => h.id)).toEqual(['c', 'b', 'a']);
    expect(b).toEqual(a);
    // So a tie with a relevant passage is scored the same both ways: 'a' (relevant) ranks third.
    const j = new Map([['a', 1]]);
    expect(mrrAt(a, j, 10)).toBeCloseTo(1 / 3, 12);
  });

  it('byPosition keeps a given order through trecOrder', () => {
    const ids = ['z', 'a', 'm'];
    expect(trecOrder(byPosition(ids)).map((h) => h.id)).toEqual(ids);
  });
});
