// The dispatcher: kinds by magic bytes, extension and MIME type; size limit; unsupported types named.
import { describe, expect, it } from 'vitest';
import { chunkDocument, contextualText, detectKind, parseFile } from '../../../src/lib/ingest';
import { expectOffsets, failure, loadPdfjs, makePdf, makeZip, readFixture, utf8, words } from './helpers';
import { makeEpub, makeOdt, makePptx } from './office-files';

const parse = (bytes: Uint8Array, name: string, mime = '') => parseFile(bytes, name, mime, { loadPdfjs });

describe('parseFile', () => {
  it('dispatches every supported kind and keeps the offsets invariant', async () => {
    const cases: [string, string][] = [
      ['fake-html.html', 'html'],
      ['codeblock.md', 'markdown'],
      ['book-war-and-peace-1p.txt', 'text'],
      ['docx-tables.docx', 'docx'],
      ['alphatrans.pdf', 'pdf'],
    ];
    for (const [name, kind] of cases) {
      const doc = await parse(readFixture(name), name);
      expect(doc.kind).toBe(kind);
      expectOffsets(doc);
    }
  });

  it('trusts content over names where the content is unambiguous', async () => {
    expect(detectKind(makePdf([[{ x: 72, y: 700, text: 'Hello' }]]), 'scan.txt')).toBe('pdf');
    expect(detectKind(readFixture('fake.docx'), 'report')).toBe('docx');
    expect(detectKind(readFixture('fake.docx'), 'report.zip')).toBe('docx');
    expect((await parse(readFixture('fake.docx'), 'Download', 'application/octet-stream')).text).toBe(
      'Lorem ipsum dolor sit amet.',
    );
  });

  it('falls back to the MIME type, then to sniffing', () => {
    expect(detectKind(utf8('# Title'), 'README', 'text/markdown; charset=utf-8')).toBe('markdown');
    expect(detectKind(utf8('<p>x</p>'), 'page', 'text/html')).toBe('html');
    expect(detectKind(utf8('plain'), 'notes', 'text/x-anything')).toBe('text');
    expect(detectKind(utf8('<!DOCTYPE html><p>x</p>'), 'saved-page')).toBe('html');
    expect(detectKind(utf8('just words'), 'LICENSE')).toBe('text');
    expect(detectKind(utf8('fn main() {}'), 'main.rs')).toBe('text');
    expect(detectKind(utf8('# Heading'), 'notes.markdown')).toBe('markdown');
  });

  it('names unsupported types', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    let err = await failure(parse(png, 'photo.png', 'image/png'));
    expect(err.code).toBe('FILE_UNSUPPORTED_TYPE');
    expect(err.message).toContain('PNG image');
    expect(err.details.type).toBe('PNG image');
    expect(err.message).toMatch(/^"[^"]+" is a PNG image, which Lectern cannot read\./);

    const xls = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(100)]);
    err = await failure(parse(xls, 'budget.xls'));
    expect(err.message).toContain('is an Excel workbook (.xls)');

    const doc = Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, ...new Uint8Array(100)]);
    err = await failure(parse(doc, 'old.doc'));
    expect(err.message).toContain('Word 97-2003 document (.doc)');

    err = await failure(parse(Uint8Array.from([0, 1, 2, 3, 0, 255, 254, 0, 9, 8]), 'data.bin'));
    expect(err.code).toBe('FILE_UNSUPPORTED_TYPE');
    expect(err.message).toContain('.bin file');

    err = await failure(parse(utf8('%!PS-Adobe-3.0\n'), 'letter.ps'));
    expect(err.message).toContain('PostScript file');
  });

  it('tells EPUB, PPTX and ODT archives apart by their contents, whatever their names', async () => {
    const epub = makeEpub('Book', [{ file: 'c.xhtml', body: '<p>Chapter text.</p>' }]);
    const pptx = makePptx([{ title: 'Slide text' }]);
    const odt = makeOdt('<text:p>Body text.</text:p>');
    expect(detectKind(epub, 'download.zip')).toBe('epub');
    expect(detectKind(pptx, 'download')).toBe('pptx');
    expect(detectKind(odt, 'download.bin')).toBe('odt');
    expect((await parse(epub, 'b.epub', 'application/epub+zip')).text).toBe('Chapter text.');
    expect((await parse(pptx, 'd.pptx')).blocks[0]).toMatchObject({ text: 'Slide text', page: 1 });
    expect((await parse(odt, 'o.odt')).kind).toBe('odt');
    // An OpenDocument spreadsheet goes to the ODS parser by its mimetype, which names what it lacks.
    const ods = makeZip([
      { name: 'mimetype', data: utf8('application/vnd.oasis.opendocument.spreadsheet') },
      { name: 'META-INF/manifest.xml', data: utf8('<manifest/>') },
    ]);
    const odsErr = await failure(parse(ods, 'sheet.bin'));
    expect([odsErr.code, odsErr.details.reason]).toEqual(['ODS_INVALID', 'a ZIP archive without content.xml']);
    const odp = makeZip([
      { name: 'mimetype', data: utf8('application/vnd.oasis.opendocument.presentation') },
      { name: 'META-INF/manifest.xml', data: utf8('<manifest/>') },
    ]);
    expect((await failure(parse(odp, 'talk.odp'))).message).toContain('OpenDocument presentation (.odp)');
  });

  it('lets the named parser report damage in its own terms', async () => {
    const random = Uint8Array.from({ length: 2048 }, (_, i) => (i * 2654435761) % 251);
    expect((await failure(parse(random, 'paper.pdf'))).code).toBe('PDF_INVALID');
    expect((await failure(parse(random, 'memo.docx'))).code).toBe('DOCX_INVALID');
    expect((await failure(parse(random, 'novel.epub'))).code).toBe('EPUB_INVALID');
    expect((await failure(parse(random, 'talk.pptx'))).code).toBe('PPTX_INVALID');
    expect((await failure(parse(random, 'essay.odt'))).code).toBe('ODT_INVALID');
    const stray = makeZip([{ name: 'readme.txt', data: utf8('hi') }]);
    expect((await failure(parse(stray, 'novel.epub'))).code).toBe('EPUB_INVALID');
    expect((await failure(parse(stray, 'x', 'application/vnd.oasis.opendocument.text'))).code).toBe('ODT_INVALID');
  });

  it('enforces the size limit and refuses empty files', async () => {
    const bytes = readFixture('fake-html.html');
    const err = await failure(parseFile(bytes, 'fake-html.html', 'text/html', { maxBytes: 100 }));
    expect(err.code).toBe('FILE_TOO_LARGE');
    expect(err.details).toMatchObject({ bytes: bytes.length, limit: 100 });
    expect((await parseFile(bytes, 'fake-html.html', 'text/html', { maxBytes: bytes.length })).kind).toBe('html');
    expect((await failure(parse(new Uint8Array(0), 'empty.pdf'))).code).toBe('FILE_EMPTY');
  });

  it('passes the PDF password through', async () => {
    const bytes = readFixture('password.pdf');
    expect((await failure(parse(bytes, 'password.pdf'))).code).toBe('PDF_PASSWORD_REQUIRED');
    const doc = await parseFile(bytes, 'password.pdf', 'application/pdf', { loadPdfjs, password: 'password' });
    expect(doc.text).toContain('File with password');
  });

  it('feeds the chunker end to end through the public index', async () => {
    const doc = await parse(readFixture('example-with-scripts.html'), 'isw.html');
    const chunks = await chunkDocument(doc, { maxTokens: 120, overlapTokens: 20, countTokens: words });
    expect(chunks.length).toBeGreaterThan(10);
    expect(contextualText(chunks[0]!, doc.title)).toMatch(
      /^Russian Offensive Campaign Assessment, December 13 \| Institute for the Study of War > /,
    );
  });
});
