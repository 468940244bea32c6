// Bounded-window segmentation gives the same segments as one Intl.Segmenter pass, with exact offsets, in linear time.
import { describe, expect, it } from 'vitest';
import { segmentBounded } from '../../../src/lib/ingest/segments';

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' });
const words = new Intl.Segmenter('en', { granularity: 'word' });
const whole = (seg: Intl.Segmenter, text: string) => Array.from(seg.segment(text), (s) => [s.index, s.segment]);
const bounded = (seg: Intl.Segmenter, text: string, window: number) =>
  Array.from(segmentBounded(seg, text, window), (s) => [s.index, s.segment]);

describe('segmentBounded', () => {
  it('matches a single pass on sentences that straddle window edges', () => {
    const text = Array.from({ length: 60 }, (_, i) => `Sentence ${i} has quite a few words in it [1].`).join(' ');
    expect(bounded(sentences, text, 100)).toEqual(whole(sentences, text));
  });

  it('matches a single pass on words, CJK without spaces, and emoji at a forced cut', () => {
    const text = `${'灯台の光は遠くまで届く。'.repeat(30)} ${'😀'.repeat(50)} lighthouse keepers`;
    expect(bounded(words, text, 64)).toEqual(whole(words, text));
    const joined = Array.from(segmentBounded(words, text, 7), (s) => s.segment).join('');
    expect(joined).toBe(text);
    for (const s of segmentBounded(words, text, 7))
      expect(text.slice(s.index, s.index + s.segment.length)).toBe(s.segment);
  });
});
