// Offline, files are still added (keyword search only, and the list says so); once the models are served, the backfill gives them vectors.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, STANDIN_URL, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const MODELS = '**/standin/models/**';

/** The stored documents' model keys, read straight from IndexedDB. */
const storedKeys = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<{ name: string; embedderId: string | null; lateModelId: string | null }[]>((resolve, reject) => {
        const open = indexedDB.open('lectern');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const req = open.result.transaction('documents').objectStore('documents').getAll();
          req.onsuccess = () => {
            open.result.close();
            resolve(req.result.map((d) => ({ name: d.name, embedderId: d.embedderId, lateModelId: d.lateModelId })));
          };
          req.onerror = () => reject(req.error);
        };
      }),
  );

test(
  'offline import by keywords only, then the backfill once the models are served',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    // No model file can be downloaded: the model host is "offline".
    await page.route(MODELS, (route) => route.abort('internetdisconnected'));
    await page.goto(STANDIN_URL);
    await expect(page.getByTestId('keyword-only')).toContainText('search uses keywords only', { timeout: 120_000 });

    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await expect(library.getByText('lighthouses.md')).toBeVisible();
    await expect(library.getByText('sourdough.txt')).toBeVisible();
    await expect(library.getByTestId('keywords-only')).toHaveCount(2);
    await expect(page.getByTestId('backfill')).toContainText('2 documents are searchable by keywords only');
    expect((await storedKeys(page)).map((d) => d.embedderId)).toEqual([null, null]);

    // The model host is back: the models load, and both documents get their vectors and token vectors.
    await page.unroute(MODELS);
    await page.getByRole('button', { name: 'Try loading the models again' }).click();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(library.getByTestId('keywords-only')).toHaveCount(0, { timeout: 120_000 });
    await expect(page.getByRole('status')).toContainText('Added the missing vectors to 2 documents');
    const keys = await storedKeys(page);
    for (const d of keys) {
      // The stored key names the model, its revision and where it came from (provenance).
      expect(d.embedderId).toMatch(
        /^lectern-standin\/bert-embedder@main from http:\/\/localhost:\d+ by http:\/\/localhost:\d+\/standin\/registry\.json$/,
      );
      expect(d.lateModelId).toMatch(
        /^lectern-standin\/\S+@main from http:\/\/localhost:\d+ by http:\/\/localhost:\d+\/standin\/registry\.json$/,
      );
    }

    // Search now reranks: the top source's match score needs the token vectors the backfill added (a passage without them says "not reranked").
    await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const first = page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first();
    await expect(first).toContainText('lighthouses.md', { timeout: 180_000 });
    await expect(first).toContainText(/match\s+\d\.\d{3}/);

    // After a reload nothing is keyword-only and nothing is backfilled again.
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(library.getByText('lighthouses.md')).toBeVisible();
    await expect(library.getByTestId('keywords-only')).toHaveCount(0);
    await expect(page.getByTestId('backfill')).toHaveCount(0);
    expect(await storedKeys(page)).toEqual(keys);
    expect(externalRequests).toEqual([]);
  },
);
