// PDF: reading order on two-column pages, page numbers, running headers, hyphenation, passwords and damage.
import { beforeAll, describe, expect, it } from 'vitest';
import { isGlyphGarbage, parsePdf } from '../../../src/lib/ingest/pdf';
import type { ParsedDocument } from '../../../src/lib/ingest/types';
import { expectOffsets, failure, loadPdfjs, makePdf, readFixture, readShared, type PdfText } from './helpers';

/** The page of the block holding a phrase. */
function pageOf(doc: ParsedDocument, phrase: string): number | undefined {
  const at = doc.text.indexOf(phrase);
  return doc.blocks.find((b) => b.start <= at && at < b.end)?.page;
}

describe('parsePdf on a two-column paper', () => {
  let doc: ParsedDocument;
  beforeAll(async () => {
    doc = await parsePdf(readShared('pdf/tracemonkey.pdf'), 'tracemonkey.pdf', { loadPdfjs });
  });

  it('keeps offsets exact and every block on a page, pages in order', () => {
    expectOffsets(doc);
    expect(doc.kind).toBe('pdf');
    expect(doc.pageCount).toBe(14);
    expect(doc.warnings).toEqual([]);
    let last = 0;
    for (const b of doc.blocks) {
      expect(b.page).toBeGreaterThanOrEqual(last);
      last = b.page!;
    }
    expect(last).toBe(14);
  });

  it('drops chart labels drawn with unmapped glyphs (short runs of ASCII punctuation)', () => {
    // Figures on pages 10–13 label their bars with glyphs that map to "!\"#", "$!\"#"…: not text anyone searches.
    const runs = [...doc.text.matchAll(/(?<=^|\s)[!-/]{2,}(?=\s|$)/gm)].map((m) => m[0]);
    expect(runs.filter((r) => r.includes('"'))).toEqual([]);
    // Real punctuation-only tokens in the code listings stay.
    expect(runs).toContain('(*)');
    expect(doc.text).toContain('Related Work');
  });

  it('tells unmapped-glyph runs from real punctuation in code and tables', () => {
    for (const junk of ['!"#', '$!"#', '%#"', '$!"', '!"', '&\'()*+,"', '-./"', '?>9@AJ.D<F@ 9@A?>'])
      expect(isGlyphGarbage(junk), junk).toBe(true);
    for (const real of ['"",', '"%"', '"),', '."', '""', '(*)', '+=', '//', '...', '-', 'x = "a";'])
      expect(isGlyphGarbage(real), real).toBe(false);
  });

  it('takes the title from the large type on page one', () => {
    expect(doc.title).toBe('Trace-based Just-in-Time Type Specialization for Dynamic Languages');
    expect(doc.blocks[0]).toMatchObject({ kind: 'heading', level: 1, page: 1 });
  });

  it('reads columns in order and mends words hyphenated at line ends', () => {
    // Left column, three lines, two of them ending in hyphens ("com-" "pile", "al-" "ternative").
    const abstract =
      'Dynamic languages such as JavaScript are more difficult to compile than statically typed ones. Since no concrete type information is available, traditional compilers need to emit generic code that can handle all possible type combinations at runtime. We present an alternative compilation technique';
    // Right column of the same page ("informa-" "tion").
    const right =
      'Compilers for statically typed languages rely on type information to generate efficient machine code.';
    // Page two: the left column's first lines sit beside a code listing in the right column.
    const beside =
      'Hence, recording and compiling a trace speculates that the path and typing will be exactly as they were during recording for subsequent iterations of the loop.';
    for (const s of [abstract, right, beside]) expect(doc.text).toContain(s);
    const order = ['Abstract', abstract, '1. Introduction', 'and is used for the application logic', right, beside].map(
      (s) => doc.text.indexOf(s),
    );
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(doc.text).not.toContain('com- pile');
  });

  it('puts phrases on their pages and finds section headings', () => {
    expect(pageOf(doc, 'SpiderMonkey, like many VMs, needs to preempt the user program periodically.')).toBe(9);
    expect(pageOf(doc, 'We solve the nested loop problem by recording nested trace trees.')).toBe(2);
    const headings = doc.blocks.filter((b) => b.kind === 'heading').map((b) => `${b.page}:${b.text}`);
    expect(headings).toEqual(expect.arrayContaining(['4:3. Trace Trees', '13:9. Conclusions', '14:References']));
  });

  it('recombines TeX accents', () => {
    expect(doc.text).toContain('naïve');
    expect(doc.text).not.toContain('¨');
  });
});

