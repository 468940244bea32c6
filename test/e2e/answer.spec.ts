// Grounded answers: the real stand-in LM streams and stops; a scripted generator checks citations, grounding, refusal.
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

async function addDocs(page: import('@playwright/test').Page) {
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await expect(library.getByText('sourdough.txt')).toBeVisible();
}

async function ask(page: import('@playwright/test').Page, question: string) {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
}

test('the stand-in LM streams tokens incrementally on the reported device', async ({
  page,
  expectedDevice,
  externalRequests,
}) => {
  await openApp(page);
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
  await expect(page.getByTestId('answer-meta')).toBeVisible({ timeout: 180_000 });
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  expect(seen.length).toBeGreaterThan(5);
  for (let i = 1; i < seen.length; i++) expect(seen[i]!.length).toBeGreaterThanOrEqual(seen[i - 1]!.length);
  await expect(page.getByText(`Ready on ${expectedDevice}`)).toHaveCount(3);
  await expect(page.getByTestId('answer-meta')).toContainText('prompt grounded-answer v1');
  expect(externalRequests).toEqual([]);
});

test('Stop ends generation promptly and keeps the partial answer', async ({ page, externalRequests }) => {
  await openApp(page);
  await addDocs(page);
  // Click Stop from inside the page the moment the first token shows, and time how long stopping takes.
  await page.evaluate(() => {
    const w = window as unknown as { stopAt: number; stoppedAt: number };
    w.stopAt = 0;
    w.stoppedAt = 0;
    const answer = document.querySelector('[data-testid="answer-text"]')!;
    const status = document.querySelector('[role="status"]')!;
    new MutationObserver(() => {
      if (w.stopAt || !(answer.textContent ?? '').trim()) return;
      const stop = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Stop');
      if (!stop) return;
      w.stopAt = performance.now();
      stop.click();
    }).observe(answer, { subtree: true, childList: true, characterData: true });
    new MutationObserver(() => {
      if (w.stopAt && !w.stoppedAt && status.textContent === 'Stopped.') w.stoppedAt = performance.now();
    }).observe(status, { subtree: true, childList: true, characterData: true });
  });
  await ask(page, 'How does a Fresnel lens focus the lamp light?');
  await expect(page.getByRole('status')).toHaveText('Stopped.', { timeout: 180_000 });
  await expect(page.getByRole('button', { name: 'Ask' })).toBeVisible();
  const { stopAt, stoppedAt } = await page.evaluate(() => {
    const w = window as unknown as { stopAt: number; stoppedAt: number };
    return { stopAt: w.stopAt, stoppedAt: w.stoppedAt };
  });
  expect(stopAt).toBeGreaterThan(0);
  expect(stoppedAt - stopAt).toBeLessThan(200);
  const text = (await page.getByTestId('answer-text').textContent()) ?? '';
  expect(text.length).toBeGreaterThan(0);
  expect(text).not.toContain('without real weights [1].');
  expect(externalRequests).toEqual([]);
});

test.describe('with a scripted generator', () => {
  test('citations open the passage with the span highlighted; an unsupported sentence is marked', async ({ page }) => {
    const gen = await useScriptedGenerator(page);
    await openApp(page);
    await addDocs(page);
    await ask(page, 'How does a Fresnel lens focus the lamp light?');
    const answer = page.getByRole('region', { name: 'Answer' });
    await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });
    expect(gen.calls()).toBe(1);

    const flagged = answer.getByTestId('unsupported');
    await expect(flagged).toHaveCount(1);
    await expect(flagged).toContainText('green cheese');
    await expect(flagged).toContainText('not supported by your documents');

    await answer.getByRole('link', { name: 'Source 1' }).first().click();
    const viewer = page.getByRole('dialog', { name: /\[1\] lighthouses\.md/ });
    await expect(viewer.getByTestId('cited-span')).toContainText('Fresnel lens focuses');
    await expect(viewer.getByTestId('cited-span')).toBeInViewport();
    await viewer.getByRole('button', { name: 'Close' }).click();
  });

  test('an off-topic question is refused without calling the generator', async ({ page }) => {
    const gen = await useScriptedGenerator(page);
    await openApp(page);
    await addDocs(page);
    await ask(page, 'quantum chromodynamics gluon confinement');
    await expect(page.getByTestId('refusal')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByRole('list', { name: 'Sources' })).toContainText('low confidence');
    expect(gen.calls()).toBe(0);
    await expect(page.getByText('Loads when first needed.')).toBeVisible();
  });
});
