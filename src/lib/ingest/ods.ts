// ODS ingestion: content.xml's sheets (table:table) in order as tables, repeated rows and columns expanded within caps.
// Hand-written on fflate + htmlparser2 like ODT: the only browser ODS reader is SheetJS (see xlsx.ts); adds ~1.5 kB gz.
import { Parser } from 'htmlparser2';
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem } from './assemble';
import { openArchive, type ArchiveCodes } from './archive';
import { cellText, SheetBudget, sheetBlocks, trimRow, type Sheet, type SpreadsheetOptions } from './sheet';
import type { ParsedDocument } from './types';
import { findFirstXml, localName, parseXml, xmlText } from './xml';

const ODS_CODES: ArchiveCodes = {
  invalid: 'ODS_INVALID',
  tooLarge: 'ODS_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is a legacy Microsoft Office file, not an OpenDocument spreadsheet',
};

const CONTENT = 'content.xml';
/** LibreOffice's last column: cells repeated past it are not read. */
const MAX_COLUMNS = 16_384;

interface Cell {
  type: string;
  value: string | undefined;
  date: string | undefined;
  boolean: string | undefined;
  repeat: number;
  paragraphs: string[];
}

const repeatOf = (attribs: Record<string, string>, name: string) =>
  Math.max(1, Math.floor(Number(attribs[name] ?? '1')) || 1);

/** The cell's text: the stored value where it is more exact than the display (numbers, dates, booleans). */
function cellValue(cell: Cell): string {
  const shown = cellText(cell.paragraphs.join(' '));
  switch (cell.type) {
    case 'float':
      return cell.value !== undefined && Number.isFinite(Number(cell.value))
        ? String(Number(Number(cell.value).toPrecision(15)))
        : shown;
    case 'date':
      // "2024-03-01T00:00:00" → "2024-03-01"; a time of day is kept.
      return cell.date ? cell.date.replace(/T00:00:00(\.0+)?$/, '').replace('T', ' ') : shown;
    case 'boolean':
      return cell.boolean === undefined ? shown : cell.boolean === 'true' ? 'TRUE' : 'FALSE';
    default:
      // Strings, and percentages, currencies and times, whose display says what the bare value does not.
      return shown || cellText(cell.value ?? '');
  }
}

/** The sheets of content.xml, read as a stream: a row repeated a million times is counted, not built, when empty. */
function readSheets(xml: string, budget: SheetBudget): Sheet[] {
  const sheets: Sheet[] = [];
  let sheet: Sheet | null = null;
  /** Depth of table:table elements: a table inside a cell (rare) is read as that cell's text. */
  let tables = 0;
  let rowN = 0;
  let rowRepeat = 1;
  let cells: string[] | null = null;
  /** The row's width so far: trailing empty cells move it on and are built only when a later cell needs them. */
  let width = 0;
  let cell: Cell | null = null;
  let paragraph: string | null = null;
  /** Inside an annotation (a comment), whose text is not the cell's. */
  let skip = 0;

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const local = localName(name);
        if (skip > 0) {
          skip++;
          return;
        }
        if (local === 'annotation') {
          skip = 1;
        } else if (local === 'table') {
          tables++;
          if (tables === 1) {
            sheet = { name: collapseSpaces(attribs['table:name'] ?? '') || `Sheet ${sheets.length + 1}`, rows: [] };
            rowN = 0;
          }
        } else if (tables !== 1) {
          if (local === 'p' && cell) paragraph = '';
        } else if (local === 'table-row') {
          rowRepeat = repeatOf(attribs, 'table:number-rows-repeated');
          cells = [];
          width = 0;
        } else if ((local === 'table-cell' || local === 'covered-table-cell') && cells) {
          cell = {
            type: attribs['office:value-type'] ?? 'string',
            value: attribs['office:value'],
            date: attribs['office:date-value'],
            boolean: attribs['office:boolean-value'],
            repeat: repeatOf(attribs, 'table:number-columns-repeated'),
            paragraphs: [],
          };
        } else if (local === 'p' && cell) {
          paragraph = '';
        } else if (paragraph !== null) {
          if (local === 's') paragraph += ' ';
          else if (local === 'tab' || local === 'line-break') paragraph += ' ';
        }
      },
      ontext(text) {
        if (skip === 0 && paragraph !== null) paragraph += text;
      },
      onclosetag(name) {
        const local = localName(name);
        if (skip > 0) {
          skip--;
          return;
        }
        if (local === 'p' && paragraph !== null && cell) {
          cell.paragraphs.push(paragraph);
          paragraph = null;
        } else if (local === 'table') {
          if (tables === 1 && sheet) sheets.push(sheet);
          tables = Math.max(0, tables - 1);
        } else if (tables !== 1) {
          return;
        } else if ((local === 'table-cell' || local === 'covered-table-cell') && cell && cells) {
          const value = cellValue(cell);
          const room = MAX_COLUMNS - width;
          const count = Math.min(cell.repeat, Math.max(0, room));
          if (value !== '' && count > 0) {
            // The gap of empty cells before this one is built now, within the cell cap (O(1) for trailing ones).
            budget.checkCells(width + count);
            while (cells.length < width) cells.push('');
            for (let k = 0; k < count; k++) cells.push(value);
          }
          width += count;
          cell = null;
        } else if (local === 'table-row' && cells && sheet) {
          const kept = trimRow(cells);
          if (kept.length > 0) {
            // Counted before it is built: a non-empty row repeated past the limits is refused, not expanded.
            budget.add(kept, rowRepeat);
            for (let k = 0; k < rowRepeat; k++) sheet.rows.push({ n: rowN + k + 1, cells: kept });
          }
          rowN += rowRepeat;
          cells = null;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return sheets;
}

/** Reads an .ods spreadsheet: each sheet (table:table) becomes a heading and table blocks, in document order. */
export async function parseOds(
  bytes: Uint8Array,
  fileName: string,
  opts: SpreadsheetOptions = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, ODS_CODES, [CONTENT], opts.maxUncompressedBytes);
  // ODF encrypts parts itself (the ZIP flag stays clear) and says so in the manifest.
  if (zip.text('META-INF/manifest.xml')?.includes('encryption-data')) {
    throw new AppError('ODS_INVALID', undefined, { fileName, reason: 'it is password-protected' });
  }
  const content = zip.required(CONTENT);
  if (!content.includes('spreadsheet')) {
    throw new AppError('ODS_INVALID', undefined, { fileName, reason: 'it has no spreadsheet body' });
  }
  const budget = new SheetBudget(fileName, opts);
  const sheets = readSheets(content, budget);
  const meta = zip.text('meta.xml');
  const metaTitle = meta === undefined ? undefined : findFirstXml(parseXml(meta), 'title');
  const title = (metaTitle && collapseSpaces(xmlText(metaTitle))) || fileStem(fileName);
  const doc = assemble(
    'spreadsheet',
    title,
    sheets.flatMap((sheet) => sheetBlocks(sheet, budget)),
  );
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
