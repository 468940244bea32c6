// The published site's page: the library meta tag, the registry meta tag with its origins allowed by the CSP, and nothing else changed.
import { describe, expect, it } from 'vitest';
import { allowConnect, pageWithLibrary } from '../../../tools/publish/site';

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
