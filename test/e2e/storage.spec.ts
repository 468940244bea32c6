// A full storage quota (#11), in real Chromium: the user gets a plain message and the library stays exactly as it was.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const skeleton = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const ingest = (name: string) => fileURLToPath(new URL(`../fixtures/docs/ingest/${name}`, import.meta.url));

const PROBE_DB = 'quota-probe';

/**
 * Writes 1 MB into a scratch database of the same origin and says whether Chromium accepted it. Chromium's IndexedDB
 * does not ask the quota manager on every commit: after an answer it hands out the space it was told of, decaying to
 * nothing over 30 s (BucketContext::kBucketSpaceCacheTimeLimit), so a lowered quota only bites once that allowance is
 * spent. The probe shows when it is, without guessing a sleep.
 */
function probeWrite(page: Page): Promise<string> {
  return page.evaluate(
    (name) =>
      new Promise<string>((resolve) => {
        const open = indexedDB.open(name, 1);
        open.onupgradeneeded = () => open.result.createObjectStore('probe');
        open.onerror = () => resolve(`open failed: ${open.error?.name}`);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('probe', 'readwrite');
          tx.objectStore('probe').put(new Uint8Array(1 << 20).fill(7), 'x');
          tx.oncomplete = () => {
            db.close();
            resolve('written');
          };
          tx.onabort = () => {
            db.close();
            resolve(tx.error?.name ?? 'aborted');
          };
        };
      }),
    PROBE_DB,
  );
}

/**
 * Counts the rows of each object store of the app's database that holds the library itself. The search index's
 * snapshot and journal are left out: the search worker rewrites the one and trims the other by itself once changes
 * settle (see journalledDocs for what the journal may hold).
 */
function storeCounts(page: Page): Promise<Record<string, number>> {
  return page.evaluate(
    () =>
      new Promise<Record<string, number>>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const names = [...db.objectStoreNames].filter((n) => !['settings', 'snapshot', 'journal'].includes(n));
          const tx = db.transaction(names);
          const counts: Record<string, number> = {};
          for (const n of names) {
            const req = tx.objectStore(n).count();
            req.onsuccess = () => (counts[n] = req.result);
          }
          tx.oncomplete = () => {
            db.close();
            resolve(counts);
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

/** The documents named in the journal and the stored document ids, in one read. */
function journalledDocs(page: Page): Promise<{ journal: string[]; documents: string[] }> {
  return page.evaluate(
    () =>
      new Promise<{ journal: string[]; documents: string[] }>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['journal', 'documents']);
          const journal = tx.objectStore('journal').getAll();
          const documents = tx.objectStore('documents').getAllKeys();
          tx.oncomplete = () => {
            db.close();
            resolve({
              journal: (journal.result as { docId: string }[]).map((e) => e.docId),
              documents: documents.result as string[],
            });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
  );
}

test(
  'a full storage quota gives a clear error and leaves the library as it was, across a reload',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    await openApp(page);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await page.getByLabel('Add documents').setInputFiles([skeleton('sourdough.txt')]);
    await expect(library.getByText('sourdough.txt')).toBeVisible();
    const before = await storeCounts(page);
    expect(before['documents']).toBe(1);

    // A page session (a browser-level one answers "Internal error": it has no storage partition); the origin must be
    // exactly the page's. A few KB over what is used now: far less than the next document's rows.
    const origin = new URL(page.url()).origin;
    const usage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: usage + 4 * 1024 });
    try {
      // Until IndexedDB's cached allowance runs out (30 s at most), writes still pass; then the browser refuses them.
      await expect.poll(() => probeWrite(page), { timeout: 60_000, intervals: [2_000] }).toBe('QuotaExceededError');

      await page.getByLabel('Add documents').setInputFiles([ingest('ch08-01-vectors.md')]);
      const alert = page.locator('[role="alert"][data-code="STORAGE_QUOTA"]');
      await expect(alert).toContainText('The browser storage is full. Delete documents or free space, then try again.');
      await expect(library.getByRole('listitem')).toHaveCount(1);
      expect(await storeCounts(page)).toEqual(before);
      // The refused save's journal entry went with the rest of its transaction.
      const { journal, documents } = await journalledDocs(page);
      expect(journal.filter((id) => !documents.includes(id))).toEqual([]);
    } finally {
      await cdp.send('Storage.overrideQuotaForOrigin', { origin });
    }

    await page.reload();
    await expect(library.getByText('sourdough.txt')).toBeVisible({ timeout: 60_000 });
    await expect(library.getByRole('listitem')).toHaveCount(1);
    // No partial rows of the refused document: every store holds what it held before.
    expect(await storeCounts(page)).toEqual(before);
    expect(externalRequests).toEqual([]);
  },
);
