// The published site's page: the library meta tag, the registry meta tag with its origins allowed by the CSP, and nothing else changed; which --out folders are written to.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { allowConnect, checkOut, pageWithLibrary, withPageRevision } from '../../../tools/publish/site';

const CSP = `default-src 'self'; connect-src 'self' https://huggingface.co; object-src 'none'`;
const PAGE = `<html>\n  <head>\n    <meta http-equiv="Content-Security-Policy" content="${CSP}" />\n  </head>\n</html>\n`;

describe('the published page', () => {
  it('opens the library by default and keeps the CSP as it is', () => {
    const { html } = pageWithLibrary(PAGE, null);
    expect(html).toContain('<meta name="lectern-library" content="library/lectern-library.json" />');
    expect(html).toContain(`content="${CSP}"`);
    expect(html).not.toContain('lectern-registry');
    // Publishing again into the same folder does not stack the tags.
    expect(pageWithLibrary(html, null).html).toBe(html);
  });

  it('names a registry URL (escaped) and lets the CSP reach its origins', () => {
    const url = 'https://models.example.org/r.json?a=1&b="2"';
    const { html } = pageWithLibrary(PAGE, { url, origins: ['https://models.example.org', 'https://huggingface.co'] });
    expect(html).toContain(
      '<meta name="lectern-registry" content="https://models.example.org/r.json?a=1&amp;b=&quot;2&quot;" />',
    );
    expect(html).toContain(`connect-src 'self' https://huggingface.co https://models.example.org; object-src 'none'`);
  });

  it('adds origins to the connect-src directive only, not to a comment naming it', () => {
    const headers = `# add its origin to connect-src below\n/*\n  Content-Security-Policy: ${CSP}\n`;
    const out = allowConnect(headers, ['http://localhost:4400']);
    expect(out).toContain('# add its origin to connect-src below\n');
    expect(out).toContain(`connect-src 'self' https://huggingface.co http://localhost:4400;`);
  });
});

describe('the output folder', () => {
  let work: string | null = null;
  afterEach(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    work = null;
  });

  const folder = () => (work = mkdtempSync(join(tmpdir(), 'lectern-out-')));

  it('is written to when new, empty or an earlier publish; refused when it holds other files', () => {
    const work = folder();
    const docs = join(work, 'docs');
    mkdirSync(docs);
    expect(() => checkOut(docs, join(work, 'new', 'site'))).not.toThrow();
    mkdirSync(join(work, 'empty'));
    expect(() => checkOut(docs, join(work, 'empty'))).not.toThrow();
    const earlier = join(work, 'earlier');
    mkdirSync(join(earlier, 'library'), { recursive: true });
    writeFileSync(join(earlier, 'library', 'lectern-library.json'), '{}');
    writeFileSync(join(earlier, 'index.html'), '');
    expect(() => checkOut(docs, earlier)).not.toThrow();
    const other = join(work, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), '');
    expect(() => checkOut(docs, other)).toThrow(/is not empty and holds no earlier publish/);
    writeFileSync(join(work, 'file'), '');
    expect(() => checkOut(docs, join(work, 'file'))).toThrow(/is a file/);
  });

  it('is refused when it is, holds or lies inside the folder published, through symlinks too', () => {
    const work = folder();
    const docs = join(work, 'docs');
    mkdirSync(join(docs, 'guide'), { recursive: true });
    expect(() => checkOut(docs, docs)).toThrow(/holds the folder published/);
    expect(() => checkOut(docs, work)).toThrow(/holds the folder published/);
    expect(() => checkOut(docs, join(docs, 'site'))).toThrow(/is inside the folder published/);
    symlinkSync(docs, join(work, 'link'));
    expect(() => checkOut(docs, join(work, 'link', 'site'))).toThrow(/is inside the folder published/);
    // A sibling whose name starts with the folder's is outside it.
    expect(() => checkOut(docs, join(work, 'docs-site'))).not.toThrow();
    expect(() => checkOut(docs, join(work, '..docs'))).not.toThrow();
  });
});

describe('the service worker of a published site', () => {
  it('precaches the page as published, so a re-publish that changes only the page updates the worker', () => {
    const sw = 'e([{url:"assets/a.js",revision:null},{url:"index.html",revision:"c8375e8df5a139d9385aa998ee1649ae"}])';
    const page = '<html><meta name="lectern-library" content="library/lectern-library.json" /></html>';
    const out = withPageRevision(sw, page);
    expect(out).toContain(`{url:"index.html",revision:"${createHash('md5').update(page).digest('hex')}"}`);
    expect(out).toContain('{url:"assets/a.js",revision:null}');
    expect(withPageRevision(out, `${page} `)).not.toBe(out);
    expect(() => withPageRevision('e([])', page)).toThrow(/no index.html revision/);
  });
});
