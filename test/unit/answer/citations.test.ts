// parseCitations and findCitationMarkers: valid, malformed and out-of-range [n] markers.
import { describe, expect, it } from 'vitest';
import { findCitationMarkers, parseCitations } from '../../../src/lib/answer/citations';

describe('parseCitations', () => {
  it('splits text and valid markers, including lists and spaced forms', () => {
    const { segments, invalid } = parseCitations('Ownership [1] moves values [2, 3]. Also [ 1 ].', 3);
    expect(segments).toEqual([
      { kind: 'text', text: 'Ownership ' },
      { kind: 'cite', n: 1 },
      { kind: 'text', text: ' moves values ' },
      { kind: 'cite', n: 2 },
      { kind: 'cite', n: 3 },
      { kind: 'text', text: '. Also ' },
      { kind: 'cite', n: 1 },
      { kind: 'text', text: '.' },
    ]);
    expect(invalid).toEqual([]);
  });

  it('removes and flags markers to passages that do not exist', () => {
    const { segments, invalid } = parseCitations('See [4] and [0] but [2].', 2);
    expect(segments.filter((s) => s.kind === 'cite')).toEqual([{ kind: 'cite', n: 2 }]);
    expect(invalid).toEqual([4, 0]);
    expect(segments.map((s) => (s.kind === 'text' ? s.text : `<${s.n}>`)).join('')).toBe('See  and  but <2>.');
  });

  it('leaves non-numeric brackets alone', () => {
    expect(parseCitations('an array [a] here', 2).segments).toEqual([{ kind: 'text', text: 'an array [a] here' }]);
  });
});

describe('parseCitations: malformed and out-of-range markers', () => {
  const show = (text: string, count: number) => {
    const { segments, invalid } = parseCitations(text, count);
    return { text: segments.map((s) => (s.kind === 'text' ? s.text : `<${s.n}>`)).join(''), invalid };
  };

  it('leaves unclosed, negative, fractional, ranged and four-digit brackets as text', () => {
    for (const text of ['see [1', 'see 1]', 'see [-1]', 'see [1.5]', 'see [1-2]', 'in [2024]', 'see [ ]', 'see [,]']) {
      expect(show(text, 3)).toEqual({ text, invalid: [] });
    }
  });

  it('reads leading zeros, adjacent and nested markers, and semicolon lists', () => {
    expect(show('a [01][2] b [[3]] c [1; 2]', 3)).toEqual({ text: 'a <1><2> b [<3>] c <1><2>', invalid: [] });
  });

  it('drops zero, too-large and all markers when there are no passages, listing each bad number once', () => {
    expect(show('x [0] y [999] z [4, 1, 4]', 3)).toEqual({ text: 'x  y  z <1>', invalid: [0, 999, 4] });
    expect(show('x [1]', 0)).toEqual({ text: 'x ', invalid: [1] });
  });

  it('keeps the valid part of a mixed list', () => {
    expect(show('[2, 7]', 2)).toEqual({ text: '<2>', invalid: [7] });
  });
});

describe('findCitationMarkers', () => {
  it('returns offsets and every number, valid or not', () => {
    const text = 'A [1]. B [ 2 , 9 ].';
    expect(findCitationMarkers(text)).toEqual([
      { start: 2, end: 5, numbers: [1] },
      { start: 9, end: 18, numbers: [2, 9] },
    ]);
    expect(text.slice(9, 18)).toBe('[ 2 , 9 ]');
  });
});
