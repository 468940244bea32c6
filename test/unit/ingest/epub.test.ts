// EPUB: chapters in spine order, chapter titles as headings (own heading, else the nav's), scripts dropped, damage.
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parseEpub } from '../../../src/lib/ingest/epub';
import { expectOffsets, failure, makeZip, utf8, words } from './helpers';
import { makeEpub } from './office-files';

const book = () =>
  makeEpub('The Lighthouse Keeper', [
    // Spine order differs from file-name order (a-… sorts last here).
    { file: 'z-intro.xhtml', navTitle: 'Introduction', body: '<p>The keeper arrived in spring.</p>' },
    {
      file: 'b-storm.xhtml',
      navTitle: 'Nav title for the storm',
      body: '<h1>The Storm</h1><p>Waves rose over the rocks.</p><h2>Aftermath</h2><p>The lamp survived the night.</p>',
    },
    { file: 'a-end.xhtml', body: '<h1>Epilogue</h1><p>The light still turns.</p>' },
  ]);

describe('parseEpub', () => {
  it('reads chapters in spine order, each under its own heading or the nav title', async () => {
    const doc = await parseEpub(book(), 'keeper.epub');
    expectOffsets(doc);
    expect(doc.kind).toBe('epub');
    expect(doc.title).toBe('The Lighthouse Keeper');
    expect(doc.blocks.map((b) => [b.kind, b.level ?? null, b.text])).toEqual([
      ['heading', 1, 'Introduction'],
      ['paragraph', null, 'The keeper arrived in spring.'],
      ['heading', 1, 'The Storm'],
      ['paragraph', null, 'Waves rose over the rocks.'],
      ['heading', 2, 'Aftermath'],
      ['paragraph', null, 'The lamp survived the night.'],
      ['heading', 1, 'Epilogue'],
      ['paragraph', null, 'The light still turns.'],
    ]);
    // The nav document is the table of contents, not a chapter.
    expect(doc.text).not.toContain('Contents');
  });

  it('gives every passage its chapter’s heading path after chunking', async () => {
    const doc = await parseEpub(book(), 'keeper.epub');
    const chunks = await chunkDocument(doc, { maxTokens: 12, overlapTokens: 0, countTokens: words });
    const pathOf = (needle: string) => chunks.find((c) => c.text.includes(needle))?.headingPath;
    expect(pathOf('keeper arrived')).toEqual(['Introduction']);
    expect(pathOf('Waves rose')).toEqual(['The Storm']);
    expect(pathOf('lamp survived')).toEqual(['The Storm', 'Aftermath']);
    expect(pathOf('still turns')).toEqual(['Epilogue']);
  });

  it('drops scripts, styles and event handlers: none of it becomes text', async () => {
    const epub = makeEpub('Hostile', [
      {
        file: 'c1.xhtml',
        body: '<h1>Safe</h1><script>window.pwned = 1; document.title = "x"</script><style>p{color:red}</style><p onclick="alert(1)">Plain words.</p><script type="text/javascript"><![CDATA[ alert("cdata") ]]></script>',
      },
    ]);
    const doc = await parseEpub(epub, 'hostile.epub');
    expect(doc.text).toBe('Safe\n\nPlain words.');
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });

  it('reads a chapter the spine lists many times once (a small file cannot multiply its text)', async () => {
    const once = { file: 'c.xhtml', body: '<h1>Only</h1><p>Read me once.</p>' };
    const doc = await parseEpub(makeEpub('Loop', [once, once, once, once]), 'loop.epub');
    expect(doc.blocks.map((b) => b.text)).toEqual(['Only', 'Read me once.']);
  });

  it('refuses a DRM-protected book (its chapters listed as encrypted), but reads one whose fonts are obfuscated', async () => {
    const withEncryption = (algorithm: string, uri: string) => {
      const files = unzipSync(book());
      files['META-INF/encryption.xml'] = strToU8(
        `<?xml version="1.0"?><encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="${algorithm}"/><enc:CipherData><enc:CipherReference URI="${uri}"/></enc:CipherData></enc:EncryptedData></encryption>`,
      );
      return zipSync(files);
    };
    const drm = await failure(
      parseEpub(withEncryption('http://www.w3.org/2001/04/xmlenc#aes128-cbc', 'OEBPS/b-storm.xhtml'), 'drm.epub'),
    );
    expect(drm.code).toBe('EPUB_INVALID');
    expect(drm.message).toContain('protected by DRM');
    // Font obfuscation (IDPF, Adobe), even on a chapter's entry, is not DRM: the book reads.
    for (const algorithm of ['http://www.idpf.org/2008/embedding', 'http://ns.adobe.com/pdf/enc#RC']) {
      const fonts = await parseEpub(withEncryption(algorithm, 'OEBPS/b-storm.xhtml'), 'f.epub');
      expect(fonts.blocks.some((b) => b.text === 'The Storm')).toBe(true);
    }
  });

  it('falls back to the NCX titles of an EPUB 2 book', async () => {
    const ncx = (title: string, src: string) =>
      `<navPoint id="n"><navLabel><text>${title}</text></navLabel><content src="${src}"/></navPoint>`;
    const zip = makeZip([
      { name: 'mimetype', data: utf8('application/epub+zip') },
      {
        name: 'META-INF/container.xml',
        data: utf8('<container><rootfiles><rootfile full-path="book.opf"/></rootfiles></container>'),
      },
      {
        name: 'book.opf',
        data: utf8(
          '<package><manifest><item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/><item id="one" href="text/one.html" media-type="application/xhtml+xml"/></manifest><spine toc="ncx"><itemref idref="one"/></spine></package>',
        ),
      },
      { name: 'toc.ncx', data: utf8(`<ncx><navMap>${ncx('Part One', 'text/one.html#p1')}</navMap></ncx>`) },
      { name: 'text/one.html', data: utf8('<html><body><p>Once upon a time.</p></body></html>') },
    ]);
    const doc = await parseEpub(zip, 'old.epub');
    expect(doc.title).toBe('old');
    expect(doc.blocks.map((b) => b.text)).toEqual(['Part One', 'Once upon a time.']);
  });

  it('calls non-archives, archives without a container or package, and bombs by their own codes', async () => {
    expect((await failure(parseEpub(utf8('not a zip at all'), 'fake.epub'))).code).toBe('EPUB_INVALID');
    const bare = makeZip([{ name: 'mimetype', data: utf8('application/epub+zip') }]);
    const noContainer = await failure(parseEpub(bare, 'bare.epub'));
    expect(noContainer.code).toBe('EPUB_INVALID');
    expect(noContainer.message).toContain('META-INF/container.xml');
    const noOpf = makeZip([
      {
        name: 'META-INF/container.xml',
        data: utf8('<container><rootfiles><rootfile full-path="gone.opf"/></rootfiles></container>'),
      },
    ]);
    expect((await failure(parseEpub(noOpf, 'noopf.epub'))).message).toContain('gone.opf');
    const bomb = makeZip([
      { name: 'META-INF/container.xml', data: new Uint8Array(1000), claimedSize: 5 * 1024 * 1024 },
    ]);
    const err = await failure(parseEpub(bomb, 'bomb.epub'));
    expect(err.code).toBe('EPUB_TOO_LARGE_UNCOMPRESSED');
    expect(err.details.entry).toBe('META-INF/container.xml');
    const liar = makeZip([
      { name: 'META-INF/container.xml', data: new Uint8Array(16 * 1024 * 1024), claimedSize: 1024, deflate: true },
    ]);
    const lied = await failure(parseEpub(liar, 'liar.epub', { maxUncompressedBytes: 4 * 1024 * 1024 }));
    expect(lied.code).toBe('EPUB_TOO_LARGE_UNCOMPRESSED');
  });

  it('refuses a book without text', async () => {
    const empty = makeEpub('Empty', [{ file: 'c.xhtml', body: '<p> </p>' }]);
    expect((await failure(parseEpub(empty, 'empty.epub'))).code).toBe('NO_TEXT');
  });
});
