// WebGPU device loss: after the GPU process crashes, the models reload on WASM, the UI says so, and questions still answer.
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';

const doc = fileURLToPath(new URL('../fixtures/docs/skeleton/lighthouses.md', import.meta.url));

test('a GPU process crash moves the models to WASM and the question still answers @webgpu-only', async ({
  page,
  browser,
  externalRequests,
}) => {
  await openApp(page);
  await expect(page.getByText('Ready on webgpu')).toHaveCount(2);
  await page.getByLabel('Add documents').setInputFiles([doc]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();

  // Every WebGPU device in the page and its workers is lost ("A valid external Instance reference no longer exists").
  const cdp = await browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');

  await page.getByRole('textbox', { name: 'Ask' }).fill('How does a Fresnel lens focus the lamp light?');
  await page.getByRole('button', { name: 'Ask' }).click();
  await expect(page.getByTestId('answer-meta')).toBeVisible({ timeout: 180_000 });
  await expect(page.getByTestId('answer-text')).toContainText('[1]');

  // The embedder and the reranker say where they went and why; the app's device is WASM now, the answer model too.
  await expect(page.getByText('Ready on wasm')).toHaveCount(3);
  await expect(page.getByText('Ready on webgpu')).toHaveCount(0);
  await expect(page.getByTestId('slot-note')).toHaveCount(2);
  for (const note of await page.getByTestId('slot-note').all()) {
    await expect(note).toContainText('Moved to wasm: the GPU device was lost');
  }
  await expect(page.getByTestId('device')).toHaveText('wasm');
  expect(externalRequests).toEqual([]);
});
