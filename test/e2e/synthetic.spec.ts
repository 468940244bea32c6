// The evaluation set: synthetic questions written with progress and kept/dropped counts, edited, deleted, kept on reload.
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

test('synthetic questions: progress, kept and dropped, edit, delete, reload @device-independent', async ({
  page,
  externalRequests,
}) => {
  // The scripted stand-in writes, per passage, one question in its own words, one copy of the passage and one
  // rewording of the first (see harness/scripted-generator.ts): the filters keep one and drop two per passage.
  await useScriptedGenerator(page);
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('sourdough.txt')).toBeVisible();
  await expect(library.getByText('lighthouses.md')).toBeVisible();

  const panel = page.getByTestId('eval-set');
  // Every progress line the panel shows while the job runs.
  await page.evaluate(() => {
    const w = window as unknown as { progressSeen: string[] };
    w.progressSeen = [];
    const el = document.querySelector('[data-testid="eval-set"]')!;
    new MutationObserver(() => {
      const bar = el.querySelector('progress[aria-label="Writing synthetic questions"]');
      const text = bar?.parentElement?.textContent?.replace(/\s+/g, ' ').trim();
      if (text && text !== w.progressSeen[w.progressSeen.length - 1]) w.progressSeen.push(text);
    }).observe(el, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await panel.getByRole('button', { name: 'Write synthetic questions' }).click();
  const outcome = panel.getByTestId('synthetic-outcome');
  await expect(outcome).toHaveText(/^Kept \d+ questions? from \d+ passages\.$/, { timeout: 120_000 });
  const [, kept, passages] = (await outcome.textContent())!.match(/Kept (\d+) questions? from (\d+) passages/)!;
  const n = Number(passages);
  expect(n).toBeGreaterThanOrEqual(2);
  expect(Number(kept)).toBe(n);
  await expect(panel.getByTestId('synthetic-counts')).toHaveText(
    `Kept ${n}. Dropped: 0 pointed at "the passage", ${n} copied the passage, ${n} repeated another question, 0 did not find their passage in the top 20; 0 passages gave no question.`,
  );
  const progressSeen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
  expect(progressSeen.some((t) => t.includes(`of ${n} passages`))).toBe(true);

  const list = panel.getByRole('list', { name: 'Questions in the evaluation set' });
  const items = list.getByRole('listitem');
  await expect(items).toHaveCount(n);
  // Each question shows its gold passage: the document's name and an excerpt.
  await expect(list.getByText('lighthouses.md').first()).toBeVisible();
  await expect(list.getByText('sourdough.txt').first()).toBeVisible();
  const first = (await items.nth(0).locator('.q').textContent())!;
  const second = (await items.nth(1).locator('.q').textContent())!;
  expect(first).toMatch(/^What should I know about .+\?$/);

  await panel.getByRole('button', { name: `Edit: ${first}` }).click();
  await panel.getByRole('textbox', { name: 'Edit the question' }).fill('Which question did I write myself?');
  await panel.getByRole('button', { name: 'Save' }).click();
  await expect(list.getByText('Which question did I write myself?')).toBeVisible();
  await panel.getByRole('button', { name: `Delete: ${second}` }).click();
  await expect(items).toHaveCount(n - 1);

  await page.reload();
  await expect(items).toHaveCount(n - 1, { timeout: 60_000 });
  await expect(items.nth(0).locator('.q')).toHaveText('Which question did I write myself?');
  await expect(items.nth(0)).toContainText('Synthetic, edited');
  await expect(list.getByText(second, { exact: true })).toHaveCount(0);
  expect(externalRequests).toEqual([]);
});
