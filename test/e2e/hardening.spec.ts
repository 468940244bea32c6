// Hardening (#11): what users hit in real use, in real Chromium.
import { fileURLToPath } from 'node:url';
import { expect, openApp, STANDIN_URL, test } from './fixtures';

const skeleton = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const ingest = (name: string) => fileURLToPath(new URL(`../fixtures/docs/ingest/${name}`, import.meta.url));

test(
  'files set the moment the page loads are all imported, none lost',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    await page.goto(STANDIN_URL);
    // No wait for the models, the storage or the workers: straight after navigation.
    const files = [skeleton('lighthouses.md'), skeleton('sourdough.txt'), ingest('ch08-01-vectors.md')];
    await page.getByLabel('Add documents').setInputFiles(files);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    for (const name of ['lighthouses.md', 'sourdough.txt', 'ch08-01-vectors.md']) {
      await expect(library.getByText(name, { exact: true })).toBeVisible({ timeout: 180_000 });
    }
    await expect(page.locator('[role="alert"][data-code]')).toHaveCount(0);
    // After the first import the app asked the browser to keep the library, and says what it answered.
    await expect(page.getByTestId('storage-persistence')).toHaveText(/library is kept|may clear your library/);
    expect(externalRequests).toEqual([]);
  },
);

test(
  "deleting a document takes its passages out of the conversation, and they don't come back after a reload",
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([skeleton('lighthouses.md'), skeleton('sourdough.txt')]);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await expect(library.getByText('lighthouses.md')).toBeVisible();
    await expect(library.getByText('sourdough.txt')).toBeVisible();
    await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
    await page.getByRole('button', { name: 'Ask' }).click();
    const sources = page.getByRole('list', { name: 'Sources' });
    await expect(sources.getByRole('listitem').first()).toContainText('Fresnel');
    await expect(page.getByRole('button', { name: 'Ask' })).toBeEnabled({ timeout: 180_000 });

    await page.getByRole('button', { name: 'Delete lighthouses.md' }).click();
    await expect(page.getByRole('status')).toHaveText('Deleted "lighthouses.md".');
    await expect(sources).not.toContainText('Fresnel');
    await expect(sources.getByRole('listitem').first()).toContainText('was deleted from your library');

    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(page.getByRole('region', { name: 'Answer' })).toContainText('Q: How does a Fresnel lens');
    await expect(sources).not.toContainText('Fresnel lens focuses');
    // Nor in storage: the saved conversation holds no passage of the deleted document.
    const saved = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          const open = indexedDB.open('lectern');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction('settings').objectStore('settings').get('conversation');
            get.onsuccess = () => resolve(JSON.stringify(get.result ?? null));
            get.onerror = () => reject(get.error);
          };
        }),
    );
    expect(saved).toContain('"deleted":true');
    expect(saved).not.toContain('Fresnel lens focuses');
    expect(externalRequests).toEqual([]);
  },
);

test(
  'a database upgrade from another tab is announced, with what to do, instead of failing silently',
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    await openApp(page);
    const other = await context.newPage();
    await other.goto('/favicon.svg');
    // What a newer Lectern in another tab does on start: open the database at a higher version.
    await other.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open('lectern', 1_000);
          open.onsuccess = () => {
            open.result.close();
            resolve();
          };
          open.onerror = () => reject(open.error);
        }),
    );
    await expect(page.locator('[role="alert"][data-code="STORAGE_UPGRADED_ELSEWHERE"]')).toContainText(
      'Reload this page',
    );
    expect(externalRequests).toEqual([]);
  },
);