describe('parsePdf layout rules', () => {
  const lines = (page: number): PdfText[] => [
    { x: 72, y: 750, text: 'ACME Field Manual - Confidential' },
    {
      x: 72,
      y: 700,
      text:
        ['Lighthouses guide ships', 'Keepers trimmed wicks', 'Fresnel lenses bend light', 'Foghorns warn'][page - 1] +
        ' and give an exam-',
    },
    { x: 72, y: 686, text: 'ple of a word broken across two lines.' },
    { x: 72, y: 600 - page * 20, text: `Paragraph two of page ${page} starts after a gap.` },
    { x: 300, y: 40, text: `- ${page} -` },
  ];

  it('drops running headers and page numbers, keeps the body', async () => {
    const doc = await parsePdf(makePdf([1, 2, 3, 4].map(lines)), 'manual.pdf', { loadPdfjs });
    expectOffsets(doc);
    expect(doc.text).not.toContain('ACME Field Manual');
    expect(doc.text).not.toMatch(/- \d -/);
    expect(doc.blocks.map((b) => [b.page, b.text])).toEqual([
      [1, 'Lighthouses guide ships and give an example of a word broken across two lines.'],
      [1, 'Paragraph two of page 1 starts after a gap.'],
      [2, 'Keepers trimmed wicks and give an example of a word broken across two lines.'],
      [2, 'Paragraph two of page 2 starts after a gap.'],
      [3, 'Fresnel lenses bend light and give an example of a word broken across two lines.'],
      [3, 'Paragraph two of page 3 starts after a gap.'],
      [4, 'Foghorns warn and give an example of a word broken across two lines.'],
      [4, 'Paragraph two of page 4 starts after a gap.'],
    ]);
  });

  it('reads the left column before the right one', async () => {
    const column = (x: number, prefix: string) =>
      Array.from({ length: 12 }, (_, i) => ({
        x,
        y: 700 - i * 12,
        text: `${prefix} line ${i + 1} of a column of ordinary text`,
      }));
    const doc = await parsePdf(makePdf([[...column(306, 'Right'), ...column(54, 'Left')]]), 'cols.pdf', { loadPdfjs });
    const left = doc.text.indexOf('Left line 12');
    const right = doc.text.indexOf('Right line 1 ');
    expect(left).toBeGreaterThan(0);
    expect(right).toBeGreaterThan(left);
    expect(doc.text).toContain('Left line 1 of a column of ordinary text Left line 2');
  });

  it('leaves the caller’s buffer intact', async () => {
    const bytes = makePdf([lines(1)]);
    const copy = bytes.slice();
    await parsePdf(bytes, 'one.pdf', { loadPdfjs });
    expect(bytes).toEqual(copy);
  });
});

