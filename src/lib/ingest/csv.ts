// CSV and TSV ingestion: RFC 4180 records (quoted fields may hold delimiters and line breaks), delimiter detected.
// Hand-written: papaparse (5.5.3) is 7.1 kB gz, UMD (nothing tree-shakes) and hooks onmessage in blob-URL workers;
// the quote-aware scanner this needs is one linear loop (~1 kB gz).
import { AppError } from '../errors';
import { assemble, fileExtension, fileStem } from './assemble';
import { cellText, SheetBudget, sheetBlocks, trimRow, type SheetLimits, type SheetRow } from './sheet';
import { assertLooksLikeText, assertNotEmpty, decodeText, parseText } from './text';
import type { ParsedDocument } from './types';

const DELIMITERS = [',', ';', '\t', '|'] as const;
/** Records looked at to pick the delimiter. */
const SNIFF_RECORDS = 50;

export interface CsvRecords {
  /** The records, when no onRecord callback took them. */
  records: string[][];
  /** A quote opened and never closed: not CSV after all. */
  unterminated: boolean;
}

/**
 * Splits text into records of fields: one pass, linear. A field that starts with a quote runs to the matching quote
 * ("" inside is a quote); line breaks end records (CRLF, LF or CR). `onRecord` may throw to stop early.
 */
export function parseCsvRecords(
  text: string,
  delimiter: string,
  maxRecords = Infinity,
  onRecord?: (fields: string[]) => void,
): CsvRecords {
  const records: string[][] = [];
  let count = 0;
  let fields: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    fields.push(field);
    field = '';
    count++;
    // With a callback, records are handed over, not kept: a large file is held once, as rows.
    if (onRecord) onRecord(fields);
    else records.push(fields);
    fields = [];
  };
  while (i < n && count < maxRecords) {
    const c = text[i]!;
    if (c === '"' && field === '') {
      // A quoted field: up to the closing quote; what follows it up to the delimiter is kept as written.
      let j = i + 1;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return { records, unterminated: true };
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      field = value;
      i = j;
      continue;
    }
    if (c === delimiter) {
      fields.push(field);
      field = '';
      i++;
    } else if (c === '\n' || c === '\r') {
      endRecord();
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += c;
      i++;
    }
  }
  if (count < maxRecords && (field !== '' || fields.length > 0)) endRecord();
  return { records, unterminated: false };
}

/**
 * Excel's "sep=;" first line, which names the delimiter and is not a row: the delimiter and the text after the line,
 * or undefined when the file does not start with one.
 */
export function sepLine(text: string): { delimiter: string; rest: string } | undefined {
  const match = /^sep=([^\r\n])(\r\n|\n|\r|$)/.exec(text);
  return match ? { delimiter: match[1]!, rest: text.slice(match[0].length) } : undefined;
}

/** The delimiter whose first records most often share one field count above 1; ',' when none splits anything. */
export function sniffDelimiter(text: string): string {
  let best: { delimiter: string; rows: number; fields: number } = { delimiter: ',', rows: 0, fields: 1 };
  const sample = text.slice(0, 64 * 1024);
  for (const delimiter of DELIMITERS) {
    const { records } = parseCsvRecords(sample, delimiter, SNIFF_RECORDS);
    const counts = new Map<number, number>();
    for (const r of records) if (r.length > 1) counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    for (const [fields, rows] of counts) {
      if (rows > best.rows || (rows === best.rows && fields > best.fields)) best = { delimiter, rows, fields };
    }
  }
  return best.delimiter;
}

/**
 * Reads a .csv or .tsv file as one sheet named after the file. A file that is not CSV after all (a quote never
 * closed) is read as plain text instead of being refused: its words are still worth finding.
 */
export async function parseCsv(bytes: Uint8Array, fileName: string, opts: SheetLimits = {}): Promise<ParsedDocument> {
  assertNotEmpty(bytes, fileName);
  const decoded = decodeText(bytes);
  assertLooksLikeText(decoded.text, fileName);
  // After a "sep=" line, rows are numbered as Excel (which writes and hides that line) shows them: the next is row 1.
  const sep = sepLine(decoded.text);
  const text = sep?.rest ?? decoded.text;
  const delimiter = sep?.delimiter ?? (fileExtension(fileName) === 'tsv' ? '\t' : sniffDelimiter(text));
  const budget = new SheetBudget(fileName, opts);
  const rows: SheetRow[] = [];
  let line = 0;
  const { unterminated } = parseCsvRecords(text, delimiter, Infinity, (fields) => {
    line++;
    budget.checkCells(fields.length);
    const cells = trimRow(fields.map(cellText));
    if (cells.length === 0) return;
    budget.add(cells);
    rows.push({ n: line, cells });
  });
  if (unterminated) return parseText(bytes, fileName);
  const name = fileStem(fileName);
  const doc = assemble('spreadsheet', name, sheetBlocks({ name, rows }, budget), { warnings: decoded.warnings });
  if (doc.blocks.length === 0) {
    throw new AppError(decoded.text.length === 0 ? 'FILE_EMPTY' : 'NO_TEXT', undefined, { fileName });
  }
  return doc;
}
