// PDF page layout: pdf.js text items into rows, fragments and column reading order; running headers/footers dropped.

/** The fields of a pdf.js text item that the layout reads. */
export interface PdfjsTextItem {
  str: string;
  transform: number[];
  width: number;
  height: number;
  /** pdf.js's id of the item's font (per document), e.g. "g_d0_f1". */
  fontName?: string;
}

/** What getTextContent says of each font: only a generic family ("serif", "sans-serif", "monospace"). */
export type PdfjsTextStyles = Record<string, { fontFamily?: string } | undefined>;

/** A run of text on one line of a page, in PDF user space (y grows upwards). */
export interface Box {
  text: string;
  x0: number;
  x1: number;
  /** Baseline. */
  y: number;
  size: number;
  /** The font the whole run is set in; undefined when it mixes fonts (or pdf.js named none). */
  font?: string;
  /** Set in a monospace font (code), which is never a heading font. */
  mono?: boolean;
  /** Index of the row (shared baseline across the page) the box belongs to. */
  row: number;
}

/** Boxes on one baseline and within one column: a line of text. */
export interface Line extends Box {
  /** Index of the column flow it was read in, so vertical gaps are compared only within a flow. */
  flow: number;
  /** Texts of the widely spaced fragments the line was made of; three or more make a table row. */
  cells: string[];
}

/** A page's text items as boxes; rotated or mirrored items are set apart as plain text. */
export function boxesOf(
  items: ReadonlyArray<PdfjsTextItem | { type: string }>,
  styles: PdfjsTextStyles = {},
): { boxes: Box[]; rotated: string[] } {
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
    const font = raw.fontName;
    const mono = font !== undefined && styles[font]?.fontFamily === 'monospace';
    boxes.push({ text: raw.str, x0: e, x1: e + Math.max(raw.width, 0), y: f, size, font, mono, row: 0 });
  }
  return { boxes, rotated };
}

/** The lower median: for line pitches, where the outliers (paragraph gaps) are all on the high side. */
export function lowerMedian(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((p, q) => p - q);
  return s[Math.floor((s.length - 1) / 2)]!;
}

/** Smallest and largest of a list without spreading it into arguments (pages can hold huge item counts). */
export function extent(values: number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * Groups boxes into rows sharing a line (superscripts and subscripts included), each sorted by x. A box joins
 * a row when its middle is near the row's first box, not its latest one, so that the lines of two columns
 * offset by half a line never chain into one row.
 */
export function rowsOf(boxes: Box[]): Box[][] {
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
export function fragmentsOf(row: Box[]): Box[] {
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
        font: cur.font === box.font ? cur.font : undefined,
        mono: cur.mono === true && box.mono === true,
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
export function readingOrder(frags: Box[], depth: number, flows: { next: number }): Line[] {
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

/**
 * Drops lines that recur at the top or bottom of at least half the pages (running headers, page numbers).
 * Up to two lines per edge, the inner one only when the outer one went: body text is never peeled off
 * just because two pages happen to start alike.
 */
export function dropRunningLines(pages: { page: number; rows: Box[][] }[]): void {
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
