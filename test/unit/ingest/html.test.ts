// HTML: scripts and handlers never surface, main content is preferred, headings/lists/tables keep their shape.
import { describe, expect, it } from 'vitest';
import { chunkDocument } from '../../../src/lib/ingest/chunker';
import { parseHtml } from '../../../src/lib/ingest/html';
import { expectOffsets, readFixture, utf8, words } from './helpers';

const html = (source: string, name = 'page.html') => parseHtml(utf8(source), name);

describe('parseHtml', () => {
  it('reads headings, nested lists and tables from a small page', async () => {
    const doc = await parseHtml(readFixture('fake-html.html'), 'fake-html.html');
    expectOffsets(doc);
    expect(doc.title).toBe('My First Heading');
    expect(doc.blocks.map((b) => [b.kind, b.level ?? null])).toEqual([
      ['heading', 1],
      ['heading', 2],
      ['paragraph', null],
      ['list', null],
      ['heading', 3],
      ['table', null],
    ]);
    expect(doc.blocks[3]!.text).toBe('- A test list\n  - With sub-bullets!\n  - And another\n- Back at the root');
    expect(doc.blocks[5]!.text).toBe(
      'Column 1 | Column 2\nRow 1, Cell 1 | Row 1, Cell 2\nRow 2, Cell 1 | Row 2, Cell 2',
    );
  });

  it('keeps scripts, styles and boilerplate out of a real article page', async () => {
    const doc = await parseHtml(readFixture('example-with-scripts.html'), 'example-with-scripts.html');
    expectOffsets(doc);
    expect(doc.title).toBe('Russian Offensive Campaign Assessment, December 13 | Institute for the Study of War');
    expect(doc.blocks[0]).toMatchObject({
      kind: 'heading',
      level: 1,
      text: 'Russian Offensive Campaign Assessment, December 13',
    });
    for (const banned of [
      'getElementById',
      'facebook-jssdk',
      'function (',
      '@import',
      'Skip to main content',
      '1400 16th Street',
    ]) {
      expect(doc.text).not.toContain(banned);
    }
    expect(doc.text).toContain(
      'Belarusian forces remain unlikely to attack Ukraine despite a snap Belarusian military readiness check',
    );
    expect(doc.blocks.some((b) => b.kind === 'list' && b.text.startsWith('- Belarusian forces'))).toBe(true);
  });

  it('reads an SEC filing: tables as rows, currency cells joined, entities decoded', async () => {
    const doc = await parseHtml(readFixture('example-10k-1p.html'), 'example-10k-1p.html');
    expectOffsets(doc);
    expect(doc.title).toBe('example-10k-1p');
    expect(doc.text).toContain('Galaxy Gaming, Inc.');
    expect(doc.text).toContain('Commission file number: 000-30653');
    expect(doc.text).not.toMatch(/ix:|&#|&nbsp;|<\w/);
    const tables = doc.blocks.filter((b) => b.kind === 'table');
    expect(tables.length).toBeGreaterThan(2);
    expect(
      tables.some((t) =>
        t.text.includes('Title of each class | Trading symbol | Name of exchange on which registered'),
      ),
    ).toBe(true);
    expect(tables.some((t) => t.text.includes('Common stock | GLXZ | OTCQB marketplace'))).toBe(true);
  });

  it('reads short wholly-bold paragraphs as headings in a page without heading elements, so passages get a path', async () => {
    const doc = await html(
      '<body><p><b>Shipping</b></p><p>We ship on weekdays from the harbour depot.</p>' +
        '<p style="font-weight: 700">Returns <span>and refunds</span></p><p>Within thirty days of delivery.</p>' +
        '<p><b>Note</b> that bold at the start of a sentence is not a heading.</p>' +
        '<p><strong>Phone:</strong></p><p><b>(702) 939-3254</b></p><p><b>Bold sentences end with a full stop.</b></p></body>',
    );
    expect(doc.blocks.filter((b) => b.kind === 'heading').map((b) => [b.text, b.level])).toEqual([
      ['Shipping', 2],
      ['Returns and refunds', 2],
    ]);
    const chunks = await chunkDocument(doc, { maxTokens: 10, overlapTokens: 0, countTokens: words });
    expect(chunks.find((c) => c.text.includes('thirty days'))?.headingPath).toEqual(['Returns and refunds']);
  });

  it('keeps bold paragraphs as text where the page has heading elements, and reads role=heading at its aria-level', async () => {
    const tagged = await html('<h1>Guide</h1><p><b>Shipping</b></p><p>We ship daily.</p>');
    expect(tagged.blocks.map((b) => b.kind)).toEqual(['heading', 'paragraph', 'paragraph']);
    const aria = await html(
      `<div role="heading" aria-level="3">Tides</div><p><b>Bold line</b></p><div role="heading"><p>${'Long section text. '.repeat(20)}</p></div><p>Text.</p>`,
    );
    expect(aria.blocks.map((b) => [b.kind, b.level ?? null, b.text])).toEqual([
      ['heading', 3, 'Tides'],
      ['paragraph', null, 'Bold line'],
      ['paragraph', null, 'Long section text. '.repeat(20).trim()],
      ['paragraph', null, 'Text.'],
    ]);
  });

  it('reads nested role=heading containers in linear time', async () => {
    const depth = 250;
    const source = `${'<div role="heading">'.repeat(depth)}<p>${'Words of a long section. '.repeat(40_000)}</p>${'</div>'.repeat(depth)}`;
    const started = performance.now();
    const doc = await html(source);
    expect(doc.blocks.every((b) => b.kind !== 'heading')).toBe(true);
    // Loose: the unbounded walk took 12.6 s and 818 MB on about this much text.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it("gives the SEC filing's bold titles as headings", async () => {
    const doc = await parseHtml(readFixture('example-10k-1p.html'), 'example-10k-1p.html');
    expect(doc.blocks.filter((b) => b.kind === 'heading').map((b) => b.text)).toEqual([
      'ANNUAL REPORT ON FORM 10-K FOR THE YEAR ENDED DECEMBER 31, 2021',
      'TABLE OF CONTENTS',
    ]);
  });

  it('never surfaces script, style, template, noscript or handler code', async () => {
    const doc = await html(
      `<html><head><title>T</title><style>body{color:red}</style><script>alert('head')</script></head>
       <body onload="alert('load')"><p onclick="alert('click')">Visible <b>bold</b> text.</p>
       <img src="x" onerror="alert('img')" alt="alt text"><noscript>Enable JS</noscript>
       <template><p>Template</p></template><script type="module">import x from 'y'</script>
       <svg><text>svg label</text><script>alert('svg')</script></svg>
       <iframe srcdoc="<p>framed</p>"></iframe><a href="javascript:alert('link')">Link</a></body></html>`,
    );
    expect(doc.text).toBe('Visible bold text.\n\nLink');
  });

  it('prefers <main> and drops the chrome around and inside it', async () => {
    const page = (inner: string) =>
      `<body><header>Site header</header><nav>Home | About</nav>${inner}<aside>Related</aside><footer>Copyright</footer></body>`;
    const withMain = await html(page('<main><h1>Story</h1><nav>In-page menu</nav><p>Body text.</p></main>'));
    expect(withMain.text).toBe('Story\n\nBody text.');
    const withRole = await html(page('<div role="main"><p>Role main.</p></div>'));
    expect(withRole.text).toBe('Role main.');
    const withArticles = await html(page('<article><p>First.</p></article><article><p>Second.</p></article>'));
    expect(withArticles.text).toBe('First.\n\nSecond.');
    const without = await html(page('<div><p>Body.</p></div>'));
    expect(without.text).toBe('Site header\n\nHome | About\n\nBody.\n\nRelated\n\nCopyright');
  });

  it('skips hidden elements and keeps line breaks', async () => {
    const doc = await html(
      '<p>Shown<span hidden>hidden</span><span style="display: none">none</span><span aria-hidden="true">aria</span></p><p>a<br>b</p>',
    );
    expect(doc.text).toBe('Shown\n\na\nb');
  });

  it('reads <pre> verbatim as code and ordered lists with numbers', async () => {
    const doc = await html(
      '<pre>  indented\n    more</pre><ol start="3"><li>three</li><li>four<ol><li>sub</li></ol></li></ol>',
    );
    expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([
      ['code', 'indented\n  more'],
      ['list', '3. three\n4. four\n  1. sub'],
    ]);
  });

  it('decodes by the declared charset', async () => {
    const bytes = Uint8Array.from([
      ...utf8('<meta charset="windows-1252"><p>Caf'),
      0xe9,
      ...utf8(' cr'),
      0xe8,
      ...utf8('me '),
      0x80,
      ...utf8('5</p>'),
    ]);
    const doc = await parseHtml(bytes, 'cafe.html');
    expect(doc.text).toBe('Café crème €5');
    expect(doc.warnings).toEqual([]);
  });

  it('refuses pages without text', async () => {
    await expect(html('<html><body><script>x()</script><img src=a></body></html>')).rejects.toMatchObject({
      code: 'NO_TEXT',
    });
    await expect(parseHtml(new Uint8Array(0), 'e.html')).rejects.toMatchObject({ code: 'FILE_EMPTY' });
  });
});
