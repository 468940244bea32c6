// Parses [n] citation markers in an answer into text and link segments; drops markers to missing passages.
import { trimSpacesEnd } from '../ingest/assemble';

export type AnswerSegment = { kind: 'text'; text: string } | { kind: 'cite'; n: number };

export interface ParsedAnswer {
  segments: AnswerSegment[];
  /** Passage numbers the answer cited that do not exist. */
  invalid: number[];
}

/** One bracketed marker such as `[2]` or `[1, 3]`, with its offsets in the answer text. */
export interface CitationMarker {
  start: number;
  end: number;
  /** Every number inside the brackets, in order, valid or not. */
  numbers: number[];
}

// Up to 3 digits: "[2024]" is a year, not a citation.
const MARKER = /\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]/g;

/** Finds every citation marker in text, whether or not the passages it names exist. */
export function findCitationMarkers(text: string): CitationMarker[] {
  return Array.from(text.matchAll(MARKER), (m) => ({
    start: m.index,
    end: m.index + m[0].length,
    numbers: (m[1] ?? '').split(/[,;]/).map((part) => Number(part.trim())),
  }));
}

/**
 * Text with [n] markers removed, with the spaces before each (so "years [1]." reads "years."). Earlier turns'
 * markers point at passages that are no longer numbered that way; scorers want the bare sentence.
 */
export function stripCitations(text: string): string {
  let out = '';
  let last = 0;
  for (const m of findCitationMarkers(text)) {
    // A loop, not /[ \t]+$/, which is quadratic on a long run of spaces (model output is untrusted too).
    out += trimSpacesEnd(text.slice(last, m.start), false);
    last = m.end;
  }
  return out + text.slice(last);
}

export function parseCitations(text: string, passageCount: number): ParsedAnswer {
  const segments: AnswerSegment[] = [];
  const invalid: number[] = [];
  let last = 0;
  const pushText = (t: string) => {
    if (!t) return;
    const prev = segments[segments.length - 1];
    if (prev?.kind === 'text') prev.text += t;
    else segments.push({ kind: 'text', text: t });
  };
  for (const marker of findCitationMarkers(text)) {
    pushText(text.slice(last, marker.start));
    for (const n of marker.numbers) {
      if (n >= 1 && n <= passageCount) segments.push({ kind: 'cite', n });
      else if (!invalid.includes(n)) invalid.push(n);
    }
    last = marker.end;
  }
  pushText(text.slice(last));
  return { segments, invalid };
}
