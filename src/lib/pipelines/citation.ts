// Citations of an answer: its [n] markers parsed, and the view of one opened with the supporting span highlighted.
import { parseCitations } from '../answer/citations';
import type { SentenceGrounding } from '../answer/grounding';
import { documentSpan } from '../answer/spans';
import { linesCovering, type OcrLine, type PageBox } from '../ingest/ocr-layout';
import type { Source } from './turn';

export { parseCitations };

/** A citation opened in the document view. */
export interface CitationView {
  n: number;
  docName: string;
  text: string;
  /** The cited passage, and within it the span that best supports the sentence. */
  passage: { start: number; end: number };
  highlight: { start: number; end: number };
  /** For a passage read from a scanned page (OCR): the page image with the boxes of the cited lines. */
  scan?: ScanView;
}

/** A scanned page as the citation view shows it. */
export interface ScanView {
  page: number;
  image: Blob;
  width: number;
  height: number;
  boxes: PageBox[];
}

/**
 * The recognised lines of a scanned page to box for a citation: those of the highlighted span, else those of the
 * whole passage; none when the page holds neither (the passage starts on another page).
 */
export function scanBoxes(lines: readonly OcrLine[], view: CitationView): PageBox[] {
  const highlighted = linesCovering(lines, view.text.slice(view.highlight.start, view.highlight.end));
  return highlighted.length > 0
    ? highlighted
    : linesCovering(lines, view.text.slice(view.passage.start, view.passage.end));
}

/** The view of source `n` in its document's text; the citing sentence (by its start) picks the span to highlight. */
export function citationView(
  source: Source,
  docText: string,
  grounding: readonly SentenceGrounding[],
  sentenceStart?: number,
): CitationView {
  const sentence = grounding.find(
    (g) => sentenceStart !== undefined && g.start <= sentenceStart && sentenceStart < g.end,
  );
  const sub = sentence?.support && sentence.support.n === source.n ? sentence.support : null;
  const passage = { start: source.start, end: source.end };
  return {
    n: source.n,
    docName: source.docName,
    text: docText,
    passage,
    highlight: documentSpan(passage, sub, { chunkText: source.text, docText }),
  };
}
