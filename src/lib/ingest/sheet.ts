// Spreadsheets (XLSX, ODS, CSV) as text: each sheet a heading, its rows as table blocks that each repeat the header.
import { AppError } from '../errors';
import type { ZipFormatOptions } from './archive';
import { collapseSpaces, type BlockDraft } from './assemble';

/** Most cells (up to each row's last non-empty one) read from one file; past it the file is refused. */
export const MAX_SHEET_CELLS = 1_000_000;
/** Most non-empty rows read from one file. */
export const MAX_SHEET_ROWS = 200_000;
/**
 * A block of rows, header line included, stays under this many characters (unless one row alone is longer), so that
 * it fits a passage whole at the default 256-token budget even for digit-heavy rows (about 2 characters a token):
 * the chunker never cuts a block that fits, so every passage starts at a block, and so with the header row.
 */
export const SHEET_BLOCK_CHARS = 400;

export interface SheetLimits {
  maxCells?: number;
  maxRows?: number;
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

/** Counts rows and cells over a whole file as the parsers read them, and refuses the file once either limit is passed. */
export class SheetBudget {
  private cells = 0;
  private rows = 0;
  private readonly maxCells: number;
  private readonly maxRows: number;

  constructor(
    private readonly fileName: string,
    limits: SheetLimits = {},
  ) {
    this.maxCells = limits.maxCells ?? MAX_SHEET_CELLS;
    this.maxRows = limits.maxRows ?? MAX_SHEET_ROWS;
  }

  /** Adds `count` rows of `cells` cells each (a repeated row counts every time). */
  add(cells: number, count = 1): void {
    this.rows += count;
    this.cells += cells * count;
    if (this.rows > this.maxRows) this.refuse(this.maxRows, 'rows');
    if (this.cells > this.maxCells) this.refuse(this.maxCells, 'cells');
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

/** A cell's text on one line: whitespace (line breaks in a cell included) collapsed. */
export function cellText(text: string): string {
  return collapseSpaces(text);
}

/** The cells up to the last non-empty one; [] for an empty row. */
export function trimRow(cells: string[]): string[] {
  let end = cells.length;
  while (end > 0 && cells[end - 1] === '') end--;
  return end === cells.length ? cells : cells.slice(0, end);
}

const line = (label: string, cells: readonly string[]) => [label, ...cells].join(' | ');

/**
 * A sheet's blocks: a level-1 heading (its name), then its rows as table blocks of at most SHEET_BLOCK_CHARS. The first
 * non-empty row is the header: each block starts with it ("Row | Name | Age"), then rows with their numbers
 * ("12 | Ada | 36"), so every passage made from the sheet names its columns and each row's place in the sheet.
 */
export function sheetBlocks(sheet: Sheet): BlockDraft[] {
  const [header, ...rows] = sheet.rows;
  if (!header) return [];
  const out: BlockDraft[] = [{ kind: 'heading', level: 1, text: sheet.name }];
  const head = line('Row', header.cells);
  if (rows.length === 0) {
    out.push({ kind: 'table', text: line(String(header.n), header.cells) });
    return out;
  }
  let lines = [head];
  let size = head.length;
  for (const row of rows) {
    const text = line(String(row.n), row.cells);
    if (lines.length > 1 && size + 1 + text.length > SHEET_BLOCK_CHARS) {
      out.push({ kind: 'table', text: lines.join('\n') });
      lines = [head];
      size = head.length;
    }
    lines.push(text);
    size += 1 + text.length;
  }
  out.push({ kind: 'table', text: lines.join('\n') });
  return out;
}
