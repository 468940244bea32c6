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
 * the last whitespace before the limit (or at the limit, never inside a surrogate pair, when there is none). The last
 * segment of a window that is not the text's end may be cut short by the edge, so it is not emitted: the next window
 * starts where it started. A window whose only segment runs past its edge emits it as it is (progress is certain).
 */
export function* segmentBounded(segmenter: Intl.Segmenter, text: string, window = SEGMENT_WINDOW): Generator<Segment> {
  for (let start = 0; start < text.length;) {
    let end = Math.min(text.length, start + window);
    if (end < text.length) {
      let cut = end;
      while (cut > start && !isSpace(text.charCodeAt(cut - 1))) cut--;
      if (cut > start) end = cut;
      else if (isHighSurrogate(text.charCodeAt(end - 1))) end--;
    }
    const last = end === text.length;
    let held: Segment | null = null;
    for (const s of segmenter.segment(text.slice(start, end))) {
      if (held) yield held;
      held = { index: start + s.index, segment: s.segment, isWordLike: s.isWordLike };
    }
    if (!held) break;
    if (last || held.index === start) {
      yield held;
      start = end;
    } else {
      start = held.index;
    }
  }
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13 || c === 0xa0 || c === 0x3000;
}
