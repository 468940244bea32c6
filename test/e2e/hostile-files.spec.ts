// Hostile files in the real import queue (#11): Markdown that once backtracked for minutes and a zip-bomb DOCX each
// end with a result or their own error, leave the library as it was, and do not hold up the next file.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { ERROR_CODES } from '../../src/lib/errors/codes';
import { DB_NAME } from '../../src/lib/persistence/schema';
import { makeZip } from '../unit/ingest/zip-writer';
import { expect, openApp, test } from './fixtures';
import { codeOf, queueRows } from './import-queue';

const skeleton = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const queueRow = (page: Page, name: string) =>
  page.locator('[aria-label="Import queue"] li').filter({ has: page.getByText(name, { exact: false }) });
const docNames = (page: Page) =>
  page.getByRole('list', { name: 'Documents in your library' }).locator('.doc-name').allInnerTexts();

/** How many rows each store of the Lectern database holds, read through a second connection. */
async function storeCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const stores = ['documents', 'chunks', 'vectors', 'keywords', 'tokenVectors'];
    const tx = db.transaction(stores);
    const counts = await Promise.all(
      stores.map(
        (s) =>
          new Promise<number>((resolve, reject) => {
            const req = tx.objectStore(s).count();
            req.onsuccess = () => resolve(req.result);
            req.onerror = () => reject(req.error);
          }),
      ),
    );
    db.close();
    return Object.fromEntries(stores.map((s, i) => [s, counts[i]!]));
  }, DB_NAME);
}

/**
 * Markdown whose HTML tags and spaces made the old patterns backtrack: an unclosed tag with a few quoted attributes
 * (exponential), a 250-byte tag of unquoted attributes without its '>', and 1 MB runs of spaces inside a paragraph
 * line (quadratic) and inside an HTML block, the tags as blocks and inline.
 */
function hostileMarkdown(): string {
  const fewQuoted = `<div${' x="1"'.repeat(40)}`;
  const unquoted = `<a ${'b=c '.repeat(61)}`;
  return [
    '# Hostile markup',
    fewQuoted,
    unquoted,
    `A paragraph with ${fewQuoted} inline, then ${unquoted} and more text.`,
    `Spaces:${' '.repeat(1024 * 1024)}end of the line.`,
    `<p>${' '.repeat(1024 * 1024)}</p>`,
    'The keeper noted the wind.',
  ].join('\n\n');
}

test.describe('hostile files', { tag: '@device-independent' }, () => {
  test('Markdown that used to backtrack ends on its own and the next file is added within 10 s of both being set', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    const started = Date.now();
    await page.getByLabel('Add documents').setInputFiles([
      { name: 'hostile.md', mimeType: 'text/markdown', buffer: Buffer.from(hostileMarkdown()) },
      { name: 'lighthouses.md', mimeType: 'text/markdown', buffer: readFileSync(skeleton('lighthouses.md')) },
    ]);
    await expect(queueRow(page, 'lighthouses.md')).toHaveText('lighthouses.md: added', { timeout: 10_000 });
    const elapsed = Date.now() - started;
    console.log(`HOSTILE hostile.md (2.1 MB) then lighthouses.md added ${elapsed} ms after the files were set`);
    expect(elapsed).toBeLessThan(10_000);

    // The hostile file came first, so it has ended too: added, or refused with its own plain message.
    const hostile = (await queueRows(page)).find((r) => r.name === 'hostile.md');
    const outcome = hostile?.state === 'error' ? codeOf(hostile.message) : hostile?.state;
    expect(outcome, JSON.stringify(hostile)).toBe('added');
    expect(externalRequests).toEqual([]);
  });

  test('a zip-bomb DOCX is refused with its own message, the library is unchanged, and the next file imports', async ({
    page,
    externalRequests,
  }) => {
    // Four entries of 64 MB of zeros that each claim 1 KB: 256 MB inflated, past the 200 MB budget, from 260 KB
    // of archive whose directory (sizes, ratios) passes every check that does not inflate.
    const zeros = new Uint8Array(64 * 1024 * 1024);
    const bomb = makeZip([
      {
        name: '[Content_Types].xml',
        data: Buffer.from(
          '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        ),
        deflate: true,
      },
      ...['word/document.xml', 'word/styles.xml', 'word/media/a.bin', 'word/media/b.bin'].map((name) => ({
        name,
        data: zeros,
        claimedSize: 1024,
        deflate: true,
      })),
    ]);
    expect(bomb.length).toBeLessThan(300_000);

    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([skeleton('lighthouses.md')]);
    await expect(queueRow(page, 'lighthouses.md')).toHaveText('lighthouses.md: added');
    const before = { names: await docNames(page), stores: await storeCounts(page) };
    expect(before.names).toEqual(['lighthouses.md']);

    await page.getByLabel('Add documents').setInputFiles([
      {
        name: 'bomb.docx',
        mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        buffer: Buffer.from(bomb),
      },
    ]);
    await expect(queueRow(page, 'bomb.docx')).toHaveText(`bomb.docx: ${ERROR_CODES.DOCX_TOO_LARGE_UNCOMPRESSED}`);
    await expect(page.locator('[role="alert"][data-code="DOCX_TOO_LARGE_UNCOMPRESSED"]')).toContainText(
      ERROR_CODES.DOCX_TOO_LARGE_UNCOMPRESSED,
    );
    expect({ names: await docNames(page), stores: await storeCounts(page) }).toEqual(before);

    await page.getByLabel('Add documents').setInputFiles([skeleton('sourdough.txt')]);
    await expect(queueRow(page, 'sourdough.txt')).toHaveText('sourdough.txt: added');
    expect(await docNames(page)).toEqual(['lighthouses.md', 'sourdough.txt']);
    expect(externalRequests).toEqual([]);
  });
});
