// Intl.Segmenter over bounded windows: V8 copies the whole input into every segment it yields (segment.input), so
// segmenting a long text at once costs time and memory quadratic in its length (100 KB of "1. " ran out of 4 GB).

/** Window length: sentences and words longer than this are cut at a window edge. */
export const SEGMENT_WINDOW = 2048;

export interface Segment {
  /** Offset of the segment in the whole text. */
  index: number;
  segment: string;
  isWordLike?: boolean;
}

/**
 * Every segment of `text`, with offsets into the whole text, segmenting one window at a time. A window ends after
 * the last whitespace before the limit (or at the limit when there is none), so segments rarely straddle an edge.
 */
export function* segmentBounded(segmenter: Intl.Segmenter, text: string, window = SEGMENT_WINDOW): Generator<Segment> {
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + window);
    if (end < text.length) {
      let cut = end;
      while (cut > start && !isSpace(text.charCodeAt(cut - 1))) cut--;
      if (cut > start) end = cut;
    }
    for (const s of segmenter.segment(text.slice(start, end))) {
      yield { index: start + s.index, segment: s.segment, isWordLike: s.isWordLike };
    }
    start = end;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000;
}
