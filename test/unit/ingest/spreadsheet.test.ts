// Spreadsheets (XLSX, ODS, CSV/TSV): sheets in order, values and dates, the header repeated per passage, caps, damage.
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parseCsv, parseCsvRecords, sniffDelimiter } from '../../../src/lib/ingest/csv';
import { parseOds } from '../../../src/lib/ingest/ods';
import { detectKind, parseFile } from '../../../src/lib/ingest/parse-file';
import { MAX_CELL_CHARS, MAX_HEADER_CHARS, SHEET_BLOCK_CHARS } from '../../../src/lib/ingest/sheet';
import { dateKindOfFormat, excelDate, parseXlsx } from '../../../src/lib/ingest/xlsx';
import { expectOffsets, failure, makeZip, utf8 } from './helpers';
import { makeOds, makeXlsx, odsTable, type XlsxCell } from './office-files';

const tables = (doc: { blocks: { kind: string; text: string }[] }) =>
  doc.blocks.map((b) => (b.kind === 'heading' ? `# ${b.text}` : b.text));

/** A sheet of `n` data rows under a header, wide enough that it must span many passages. */
function longSheet(n: number): XlsxCell[][] {
  const rows: XlsxCell[][] = [['Invoice', 'Customer', 'Amount', 'Paid']];
  for (let i = 1; i <= n; i++) rows.push([`INV-${1000 + i}`, `Customer ${i}`, i * 12.5, i % 2 === 0]);
  return rows;
}

