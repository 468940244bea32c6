// The OCR measurement's character error rate: edit distance by code point, normalised whitespace, over the reference.
import { describe, expect, it } from 'vitest';
import { cer, levenshtein, normalise } from '../../eval/cer';

describe('levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
    // By code point: an astral character is one edit, not two.
    expect(levenshtein('a😀b', 'ab')).toBe(1);
  });
});

describe('cer', () => {
  it('is edits over the reference length, with layout whitespace and ligatures not counted', () => {
    expect(cer('Base 128  64,058\n800.73', 'Base 128 64,058 800.73')).toBe(0);
    expect(cer('eﬃcient', 'efficient')).toBe(0);
    expect(cer('abcd', 'abxd')).toBe(0.25);
    expect(cer('abcd', '')).toBe(1);
    expect(normalise('  a\n\tb  ')).toBe('a b');
  });
});
