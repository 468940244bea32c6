// Library export and import end to end: export, clear, import (replace) gives back the same library (row counts, file
// hashes) and the same top 5 sources for fixed questions, live and after a reload; a tampered export is refused with
// its message and changes nothing. Every test fails if a request left localhost (the `test` fixture).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { ERROR_CODES } from '../../src/lib/errors/codes';
import { DB_NAME } from '../../src/lib/persistence/schema';
import { expect, openApp, test } from './fixtures';

const CHAPTERS = ['ch08-00-common-collections.md', 'ch09-00-error-handling.md', 'ch15-04-rc.md'];
const chapter = (name: string) => fileURLToPath(new URL(`../fixtures/docs/rust/${name}`, import.meta.url));
const QUESTIONS = [
  'What does Rc reference counting do?',
  'How do I recover from errors with Result?',
  'How do I store values in a vector?',
];

test.describe.configure({ timeout: 600_000 });

/** Row counts of the exported stores, and each document's name and file hash (sorted by name). */
async function library(page: Page) {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const stores = ['documents', 'chunks', 'vectors', 'keywords', 'tokenVectors'] as const;
    const tx = db.transaction([...stores]);
    const request = <T>(r: IDBRequest<T>) =>
      new Promise<T>((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const counts = Object.fromEntries(
      await Promise.all(stores.map(async (s) => [s, await request(tx.objectStore(s).count())] as const)),
    );
    const docs = (await request(tx.objectStore('documents').getAll())) as { name: string; hash: string }[];
    db.close();
    return { counts, hashes: docs.map((d) => `${d.name} ${d.hash}`).sort() };
  }, DB_NAME);
}

const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

/** Stops an answer still being written, so Ask is available. */
async function idle(page: Page): Promise<void> {
  const stop = page.getByRole('button', { name: 'Stop' });
  const askButton = page.getByRole('button', { name: 'Ask', exact: true });
  await expect(async () => {
    if (await stop.isVisible()) await stop.click({ timeout: 1_000 });
    await expect(askButton).toBeVisible({ timeout: 1_000 });
  }).toPass();
}

/** The top 5 sources of each question: document, score and passage text, in order. */
async function top5(page: Page): Promise<string[][]> {
  const out: string[][] = [];
  for (const question of QUESTIONS) {
    await idle(page);
    await page.getByRole('textbox', { name: 'Ask' }).fill(question);
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await expect(page.getByRole('region', { name: 'Answer' }).getByText(`Q: ${question}`)).toBeVisible();
    await expect(sourceItems(page).first()).toBeVisible();
    const items = (await sourceItems(page).all()).slice(0, 5);
    out.push(
      await Promise.all(
        items.map(async (item) => {
          const head = (await item.locator('.src-head').innerText()).replace(/\s+/g, ' ');
          return `${head} | ${await item.locator('.excerpt').innerText()}`;
        }),
      ),
    );
  }
  await idle(page);
  return out;
}

async function importFile(page: Page, path: string, mode: 'Merge' | 'Replace'): Promise<void> {
  await page.getByLabel('Import library…').setInputFiles(path);
  const dialog = page.getByRole('dialog', { name: /^Import “/ });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('radio', { name: new RegExp(`^${mode}`) }).check();
  await dialog.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(dialog).toBeHidden();
}

test('export, clear and import (replace) give back the same library and the same top 5', async ({
  page,
  externalRequests,
}, testInfo) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles(CHAPTERS.map(chapter));
  const list = page.getByRole('list', { name: 'Documents in your library' });
  for (const name of CHAPTERS) await expect(list.getByText(name)).toBeVisible({ timeout: 300_000 });
  const before = await library(page);
  expect(before.counts.documents).toBe(CHAPTERS.length);
  expect(before.counts.tokenVectors).toBe(before.counts.chunks);
  const ranked = await top5(page);
  for (const sources of ranked) expect(sources).toHaveLength(5);

  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export library' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^lectern-library-\d{4}-\d{2}-\d{2}\.zip$/);
  const file = testInfo.outputPath('library.zip');
  await download.saveAs(file);
  await expect(page.getByTestId('archive-done')).toHaveText(
    `Exported ${CHAPTERS.length} documents (${before.counts.chunks} passages).`,
  );

  // Clear the library.
  for (const name of CHAPTERS) await page.getByRole('button', { name: `Delete ${name}` }).click();
  await expect(page.getByText('No documents yet.')).toBeVisible();
  expect((await library(page)).counts).toEqual({ documents: 0, chunks: 0, vectors: 0, keywords: 0, tokenVectors: 0 });

  // A tampered copy is refused with its own message, and the (empty) library stays as it is.
  const files = unzipSync(readFileSync(file));
  files['documents.json'] = strToU8(strFromU8(files['documents.json']!).replace('Rc', 'Xc'));
  const tampered = testInfo.outputPath('tampered.zip');
  writeFileSync(tampered, zipSync(files));
  await importFile(page, tampered, 'Replace');
  const refused = ERROR_CODES.ARCHIVE_TAMPERED.replace('{entry}', 'documents.json');
  await expect(page.getByTestId('archive-error')).toHaveText(refused);
  expect((await library(page)).counts.documents).toBe(0);

  await importFile(page, file, 'Replace');
  await expect(page.getByTestId('archive-done')).toHaveText(`Imported ${CHAPTERS.length} documents.`);
  for (const name of CHAPTERS) await expect(list.getByText(name)).toBeVisible();
  expect(await library(page)).toEqual(before);
  expect(await top5(page), 'top 5 right after the import (the live indexes)').toEqual(ranked);

  // After a reload the indexes come from the stored snapshot and the journal the import wrote.
  await openApp(page);
  expect(await top5(page), 'top 5 after a reload').toEqual(ranked);
  expect(externalRequests, 'requests that left localhost').toEqual([]);
});

test('a tampered export is refused and a merge leaves the library as it was', async ({
  page,
  externalRequests,
}, testInfo) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([chapter('ch15-04-rc.md')]);
  const list = page.getByRole('list', { name: 'Documents in your library' });
  await expect(list.getByText('ch15-04-rc.md')).toBeVisible({ timeout: 300_000 });
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export library' }).click();
  const file = testInfo.outputPath('one.zip');
  await (await downloading).saveAs(file);
  const before = await library(page);

  // One changed byte in the stored vectors: the checksum no longer matches.
  const files = unzipSync(readFileSync(file));
  const bin = files['vectors.bin']!;
  bin[0] = bin[0]! ^ 0xff;
  const tampered = testInfo.outputPath('tampered.zip');
  writeFileSync(tampered, zipSync(files));
  await importFile(page, tampered, 'Merge');
  await expect(page.getByTestId('archive-error')).toHaveText(
    ERROR_CODES.ARCHIVE_TAMPERED.replace('{entry}', 'vectors.bin'),
  );
  expect(await library(page)).toEqual(before);

  // Truncated: damaged, with its own message.
  const truncated = testInfo.outputPath('truncated.zip');
  writeFileSync(truncated, readFileSync(file).subarray(0, 2_000));
  await importFile(page, truncated, 'Merge');
  await expect(page.getByTestId('archive-error')).toContainText('is damaged or incomplete');
  expect(await library(page)).toEqual(before);

  // The sound file merged into the library that has it already adds nothing.
  await importFile(page, file, 'Merge');
  await expect(page.getByTestId('archive-done')).toHaveText('Imported 0 documents; skipped 1 already in your library.');
  expect(await library(page)).toEqual(before);
  expect(externalRequests, 'requests that left localhost').toEqual([]);
});