describe('parseXlsx', () => {
  it('reads sheets in workbook order, with shared strings, numbers, booleans and row numbers', async () => {
    const bytes = makeXlsx(
      [
        { name: 'Birds', rows: [['Species', 'Count', 'Seen'], ['Gull', 42, true], [], ['Tern', 0.1 + 0.2, false]] },
        { name: 'Notes', rows: [['Note'], ['Windy & wet']] },
      ],
      { title: 'Survey 2024' },
    );
    const doc = await parseXlsx(bytes, 'survey.xlsx');
    expectOffsets(doc);
    expect(doc.kind).toBe('spreadsheet');
    expect(doc.title).toBe('Survey 2024');
    // Sheet files are numbered backwards: the workbook's order wins. The empty row 3 is skipped, its number kept.
    expect(tables(doc)).toEqual([
      '# Birds',
      'Row | Species | Count | Seen\n2 | Gull | 42 | TRUE\n4 | Tern | 0.3 | FALSE',
      '# Notes',
      'Row | Note\n2 | Windy & wet',
    ]);
  });

  it('reads rich-text runs without phonetic guides, inline strings, cached formula results and gaps', async () => {
    const rich =
      '<si><r><t>Bold</t></r><r><rPr><b/></rPr><t xml:space="preserve"> part</t></r><rPh><t>ふりがな</t></rPh></si>';
    const bytes = makeXlsx([
      {
        name: 'S',
        rows: [
          ['A', 'B', 'C', 'D'],
          [
            { xml: '<c r="REF" t="s"><v>RICH</v></c>' },
            { xml: '<c r="REF" t="inlineStr"><is><t>inline</t></is></c>' },
            { xml: '<c r="REF"><f>SUM(1,2)</f><v>3</v></c>' },
            { xml: '<c r="REF" t="str"><f>CONCAT("a","b")</f><v>ab</v></c>' },
          ],
          [null, null, { xml: '<c r="REF" t="e"><f>1/0</f><v>#DIV/0!</v></c>' }],
          // Cells without references follow one another, empty ones included.
          [{ xml: '<c t="b"><v>1</v></c><c/><c t="inlineStr"><is><t>third</t></is></c>' }],
        ],
      },
    ]);
    // Swap a rich shared string in: the writer only makes plain ones.
    const { unzipSync, zipSync, strFromU8, strToU8 } = await import('fflate');
    const files = unzipSync(bytes);
    const sst = strFromU8(files['xl/sharedStrings.xml']!);
    const count = (sst.match(/<si>/g) ?? []).length;
    files['xl/sharedStrings.xml'] = strToU8(sst.replace('</sst>', `${rich}</sst>`));
    const sheetName = Object.keys(files).find((n) => n.startsWith('xl/worksheets/'))!;
    files[sheetName] = strToU8(strFromU8(files[sheetName]!).replace('RICH', String(count)));
    const doc = await parseXlsx(zipSync(files), 'cells.xlsx');
    expect(tables(doc)).toEqual([
      '# S',
      'Row | A | B | C | D\n2 | Bold part | inline | 3 | ab\n3 |  |  | #DIV/0!\n4 | TRUE |  | third',
    ]);
  });

  it('turns date-formatted numbers into ISO dates and times, and leaves other formats as numbers', async () => {
    const date = (v: number, s: number) => ({ xml: `<c r="REF" s="${s}"><v>${v}</v></c>` });
    const rows: XlsxCell[][] = [
      ['What', 'Value'],
      ['day', date(45352, 1)],
      ['moment', date(45352.5, 2)],
      ['early', date(1, 1)],
      ['duration', date(2.5, 3)],
    ];
    const doc = await parseXlsx(makeXlsx([{ name: 'D', rows }]), 'dates.xlsx');
    expect(doc.blocks[1]!.text).toBe(
      'Row | What | Value\n2 | day | 2024-03-01\n3 | moment | 2024-03-01 12:00:00\n4 | early | 1900-01-01\n5 | duration | 2.5',
    );
    const in1904 = await parseXlsx(makeXlsx([{ name: 'D', rows: rows.slice(0, 2) }], { date1904: true }), 'd.xlsx');
    expect(in1904.blocks[1]!.text).toBe('Row | What | Value\n2 | day | 2028-03-02');
  });

  it('tells date formats from others, ignoring quoted text, escapes and brackets', () => {
    expect(dateKindOfFormat('yyyy-mm-dd')).toBe('date');
    expect(dateKindOfFormat('mmm')).toBe('date');
    expect(dateKindOfFormat('[h]:mm:ss')).toBe('time');
    expect(dateKindOfFormat('d/m/yy h:mm')).toBe('datetime');
    expect(dateKindOfFormat('0.00" days"')).toBeUndefined();
    expect(dateKindOfFormat('#,##0;[Red]-#,##0')).toBeUndefined();
    expect(dateKindOfFormat('General')).toBeUndefined();
    expect(dateKindOfFormat('\\d0')).toBeUndefined();
    expect(excelDate('-1', 'date')).toBe('-1');
    expect(excelDate('0.75', 'time')).toBe('18:00:00');
  });

  it('marks hidden sheets, reads a sheet listed twice once, and skips sheets without cells', async () => {
    const bytes = makeXlsx([
      { name: 'Visible', rows: [['a'], ['1']] },
      { name: 'Secret', rows: [['b'], ['2']], state: 'hidden' },
    ]);
    const doc = await parseXlsx(bytes, 'h.xlsx');
    expect(doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text)).toEqual([
      'Visible',
      'Secret (hidden sheet)',
    ]);
  });

  it('repeats the header row at the top of every passage of a long sheet, and offsets stay exact', async () => {
    const doc = await parseXlsx(makeXlsx([{ name: 'Invoices', rows: longSheet(400) }]), 'inv.xlsx');
    expectOffsets(doc);
    const head = 'Row | Invoice | Customer | Amount | Paid';
    for (const b of doc.blocks.slice(1)) {
      expect(b.text.startsWith(`${head}\n`)).toBe(true);
      expect(b.text.length).toBeLessThanOrEqual(SHEET_BLOCK_CHARS);
    }
    // Digit-heavy text at two characters a token, the default 256-token budget with a title prefix.
    const chunks = await chunkDocument(doc, {
      maxTokens: 256,
      overlapTokens: 32,
      countTokens: (t) => Math.ceil(t.length / 2),
      contextTitle: doc.title,
    });
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) {
      expect(doc.text.slice(c.start, c.end)).toBe(c.text);
      expect(c.text.replace(/^Invoices\n\n/, '').startsWith(head)).toBe(true);
      expect(c.headingPath).toEqual(['Invoices']);
    }
    // Every data row is in exactly one block.
    const rows = doc.blocks.slice(1).flatMap((b) => b.text.split('\n').slice(1));
    expect(rows).toHaveLength(400);
    expect(rows[399]).toBe('401 | INV-1400 | Customer 400 | 5000 | TRUE');
  });

  it('refuses a workbook over the row or cell limit with SPREADSHEET_TOO_LARGE naming the limit', async () => {
    const bytes = makeXlsx([{ name: 'Big', rows: longSheet(30) }]);
    const rowsErr = await failure(parseXlsx(bytes, 'big.xlsx', { maxRows: 20 }));
    expect(rowsErr.code).toBe('SPREADSHEET_TOO_LARGE');
    expect(rowsErr.message).toBe(
      '"big.xlsx" has more than 20 rows, the most Lectern reads from one spreadsheet. Split it into smaller files and add those.',
    );
    const cellsErr = await failure(parseXlsx(bytes, 'big.xlsx', { maxCells: 100 }));
    expect(cellsErr.message).toContain('more than 100 cells');
    // A single cell far to the right counts the columns before it.
    const wide = makeXlsx([{ name: 'W', rows: [['a', { xml: '<c r="ZZ1" t="b"><v>1</v></c>' }]] }]);
    expect((await failure(parseXlsx(wide, 'w.xlsx', { maxCells: 500 }))).code).toBe('SPREADSHEET_TOO_LARGE');
    const cells = (await parseXlsx(wide, 'w.xlsx', { maxCells: 1000 })).blocks[1]!.text.split(' | ');
    expect([cells.length, cells[1], cells[701], cells[702]]).toEqual([703, 'a', '', 'TRUE']);
  });

  it('calls damaged, encrypted, sheetless and oversized workbooks by their own codes', async () => {
    const junk = await failure(parseXlsx(utf8('not a zip'), 'junk.xlsx'));
    expect(junk.code).toBe('XLSX_INVALID');
    expect(junk.message).toBe('"junk.xlsx" is not an Excel workbook Lectern can read (not a ZIP archive).');
    const noBook = await failure(parseXlsx(makeZip([{ name: 'a.txt', data: utf8('x') }]), 'x.xlsx'));
    expect(noBook.message).toContain('xl/workbook.xml');
    const cfb = new Uint8Array(512);
    cfb.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    expect((await failure(parseXlsx(cfb, 'locked.xlsx'))).message).toContain('password-protected');
    const empty = makeZip([{ name: 'xl/workbook.xml', data: utf8('<workbook><sheets/></workbook>') }]);
    expect((await failure(parseXlsx(empty, 'e.xlsx'))).message).toContain('it has no sheets');
    const bomb = makeZip([{ name: 'xl/workbook.xml', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 }]);
    expect((await failure(parseXlsx(bomb, 'bomb.xlsx'))).code).toBe('XLSX_TOO_LARGE_UNCOMPRESSED');
    const blank = makeXlsx([{ name: 'Empty', rows: [[], [null]] }]);
    expect((await failure(parseXlsx(blank, 'blank.xlsx'))).code).toBe('NO_TEXT');
  });
});

