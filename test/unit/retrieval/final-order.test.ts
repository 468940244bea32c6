// The final order after a rerank: the reranker's alone, or fused with the first stage's.
import { describe, expect, it } from 'vitest';
import { DEFAULT_FINAL_ORDER, DEFAULT_RERANK_WEIGHT, finalOrder } from '../../../src/lib/retrieval/final-order';

const ids = (...xs: string[]): { id: string }[] => xs.map((id) => ({ id }));
const hits = (...xs: string[]) => xs.map((id, i) => ({ id, score: 10 - i }));

describe('finalOrder', () => {
  const first = ids('a', 'b', 'c');
  const reranked = hits('c', 'a', 'b');

  it("'rerank' keeps the reranker's order, up to the limit", () => {
    expect(finalOrder(first, reranked, { order: 'rerank' }).map((h) => h.id)).toEqual(['c', 'a', 'b']);
    expect(finalOrder(first, reranked, { order: 'rerank', limit: 2 }).map((h) => h.id)).toEqual(['c', 'a']);
  });

  it("'fusion' with equal weights sums 1/(60 + rank): a reranker alone cannot lift a first-stage third to the top", () => {
    // a: 1/61 + 1/62, c: 1/61 + 1/63, b: 1/62 + 1/63
    const out = finalOrder(first, reranked, { order: 'fusion', rerankWeight: 1 });
    expect(out.map((h) => h.id)).toEqual(['a', 'c', 'b']);
    expect(out[0]).toBe(reranked[1]); // the reranked hits themselves, with their scores and explanations
    expect(finalOrder(first, reranked, { rerankWeight: 1, limit: 1 }).map((h) => h.id)).toEqual(['a']);
  });

  it('weighs the reranker twice by default: its first pick wins over a first-stage first it ranks second', () => {
    // c: 2/61 + 1/63, a: 2/62 + 1/61, b: 2/63 + 1/62
    expect(finalOrder(first, reranked).map((h) => h.id)).toEqual(['c', 'a', 'b']);
    // ...but not over a first-stage first it ranks third and a second it ranks second: a: 2/63 + 1/61 < b: 2/62 + 1/62.
    expect(finalOrder(first, hits('c', 'b', 'a')).map((h) => h.id)).toEqual(['c', 'b', 'a']);
  });

  it("breaks a fusion tie in the reranker's favour", () => {
    expect(finalOrder(ids('a', 'b'), hits('b', 'a'), { rerankWeight: 1 }).map((h) => h.id)).toEqual(['b', 'a']);
  });

  it('returns only reranked hits: first-stage ids the reranker did not score are left to the caller', () => {
    expect(finalOrder(ids('x', 'a', 'b'), hits('b', 'a')).map((h) => h.id)).toEqual(['b', 'a']);
  });

  it('gives a hit the reranker could not score only its first-stage share', () => {
    const unscored = { id: 'a', score: -Infinity };
    // b: 2/61 + 1/62, a: 1/61 (no rerank share), c: 2/62 + 1/63
    const out = finalOrder(first, [...hits('b', 'c'), unscored]);
    expect(out.map((h) => h.id)).toEqual(['b', 'c', 'a']);
    expect(finalOrder(ids('a', 'b'), [...hits('b'), unscored]).map((h) => h.id)).toEqual(['b', 'a']);
    expect(finalOrder(first, [unscored, ...hits('c', 'b')], { order: 'rerank' }).map((h) => h.id)).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it('defaults to fusion with the reranker weighted 2', () => {
    expect(DEFAULT_FINAL_ORDER).toBe('fusion');
    expect(DEFAULT_RERANK_WEIGHT).toBe(2);
  });
});
