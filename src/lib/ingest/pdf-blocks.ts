// PDF lines into paragraphs, headings and tables: hyphenated words joined, TeX accents mended, glyph garbage dropped.
import type { BlockDraft } from './assemble';
import { extent, fragmentsOf, lowerMedian, median, readingOrder, type Box, type Line } from './pdf-layout';

const SENTENCE_END = /[.!?:;)\]"'”’]$/;
/** Bullets, "1.", "(a)", "[12]": a line starting so starts a paragraph (a list item or a reference). */
const ITEM_START = /^(?:[•◦▪▫‣∙·●○■□–—*-]\s|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]\s|\[\d{1,4}\]\s)/u;

/**
 * A numbered section title: "1 Introduction", "3.2. Trace Trees", "A. Appendix", "IV. Results". The number
 * (or letter) is followed by a capitalised word, so "3.5 percent" and "a. b" do not match.
 */
const NUMBERED_HEADING = /^(?:\d{1,2}(?:\.\d{1,2}){0,3}\.?|[A-Z]\.|[IVX]{1,4}\.)\s+\p{Lu}/u;

/** Figure and table captions are often set in the heading font; they are not headings. */
const CAPTION_START = /^(?:Fig(?:ure|\.)?|Table|Listing|Algorithm)\s*\d/i;

/** How the document sets its text: the heading sizes, the body size and font, and the fonts headings use. */
interface Typography {
  /** Sizes larger than the body used on short lines, largest first. */
  headingSizes: number[];
  bodySize: number;
  bodyFont: string | undefined;
  /** Fonts (other than the body font and code fonts) that the size-set headings use. */
  headingFonts: Set<string>;
}

const SPACING_ACCENTS: Record<string, string> = {
  '¨': '\u0308',
  '´': '\u0301',
  ˆ: '\u0302',
  '˜': '\u0303',
  '¸': '\u0327',
  '˚': '\u030A',
  ˇ: '\u030C',
};

/** TeX typesets accents as separate glyphs before the letter ("na¨ıve"); recombine them ("naïve"). */
function recombineAccents(text: string): string {
  return text.replace(/([¨´ˆ˜¸˚ˇ])\s?([\p{L}ıȷ])/gu, (_, accent: string, base: string) => {
    const letter = base === 'ı' ? 'i' : base === 'ȷ' ? 'j' : base;
    return (letter + SPACING_ACCENTS[accent]!).normalize('NFC');
  });
}