describe('parseOds', () => {
  it('reads sheets in order with stored values for numbers, dates and booleans', async () => {
    const body =
      odsTable('Stock', [
        ['Item', 'Qty', 'When', 'Ok', 'Share'],
        [null, null],
      ]).replace(
        '<table:table-row><table:table-cell/><table:table-cell/></table:table-row>',
        '<table:table-row><table:table-cell office:value-type="string"><text:p>Rope<text:s text:c="2"/>(<text:span>blue</text:span>)</text:p><office:annotation><text:p>comment</text:p></office:annotation></table:table-cell>' +
          '<table:table-cell office:value-type="float" office:value="3.14159265358979"><text:p>3.14</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="date" office:date-value="2024-03-01T00:00:00"><text:p>01/03/24</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>WAHR</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="percentage" office:value="0.25"><text:p>25%</text:p></table:table-cell></table:table-row>',
      ) +
      odsTable('Second', [['x'], ['y']]).replace(
        '<text:p>y</text:p>',
        '<text:p>y</text:p></table:table-cell><table:table-cell office:value-type="date" office:date-value="2024-03-01T12:30:00"><text:p>1 Mar, 12:30</text:p>',
      );
    const doc = await parseOds(makeOds(body, 'Inventory'), 'inv.ods');
    expectOffsets(doc);
    expect(doc.kind).toBe('spreadsheet');
    expect(doc.title).toBe('Inventory');
    expect(tables(doc)).toEqual([
      '# Stock',
      'Row | Item | Qty | When | Ok | Share\n2 | Rope (blue) | 3.14159265358979 | 2024-03-01 | TRUE | 25%',
      '# Second',
      'Row | x\n2 | y | 2024-03-01 12:30:00',
    ]);
  });

  it('expands repeated rows and columns within the caps and drops a million trailing empty rows', async () => {
    const body =
      '<table:table table:name="R"><table:table-row><table:table-cell office:value-type="string"><text:p>k</text:p></table:table-cell><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="string"><text:p>v</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16379"/></table:table-row>' +
      '<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="7"><text:p>7</text:p></table:table-cell></table:table-row>' +
      '<table:table-row table:number-rows-repeated="1048573"><table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>';
    const doc = await parseOds(makeOds(body), 'rep.ods');
    expect(tables(doc)).toEqual(['# R', 'Row | k |  |  | v\n2 | 7 | 7\n3 | 7 | 7']);
  });

  it('refuses a non-empty row repeated past the limits instead of building it', async () => {
    const body =
      '<table:table table:name="R"><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row></table:table>';
    const err = await failure(parseOds(makeOds(body), 'huge.ods'));
    expect(err.code).toBe('SPREADSHEET_TOO_LARGE');
    expect(err.message).toContain('more than 200,000 rows');
  });

  it('calls damaged, encrypted, text-only and oversized files by their own codes', async () => {
    const junk = await failure(parseOds(utf8('hello'), 'junk.ods'));
    expect(junk.code).toBe('ODS_INVALID');
    expect(junk.message).toBe('"junk.ods" is not an OpenDocument spreadsheet Lectern can read (not a ZIP archive).');
    const locked = makeZip([
      { name: 'content.xml', data: new Uint8Array(64) },
      { name: 'META-INF/manifest.xml', data: utf8('<manifest:encryption-data/>') },
    ]);
    expect((await failure(parseOds(locked, 'locked.ods'))).message).toContain('password-protected');
    const text = makeZip([{ name: 'content.xml', data: utf8('<office:text><text:p>hi</text:p></office:text>') }]);
    expect((await failure(parseOds(text, 't.ods'))).message).toContain('no spreadsheet body');
    const bomb = makeZip([{ name: 'content.xml', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 }]);
    expect((await failure(parseOds(bomb, 'bomb.ods'))).code).toBe('ODS_TOO_LARGE_UNCOMPRESSED');
    expect((await failure(parseOds(makeOds(odsTable('E', [[null]])), 'e.ods'))).code).toBe('NO_TEXT');
  });
});

