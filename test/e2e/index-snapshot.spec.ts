// The search index snapshot (#12) in real Chromium: a reload restores it, and one that disagrees with the rows is repaired.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const skeleton = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

/** The stored snapshot's head (passages it holds), or null. */
function snapshotHead(page: Page): Promise<{ chunks: number; seq: number } | null> {
  return page.evaluate(
    () =>
      new Promise<{ chunks: number; seq: number } | null>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const req = db.transaction('snapshot').objectStore('snapshot').get('head');
          req.onsuccess = () => {
            db.close();
            resolve((req.result as { chunks: number; seq: number } | undefined) ?? null);
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );
}

/** Deletes one keyword row behind the app's back (no journal entry), as a bug or an older build might. */
function dropKeywordRow(page: Page): Promise<string> {
  return page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('keywords', 'readwrite');
          const store = tx.objectStore('keywords');
          const first = store.openCursor();
          let key = '';
          first.onsuccess = () => {
            key = String(first.result!.key);
            first.result!.delete();
          };
          tx.oncomplete = () => {
            db.close();
            resolve(key);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

async function indexNote(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('dialog', { name: 'Settings' });
  const note = (await settings.getByTestId('index-opened').textContent()) ?? '';
  await page.keyboard.press('Escape');
  return note;
}

test(
  'a reload opens the search index from its snapshot; one that disagrees with the stored rows is repaired',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    await openApp(page);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await page.getByLabel('Add documents').setInputFiles([skeleton('lighthouses.md'), skeleton('sourdough.txt')]);
    await expect(library.getByRole('listitem')).toHaveCount(2, { timeout: 120_000 });
    // Once the imports settle, the search worker stores a snapshot holding every passage.
    await expect.poll(async () => (await snapshotHead(page))?.chunks ?? 0, { timeout: 30_000 }).toBeGreaterThan(2);

    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    expect(await indexNote(page)).toMatch(/restored from its snapshot, \d+ passages in \d+ ms at start/);
    await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const first = page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first();
    await expect(first).toContainText('lighthouses.md', { timeout: 180_000 });

    // A keyword row removed without a journal entry: the counts disagree at the next start, so it rebuilds.
    const passages = (await snapshotHead(page))!.chunks;
    const dropped = await dropKeywordRow(page);
    expect(dropped).toMatch(/:/);
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    expect(await indexNote(page)).toMatch(/repaired from the stored passages/);
    await expect(library.getByRole('listitem')).toHaveCount(2);
    // The repair stored a fresh snapshot, so the start after it restores again.
    await expect.poll(async () => (await snapshotHead(page))?.chunks, { timeout: 30_000 }).toBe(passages - 1);
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    expect(await indexNote(page)).toMatch(/restored from its snapshot/);
    expect(externalRequests).toEqual([]);
  },
);