describe('parsePdf failures and protection', () => {
  it('asks for a password, rejects a wrong one, opens with the right one', async () => {
    const bytes = readFixture('password.pdf');
    expect((await failure(parsePdf(bytes, 'password.pdf', { loadPdfjs }))).code).toBe('PDF_PASSWORD_REQUIRED');
    expect((await failure(parsePdf(bytes, 'password.pdf', { loadPdfjs, password: 'nope' }))).code).toBe(
      'PDF_PASSWORD_INCORRECT',
    );
    const doc = await parsePdf(bytes, 'password.pdf', { loadPdfjs, password: 'password' });
    expect(doc.text).toContain('File with password');
  });

  it('ingests a copy-protected PDF (encrypted, text still allowed)', async () => {
    const doc = await parsePdf(readShared('pdf/copy-protected.pdf'), 'copy-protected.pdf', { loadPdfjs });
    expectOffsets(doc);
    expect(doc.text).toContain('LayoutParser');
    expect(doc.text).toContain('Deep Learning Based Document Image Analysis');
    // LaTeX draws its \_ as a short rule, which pdf.js's text gives as a space: the rule is read back as the underscore.
    expect(doc.text).toContain('ruochen_zhang@brown.edu');
    expect(doc.text).not.toContain('ruochen zhang@brown.edu');
  });

  it('reads a short rule drawn in an address’s space as an underscore, and no other rule', async () => {
    // Helvetica at 10 pt: "mail ada" is 37.79 pt wide, so the space after it runs from x = 109.79 to 112.57.
    const text = [{ x: 72, y: 700, text: 'mail ada lovelace@example.org today' }];
    const rule = (x: number, y: number, length: number) => `q 0.4 w 1 0 0 1 ${x} ${y} cm 0 0 m ${length} 0 l S Q`;
    const read = async (raw?: string) => (await parsePdf(makePdf([text], [raw]), 'a.pdf', { loadPdfjs })).text;
    expect(await read(rule(109.9, 699.2, 2.5))).toBe('mail ada_lovelace@example.org today');
    // An underline in the space between two ordinary words stays a space, on the same page.
    expect(await read(rule(95.6, 699.2, 2.5))).toBe('mail ada lovelace@example.org today');
    // No rule, a rule far below the line, a long rule (a table's), a thick bar: the text stays as it was.
    for (const raw of [undefined, rule(109.9, 690, 2.5), rule(72, 699.2, 200), 'q 109.9 698 2.5 4 re f Q'])
      expect(await read(raw)).toBe('mail ada lovelace@example.org today');
  });

  it('warns when some pages are scanned images without text, but not for blank pages or a logo', async () => {
    /** An inline 1-bit image of w×h pixels drawn over the page: a scanner writes the same, at a higher resolution. */
    const image = (w: number, h: number) =>
      `q 612 0 0 792 0 0 cm BI /W ${w} /H ${h} /CS /G /BPC 1 ID ${'\xff'.repeat(Math.ceil(w / 8) * h)} EI Q`;
    const text = [{ x: 72, y: 700, text: 'Minutes of the harbour board.' }];
    const more = [{ x: 72, y: 600, text: 'The dredger returns in May.' }];
    const mixed = await parsePdf(makePdf([text, [], more], [undefined, image(600, 600)]), 'mixed.pdf', { loadPdfjs });
    expect(mixed.warnings).toContain('PDF_PAGES_SCANNED');
    expect(mixed.pageCount).toBe(3);
    const blank = await parsePdf(makePdf([text, [], more]), 'blank.pdf', { loadPdfjs });
    expect(blank.warnings).not.toContain('PDF_PAGES_SCANNED');
    const logo = await parsePdf(makePdf([text, [], more], [undefined, image(40, 40)]), 'logo.pdf', { loadPdfjs });
    expect(logo.warnings).not.toContain('PDF_PAGES_SCANNED');
    // Every page scanned is still refused as a whole, as before.
    const scans = makePdf([[], []], [image(600, 600), image(600, 600)]);
    expect((await failure(parsePdf(scans, 'scan.pdf', { loadPdfjs }))).code).toBe('PDF_NO_TEXT');
  });

  it('says an image-only PDF has no text', async () => {
    expect((await failure(parsePdf(readFixture('single_table.pdf'), 'single_table.pdf', { loadPdfjs }))).code).toBe(
      'PDF_NO_TEXT',
    );
  });

  it('calls garbage and truncated files invalid', async () => {
    const random = Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) % 251);
    expect((await failure(parsePdf(random, 'random.pdf', { loadPdfjs }))).code).toBe('PDF_INVALID');
    const headed = Uint8Array.from([...new TextEncoder().encode('%PDF-1.7\n'), ...random]);
    expect((await failure(parsePdf(headed, 'headed.pdf', { loadPdfjs }))).code).toBe('PDF_INVALID');
    const tm = readShared('pdf/tracemonkey.pdf');
    expect((await failure(parsePdf(tm.slice(0, tm.length >> 1), 'cut.pdf', { loadPdfjs }))).code).toBe('PDF_INVALID');
    expect((await failure(parsePdf(new Uint8Array(0), 'empty.pdf', { loadPdfjs }))).code).toBe('FILE_EMPTY');
  });

  it('reads a small single-column PDF', async () => {
    const doc = await parsePdf(readFixture('alphatrans.pdf'), 'alphatrans.pdf', { loadPdfjs });
    expect(doc.title).toBe('Alpha Transparency Test');
    expect(doc.text).toContain('Red: stroke=1, fill=1.');
  });
});
