// XLSX ingestion: every sheet in workbook order as a table, from shared, inline and cached formula values (never run).
// Hand-written: SheetJS on npm (xlsx 0.18.5, 2022) keeps advisories fixed only off-registry, and its smallest build is
// 79 kB gz; on fflate + htmlparser2 (already in the ingest worker) this adds ~2.3 kB gz.
import { Parser } from 'htmlparser2';
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { openArchive, relationships, type ArchiveCodes } from './archive';
import { cellText, SheetBudget, sheetBlocks, trimRow, type SheetRow, type SpreadsheetOptions } from './sheet';
import type { ParsedDocument } from './types';
import { attr, childElements, findAll, findFirstXml, localName, parseXml, xmlText } from './xml';

const XLSX_CODES: ArchiveCodes = {
  invalid: 'XLSX_INVALID',
  tooLarge: 'XLSX_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is password-protected or in the old .xls format; save it as an unprotected .xlsx and try again',
};

const WORKBOOK = 'xl/workbook.xml';
/** Excel's last column (XFD): cells claiming to lie further right are not read. */
const MAX_COLUMNS = 16_384;
/** Built-in number formats that show dates or times (ECMA-376 18.8.30). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);
const BUILTIN_TIME_ONLY = new Set([18, 19, 20, 21, 45, 46, 47]);

type DateKind = 'date' | 'time' | 'datetime';

/** Whether a custom number format shows a date, a time or both: its codes outside quotes, escapes and [brackets]. */
export function dateKindOfFormat(format: string): DateKind | undefined {
  // Excel keeps at most 255 characters of a format; the cut also bounds the bracket regex, quadratic on '[[[…'.
  const codes = (format.slice(0, 255).split(';')[0] ?? '')
    .replace(/"[^"]*"/g, '')
    .replace(/\\.|[_*]./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .toLowerCase();
  const time = /[hs]/.test(codes);
  const date = /[dy]/.test(codes) || (codes.includes('m') && !time);
  return date && time ? 'datetime' : date ? 'date' : time ? 'time' : undefined;
}

/** A number as Excel shows it in General format, at most 15 significant digits (no 0.30000000000000004). */
export function formatNumber(raw: string): string {
  const n = Number(raw);
  return raw.trim() === '' || !Number.isFinite(n) ? raw : String(Number(n.toPrecision(15)));
}

const DAY_MS = 86_400_000;

/** An Excel date serial as an ISO date, time or both; the raw number when it is out of Excel's range. */
export function excelDate(raw: string, kind: DateKind, date1904 = false): string {
  const serial = Number(raw);
  if (!Number.isFinite(serial) || serial < 0 || serial > 2_958_465) return formatNumber(raw);
  // 1900 system: serial 1 is 1900-01-01 and 60 is Excel's phantom 1900-02-29, so day 0 is 1899-12-30 from 61 on.
  const base = date1904 ? Date.UTC(1904, 0, 1) : Date.UTC(1899, 11, serial < 61 ? 31 : 30);
  const iso = new Date(base + Math.round(serial * 86_400) * 1000).toISOString();
  const date = iso.slice(0, 10);
  const time = iso.slice(11, 19);
  if (kind === 'time') return time;
  if (kind === 'date' || Math.abs(serial - Math.round(serial)) * DAY_MS < 1000) return date;
  return `${date} ${time}`;
}

/** The date kind of each cell style (the s attribute indexes cellXfs), from styles.xml. */
function dateStyles(xml: string | undefined): (DateKind | undefined)[] {
  if (xml === undefined) return [];
  const root = parseXml(xml);
  const custom = new Map<number, string>();
  for (const f of findAll(root, 'numFmt')) custom.set(Number(attr(f, 'numFmtId')), attr(f, 'formatCode') ?? '');
  const xfs = findFirstXml(root, 'cellXfs');
  return (xfs ? childElements(xfs, 'xf') : []).map((xf) => {
    const id = Number(attr(xf, 'numFmtId') ?? '0');
    const format = custom.get(id);
    if (format !== undefined) return dateKindOfFormat(format);
    if (!BUILTIN_DATE_FORMATS.has(id)) return undefined;
    return BUILTIN_TIME_ONLY.has(id) ? 'time' : id === 22 ? 'datetime' : 'date';
  });
}

/** The shared strings table: each <si>'s text runs joined, phonetic guides (<rPh>) left out. */
function sharedStrings(xml: string | undefined): string[] {
  if (xml === undefined) return [];
  const out: string[] = [];
  let current: string | null = null;
  let inT = false;
  let phonetic = 0;
  const parser = new Parser(
    {
      onopentag(name) {
        const local = localName(name);
        if (local === 'si') current = '';
        else if (local === 'rPh') phonetic++;
        else if (local === 't' && phonetic === 0) inT = true;
      },
      ontext(text) {
        if (inT && current !== null) current += text;
      },
      onclosetag(name) {
        const local = localName(name);
        if (local === 'si') {
          out.push(cellText(current ?? ''));
          current = null;
        } else if (local === 'rPh') phonetic = Math.max(0, phonetic - 1);
        else if (local === 't') inT = false;
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return out;
}

/** "BC12" → 54 (0-based column); -1 when the reference has no letters. */
function columnOf(ref: string): number {
  let col = 0;
  let i = 0;
  for (; i < ref.length && i < 4; i++) {
    const c = ref.charCodeAt(i) & ~32; // upper case
    if (c < 65 || c > 90) break;
    col = col * 26 + (c - 64);
  }
  return i === 0 ? -1 : col - 1;
}

interface SheetContext {
  strings: string[];
  styles: (DateKind | undefined)[];
  date1904: boolean;
  budget: SheetBudget;
}

/** A worksheet's non-empty rows, read as a stream (no element tree, so a large sheet costs little memory). */
function sheetRows(xml: string, ctx: SheetContext): SheetRow[] {
  const rows: SheetRow[] = [];
  let rowN = 0;
  let cells: string[] | null = null;
  /** Where a cell without a reference lies: just right of the previous cell, empty or not. */
  let nextCol = 0;
  let cell: { col: number; type: string; style: number; value: string; inline: string } | null = null;
  let capture: 'v' | 'is' | null = null;
  let inIsT = false;
  let phonetic = 0;

  const valueOf = (c: NonNullable<typeof cell>): string => {
    switch (c.type) {
      case 's':
        return ctx.strings[Number(c.value)] ?? '';
      case 'inlineStr':
        return cellText(c.inline);
      case 'b':
        return c.value.trim() === '1' || c.value.trim() === 'true' ? 'TRUE' : 'FALSE';
      case 'str':
      case 'e':
      case 'd':
        return cellText(c.value);
      default: {
        const kind = ctx.styles[c.style];
        return kind ? excelDate(c.value, kind, ctx.date1904) : cellText(formatNumber(c.value.trim()));
      }
    }
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const local = localName(name);
        if (local === 'row') {
          rowN = Number(attribs.r) > 0 ? Number(attribs.r) : rowN + 1;
          cells = [];
          nextCol = 0;
        } else if (local === 'c' && cells) {
          const ref = attribs.r ?? '';
          const col = ref === '' ? nextCol : columnOf(ref);
          nextCol = col + 1;
          cell = { col, type: attribs.t ?? 'n', style: Number(attribs.s ?? '0') || 0, value: '', inline: '' };
        } else if (cell && local === 'v') capture = 'v';
        else if (cell && local === 'is') capture = 'is';
        else if (capture === 'is' && local === 'rPh') phonetic++;
        else if (capture === 'is' && local === 't' && phonetic === 0) inIsT = true;
      },
      ontext(text) {
        if (!cell) return;
        if (capture === 'v') cell.value += text;
        else if (inIsT) cell.inline += text;
      },
      onclosetag(name) {
        const local = localName(name);
        if (local === 'v' || local === 'is') capture = null;
        else if (local === 'rPh') phonetic = Math.max(0, phonetic - 1);
        else if (local === 't') inIsT = false;
        else if (local === 'c' && cell && cells) {
          const value = cell.col >= 0 && cell.col < MAX_COLUMNS ? valueOf(cell) : '';
          if (value !== '') {
            ctx.budget.checkCells(cell.col + 1);
            while (cells.length < cell.col) cells.push('');
            cells[cell.col] = value;
          }
          cell = null;
        } else if (local === 'row' && cells) {
          const kept = trimRow(cells.map((c) => c ?? ''));
          if (kept.length > 0) {
            ctx.budget.add(kept);
            rows.push({ n: rowN, cells: kept });
          }
          cells = null;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(xml);
  parser.end();
  return rows;
}

/**
 * Reads an .xlsx workbook: each sheet (hidden ones too, marked so in their heading: their values are part of the
 * file) becomes a heading and table blocks, in workbook order. Formulas are never evaluated; their cached results
 * are read. Dates (cells whose number format shows one) become ISO dates and times.
 */
export async function parseXlsx(
  bytes: Uint8Array,
  fileName: string,
  opts: SpreadsheetOptions = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, XLSX_CODES, [WORKBOOK], opts.maxUncompressedBytes);
  const workbook = parseXml(zip.required(WORKBOOK));
  const rels = relationships(zip, WORKBOOK);
  const relOfType = (suffix: string) => [...rels.values()].find((r) => r.type.endsWith(suffix))?.target;
  const pr = findFirstXml(workbook, 'workbookPr');
  const ctx: SheetContext = {
    strings: sharedStrings(zip.text(relOfType('/sharedStrings') ?? 'xl/sharedStrings.xml')),
    styles: dateStyles(zip.text(relOfType('/styles') ?? 'xl/styles.xml')),
    date1904: ['1', 'true'].includes(attr(pr ?? workbook, 'date1904') ?? ''),
    budget: new SheetBudget(fileName, opts),
  };
  const sheets = findAll(workbook, 'sheet');
  if (sheets.length === 0) throw new AppError('XLSX_INVALID', undefined, { fileName, reason: 'it has no sheets' });
  const blocks: BlockDraft[] = [];
  // A sheet listed twice is read once: repeats would multiply a small file's text (a bomb the sizes do not show).
  const seen = new Set<string>();
  for (const [index, sheet] of sheets.entries()) {
    const relId = Object.entries(sheet.attribs).find(([name]) => name.includes(':') && localName(name) === 'id')?.[1];
    const target = rels.get(relId ?? '')?.target;
    if (target === undefined || seen.has(target)) continue;
    seen.add(target);
    const xml = zip.text(target);
    // Chart sheets and dialog sheets have no cells.
    if (xml === undefined || !xml.includes('sheetData')) continue;
    const name = collapseSpaces(attr(sheet, 'name') ?? '') || `Sheet ${index + 1}`;
    const hidden = (attr(sheet, 'state') ?? 'visible') !== 'visible';
    blocks.push(
      ...sheetBlocks({ name: hidden ? `${name} (hidden sheet)` : name, rows: sheetRows(xml, ctx) }, ctx.budget),
    );
  }
  const core = zip.text('docProps/core.xml');
  const coreTitle = core === undefined ? undefined : findFirstXml(parseXml(core), 'title');
  const title = coreTitle ? collapseSpaces(xmlText(coreTitle)) : '';
  const doc = assemble('spreadsheet', title || fileStem(fileName), blocks);
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
