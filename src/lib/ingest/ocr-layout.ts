// Recognised text (OCR) as the PDF reader and the citation view use it: tesseract's lines in page fractions, turned into layout boxes, and the lines a cited passage covers.
import type { Box } from './pdf-layout';

/** A box on the page image as fractions of its width and height, y down: [x0, y0, x1, y1]. */
export type PageBox = [number, number, number, number];

/** One recognised word with its place on the page. */
export interface OcrWord {
  text: string;
  box: PageBox;
}

/** One recognised line: its words, its box, its baseline (fraction of the page height) and its height (fraction). */
export interface OcrLine {
  text: string;
  box: PageBox;
  baseline: number;
  height: number;
  words: OcrWord[];
}

/** The slice of tesseract.js's result this module reads (`recognize(image, {}, { blocks: true })`). */
export interface TesseractBlocks {
  blocks: ReadonlyArray<{
    paragraphs: ReadonlyArray<{
      lines: ReadonlyArray<{
        text: string;
        bbox: Bbox;
        baseline?: Bbox;
        rowAttributes?: { rowHeight?: number };
        words: ReadonlyArray<{ text: string; bbox: Bbox; confidence?: number }>;
      }>;
    }>;
  }> | null;
}
interface Bbox {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The version of how recognised text is read here (ocrLinesOf): part of the OCR cache key, so a change reads again. */
export const OCR_LAYOUT_VERSION = 1;

/** Words tesseract is less sure of than this (0-100) are noise: specks and shading read as letters. */
const MIN_WORD_CONFIDENCE = 20;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/** The lines of a recognised page image `width` × `height` pixels, in reading order, with boxes as page fractions. */
export function ocrLinesOf(result: TesseractBlocks, width: number, height: number): OcrLine[] {
  const fx = (v: number) => clamp(v / width);
  const fy = (v: number) => clamp(v / height);
  const lines: OcrLine[] = [];
  for (const block of result.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const words: OcrWord[] = [];
        for (const w of line.words) {
          const text = w.text.trim();
          if (text === '' || (w.confidence !== undefined && w.confidence < MIN_WORD_CONFIDENCE)) continue;
          words.push({ text, box: [fx(w.bbox.x0), fy(w.bbox.y0), fx(w.bbox.x1), fy(w.bbox.y1)] });
        }
        if (!words.some((w) => LETTER_OR_DIGIT.test(w.text))) continue;
        const b = line.bbox;
        const baseline = line.baseline ? (line.baseline.y0 + line.baseline.y1) / 2 : b.y1;
        const rowHeight = line.rowAttributes?.rowHeight;
        lines.push({
          text: words.map((w) => w.text).join(' '),
          box: [fx(b.x0), fy(b.y0), fx(b.x1), fy(b.y1)],
          // Bounded by the line's box, so a misread baseline cannot move the line off it.
          baseline: fy(Math.min(Math.max(baseline, b.y0), b.y1)),
          height: fy(rowHeight && rowHeight > 0 ? rowHeight : b.y1 - b.y0),
          words,
        });
      }
    }
  }
  return lines;
}

/**
 * The recognised words of a page as the layout boxes of its text layer would be (points, y up, baseline), so the
 * reader finds columns, tables, paragraphs and headings in a scan as it does in text. A line's words share its
 * baseline and size (its height to the nearest point), so they read as one line.
 */
export function ocrBoxes(lines: readonly OcrLine[], pageWidth: number, pageHeight: number): Box[] {
  const boxes: Box[] = [];
  for (const line of lines) {
    const size = Math.max(1, Math.round(line.height * pageHeight));
    const y = pageHeight * (1 - line.baseline);
    for (const w of line.words) {
      boxes.push({ text: w.text, x0: w.box[0] * pageWidth, x1: w.box[2] * pageWidth, y, size, row: 0 });
    }
  }
  return boxes;
}

/** Letters and digits only, lower-cased: how a line's text is looked for in a passage, whatever the spacing. */
function squeezed(text: string): string {
  let out = '';
  for (const ch of text.toLowerCase()) if (LETTER_OR_DIGIT.test(ch)) out += ch;
  return out;
}

/**
 * The boxes of the lines of a page whose text lies in `passage` (a cited span), in page order. A line counts when
 * its letters and digits appear, in order and unbroken, in the passage's; lines of fewer than three are too short
 * to place.
 */
export function linesCovering(lines: readonly OcrLine[], passage: string): PageBox[] {
  const hay = squeezed(passage);
  const out: PageBox[] = [];
  for (const line of lines) {
    const needle = squeezed(line.text);
    if (needle.length >= 3 && hay.includes(needle)) out.push(line.box);
  }
  return out;
}

const clamp = (v: number) => (Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0);
