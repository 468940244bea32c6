// Deep mode's verdict score from token probabilities, and the rules that combine it with the earlier order.
import { describe, expect, it } from 'vitest';
import { orderByVerdict, verdictProbability } from '../../../src/lib/retrieval/verdict';

describe('verdictProbability', () => {
  it('is P(yes) / (P(yes) + P(no)) of the next-token distribution, other tokens ignored', () => {
    // ids: 0 " yes", 1 " no", 2 "maybe" (much likelier than both: it must not change the ratio).
    const logits = [Math.log(3), Math.log(1), Math.log(100)];
    expect(verdictProbability(logits, [0], [1])).toBeCloseTo(0.75, 12);
  });

  it('sums each side over its token variants', () => {
    // " yes" and "Yes" each 1, " no" 2: 2 / (2 + 2).
    const logits = Float32Array.from([0, 0, Math.log(2), 5]);
    expect(verdictProbability(logits, [0, 1], [2])).toBeCloseTo(0.5, 6);
  });

  it('stays finite for extreme logits (computed in log space)', () => {
    expect(verdictProbability([1000, -1000], [0], [1])).toBe(1);
    expect(verdictProbability([-1000, 1000], [0], [1])).toBe(0);
    expect(verdictProbability([900, 900.5], [0], [1])).toBeCloseTo(1 / (1 + Math.exp(0.5)), 12);
  });

  it('is null without usable ids or with non-finite logits', () => {
    expect(verdictProbability([0, 0], [], [1])).toBeNull();
    expect(verdictProbability([0, 0], [0], [7])).toBeNull();
    expect(verdictProbability([0, 0], [0.5], [1])).toBeNull();
    expect(verdictProbability([NaN, 0], [0], [1])).toBeNull();
    expect(verdictProbability([-Infinity, -Infinity], [0], [1])).toBeNull();
    expect(verdictProbability([Infinity, 0], [0], [1])).toBeNull();
  });

  it('reads a masked side (−Infinity) as a sure verdict', () => {
    expect(verdictProbability([-Infinity, 0], [0], [1])).toBe(0);
    expect(verdictProbability([0, -Infinity], [0], [1])).toBe(1);
  });
});

describe('orderByVerdict', () => {
  const earlier = ['a', 'b', 'c', 'd', 'e'];
  const verdicts = new Map([
    ['a', 0.1],
    ['b', 0.9],
    ['c', 0.9],
    ['d', 0.2],
  ]);

  it("'verdict' sorts the judged by verdict (ties keep the earlier order); the unjudged follow in place", () => {
    expect(orderByVerdict(earlier, verdicts, 'verdict')).toEqual(['b', 'c', 'd', 'a', 'e']);
  });

  it("'fusion' fuses the verdict order with the earlier one by reciprocal rank", () => {
    // Verdict order b c d a, earlier a b c d: b 1/61 + 1/62 = .03252, a 1/64 + 1/61 = .03202, c 1/62 + 1/63 = .03200,
    // d 1/63 + 1/64 = .03150.
    expect(orderByVerdict(earlier, verdicts, 'fusion')).toEqual(['b', 'a', 'c', 'd', 'e']);
  });

  it("'blend' weighs the verdict against the earlier reciprocal rank", () => {
    // weight 0.5: a 0.05 + 0.5 = 0.55, b 0.45 + 0.25 = 0.7, c 0.45 + 0.1667, d 0.1 + 0.125.
    expect(orderByVerdict(earlier, verdicts, 'blend', 0.5)).toEqual(['b', 'c', 'a', 'd', 'e']);
    // weight 1 is the verdict alone; weight 0 the earlier order.
    expect(orderByVerdict(earlier, verdicts, 'blend', 1)).toEqual(['b', 'c', 'd', 'a', 'e']);
    expect(orderByVerdict(earlier, verdicts, 'blend', 0)).toEqual(earlier);
  });
});
