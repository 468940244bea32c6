// Negative terms: hits holding one as a whole word (any case) are dropped, order kept, in linear time.
import { describe, expect, it } from 'vitest';
import { dropNegativeHits, findNegativeTerm, negativeMatcher } from '../../../src/lib/retrieval/negative-terms';

describe('findNegativeTerm', () => {
  it('matches whole words in any case, and phrases across spacing and hyphens', () => {
    expect(findNegativeTerm('Tested in Mice, then rats.', ['mice'])).toBe('mice');
    expect(findNegativeTerm('Micelles form in water.', ['mice'])).toBeNull();
    expect(findNegativeTerm('An in-vitro study', ['in vitro'])).toBe('in vitro');
    expect(findNegativeTerm('In   vitro\nassay', ['IN VITRO'])).toBe('IN VITRO');
    expect(findNegativeTerm('in the vitro', ['in vitro'])).toBeNull();
    expect(findNegativeTerm('Études sur la souris', ['ÉTUDES'])).toBe('ÉTUDES');
  });

  it('ignores terms with no letters or digits, and an empty list', () => {
    expect(findNegativeTerm('a -- b', ['--', '  '])).toBeNull();
    expect(findNegativeTerm('anything', [])).toBeNull();
    expect(negativeMatcher(['?!']).byFirst.size).toBe(0);
  });

  it('stays linear on a long text full of a phrase’s first word', () => {
    const text = 'in '.repeat(200_000);
    const t0 = performance.now();
    expect(findNegativeTerm(text, ['in vitro', 'in vivo', 'in silico'])).toBeNull();
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

describe('dropNegativeHits', () => {
  const texts: Record<string, string> = {
    a: 'Statins lower LDL in humans.',
    b: 'A 2019 trial in mice.',
    c: 'Mouse and MICE models.',
    d: 'Humans only.',
  };

  it('keeps the order of the rest and says which term removed each hit', () => {
    const hits = [{ id: 'a' }, { id: 'b' }, { id: 'x' }, { id: 'c' }, { id: 'd' }];
    const { kept, removed } = dropNegativeHits(hits, (h) => texts[h.id], ['mice', '2019']);
    expect(kept.map((h) => h.id)).toEqual(['a', 'x', 'd']);
    expect(removed.map((r) => [r.hit.id, r.term])).toEqual([
      ['b', '2019'],
      ['c', 'mice'],
    ]);
    expect(hits).toHaveLength(5);
  });

  it('keeps every hit when there are no terms', () => {
    const hits = [{ id: 'b' }];
    expect(dropNegativeHits(hits, (h) => texts[h.id], []).kept).toEqual(hits);
  });
});
