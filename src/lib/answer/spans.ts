// Maps a supporting span inside a cited passage to the highlight range in its document's text.

/** A [start, end) character range. */
export interface TextRange {
  start: number;
  end: number;
}

export interface SpanContext {
  /** The passage text the sub-span indexes into (the chunk's text). */
  chunkText?: string;
  /** The document's full text, to check the mapping and trim the range to non-blank characters. */
  docText?: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The document-level range to highlight: the chunk's range narrowed to the supporting sub-span (offsets into
 * the chunk text). Chunks are slices of doc.text, so this is an offset shift; if the given texts show the
 * chunk does not match its range, the snippet is looked up in the chunk's range instead (whitespace-
 * insensitively), and the whole chunk is the fallback. Always within the chunk's range.
 */
export function documentSpan(chunk: TextRange, sub: TextRange | null, context: SpanContext = {}): TextRange {
  const whole = { start: chunk.start, end: Math.max(chunk.start, chunk.end) };
  const length = whole.end - whole.start;
  if (!sub) return whole;
  const subStart = Math.max(0, Math.min(sub.start, length));
  const subEnd = Math.max(0, Math.min(sub.end, length));
  if (subEnd <= subStart) return whole;
  const { chunkText, docText } = context;
  let range: TextRange = { start: whole.start + subStart, end: whole.start + subEnd };
  if (chunkText !== undefined && docText !== undefined && docText.slice(whole.start, whole.end) !== chunkText) {
    const snippet = chunkText.slice(sub.start, sub.end).trim();
    const region = docText.slice(whole.start, whole.end);
    const pattern = snippet.split(/\s+/).filter(Boolean).map(escapeRegExp).join('\\s+');
    const found = pattern ? new RegExp(pattern).exec(region) : null;
    if (!found) return whole;
    range = { start: whole.start + found.index, end: whole.start + found.index + found[0].length };
  }
  if (docText !== undefined) {
    while (range.start < range.end && /\s/.test(docText[range.start] ?? '')) range.start++;
    while (range.end > range.start && /\s/.test(docText[range.end - 1] ?? '')) range.end--;
    if (range.end <= range.start) return whole;
  }
  return range;
}
