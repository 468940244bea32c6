// Offline after the first visit: the service worker and the caches let a reload with the network cut open, search and answer.
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';
import type { Page } from '@playwright/test';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const MODELS = ['lectern-standin/bert-embedder', 'lectern-standin/colbert', 'lectern-standin/lm'];

async function askAndCite(page: Page, question: string, source: string) {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
  const sources = page.getByRole('list', { name: 'Sources' });
  await expect(sources.getByRole('listitem').first()).toContainText(source, { timeout: 180_000 });
  await expect(page.getByRole('region', { name: 'Answer' }).getByRole('link', { name: 'Source 1' })).toBeVisible({
    timeout: 180_000,
  });
}

async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  return page.getByRole('dialog', { name: 'Settings' });
}

test('after the first visit the app opens, searches and answers with the network cut, and clears its copies', async ({
  page,
  context,
  externalRequests,
}) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('sourdough.txt')).toBeVisible();
  await askAndCite(page, 'How does a Fresnel lens focus the lamp light?', 'lighthouses.md');

  // The worker has cached the app and controls the page; the models are kept by name.
  let settings = await openSettings(page);
  const offline = settings.getByTestId('offline');
  await expect(offline.getByTestId('offline-app')).toContainText('available offline', { timeout: 120_000 });
  for (const id of MODELS) await expect(offline.getByTestId('offline-models')).toContainText(id);
  await expect(offline.getByTestId('offline-runtime')).toContainText(/kept \([\d.,]+ MB\)/);
  await expect(offline.getByTestId('offline-usage')).toContainText(/Storage used by Lectern: [\d.,]+ MB/);
  await settings.getByRole('button', { name: 'Cancel' }).click();
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

  await context.setOffline(true);
  // The network really is cut, for the page and for its service worker.
  expect(
    await page.evaluate(() =>
      fetch('/standin/registry.json?probe').then(
        () => 'fetched',
        () => 'failed',
      ),
    ),
  ).toBe('failed');
  await page.reload();
  await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
  await expect(page.getByRole('status')).toContainText('using the model registry saved on your last visit');
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await askAndCite(page, 'sourdough starter wild yeast', 'sourdough.txt');
  await expect(page.getByRole('alert')).toHaveCount(0);

  // Clearing asks first, then removes every cache and the worker; the library stays.
  settings = await openSettings(page);
  await offline.getByRole('button', { name: 'Clear offline copies…' }).click();
  await offline.getByRole('button', { name: 'Keep them' }).click();
  expect(await page.evaluate(() => caches.keys())).not.toEqual([]);
  await offline.getByRole('button', { name: 'Clear offline copies…' }).click();
  await expect(offline.getByRole('button', { name: 'Clear offline copies' })).toBeFocused();
  await offline.getByRole('button', { name: 'Clear offline copies' }).click();
  await expect(offline.getByTestId('offline-app')).toContainText('not kept offline until your next visit');
  await expect(offline).toContainText('No model files kept yet.');
  expect(await page.evaluate(() => caches.keys())).toEqual([]);
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  await settings.getByRole('button', { name: 'Cancel' }).click();
  await expect(library.getByText('lighthouses.md')).toBeVisible();

  expect(externalRequests).toEqual([]);
});