/** Text drawn with fonts that have no Unicode mapping comes out as runs of ASCII punctuation ("?>9@AJ.D<F@"). */
export function isGlyphGarbage(text: string): boolean {
  const visible = text.replace(/\s+/g, '');
  // Short chart labels in such fonts read as glyph ids 1, 2, 3… in ASCII: `!"#`, `$!"#`, `&'()*+,"`. Real
  // punctuation runs (`"",` `"%"` `(*)` `+=`) rarely pair a double quote with `!`, `#` or three consecutive codes.
  if (visible.length >= 2 && /^[!-/]+$/.test(visible) && visible.includes('"')) {
    if (/[!#]/.test(visible) || ascendingRun(visible, 3)) return true;
  }
  if (visible.length < 12) return false;
  const punct = visible.match(/[!-/:-@[-`{-~]/g)?.length ?? 0;
  return punct > visible.length * 0.4;
}

/** Whether text holds `length` characters in a row whose codes count up by one ("()*"). */
function ascendingRun(text: string, length: number): boolean {
  let run = 1;
  for (let i = 1; i < text.length; i++) {
    run = text.charCodeAt(i) === text.charCodeAt(i - 1) + 1 ? run + 1 : 1;
    if (run >= length) return true;
  }
  return false;
}

/** Joins the lines of a paragraph, mending words hyphenated across line breaks ("exam-" + "ple"). */
function joinLines(lines: string[]): string {
  let out = '';
  for (const line of lines) {
    if (out === '') {
      out = line;
    } else if (/\u00AD$/.test(out)) {
      out = out.slice(0, -1) + line;
    } else if (/\p{L}-$/u.test(out) && /^\p{Ll}/u.test(line)) {
      out = out.slice(0, -1) + line;
    } else {
      out += ' ' + line;
    }
  }
  return recombineAccents(out.replace(/\u00AD/g, ''));
}

interface PageLines {
  page: number;
  lines: Line[];
  rotated: string[];
}

/** The second line is centred under the first rather than indented: same middle, short of the right edge. */
function centred(prev: Line, line: Line, right: number): boolean {
  return line.x1 < right - line.size * 2 && Math.abs((line.x0 + line.x1) / 2 - (prev.x0 + prev.x1) / 2) < line.size;
}

/** Splits a page's ordered lines into paragraphs and headings. */
function blocksOfPage(page: PageLines, type: Typography): BlockDraft[] {
  const { headingSizes } = type;
  const out: BlockDraft[] = [];
  let para: Line[] = [];
  // Fragments of one row within one flow (table cells, spaced-out words) read as one line.
  const lines: Line[] = [];
  for (const l of page.lines) {
    if (isGlyphGarbage(l.text)) continue;
    const last = lines[lines.length - 1];
    if (last && last.flow === l.flow && last.row === l.row) {
      const cells = [...last.cells, ...l.cells];
      const text = cells.length >= 3 ? cells.join(' | ') : cells.join(' ');
      const font = last.font === l.font ? last.font : undefined;
      lines[lines.length - 1] = { ...last, text, cells, x1: Math.max(last.x1, l.x1), font };
    } else {
      lines.push(l);
    }
  }
  // A table needs two such rows in a row; a lone one is justified text with wide word gaps.
  const wide = (l: Line | undefined) => l !== undefined && l.cells.length >= 3;
  for (let k = 0; k < lines.length; k++) {
    const l = lines[k]!;
    const neighbour = [lines[k - 1], lines[k + 1]].some((n) => wide(n) && n!.flow === l.flow);
    if (wide(l) && !neighbour) lines[k] = { ...l, text: l.cells.join(' '), cells: [l.cells.join(' ')] };
  }
  const isRow = (l: Line) => l.cells.length >= 3;
  /**
   * A line set apart by its font rather than its size: at body size or near it, wholly in a font that is not the
   * body's nor a code font, and either in a font the size-set headings use or opening with a section number. It
   * must not end like a sentence (or a hyphenated word) nor open a caption, which are often set in that font too.
   */
  const typeset = (l: Line) =>
    l.font !== undefined &&
    !/[.!?,;:-]$/.test(l.text) &&
    !CAPTION_START.test(l.text) &&
    l.font !== type.bodyFont &&
    l.mono !== true &&
    l.size >= type.bodySize - 0.5 &&
    !headingSizes.some((s) => Math.abs(s - l.size) < 0.5) &&
    l.text.length <= 80 &&
    (type.headingFonts.has(l.font) || NUMBERED_HEADING.test(l.text));
  const byFlow = new Map<number, Line[]>();
  for (const l of lines) {
    const list = byFlow.get(l.flow);
    if (list) list.push(l);
    else byFlow.set(l.flow, [l]);
  }
  const flowLeft = new Map<number, number>();
  const flowRight = new Map<number, number>();
  // Line spacing depends on the font size, so the typical pitch is kept per flow and size.
  const pitchKey = (l: Line) => `${l.flow}:${Math.round(l.size * 2)}`;
  const gapsByKey = new Map<string, number[]>();
  for (const [flow, ls] of byFlow) {
    for (let k = 1; k < ls.length; k++) {
      const g = ls[k - 1]!.y - ls[k]!.y;
      if (g > 0 && Math.abs(ls[k]!.size - ls[k - 1]!.size) < 0.5) {
        const key = pitchKey(ls[k]!);
        const gaps = gapsByKey.get(key);
        if (gaps) gaps.push(g);
        else gapsByKey.set(key, [g]);
      }
    }
    flowLeft.set(flow, extent(ls.map((l) => l.x0))[0]);
    flowRight.set(flow, extent(ls.map((l) => l.x1))[1]);
  }

  const byFontHeadings = new Set<BlockDraft>();
  const flush = () => {
    if (para.length === 0) return;
    if (para.every(isRow)) {
      out.push({ kind: 'table', text: para.map((l) => l.text).join('\n'), page: page.page });
      para = [];
      return;
    }
    const text = joinLines(para.map((l) => l.text));
    const size = median(para.map((l) => l.size));
    const sized = headingSizes.findIndex((s) => Math.abs(s - size) < 0.5);
    // Headings set by font alone rank below every size-set one.
    const byFont = sized < 0 && para.length <= 2 && para.every(typeset);
    const level = sized >= 0 ? sized + 1 : Math.min(headingSizes.length + 1, 6);
    const isHeading =
      (sized >= 0 || byFont) && para.length <= 3 && text.length <= 200 && !/[.,;]$/.test(text) && /\p{L}/u.test(text);
    const block: BlockDraft = isHeading
      ? { kind: 'heading', level, text, page: page.page }
      : { kind: 'paragraph', text, page: page.page };
    if (isHeading && byFont) byFontHeadings.add(block);
    out.push(block);
    para = [];
  };

  for (const line of lines) {
    const prev = para[para.length - 1];
    if (prev) {
      const sizeJump = Math.abs(line.size - prev.size) > Math.max(prev.size, line.size) * 0.15;
      const listLike = ITEM_START.test(para[0]!.text);
      let breakHere =
        sizeJump ||
        isRow(line) !== isRow(prev) ||
        typeset(line) !== typeset(prev) ||
        ITEM_START.test(line.text) ||
        (typeset(line) && NUMBERED_HEADING.test(line.text));
      if (!breakHere && isRow(line)) {
        breakHere =
          line.flow !== prev.flow ||
          prev.y - line.y > (lowerMedian(gapsByKey.get(pitchKey(line)) ?? []) || line.size * 1.2) * 2;
      } else if (!breakHere && line.flow === prev.flow) {
        const gap = prev.y - line.y;
        const pitch = lowerMedian(gapsByKey.get(pitchKey(line)) ?? []) || line.size * 1.2;
        const left = flowLeft.get(line.flow)!;
        const right = flowRight.get(line.flow)!;
        if (gap <= 0 || gap > pitch * 1.35 || gap > line.size * 2.5) breakHere = true;
        // A first-line indent starts a paragraph; so does a line after a short line that ended a sentence.
        // (List items and references hang their continuation lines, so indentation means nothing there.)
        // Centred lines (titles) start further in without starting anything.
        else if (
          !listLike &&
          line.x0 > prev.x0 + line.size * 0.8 &&
          line.x0 > left + line.size * 0.8 &&
          !centred(prev, line, right)
        )
          breakHere = true;
        else if (prev.x1 < right - prev.size * 4 && SENTENCE_END.test(prev.text)) breakHere = true;
      } else if (!breakHere) {
        // Across columns or bands a paragraph continues only while its sentence visibly does.
        breakHere = SENTENCE_END.test(prev.text) || !/^\p{Ll}/u.test(line.text);
      }
      if (breakHere) flush();
    }
    para.push(line);
  }
  flush();
  // Headings set by font alone come one or two in a row (a section and its first subsection) and introduce body
  // text; a longer run of such lines is a bold list, and one before a table or a size-set heading is a label.
  for (let k = 0; k < out.length;) {
    let end = k;
    while (end < out.length && byFontHeadings.has(out[end]!)) end++;
    const next = out[end];
    if (end > k && (end - k > 2 || (next !== undefined && next.kind !== 'paragraph')))
      for (let j = k; j < end; j++) out[j] = { kind: 'paragraph', text: out[j]!.text, page: out[j]!.page };
    k = Math.max(end, k + 1);
  }
  if (page.rotated.length > 0) out.push({ kind: 'paragraph', text: page.rotated.join(' '), page: page.page });
  return out;
}

/**
 * Blocks of every page: each page's rows (running lines already dropped) read in column order, then split into
 * paragraphs, headings and tables, with heading sizes judged over the whole document.
 */
export function blocksOfPages(pages: { page: number; rows: Box[][]; rotated: string[] }[]): BlockDraft[] {
  // Body size: the size most characters are set in; larger sizes used on short lines are heading sizes.
  const charsBySize = new Map<number, number>();
  const pageLines: PageLines[] = pages.map((p) => {
    const frags = p.rows.flatMap(fragmentsOf).filter((f) => f.text !== '');
    for (const f of frags) {
      const s = Math.round(f.size * 2) / 2;
      charsBySize.set(s, (charsBySize.get(s) ?? 0) + f.text.length);
    }
    return { page: p.page, lines: readingOrder(frags, 0, { next: 0 }), rotated: p.rotated };
  });
  let bodySize = 0;
  let bodyChars = -1;
  for (const [s, c] of charsBySize) if (c > bodyChars) [bodySize, bodyChars] = [s, c];
  const totalChars = [...charsBySize.values()].reduce((a, b) => a + b, 0);
  const headingSizes = [...charsBySize.entries()]
    .filter(([s, c]) => s >= bodySize * 1.15 && c < totalChars * 0.2)
    .map(([s]) => s)
    .sort((a, b) => b - a)
    .slice(0, 4);
  // Body font: the font most body-size characters are set in; heading fonts: those of the short lines at heading
  // sizes (the title and section heads), which papers reuse for subsection heads at body size.
  const charsByFont = new Map<string, number>();
  const headingFonts = new Set<string>();
  for (const p of pageLines) {
    for (const l of p.lines) {
      if (l.font === undefined || l.mono === true) continue;
      if (Math.abs(l.size - bodySize) < 0.5) charsByFont.set(l.font, (charsByFont.get(l.font) ?? 0) + l.text.length);
      else if (headingSizes.some((s) => Math.abs(s - l.size) < 0.5) && l.text.length <= 120) headingFonts.add(l.font);
    }
  }
  let bodyFont: string | undefined;
  let bodyFontChars = -1;
  for (const [f, c] of charsByFont) if (c > bodyFontChars) [bodyFont, bodyFontChars] = [f, c];
  if (bodyFont !== undefined) headingFonts.delete(bodyFont);
  const type: Typography = { headingSizes, bodySize, bodyFont, headingFonts };

  return pageLines.flatMap((p) => blocksOfPage(p, type));
}
