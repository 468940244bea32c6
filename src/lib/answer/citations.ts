// Parses [n] citation markers in an answer into text and link segments; drops markers to missing passages.

export type AnswerSegment = { kind: 'text'; text: string } | { kind: 'cite'; n: number };

export interface ParsedAnswer {
  segments: AnswerSegment[];
  /** Passage numbers the answer cited that do not exist. */
  invalid: number[];
}

const MARKER = /\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]/g;

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
  for (const m of text.matchAll(MARKER)) {
    pushText(text.slice(last, m.index));
    for (const part of (m[1] ?? '').split(/[,;]/)) {
      const n = Number(part.trim());
      if (n >= 1 && n <= passageCount) segments.push({ kind: 'cite', n });
      else if (!invalid.includes(n)) invalid.push(n);
    }
    last = (m.index ?? 0) + m[0].length;
  }
  pushText(text.slice(last));
  return { segments, invalid };
}