describe('parseCsv', () => {
  it('splits quoted fields with delimiters, quotes and line breaks; CRLF, LF and CR end records', () => {
    expect(parseCsvRecords('a,"b,c","say ""hi""\nthere"\r\nd,e\rf', ',').records).toEqual([
      ['a', 'b,c', 'say "hi"\nthere'],
      ['d', 'e'],
      ['f'],
    ]);
    expect(parseCsvRecords('a,"open\nnever closed', ',').unterminated).toBe(true);
  });

  it('detects the delimiter from the records that agree most', () => {
    expect(sniffDelimiter('a;b;c\n1;2,5;3\n4;5;6')).toBe(';');
    expect(sniffDelimiter('a\tb\n"x\ty"\tz')).toBe('\t');
    expect(sniffDelimiter('name|age\nAda|36')).toBe('|');
    expect(sniffDelimiter('just words, and a comma\nmore words')).toBe(',');
  });

  it('reads a CSV as one sheet named after the file, header repeated per block, line numbers as rows', async () => {
    const lines = ['city;country;population', '"Paris";France;2102650', '', 'Lyon;"France";522250'];
    const doc = await parseCsv(utf8(lines.join('\r\n')), 'data/cities.csv');
    expectOffsets(doc);
    expect(doc.kind).toBe('spreadsheet');
    expect(doc.title).toBe('cities');
    expect(tables(doc)).toEqual([
      '# cities',
      'Row | city | country | population\n2 | Paris | France | 2102650\n4 | Lyon | France | 522250',
    ]);
    const long = ['id,comment', ...Array.from({ length: 200 }, (_, i) => `${i},"line one\nline two of ${i}"`)];
    const big = await parseCsv(utf8(long.join('\n')), 'c.csv');
    expect(big.blocks.length).toBeGreaterThan(5);
    for (const b of big.blocks.slice(1)) expect(b.text.startsWith('Row | id | comment\n')).toBe(true);
    // Rows are records (as a spreadsheet opens the file), not lines: the quoted line breaks do not count.
    expect(big.text).toContain('\n101 | 99 | line one line two of 99\n');
  });

  it('takes the delimiter from an Excel "sep=" first line, which is not a row', async () => {
    // Sniffing would pick ',' here (both lines split into two on it); the sep line says ';'.
    const doc = await parseCsv(utf8('sep=;\r\nname;note\r\nAda;1,5\r\nBob;2,5'), 'sep.csv');
    expect(tables(doc)).toEqual(['# sep', 'Row | name | note\n2 | Ada | 1,5\n3 | Bob | 2,5']);
    expect(tables(await parseCsv(utf8('sep=|\na|b\n1|2'), 'p.csv'))).toEqual(['# p', 'Row | a | b\n2 | 1 | 2']);
    // Only a line that is exactly "sep=" and one character.
    expect(tables(await parseCsv(utf8('sep=;;\n1;2'), 'q.csv'))[1]).toBe('Row | sep=\n2 | 1 | 2');
  });

  it('reads a .tsv with tabs, falls back to plain text when a quote never closes, and caps cells', async () => {
    const tsv = await parseCsv(utf8('a,b\tc\n1,2\t3'), 't.tsv');
    expect(tsv.blocks[1]!.text).toBe('Row | a,b | c\n2 | 1,2 | 3');
    const broken = await parseCsv(utf8('"Quoted, and never closed\n\nSecond paragraph.'), 'notes.csv');
    expect(broken.kind).toBe('text');
    expect(broken.text).toBe('"Quoted, and never closed\n\nSecond paragraph.');
    const err = await failure(parseCsv(utf8('a,b,c\n1,2,3\n4,5,6'), 'x.csv', { maxCells: 8 }));
    expect(err.code).toBe('SPREADSHEET_TOO_LARGE');
    const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 37 + 11) % 256);
    const notText = await failure(parseCsv(binary, 'junk.csv'));
    expect([notText.code, notText.details.type]).toEqual(['FILE_UNSUPPORTED_TYPE', 'binary file']);
  });
});

