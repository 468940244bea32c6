// Splits text into sentences with offsets, keeping each [n] marker with the sentence it follows.
import { segmentBounded } from '../ingest/segments';
import { findCitationMarkers } from './citations';

export interface SentenceRange {
  text: string;
  /** Offsets into the input; `text === input.slice(start, end)`, trimmed of surrounding whitespace. */
  start: number;
  end: number;
}

let segmenter: Intl.Segmenter | null | undefined;
function sentenceSegmenter(): Intl.Segmenter | null {
  if (segmenter === undefined) {
    segmenter =
      typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter('en', { granularity: 'sentence' }) : null;
  }
  return segmenter;
}

// Abbreviations after which Intl.Segmenter wrongly ends a sentence ("e.g. Fig. 2"). Not "etc." or "no.":
// those often do end one.
const ABBREVIATION = /(?:e\.g|i\.e|vs|cf|figs?|approx|al|dr|mrs?|ms|st|pp?|sec|eq)\.$/i;
/** The longest abbreviation above, with its full stop. */
const ABBREVIATION_MAX = 'approx.'.length;

/**
 * Whether text[start, end) ends with an abbreviation that stands as a word. Only its last few characters are read:
 * testing the whole sentence each time made a run of merged sentences quadratic.
 */
function endsWithAbbreviation(text: string, start: number, end: number): boolean {
  const from = Math.max(start, end - ABBREVIATION_MAX);
  const m = ABBREVIATION.exec(text.slice(from, end));
  if (!m) return false;
  const at = from + m.index;
  return at === start || /[\s(]/.test(text[at - 1]!);
}

/** Raw [start, end) pieces: Intl.Segmenter where available, else a break after . ! ? or a newline. */
function pieces(text: string): [number, number][] {
  const seg = sentenceSegmenter();
  if (seg) return Array.from(segmentBounded(seg, text), (s) => [s.index, s.index + s.segment.length]);
  const out: [number, number][] = [];
  let last = 0;
  for (const m of text.matchAll(/[.!?]+["')\]]*\s+|\n+/g)) {
    out.push([last, m.index + m[0].length]);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push([last, text.length]);
  return out;
}

/**
 * Sentences of text, trimmed. The segmenter puts a marker written after the full stop ("It is blue. [1] It
 * rains.") at the start of the next sentence; such leading markers are moved back to the sentence they cite for.
 */
export function splitSentences(text: string): SentenceRange[] {
  const markers = new Map(findCitationMarkers(text).map((m) => [m.start, m]));
  const out: { start: number; end: number }[] = [];
  for (const [rawStart, rawEnd] of pieces(text)) {
    let start = rawStart;
    // Leading markers (and the whitespace around them) belong to the previous sentence.
    for (;;) {
      while (start < rawEnd && /\s/.test(text[start]!)) start++;
      const marker = markers.get(start);
      const prev = out[out.length - 1];
      if (!marker || !prev || marker.end > rawEnd) break;
      prev.end = marker.end;
      start = marker.end;
    }
    let end = rawEnd;
    while (end > start && /\s/.test(text[end - 1]!)) end--;
    if (end <= start) continue;
    const prev = out[out.length - 1];
    if (prev && endsWithAbbreviation(text, prev.start, prev.end)) prev.end = end;
    else out.push({ start, end });
  }
  return out.map(({ start, end }) => ({ text: text.slice(start, end), start, end }));
}
