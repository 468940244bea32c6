// Spreadsheets (XLSX, ODS, CSV) as text: each sheet a heading, its rows as table blocks that each repeat the header.
import { AppError } from '../errors';
import type { ZipFormatOptions } from './archive';
import { collapseSpaces, type BlockDraft } from './assemble';

/** Most cells (up to each row's last non-empty one) read from one file; past it the file is refused. */
export const MAX_SHEET_CELLS = 1_000_000;
/** Most non-empty rows read from one file. */
export const MAX_SHEET_ROWS = 200_000;
/**
 * A block of rows, header line included, stays under this many characters (a longer row is split over lines), so that
 * it fits a passage whole at the default 256-token budget even for digit-heavy rows (about 2 characters a token):
 * the chunker never cuts a block that fits, so every passage starts at a block, and so with the header row.
 */
export const SHEET_BLOCK_CHARS = 400;
/**
 * Most characters of table text made from one file, header copies included. Repeats (ODS repeated rows and columns,
 * one XLSX shared string used by many cells) multiply text that the cell and row caps do not see; 20 million is the
 * million-cell cap at 20 characters a cell, a tenth of the 200 MiB uncompressed-size limit, and far more than can be
 * embedded in a browser in one sitting.
 */
export const MAX_SHEET_CHARS = 20_000_000;
/** A cell's text is cut (ending with "…") past this many characters. */
export const MAX_CELL_CHARS = 2_000;
/** The header copy that starts each block is cut to this, so that every block keeps room for rows. */
export const MAX_HEADER_CHARS = SHEET_BLOCK_CHARS / 2;

export interface SheetLimits {
  maxCells?: number;
  maxRows?: number;
  maxChars?: number;
}

/** What the XLSX and ODS parsers take: the zip-bomb budget and the sheet limits. */
export type SpreadsheetOptions = ZipFormatOptions & SheetLimits;

/** One non-empty row: its 1-based number in the sheet and its cells' texts (empty ones kept, trailing ones dropped). */
export interface SheetRow {
  n: number;
  cells: string[];
}

export interface Sheet {
  name: string;
  rows: SheetRow[];
}

/** A row's length as a table line ("12 | a | b"), near enough: its cells and separators, the row number's room. */
const rowChars = (cells: readonly string[]) => cells.reduce((sum, c) => sum + c.length + 3, 8);

/** Counts rows, cells and characters over a whole file as the parsers read them; refuses it once a limit is passed. */
export class SheetBudget {
  private cells = 0;
  private rows = 0;
  private chars = 0;
  private readonly maxCells: number;
  private readonly maxRows: number;
  private readonly maxChars: number;

  constructor(
    private readonly fileName: string,
    limits: SheetLimits = {},
  ) {
    this.maxCells = limits.maxCells ?? MAX_SHEET_CELLS;
    this.maxRows = limits.maxRows ?? MAX_SHEET_ROWS;
    this.maxChars = limits.maxChars ?? MAX_SHEET_CHARS;
  }

  /** Adds `count` copies of a row (a repeated row counts every time), before they are built. */
  add(cells: readonly string[], count = 1): void {
    this.rows += count;
    this.cells += cells.length * count;
    if (this.rows > this.maxRows) this.refuse(this.maxRows, 'rows');
    if (this.cells > this.maxCells) this.refuse(this.maxCells, 'cells');
    this.addChars(rowChars(cells) * count);
  }

  /** Adds text made beyond the rows' own (the header copied into each block). */
  addChars(chars: number): void {
    this.chars += chars;
    if (this.chars > this.maxChars) this.refuse(this.maxChars, 'characters');
  }

  /** Throws SPREADSHEET_TOO_LARGE unless `cells` more cells fit (a row is checked before it is built). */
  checkCells(cells: number): void {
    if (this.cells + cells > this.maxCells) this.refuse(this.maxCells, 'cells');
  }

  private refuse(limit: number, unit: string): never {
    throw new AppError('SPREADSHEET_TOO_LARGE', undefined, {
      fileName: this.fileName,
      limit: limit.toLocaleString('en-US'),
      unit,
    });
  }
}

/** `text` cut to at most `max` characters, ending with "…" when cut (never between the halves of a surrogate pair). */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, cutAt(text, max - 1))}…`;
}

/** `at`, or one less where `at` would split a surrogate pair. */
function cutAt(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

/** A cell's text on one line: whitespace (line breaks in a cell included) collapsed, cut past MAX_CELL_CHARS. */
export function cellText(text: string): string {
  return clip(collapseSpaces(text), MAX_CELL_CHARS);
}

/** The cells up to the last non-empty one; [] for an empty row. */
export function trimRow(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1] === '') end--;
  return end === cells.length ? cells : cells.slice(0, end);
}

const line = (label: string, cells: readonly string[]) => [label, ...cells].join(' | ');

/**
 * A row as lines of at most `room` characters: whole when it fits, else its cells in runs, each line starting with
 * the row number again (a cell longer than a line alone is cut across lines). So a wide row never makes a block
 * longer than SHEET_BLOCK_CHARS, which the chunker would split, leaving passages without the header.
 */
function rowLines(row: SheetRow, room: number): string[] {
  const label = String(row.n);
  const whole = line(label, row.cells);
  if (whole.length <= room) return [whole];
  const out: string[] = [];
  let current = label;
  for (const cell of row.cells) {
    let rest = cell;
    for (;;) {
      if (current.length + 3 + rest.length <= room) {
        current += ` | ${rest}`;
        break;
      }
      if (current !== label) {
        out.push(current);
        current = label;
        continue;
      }
      const take = cutAt(rest, room - label.length - 3);
      out.push(`${label} | ${rest.slice(0, take)}`);
      rest = rest.slice(take);
    }
  }
  if (current !== label) out.push(current);
  return out;
}

/**
 * A sheet's blocks: a level-1 heading (its name), then its rows as table blocks of at most SHEET_BLOCK_CHARS. The first
 * non-empty row is the header: each block starts with it ("Row | Name | Age"), then rows with their numbers
 * ("12 | Ada | 36"), so every passage made from the sheet names its columns and each row's place in the sheet.
 */
export function sheetBlocks(sheet: Sheet, budget: SheetBudget): BlockDraft[] {
  const [header, ...rows] = sheet.rows;
  if (!header) return [];
  const out: BlockDraft[] = [{ kind: 'heading', level: 1, text: sheet.name }];
  if (rows.length === 0) {
    out.push({ kind: 'table', text: line(String(header.n), header.cells) });
    return out;
  }
  // A wide header is cut: copied into every block whole, it would leave no room for rows. It is written whole once,
  // as the sheet's first row, so no column name is lost from the document.
  const full = line('Row', header.cells);
  const head = clip(full, MAX_HEADER_CHARS);
  const room = SHEET_BLOCK_CHARS - head.length - 1;
  let lines = [head];
  let size = head.length;
  for (const row of head === full ? rows : [header, ...rows]) {
    for (const text of rowLines(row, room)) {
      if (lines.length > 1 && size + 1 + text.length > SHEET_BLOCK_CHARS) {
        out.push({ kind: 'table', text: lines.join('\n') });
        // Each further header copy is text the file did not pay for: it counts against the budget.
        budget.addChars(head.length + 1 + String(row.n).length);
        lines = [head];
        size = head.length;
      }
      lines.push(text);
      size += 1 + text.length;
    }
  }
  out.push({ kind: 'table', text: lines.join('\n') });
  return out;
}