describe('parseFile with spreadsheets', () => {
  it('detects XLSX and ODS by content, CSV by name or MIME type, all as kind spreadsheet', async () => {
    const xlsx = makeXlsx([{ name: 'S', rows: [['h'], ['v']] }]);
    const ods = makeOds(odsTable('S', [['h'], ['v']]));
    expect(detectKind(xlsx, 'download.bin')).toBe('spreadsheet');
    expect(detectKind(ods, 'download.bin')).toBe('spreadsheet');
    expect(detectKind(utf8('a,b'), 'x.csv')).toBe('spreadsheet');
    expect(detectKind(utf8('a,b'), 'x', 'text/csv')).toBe('spreadsheet');
    expect((await parseFile(xlsx, 'download.bin')).blocks[1]!.text).toBe('Row | h\n2 | v');
    expect((await parseFile(ods, 'o.ods')).blocks[1]!.text).toBe('Row | h\n2 | v');
    expect((await parseFile(utf8('h\nv'), 'c.csv')).blocks[1]!.text).toBe('Row | h\n2 | v');
  });

  it('sends damaged files named .xlsx or .ods to their parsers, which name the damage', async () => {
    const random = Uint8Array.from({ length: 256 }, (_, i) => (i * 37 + 11) % 256);
    expect((await failure(parseFile(random, 'book.xlsx'))).code).toBe('XLSX_INVALID');
    expect((await failure(parseFile(random, 'book.ods'))).code).toBe('ODS_INVALID');
    const otherZip = makeZip([{ name: 'a.txt', data: utf8('x') }]);
    expect((await failure(parseFile(otherZip, 'book.xlsx'))).code).toBe('XLSX_INVALID');
  });

  it('names a binary workbook (.xlsb) as such, by content or by name', async () => {
    const xlsb = makeZip([
      { name: '[Content_Types].xml', data: utf8('<Types/>') },
      { name: 'xl/workbook.bin', data: new Uint8Array(16) },
      { name: 'xl/worksheets/sheet1.bin', data: new Uint8Array(16) },
    ]);
    for (const name of ['book.xlsb', 'book.xlsx', 'download']) {
      const err = await failure(parseFile(xlsb, name));
      expect([err.code, err.details.type]).toEqual(['FILE_UNSUPPORTED_TYPE', 'Excel binary workbook (.xlsb)']);
    }
    // Not a ZIP at all, but named .xlsb: refused by its name.
    const err = await failure(parseFile(utf8('not a workbook'), 'broken.xlsb'));
    expect([err.code, err.details.type]).toEqual(['FILE_UNSUPPORTED_TYPE', 'Excel binary workbook (.xlsb)']);
  });
});

