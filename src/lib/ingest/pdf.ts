// PDF ingestion with pdf.js: text layer per page in reading order (columns), running headers dropped, hyphens joined.
import { AppError, type ErrorCode } from '../errors';
import { assemble, fileStem, type BlockDraft } from './assemble';
import type { ParsedDocument } from './types';

// The slice of the pdf.js API this module uses, so that either build (modern or legacy) can be passed in.
export interface PdfjsTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
}
export interface PdfjsPage {
  getTextContent(params?: Record<string, unknown>): Promise<{ items: ReadonlyArray<PdfjsTextItem | { type: string }> }>;
  cleanup(): unknown;
}
export interface PdfjsDocument {
  numPages: number;
  getPage(pageNumber: number): Promise<PdfjsPage>;
  getMetadata(): Promise<{ info: unknown }>;
  destroy(): Promise<void>;
}
export interface PdfjsModule {
  getDocument(src: Record<string, unknown>): { promise: Promise<PdfjsDocument>; destroy(): Promise<void> };
}
export type PdfjsLoader = () => Promise<PdfjsModule>;

export interface PdfOptions {
  password?: string;
  /**
   * Returns the pdf.js module to use. Defaults to the modern build running in the calling thread (we are
   * already in a worker). Node callers pass the legacy build: () => import('pdfjs-dist/legacy/build/pdf.mjs').
   */
  loadPdfjs?: PdfjsLoader;
  /** Extra getDocument parameters (e.g. cMapUrl for CJK fonts). */
  documentParams?: Record<string, unknown>;
}

/**
 * The default loader for the app's ingest worker. Registering the worker module as globalThis.pdfjsWorker
 * makes pdf.js parse in this thread instead of starting a nested worker (which it cannot do from a worker).
 * Importing that module also makes pdf.js post one "ready" message to our parent; the RPC client ignores it.
 */
export const loadPdfjsInWorker: PdfjsLoader = async () => {
  const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.mjs')]);
  (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
  return pdfjs as unknown as PdfjsModule;
};

/** A run of text on one line of a page, in PDF user space (y grows upwards). */
interface Box {
  text: string;
  x0: number;
  x1: number;
  /** Baseline. */
  y: number;
  size: number;
  /** Index of the row (shared baseline across the page) the box belongs to. */
  row: number;
}

/** Boxes on one baseline and within one column: a line of text. */
interface Line extends Box {
  /** Index of the column flow it was read in, so vertical gaps are compared only within a flow. */
  flow: number;
  /** Texts of the widely spaced fragments the line was made of; three or more make a table row. */
  cells: string[];
}

const SENTENCE_END = /[.!?:;)\]"'”’]$/;
/** Bullets, "1.", "(a)", "[12]": a line starting so starts a paragraph (a list item or a reference). */
const ITEM_START = /^(?:[•◦▪▫‣∙·●○■□–—*-]\s|\(?(?:\d{1,3}|[a-z]|[ivx]{1,4})[.)]\s|\[\d{1,4}\]\s)/u;

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

function boxesOf(items: ReadonlyArray<PdfjsTextItem | { type: string }>): { boxes: Box[]; rotated: string[] } {
  const boxes: Box[] = [];
  const rotated: string[] = [];
  for (const raw of items) {
    if (!('str' in raw) || raw.str.trim() === '') continue;
    const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = raw.transform;
    if (Math.abs(b) > 1e-3 || Math.abs(c) > 1e-3 || a <= 0) {
      // Rotated or mirrored text (margin stamps, axis labels) is kept but read apart from the layout.
      rotated.push(raw.str);
      continue;
    }
    const size = Math.abs(d) || raw.height || 1;
    boxes.push({ text: raw.str, x0: e, x1: e + Math.max(raw.width, 0), y: f, size, row: 0 });
  }
  return { boxes, rotated };
}

