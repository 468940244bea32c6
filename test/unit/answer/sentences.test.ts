// splitSentences: trimmed ranges with offsets, citation markers kept with the sentence they follow.
import { describe, expect, it } from 'vitest';
import { splitSentences } from '../../../src/lib/answer/sentences';

const texts = (t: string) => splitSentences(t).map((s) => s.text);

describe('splitSentences', () => {
  it('returns trimmed sentences whose offsets index the input', () => {
    const input = '  The warranty lasts two years [1]. It covers parts [2][3].\nYour documents do not say.  ';
    const result = splitSentences(input);
    expect(result.map((s) => s.text)).toEqual([
      'The warranty lasts two years [1].',
      'It covers parts [2][3].',
      'Your documents do not say.',
    ]);
    for (const s of result) expect(input.slice(s.start, s.end)).toBe(s.text);
  });

  it('moves markers written after the full stop back to their sentence', () => {
    expect(texts('It is blue. [1] [2] It rains [3].')).toEqual(['It is blue. [1] [2]', 'It rains [3].']);
    expect(texts('[1] Leading marker with no sentence before it.')).toEqual([
      '[1] Leading marker with no sentence before it.',
    ]);
  });

  it('does not break after common abbreviations, and splits list lines', () => {
    expect(texts('See e.g. Fig. 2 for details [1]. Costs rose [2]!')).toEqual([
      'See e.g. Fig. 2 for details [1].',
      'Costs rose [2]!',
    ]);
    expect(texts('Steps:\n- unplug it [1]\n- wait [2]')).toEqual(['Steps:', '- unplug it [1]', '- wait [2]']);
  });

  it('returns nothing for blank text', () => {
    expect(splitSentences(' \n ')).toEqual([]);
  });
});
