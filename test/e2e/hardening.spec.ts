// Hardening (#11): what users hit in real use, in real Chromium.
import { fileURLToPath } from 'node:url';
import { expect, STANDIN_URL, test } from './fixtures';

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
    expect(externalRequests).toEqual([]);
  },
);