/** The lower median: for line pitches, where the outliers (paragraph gaps) are all on the high side. */
function lowerMedian(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((p, q) => p - q);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Smallest and largest of a list without spreading it into arguments (pages can hold huge item counts). */
function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Groups boxes into rows sharing a line (superscripts and subscripts included), each sorted by x. A box joins
 * a row when its middle is near the row's first box, not its latest one, so that the lines of two columns
 * offset by half a line never chain into one row.
 */
function rowsOf(boxes: Box[]): Box[][] {
  const mid = (b: Box) => b.y + b.size / 2;
  const sorted = [...boxes].sort((p, q) => mid(q) - mid(p) || p.x0 - q.x0);
  const rows: Box[][] = [];
  let row: Box[] = [];
  for (const box of sorted) {
    const anchor = row[0];
    if (anchor && mid(anchor) - mid(box) > Math.max(anchor.size, box.size) * 0.4) {
      rows.push(row);
      row = [];
    }
    row.push(box);
  }
  if (row.length > 0) rows.push(row);
  return rows.map((r, i) => r.map((b) => ({ ...b, row: i })).sort((p, q) => p.x0 - q.x0));
}

/** Joins the boxes of a row into fragments, cutting where the gap is wide enough to be a column gutter. */
function fragmentsOf(row: Box[]): Box[] {
  const out: Box[] = [];
  let cur: Box | null = null;
  for (const box of row) {
    const size = Math.max(box.size, cur?.size ?? 0);
    // Word gaps stay well under an em; column gutters and table gaps are wider.
    if (cur && box.x0 - cur.x1 <= size && box.x0 - cur.x1 >= -size * 2) {
      const gap: number = box.x0 - cur.x1;
      const space: string = gap > size * 0.15 && !/\s$/.test(cur.text) && !/^\s/.test(box.text) ? ' ' : '';
      // The fragment keeps the baseline and size of its main text, not of a superscript.
      const main: Box = box.text.length > cur.text.length ? box : cur;
      cur = {
        text: cur.text + space + box.text,
        x0: cur.x0,
        x1: Math.max(cur.x1, box.x1),
        y: main.y,
        size: main.size,
        row: cur.row,
      };
    } else {
      if (cur) out.push(cur);
      cur = { ...box };
    }
  }
  if (cur) out.push(cur);
  return out.map((f) => ({ ...f, text: f.text.replace(/\s+/g, ' ').trim() }));
}

/** Normalized form of a header or footer line: page numbers and dates vary from page to page. */
function runningKey(rowText: string): string {
  return rowText.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ').trim();
}

/**
 * Orders the fragments of a page region for reading: finds a vertical gutter that (almost) no fragment
 * crosses, then reads band by band (bands separated by fragments that span the gutter): the left column,
 * then the right, each recursively (three columns and more).
 */
function readingOrder(frags: Box[], depth: number, flows: { next: number }): Line[] {
  const gutter = depth < 3 ? findGutter(frags) : null;
  if (gutter === null) {
    const flow = flows.next++;
    return [...frags].sort((p, q) => p.row - q.row || p.x0 - q.x0).map((f) => ({ ...f, flow, cells: [f.text] }));
  }
  const byTop = [...frags].sort((p, q) => p.row - q.row || p.x0 - q.x0);
  const out: Line[] = [];
  let left: Box[] = [];
  let right: Box[] = [];
  const flushBand = () => {
    if (left.length > 0) out.push(...readingOrder(left, depth + 1, flows));
    if (right.length > 0) out.push(...readingOrder(right, depth + 1, flows));
    left = [];
    right = [];
  };
  let spanFlow = -1;
  for (const f of byTop) {
    const spans = f.x0 < gutter.at - gutter.margin && f.x1 > gutter.at + gutter.margin;
    if (spans) {
      // Consecutive spanning lines (a title, a wide caption) are one flow, so their lines can form a paragraph.
      if (left.length > 0 || right.length > 0 || spanFlow < 0) spanFlow = flows.next++;
      flushBand();
      out.push({ ...f, flow: spanFlow, cells: [f.text] });
    } else if ((f.x0 + f.x1) / 2 < gutter.at) {
      left.push(f);
    } else {
      right.push(f);
    }
  }
  flushBand();
  return out;
}

/**
 * A vertical cut between columns: the x where the least text crosses, counting fragments that reach well
 * into both sides (titles, full-width figures) as spanning bands rather than blockers, with enough ordinary
 * text lines on either side. Null for single-column text, where most lines cross every candidate.
 */
function findGutter(frags: Box[]): { at: number; margin: number } | null {
  if (frags.length < 6) return null;
  const minX = extent(frags.map((f) => f.x0))[0];
  const maxX = extent(frags.map((f) => f.x1))[1];
  const width = maxX - minX;
  const size = median(frags.map((f) => f.size));
  if (width < size * 20) return null;
  const total = frags.reduce((s, f) => s + f.text.length, 0);
  const margin = size;
  const step = Math.max(1, size / 4);
  const split = (x: number) => {
    let spanning = 0;
    let poking = 0;
    const left: Box[] = [];
    const right: Box[] = [];
    for (const f of frags) {
      if (f.x0 < x - margin && f.x1 > x + margin) {
        spanning += f.text.length;
        continue;
      }
      if (f.x0 < x && f.x1 > x) poking += f.text.length;
      ((f.x0 + f.x1) / 2 < x ? left : right).push(f);
    }
    return { spanning, poking, left, right };
  };
  const chars = (bs: Box[]) => bs.reduce((s, f) => s + f.text.length, 0);
  let best: { score: number; first: number; last: number } | null = null;
  const steps = Math.floor((width * 0.6) / step);
  for (let k = 0; k <= steps; k++) {
    const x = minX + width * 0.2 + k * step;
    const { spanning, poking, left, right } = split(x);
    if (left.length < 3 || right.length < 3 || chars(left) < total * 0.15 || chars(right) < total * 0.15) continue;
    const score = spanning + 4 * poking;
    if (!best || score < best.score) best = { score, first: k, last: k };
    else if (score === best.score && best.last === k - 1) best.last = k;
  }
  if (!best) return null;
  // The middle of the run of equally good positions: the middle of the gutter.
  const at = minX + width * 0.2 + ((best.first + best.last) / 2) * step;
  const { spanning, poking, left, right } = split(at);
  if (spanning > total * 0.5 || poking > total * 0.02) return null;
  // Text columns, not the columns of a table: most characters on either side sit in long lines.
  const longish = (bs: Box[]) => chars(bs.filter((f) => f.text.length >= 20)) >= chars(bs) * 0.5;
  if (!longish(left) || !longish(right)) return null;
  return { at, margin };
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
function blocksOfPage(page: PageLines, headingSizes: number[]): BlockDraft[] {
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
      lines[lines.length - 1] = { ...last, text, cells, x1: Math.max(last.x1, l.x1) };
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

  const flush = () => {
    if (para.length === 0) return;
    if (para.every(isRow)) {
      out.push({ kind: 'table', text: para.map((l) => l.text).join('\n'), page: page.page });
      para = [];
      return;
    }
    const text = joinLines(para.map((l) => l.text));
    const size = median(para.map((l) => l.size));
    const level = headingSizes.findIndex((s) => Math.abs(s - size) < 0.5);
    const isHeading =
      level >= 0 && para.length <= 3 && text.length <= 200 && !/[.,;]$/.test(text) && /\p{L}/u.test(text);
    out.push(
      isHeading
        ? { kind: 'heading', level: level + 1, text, page: page.page }
        : { kind: 'paragraph', text, page: page.page },
    );
    para = [];
  };

  for (const line of lines) {
    const prev = para[para.length - 1];
    if (prev) {
      const sizeJump = Math.abs(line.size - prev.size) > Math.max(prev.size, line.size) * 0.15;
      const listLike = ITEM_START.test(para[0]!.text);
      let breakHere = sizeJump || isRow(line) !== isRow(prev) || ITEM_START.test(line.text);
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
  if (page.rotated.length > 0) out.push({ kind: 'paragraph', text: page.rotated.join(' '), page: page.page });
  return out;
}

function errorCodeFor(err: unknown, passwordGiven: boolean): ErrorCode {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'PasswordException') {
    const code = (err as { code?: unknown }).code;
    // pdf.js: 1 = a password is needed, 2 = the one given is wrong.
    return code === 2 || (code !== 1 && passwordGiven) ? 'PDF_PASSWORD_INCORRECT' : 'PDF_PASSWORD_REQUIRED';
  }
  return 'PDF_INVALID';
}

function hasPdfHeader(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  return head.includes('%PDF-');
}

/** A plausible document title from the PDF's Info dictionary, or undefined. */
function metadataTitle(info: unknown): string | undefined {
  const raw = typeof info === 'object' && info !== null ? (info as { Title?: unknown }).Title : undefined;
  if (typeof raw !== 'string') return undefined;
  const title = raw.replace(/^Microsoft (?:Word|PowerPoint) - /i, '').trim();
  if (title === '' || /^untitled$/i.test(title) || /\.(?:docx?|pdf|tex|dvi|ps|indd|rtf)$/i.test(title))
    return undefined;
  return title;
}

/**
 * Drops lines that recur at the top or bottom of at least half the pages (running headers, page numbers).
 * Up to two lines per edge, the inner one only when the outer one went: body text is never peeled off
 * just because two pages happen to start alike.
 */
function dropRunningLines(pages: { page: number; rows: Box[][] }[]): void {
  if (pages.length < 2) return;
  // Running lines sit at the same height on every page; body text that happens to match rarely does.
  const keyOf = (where: string, row: Box[]) =>
    `${where}:${Math.round(row[0]!.y / 4)}:${runningKey(row.map((b) => b.text).join(' '))}`;
  const seen = new Map<string, Set<number>>();
  for (const p of pages) {
    const n = p.rows.length;
    const edges: [string, Box[] | undefined][] = [
      ['top', p.rows[0]],
      ['top', p.rows[1]],
      ['bottom', p.rows[n - 1]],
      ['bottom', n > 2 ? p.rows[n - 2] : undefined],
    ];
    for (const [where, row] of edges) {
      if (!row) continue;
      const key = keyOf(where, row);
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(p.page);
    }
  }
  const threshold = Math.max(2, Math.ceil(pages.length / 2));
  const running = (where: string, row: Box[] | undefined) =>
    row !== undefined && seen.get(keyOf(where, row))!.size >= threshold;
  for (const p of pages) {
    let top = 0;
    while (top < 2 && running('top', p.rows[top])) top++;
    let bottom = 0;
    while (bottom < 2 && p.rows.length - 1 - bottom >= top && running('bottom', p.rows[p.rows.length - 1 - bottom]))
      bottom++;
    p.rows = p.rows.slice(top, p.rows.length - bottom);
  }
}

export async function parsePdf(bytes: Uint8Array, fileName: string, opts: PdfOptions = {}): Promise<ParsedDocument> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  if (!hasPdfHeader(bytes)) throw new AppError('PDF_INVALID', undefined, { fileName, reason: 'no %PDF header' });
  const pdfjs = await (opts.loadPdfjs ?? loadPdfjsInWorker)();
  const passwordGiven = opts.password !== undefined && opts.password !== '';
  const task = pdfjs.getDocument({
    // pdf.js may transfer (detach) the buffer it is given; the caller keeps its bytes.
    data: bytes.slice(),
    password: opts.password,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    disableAutoFetch: true,
    disableStream: true,
    stopAtErrors: false,
    verbosity: 0,
    ...opts.documentParams,
  });
  let doc: PdfjsDocument;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => {});
    const code = errorCodeFor(err, passwordGiven);
    const reason = err instanceof Error ? err.message : String(err);
    throw new AppError(code, undefined, { fileName, reason: reason.slice(0, 200) });
  }

  try {
    const warnings: ErrorCode[] = [];
    const pages: { page: number; rows: Box[][]; rotated: string[] }[] = [];
    let failedPages = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent({ includeMarkedContent: false });
        page.cleanup();
        const { boxes, rotated } = boxesOf(content.items);
        pages.push({ page: n, rows: rowsOf(boxes), rotated });
      } catch {
        // A damaged page should not cost the rest of the document.
        failedPages++;
      }
    }
    if (failedPages === doc.numPages && doc.numPages > 0) {
      throw new AppError('PDF_INVALID', undefined, { fileName, reason: 'no page could be read' });
    }
    if (failedPages > 0) warnings.push('PDF_PAGES_SKIPPED');

    dropRunningLines(pages);

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

    const drafts = pageLines.flatMap((p) => blocksOfPage(p, headingSizes));
    if (!drafts.some((d) => /[\p{L}\p{N}]/u.test(d.text))) {
      throw new AppError('PDF_NO_TEXT', undefined, { fileName, pages: doc.numPages });
    }
    const meta = await doc.getMetadata().catch(() => ({ info: undefined }));
    const firstHeading = drafts.find((d) => d.kind === 'heading' && d.page === 1);
    const title = metadataTitle(meta.info) ?? firstHeading?.text ?? fileStem(fileName);
    return assemble('pdf', title, drafts, { warnings, pageCount: doc.numPages });
  } finally {
    await doc.destroy().catch(() => {});
  }
}
