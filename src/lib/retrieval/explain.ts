// Explains a late-interaction match: maps document tokens back onto the chunk text and shades them by score.
import type { TokenMatch } from './search-types';

export interface Span {
  start: number;
  end: number;
}

export interface ExplainedSegment {
  text: string;
  /** 0..1 shade: the best score of any query token that matched here (0 = unmatched). */
  weight: number;
  /** The query tokens whose best match is this piece of text. */
  queryTokens: string[];
}

/** Special and unused vocabulary entries (BERT WordPiece), which stand for no word of the text. */
export const SPECIAL_TOKEN = /^\[(CLS|SEP|MASK|PAD|UNK|unused\d+)\]$/;

/** Folds case and accents the way an uncased WordPiece tokenizer does, keeping string length. */
function fold(text: string): string {
  let out = '';
  for (const ch of text) {
    const base = ch
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase();
    out += base.length === ch.length ? base : ch.toLowerCase().length === ch.length ? ch.toLowerCase() : ch;
  }
  return out;
}

/**
 * Finds each token's character span in `text` by scanning forward; special tokens and tokens the
 * tokenizer changed beyond case and accents get null rather than a wrong span.
 */
export function alignTokens(text: string, tokens: readonly string[]): (Span | null)[] {
  const hay = fold(text);
  let cursor = 0;
  return tokens.map((tok) => {
    if (SPECIAL_TOKEN.test(tok)) return null;
    const piece = fold(tok.startsWith('##') ? tok.slice(2) : tok);
    if (!piece) return null;
    const at = hay.indexOf(piece, cursor);
    // A token far ahead is more likely a mis-alignment than a real skip.
    if (at < 0 || at - cursor > 200) return null;
    cursor = at + piece.length;
    return { start: at, end: at + piece.length };
  });
}

/** Splits the chunk text into shaded segments from the per-query-token best matches. */
export function explainMatches(
  text: string,
  docTokens: readonly string[],
  matches: readonly TokenMatch[],
): ExplainedSegment[] {
  const spans = alignTokens(text, docTokens);
  const marks = new Map<number, { weight: number; queryTokens: string[] }>();
  for (const m of matches) {
    if (m.docIndex < 0 || SPECIAL_TOKEN.test(m.queryToken)) continue;
    const mark = marks.get(m.docIndex) ?? { weight: 0, queryTokens: [] };
    mark.weight = Math.max(mark.weight, Math.max(0, Math.min(1, m.score)));
    if (!mark.queryTokens.includes(m.queryToken)) mark.queryTokens.push(m.queryToken);
    marks.set(m.docIndex, mark);
  }
  const ranges = [...marks]
    .flatMap(([i, mark]) => {
      const span = spans[i];
      return span ? [{ ...span, ...mark }] : [];
    })
    .sort((a, b) => a.start - b.start);
  const out: ExplainedSegment[] = [];
  let pos = 0;
  for (const r of ranges) {
    if (r.start < pos) continue;
    if (r.start > pos) out.push({ text: text.slice(pos, r.start), weight: 0, queryTokens: [] });
    out.push({ text: text.slice(r.start, r.end), weight: r.weight, queryTokens: r.queryTokens });
    pos = r.end;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), weight: 0, queryTokens: [] });
  return out;
}
