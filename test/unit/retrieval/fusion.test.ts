// Reciprocal rank fusion on hand-worked examples.
import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion } from '../../../src/lib/retrieval/fusion';

const ids = (...xs: string[]): { id: string }[] => xs.map((id) => ({ id }));

describe('reciprocalRankFusion', () => {
  it('sums 1/(k + rank) over lists and reports per-list ranks', () => {
    const fused = reciprocalRankFusion([ids('a', 'b', 'c'), ids('b', 'c', 'd')]);
    expect(fused.map((f) => f.id)).toEqual(['b', 'c', 'a', 'd']);
    expect(fused[0]).toEqual({ id: 'b', score: 1 / 62 + 1 / 61, ranks: [2, 1] });
    expect(fused[1]!.score).toBeCloseTo(1 / 63 + 1 / 62, 15);
    expect(fused[2]).toEqual({ id: 'a', score: 1 / 61, ranks: [1, null] });
    expect(fused[3]).toEqual({ id: 'd', score: 1 / 63, ranks: [null, 3] });
  });

  it('applies weights, a custom k and a limit', () => {
    const fused = reciprocalRankFusion(
      [
        { hits: ids('a', 'b'), weight: 1 },
        { hits: ids('b', 'a'), weight: 3 },
      ],
      { k: 1, limit: 1 },
    );
    // a: 1/2 + 3/3 = 1.5; b: 1/3 + 3/2 ≈ 1.833
    expect(fused).toHaveLength(1);
    expect(fused[0]!.id).toBe('b');
    expect(fused[0]!.score).toBeCloseTo(1 / 3 + 3 / 2, 15);
  });

  it('counts only the best rank when a list repeats an id', () => {
    const [x] = reciprocalRankFusion([ids('x', 'y', 'x')]);
    expect(x).toEqual({ id: 'x', score: 1 / 61, ranks: [1] });
  });

  it('breaks ties by best rank, then by first appearance', () => {
    // a and b tie on score (rank 1 in one list each); c and d tie as well, both rank 2.
    const fused = reciprocalRankFusion([ids('a', 'c'), ids('b', 'd')]);
    expect(fused.map((f) => f.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(reciprocalRankFusion([])).toEqual([]);
  });
});
