import { describe, expect, it } from 'vitest';
import { alignTokens, explainMatches } from '../../../src/lib/retrieval/explain';

describe('alignTokens', () => {
  it('maps WordPiece tokens (lowercased, accents stripped, ## pieces) back to the text', () => {
    const text = 'The Lighthouse of Alexandría, shining.';
    const tokens = ['[CLS]', '[unused1]', 'the', 'lighthouse', 'of', 'alexandria', 'shin', '##ing', '[SEP]'];
    const spans = alignTokens(text, tokens);
    const words = spans.map((s) => (s ? text.slice(s.start, s.end) : null));
    expect(words).toEqual([null, null, 'The', 'Lighthouse', 'of', 'Alexandría', 'shin', 'ing', null]);
  });
});

describe('explainMatches', () => {
  it('shades the document tokens each query token matched best, keeping all text', () => {
    const text = 'Keepers polished the lighthouse lens.';
    const docTokens = ['[CLS]', '[unused1]', 'keepers', 'polished', 'the', 'lighthouse', 'lens', '[SEP]'];
    const matches = [
      { queryIndex: 0, queryToken: '[CLS]', docIndex: 0, docToken: '[CLS]', score: 0.9 },
      { queryIndex: 2, queryToken: 'lighthouse', docIndex: 5, docToken: 'lighthouse', score: 0.95 },
      { queryIndex: 3, queryToken: 'lens', docIndex: 6, docToken: 'lens', score: 0.8 },
      { queryIndex: 4, queryToken: '[MASK]', docIndex: 6, docToken: 'lens', score: 0.7 },
    ];
    const segs = explainMatches(text, docTokens, matches);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    const lit = segs.filter((s) => s.weight > 0);
    expect(lit.map((s) => [s.text, s.queryTokens])).toEqual([
      ['lighthouse', ['lighthouse']],
      ['lens', ['lens']],
    ]);
    expect(lit[0]!.weight).toBeCloseTo(0.95);
  });
});
