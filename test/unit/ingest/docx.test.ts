// DOCX: tables as rows, line breaks, page numbers from Word's page and section breaks, the zip-bomb guard over the central directory, damaged archives.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { parseDocx, vetDocxArchive } from '../../../src/lib/ingest/docx';
import { markPageBreaks } from '../../../src/lib/ingest/docx-pages';
import { readZipDirectory } from '../../../src/lib/ingest/zip';
import { expectOffsets, failure, makeZip, readFixture, utf8 } from './helpers';

const CONTENT_TYPES = utf8(
  '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
);
const RELS = utf8(
  '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
);
const W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
const docXml = (body: string) => utf8(`<?xml version="1.0"?><w:document ${W}><w:body>${body}</w:body></w:document>`);
const para = (text: string, style?: string) =>
  `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t>${text}</w:t></w:r></w:p>`;

function docx(body: string): Uint8Array {
  return makeZip([
    { name: '[Content_Types].xml', data: CONTENT_TYPES },
    { name: '_rels/.rels', data: RELS },
    { name: 'word/document.xml', data: docXml(body) },
  ]);
}

describe('parseDocx', () => {
  it('reads tables as rows, nested tables inside their cell', async () => {
    const doc = await parseDocx(readFixture('docx-tables.docx'), 'docx-tables.docx');
    expectOffsets(doc);
    expect(doc.kind).toBe('docx');
    expect(doc.title).toBe('docx-tables');
    expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([
      ['paragraph', 'Simple uniform table'],
      ['table', 'Header Col 1 | Header Col 2\nLorem ipsum | A link example'],
      ['paragraph', 'Nested Table'],
      ['table', 'a | >b< | c\nd | e, f; g&t, h | i\nj | k | l'],
      ['paragraph', 'Table with merged cells'],
      ['table', 'a | b\nc | d\ne'],
    ]);
  });

  it('keeps line breaks and text around page and section breaks', async () => {
    const doc = await parseDocx(readFixture('page-breaks.docx'), 'page-breaks.docx');
    expectOffsets(doc);
    expect(doc.blocks[0]!.text).toBe(
      'First page, tab here: followed by line-break here:\nhere:\nand here:no-break hyphen here:‑and hard page-break here>>',
    );
    expect(doc.text).toContain('<<producing two page-breaks to get from page-3 to page-5.');
    const fake = await parseDocx(readFixture('fake.docx'), 'fake.docx');
    expect(fake.text).toBe('Lorem ipsum dolor sit amet.');
  });

  it("numbers pages from Word's rendered, hard and section breaks, as the document itself says", async () => {
    // The fixture's own text: a hard break to the second page, a natural break to the third, a continuous section
    // break (same page), then an odd-page section break "to get from page-3 to page-5".
    const doc = await parseDocx(readFixture('page-breaks.docx'), 'page-breaks.docx');
    expectOffsets(doc);
    const pageOf = (phrase: string) => doc.blocks.find((b) => b.text.includes(phrase))?.page;
    expect(pageOf('First page, tab here')).toBe(1);
    expect(pageOf('<<Text on second page')).toBe(2);
    expect(pageOf('Continuous section break here')).toBe(3);
    expect(pageOf('<<followed by text on same page')).toBe(3);
    expect(pageOf('<<producing two page-breaks to get from page-3 to page-5.')).toBe(5);
    expect(doc.pageCount).toBe(6);
    expect(doc.text).not.toMatch(/[\uE000-\uE003]/);
  });

  it('counts a rendered break right after a hard one once, and a blank page left by an even-page section', async () => {
    const body =
      para('One.') +
      '<w:p><w:r><w:br w:type="page"/></w:r></w:p><w:p><w:r><w:lastRenderedPageBreak/><w:t>Two.</w:t></w:r></w:p>' +
      '<w:p><w:r><w:lastRenderedPageBreak/><w:t>Three.</w:t></w:r></w:p>' +
      '<w:p><w:pPr><w:sectPr><w:type w:val="continuous"/></w:sectPr></w:pPr><w:r><w:t>End of section.</w:t></w:r></w:p>' +
      para('Next section.') +
      '<w:sectPr><w:type w:val="evenPage"/></w:sectPr>';
    const doc = await parseDocx(docx(body), 'b.docx');
    expect(doc.blocks.map((b) => [b.text, b.page])).toEqual([
      ['One.', 1],
      ['Two.', 2],
      ['Three.', 3],
      ['End of section.', 3],
      ['Next section.', 4],
    ]);
  });

  it('gives no page numbers to a file Word did not lay out, or to one already using the sentinel characters', async () => {
    // Hard and section breaks alone (Google Docs, LibreOffice, pandoc) say nothing of where the other pages turn.
    const unrendered = await parseDocx(
      docx(
        para('Before.') +
          '<w:p><w:r><w:br w:type="page"/><w:t>After.</w:t></w:r></w:p>' +
          '<w:p><w:pPr><w:sectPr/></w:pPr><w:r><w:t>Section one ends.</w:t></w:r></w:p>' +
          para('Section two.') +
          '<w:sectPr/>',
      ),
      'export.docx',
    );
    expect(unrendered.blocks.every((b) => b.page === undefined)).toBe(true);
    expect(unrendered.pageCount).toBeUndefined();
    const eudc = await parseDocx(
      docx(
        para('A private-use character \uE000 here.') +
          '<w:p><w:r><w:lastRenderedPageBreak/><w:t>Next.</w:t></w:r></w:p>',
      ),
      'eudc.docx',
    );
    expect(eudc.text).toContain('\uE000');
    expect(eudc.blocks.every((b) => b.page === undefined)).toBe(true);
  });

  it("reads a section's current type, not the tracked old one, and refuses sentinels written as character references", async () => {
    const rendered = (text: string) => `<w:p><w:r><w:lastRenderedPageBreak/><w:t>${text}</w:t></w:r></w:p>`;
    const tracked = await parseDocx(
      docx(
        para('A.') +
          '<w:p><w:pPr><w:sectPr><w:sectPrChange w:id="1"><w:sectPr><w:type w:val="continuous"/></w:sectPr></w:sectPrChange></w:sectPr></w:pPr><w:r><w:t>B.</w:t></w:r></w:p>' +
          rendered('C.') +
          '<w:sectPr><w:sectPrChange w:id="2"><w:sectPr><w:type w:val="oddPage"/></w:sectPr></w:sectPrChange></w:sectPr>',
      ),
      't.docx',
    );
    // The last section starts on the next page (no type: nextPage); its old type, oddPage, would skip to page 3.
    expect(tracked.blocks.map((b) => [b.text, b.page])).toEqual([
      ['A.', 1],
      ['B.', 1],
      ['C.', 2],
    ]);
    for (const ref of ['&#xE000;', '&#57344;', '&#xe003;']) {
      const doc = await parseDocx(docx(para(`One ${ref}${ref} two`) + rendered('Next.')), 'r.docx');
      expect(doc.blocks.every((b) => b.page === undefined)).toBe(true);
    }
  });

  it('marks page breaks in linear time, whatever the markup', () => {
    const rendered = '<w:lastRenderedPageBreak/>';
    for (const hostile of [
      rendered + '<w:br'.repeat(200_000),
      rendered + '<w:sectPr>'.repeat(200_000),
      rendered + '<w:sectPr></w:sectPr>'.repeat(200_000),
      rendered + '<w:sectPr/>'.repeat(200_000) + '<w:p></w:p>',
      rendered + '<w:p><w:pPr><w:sectPr><w:pgSz/></w:sectPr></w:pPr></w:p>'.repeat(100_000),
      rendered + '<w:lastRenderedPageBreak'.repeat(200_000),
    ]) {
      const started = performance.now();
      expect(markPageBreaks(hostile)).toBeDefined();
      // Loose: only a quadratic scan (minutes at this size: 40,000 sections took 133 s before) would break it.
      expect(performance.now() - started).toBeLessThan(5_000);
    }
  });

  it('maps Word heading styles to heading blocks and takes the title from Heading 1', async () => {
    const doc = await parseDocx(
      docx(para('Annual Report', 'Heading1') + para('Intro text.') + para('Details', 'Heading2') + para('More.')),
      'r.docx',
    );
    expect(doc.title).toBe('Annual Report');
    expect(doc.blocks.map((b) => [b.kind, b.level ?? null, b.text])).toEqual([
      ['heading', 1, 'Annual Report'],
      ['paragraph', null, 'Intro text.'],
      ['heading', 2, 'Details'],
      ['paragraph', null, 'More.'],
    ]);
  });

  it('refuses archives that would inflate beyond the limit, before inflating anything', async () => {
    const big = makeZip([
      { name: '[Content_Types].xml', data: CONTENT_TYPES },
      { name: 'word/document.xml', data: docXml(para('x')), claimedSize: 150 * 1024 * 1024 },
      { name: 'word/media/blob.bin', data: new Uint8Array(64), claimedSize: 100 * 1024 * 1024 },
    ]);
    expect((await failure(parseDocx(big, 'big.docx'))).code).toBe('DOCX_TOO_LARGE_UNCOMPRESSED');
    expect(() => vetDocxArchive(big, 'big.docx', 300 * 1024 * 1024)).toThrow(AppError); // still an absurd ratio
    // Honest sizes, over a (lowered) limit.
    const capped = await failure(parseDocx(readFixture('fake.docx'), 'fake.docx', { maxUncompressedBytes: 10_000 }));
    expect(capped.code).toBe('DOCX_TOO_LARGE_UNCOMPRESSED');
    expect(capped.details.limit).toBe(10_000);
    const ratio = makeZip([
      { name: '[Content_Types].xml', data: CONTENT_TYPES },
      { name: 'word/document.xml', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 },
    ]);
    const err = await failure(parseDocx(ratio, 'bomb.docx'));
    expect(err.code).toBe('DOCX_TOO_LARGE_UNCOMPRESSED');
    expect(err.details.entry).toBe('word/document.xml');
  });

  it('inflates against a running budget: an entry that lies about its size is refused after the budget, not at 2 GB', async () => {
    const LIMIT = 8 * 1024 * 1024;
    // 64 MB of zeros deflates to ~64 KB and claims 1 KB: the directory checks (sizes, ratio) all pass.
    const liar = makeZip([
      { name: '[Content_Types].xml', data: CONTENT_TYPES, deflate: true },
      { name: 'word/document.xml', data: new Uint8Array(64 * 1024 * 1024), claimedSize: 1024, deflate: true },
    ]);
    expect(liar.length).toBeLessThan(200_000);
    expect(() => vetDocxArchive(liar, 'liar.docx', LIMIT)).not.toThrow();
    const err = await failure(parseDocx(liar, 'liar.docx', { maxUncompressedBytes: LIMIT }));
    expect(err.code).toBe('DOCX_TOO_LARGE_UNCOMPRESSED');
    expect(err.details).toMatchObject({ entry: 'word/document.xml', limit: LIMIT });
    // A real (deflated) Word document under the same budget still opens.
    expect(
      (await parseDocx(readFixture('docx-tables.docx'), 'docx-tables.docx', { maxUncompressedBytes: LIMIT })).text,
    ).not.toBe('');
  });

  it('calls non-archives, foreign archives and damaged ones invalid', async () => {
    expect((await failure(parseDocx(utf8('just text, renamed'), 'renamed.docx'))).code).toBe('DOCX_INVALID');
    const notWord = makeZip([{ name: 'readme.txt', data: utf8('hello') }]);
    expect((await failure(parseDocx(notWord, 'archive.docx'))).code).toBe('DOCX_INVALID');
    const real = readFixture('fake.docx');
    expect((await failure(parseDocx(real.slice(0, real.length - 30), 'cut.docx'))).code).toBe('DOCX_INVALID');
    const badXml = makeZip([
      { name: '[Content_Types].xml', data: CONTENT_TYPES },
      { name: '_rels/.rels', data: RELS },
      { name: 'word/document.xml', data: utf8('<w:document><not-closed') },
    ]);
    expect((await failure(parseDocx(badXml, 'bad.docx'))).code).toBe('DOCX_INVALID');
    const cfb = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(512)]);
    const err = await failure(parseDocx(cfb, 'locked.docx'));
    expect(err.code).toBe('DOCX_INVALID');
    expect(err.message).toMatch(/password-protected or in the old \.doc format/);
  });

  it('refuses a document without text', async () => {
    expect((await failure(parseDocx(docx('<w:p></w:p>'), 'blank.docx'))).code).toBe('NO_TEXT');
  });
});

describe('readZipDirectory', () => {
  it('lists names and sizes of a real DOCX', () => {
    const entries = readZipDirectory(readFixture('docx-tables.docx'));
    const doc = entries.find((e) => e.name === 'word/document.xml');
    expect(doc).toBeDefined();
    expect(doc!.uncompressedSize).toBeGreaterThan(doc!.compressedSize);
    expect(entries.every((e) => !e.encrypted)).toBe(true);
  });
});
