// The walking skeleton with real models: all-MiniLM-L6-v2, SmolLM2-135M and the stand-in reranker, file to cited answer, then Stop.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from '../fixtures';

const REAL_URL = '/?registry=real/registry.json';
const doc = (name: string) => fileURLToPath(new URL(`../../fixtures/docs/skeleton/${name}`, import.meta.url));

async function addDocs(page: Page): Promise<void> {
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible({ timeout: 180_000 });
  await expect(library.getByText('sourdough.txt')).toBeVisible({ timeout: 180_000 });
}

async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
}

// @wasm-only: on SwiftShader SmolLM2-135M decodes at about 25 s a token, so a whole answer does not fit a test run.
test('real models: add documents, ask, read a streamed answer with a citation that opens the passage, then Stop @wasm-only', async ({
  page,
  expectedDevice,
  externalRequests,
}) => {
  test.setTimeout(900_000);
  await openApp(page, REAL_URL);
  await expect(page.getByTestId('device')).toHaveText(expectedDevice);
  await addDocs(page);
  // Count distinct answer texts as they stream in.
  await page.evaluate(() => {
    const w = window as unknown as { seen: string[] };
    w.seen = [];
    const el = document.querySelector('[data-testid="answer-text"]')!;
    new MutationObserver(() => {
      const t = el.textContent ?? '';
      if (t && t !== w.seen[w.seen.length - 1]) w.seen.push(t);
    }).observe(el, { subtree: true, childList: true, characterData: true });
  });
  await ask(page, 'How does a Fresnel lens focus the lamp light?');

  const sources = page.getByRole('list', { name: 'Sources' });
  await expect(sources.getByRole('listitem').first()).toContainText('lighthouses.md', { timeout: 180_000 });
  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(page.getByTestId('answer-meta')).toBeVisible({ timeout: 600_000 });
  await expect(page.getByText(`Ready on ${expectedDevice}`)).toHaveCount(3);
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.length).toBeGreaterThan(3);
  const text = (await page.getByTestId('answer-text').textContent()) ?? '';
  expect(text).not.toContain('\uFFFD');
  expect(text.toLowerCase()).toContain('lens');

  const cite = answer.getByRole('link', { name: 'Source 1' }).first();
  await expect(cite).toBeVisible();
  await cite.click();
  const viewer = page.getByRole('dialog', { name: /\[1\] lighthouses\.md/ });
  await expect(viewer.getByTestId('cited-span')).toBeVisible();
  await viewer.getByRole('button', { name: 'Close' }).click();

  // A fresh question (no follow-up rewrite), stopped as soon as its first words show; the partial answer stays.
  await answer.getByRole('button', { name: 'Clear' }).click();
  await page.evaluate(() => {
    let clicked = false;
    new MutationObserver(() => {
      const answer = document.querySelector('[data-testid="answer-text"]');
      if (clicked || !(answer?.textContent ?? '').trim()) return;
      const stop = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stop');
      if (!stop) return;
      clicked = true;
      stop.click();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await ask(page, 'What do bakers feed the sourdough starter?');
  await expect(page.getByRole('status')).toHaveText('Stopped.', { timeout: 600_000 });
  await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible();
  const partial = (await page.getByTestId('answer-text').textContent()) ?? '';
  expect(partial.trim().length).toBeGreaterThan(0);
  expect(partial).not.toContain('Fresnel');
  expect(externalRequests).toEqual([]);
});

test('real models on WebGPU: passages embedded on the GPU rank the right source, and Stop ends the answer model @webgpu-only', async ({
  page,
  externalRequests,
}) => {
  test.setTimeout(1_200_000);
  await openApp(page, REAL_URL);
  await expect(page.getByTestId('device')).toHaveText('webgpu');
  await addDocs(page);
  // Stop as soon as the answer model is asked to write: it must end the model's work, not wait for it.
  await page.evaluate(() => {
    let clicked = false;
    new MutationObserver(() => {
      const status = document.querySelector('[role="status"]')?.textContent ?? '';
      if (clicked || !status.startsWith('Writing the answer')) return;
      const stop = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stop');
      if (!stop) return;
      clicked = true;
      stop.click();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  await ask(page, 'How does a Fresnel lens focus the lamp light?');
  const sources = page.getByRole('list', { name: 'Sources' });
  await expect(sources.getByRole('listitem').first()).toContainText('lighthouses.md', { timeout: 600_000 });
  await expect(sources.getByRole('listitem').first()).toContainText('Fresnel');
  await expect(page.getByRole('status')).toHaveText('Stopped.', { timeout: 600_000 });
  await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible();
  await expect(page.getByText('Ready on webgpu (fp32)').first()).toBeVisible();
  expect(externalRequests).toEqual([]);
});
