// parseQueries / parseRewrite: search queries out of free-form model output.
import { describe, expect, it } from 'vitest';
import { MAX_QUERIES, parseQueries, parseRewrite } from '../../../src/lib/answer/multi-query';

describe('parseQueries', () => {
  it('strips numbering, bullets, labels and quotes', () => {
    const out = '1. "warranty length"\n2) How long does the guarantee last?\n- **Query 3:** coverage period';
    expect(parseQueries(out)).toEqual(['warranty length', 'How long does the guarantee last?', 'coverage period']);
  });

  it('skips preambles and blank lines, drops duplicates ignoring case and end punctuation, caps at 3', () => {
    const out =
      'Here are three queries:\n\nwarranty period\nWarranty period?\n• guarantee duration\n* years covered\nextra one';
    expect(parseQueries(out)).toEqual(['warranty period', 'guarantee duration', 'years covered']);
    expect(MAX_QUERIES).toBe(3);
    expect(parseQueries(out, { max: 2 })).toHaveLength(2);
  });

  it('leaves out the original question and splits inline numbering', () => {
    expect(
      parseQueries('1. How long is the warranty? 2. warranty term 3. guarantee years', {
        exclude: ['how long is the warranty'],
      }),
    ).toEqual(['warranty term', 'guarantee years']);
  });

  it('returns what there is: one query, or none', () => {
    expect(parseQueries('only one')).toEqual(['only one']);
    expect(parseQueries('')).toEqual([]);
    expect(parseQueries(`${'x'.repeat(400)}\n"  "`)).toEqual([]);
  });
});

describe('parseRewrite', () => {
  it('takes the first usable line without labels or quotes', () => {
    expect(parseRewrite('Stand-alone search query: "Does the warranty cover batteries?"', 'q')).toBe(
      'Does the warranty cover batteries?',
    );
    expect(parseRewrite('\nwarranty batteries coverage\nExplanation: …', 'q')).toBe('warranty batteries coverage');
  });

  it('falls back to the question when the output is empty or an answer', () => {
    expect(parseRewrite('  \n', 'Does it cover batteries?')).toBe('Does it cover batteries?');
    expect(parseRewrite('y'.repeat(301), 'q')).toBe('q');
  });
});