describe('spreadsheet text limits', () => {
  const long = 'x'.repeat(20_000);

  it('refuses an ODS whose long cell is repeated down 20,000 rows before building them', async () => {
    const body = `<table:table table:name="R"><table:table-row table:number-rows-repeated="20000"><table:table-cell office:value-type="string"><text:p>${long}</text:p></table:table-cell></table:table-row></table:table>`;
    const started = Date.now();
    const err = await failure(parseOds(makeOds(body), 'amp.ods'));
    expect(err.code).toBe('SPREADSHEET_TOO_LARGE');
    expect(err.message).toBe(
      '"amp.ods" has more than 20,000,000 characters, the most Lectern reads from one spreadsheet. Split it into smaller files and add those.',
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('refuses an XLSX whose rows all point at one long shared string', async () => {
    const rows: XlsxCell[][] = Array.from({ length: 20_000 }, () => [long]);
    const err = await failure(parseXlsx(makeXlsx([{ name: 'S', rows }]), 'amp.xlsx'));
    expect(err.code).toBe('SPREADSHEET_TOO_LARGE');
    expect(err.message).toContain('more than 20,000,000 characters');
  });

  it('cuts long cells and the header copied into each block, and counts the copies', async () => {
    const csv = [`${long},b`, ...Array.from({ length: 50_000 }, (_, i) => `${i},y`)].join('\n');
    const doc = await parseCsv(utf8(csv), 'amp.csv');
    expect(doc.text.length).toBeLessThan(10_000_000);
    const blocks = doc.blocks.slice(1);
    expect(blocks[0]!.text.split('\n')[0]).toBe(`Row | ${'x'.repeat(MAX_HEADER_CHARS - 7)}…`);
    for (const b of blocks) expect(b.text.length).toBeLessThanOrEqual(SHEET_BLOCK_CHARS);
    // A cell alone is cut to MAX_CELL_CHARS, and the header copies count against the character budget.
    const one = await parseCsv(utf8(`h\n${long}`), 'cell.csv');
    // (Split over lines of one block each, every line starting with the row number.)
    expect(one.text.match(/x/g)).toHaveLength(MAX_CELL_CHARS - 1);
    expect(one.text.endsWith('x…')).toBe(true);
    for (const b of one.blocks.slice(1)) expect(b.text.startsWith('Row | h\n2 | x')).toBe(true);
    // The same rows under a short header fit 1.5 million characters; copies of the long (cut) header do not.
    const short = await parseCsv(utf8(csv.replace(`${long},b`, 'a,b')), 'short.csv', { maxChars: 1_500_000 });
    expect(short.blocks.length).toBeGreaterThan(1000);
    const copies = await failure(parseCsv(utf8(csv), 'amp.csv', { maxChars: 1_500_000 }));
    expect(copies.message).toContain('more than 1,500,000 characters');
  });

  it('keeps the header at the top of every passage of a wide sheet', async () => {
    const head = Array.from({ length: 40 }, (_, i) => `Column heading ${i + 1}`);
    const lines = [head.join(','), ...Array.from({ length: 100 }, (_, r) => head.map((_, c) => r * 40 + c).join(','))];
    const doc = await parseCsv(utf8(lines.join('\n')), 'wide.csv');
    expectOffsets(doc);
    const first = doc.blocks[1]!.text.split('\n')[0]!;
    expect(first.startsWith('Row | Column heading 1 | Column heading 2 |')).toBe(true);
    expect(first.endsWith('…')).toBe(true);
    for (const b of doc.blocks.slice(1)) {
      expect(b.text.startsWith(`${first}\n`)).toBe(true);
      expect(b.text.length).toBeLessThanOrEqual(SHEET_BLOCK_CHARS);
    }
    const chunks = await chunkDocument(doc, {
      maxTokens: 256,
      overlapTokens: 32,
      countTokens: (t) => Math.ceil(t.length / 2),
      contextTitle: doc.title,
    });
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) expect(c.text.replace(/^wide\n\n/, '').startsWith(first)).toBe(true);
    // The cut header is also written whole once, as row 1: no column name is lost.
    for (const name of head) expect(doc.text).toContain(`| ${name} |`.replace(/ \|$/, ''));
    expect(doc.text.split('\n').filter((l) => l.startsWith('1 | Column heading')).length).toBeGreaterThan(1);
    // Every cell of the last row is still there, split over lines that each start with its row number.
    const last = doc.text.split('\n').filter((l) => l.startsWith('101 | '));
    expect(last.join(' | ').replace(/ \| 101(?= \|)/g, '')).toBe(`101 | ${lines[100]!.split(',').join(' | ')}`);
  });

  it('reads an ODS whose every row ends in 16,384 repeated empty cells in linear time', async () => {
    const row =
      '<table:table-row><table:table-cell office:value-type="string"><text:p>v</text:p></table:table-cell><table:table-cell table:number-columns-repeated="16383"/></table:table-row>';
    const empty = '<table:table-row><table:table-cell table:number-columns-repeated="16384"/></table:table-row>';
    const body = `<table:table table:name="R">${row}${empty.repeat(20_000)}${row}</table:table>`;
    const started = Date.now();
    const doc = await parseOds(makeOds(body), 'wide.ods');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(tables(doc)).toEqual(['# R', 'Row | v\n20002 | v']);
  });

  it('reads a format code of 50,000 brackets quickly', () => {
    const started = Date.now();
    expect(dateKindOfFormat('['.repeat(50_000))).toBeUndefined();
    expect(dateKindOfFormat(`[Red]yyyy-mm-dd${'['.repeat(50_000)}`)).toBe('date');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
