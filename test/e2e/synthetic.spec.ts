// The evaluation set: synthetic questions written with progress and kept/dropped counts, edited, deleted, kept on
// reload, then run through "Evaluate my library" (the generate → evaluate → table flow of #14).
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

  // The generated set is what "Evaluate my library" runs: search rows only here (evaluate.spec covers the rest).
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Evaluate my library' });
  await expect(dialog.getByText(`${n - 1} question${n - 1 === 1 ? '' : 's'} in the set`)).toBeVisible();
  await dialog.getByRole('checkbox', { name: /Also with multi-query/ }).uncheck();
  await dialog.getByRole('checkbox', { name: 'Also answer each question' }).uncheck();
  await dialog.getByRole('button', { name: 'Run the evaluation' }).click();
  const table = dialog.getByRole('table', { name: /Context relevance by search configuration/ });
  await expect(table).toBeVisible({ timeout: 120_000 });
  const rows = table.getByRole('row');
  await expect(rows).toHaveCount(1 + 4);
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText('BM25 only');
  // Every kept question found its own passage in the top 20 (the filter), so Recall@100 is at least that good.
  for (let i = 1; i <= 4; i++) await expect(rows.nth(i).getByRole('cell').nth(3)).toHaveText(/^[01]\.\d{3}$/);
  expect(externalRequests).toEqual([]);
});
