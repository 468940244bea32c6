// "Evaluate my library" in the app: the empty state, then a seeded evaluation set run through every configuration
// and the stand-in LM, the table, chart and answer figures, axe at 360 px, the CSV export, the run kept across a reload.
import { readFile } from 'node:fs/promises';
import AxeBuilder from '@axe-core/playwright';
import { fileURLToPath } from 'node:url';
import { expect, openApp, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

test('runs the evaluation set through each search configuration and keeps the run @device-independent', async ({
  page,
  externalRequests,
}) => {
  await openApp(page);
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('sourdough.txt')).toBeVisible();
  await expect(library.getByText('lighthouses.md')).toBeVisible();

  const dialog = page.getByRole('dialog', { name: 'Evaluate my library' });
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await expect(dialog.getByTestId('evaluate-empty')).toContainText('Your evaluation set is empty');
  await expect(dialog.getByRole('button', { name: 'Run the evaluation' })).toBeDisabled();
  await dialog.getByRole('button', { name: 'Close' }).click();

  // The evaluation set, written as the synthetic-question job would: each question with its gold passage.
  const seeded = await page.evaluate(async () => {
    const open = indexedDB.open('lectern');
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const req = db.transaction(store).objectStore(store).getAll();
        req.onsuccess = () => resolve(req.result as T[]);
        req.onerror = () => reject(req.error);
      });
    const chunks = await all<{ id: string; docId: string; text: string }>('chunks');
    const gold = (word: string) => chunks.find((c) => c.text.includes(word))!;
    const questions = [
      ['How does a Fresnel lens focus the lamp light?', gold('Fresnel')],
      ['What do bakers feed the sourdough starter?', gold('Bakers feed')],
    ] as const;
    const tx = db.transaction('evalQuestions', 'readwrite');
    questions.forEach(([text, c], i) =>
      tx.objectStore('evalQuestions').put({
        id: `q${i}`,
        text,
        docId: c.docId,
        chunkIds: [c.id],
        origin: 'synthetic',
        createdAt: i,
      }),
    );
    await new Promise((resolve, reject) => ((tx.oncomplete = resolve), (tx.onerror = () => reject(tx.error))));
    db.close();
    return questions.length;
  });
  expect(seeded).toBe(2);

  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await expect(dialog.getByText('2 questions in the set')).toBeVisible();
  await dialog.getByRole('button', { name: 'Run the evaluation' }).click();
  await expect(dialog.getByRole('progressbar', { name: 'Evaluation progress' })).toBeVisible();
  const table = dialog.getByRole('table', { name: /Context relevance by search configuration/ });
  await expect(table).toBeVisible({ timeout: 120_000 });
  // Every row the stand-in models allow: BM25, dense, hybrid, reranked, each with and without multi-query.
  const rows = table.getByRole('row');
  await expect(rows).toHaveCount(1 + 8);
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText('BM25 only');
  await expect(rows.nth(8).getByRole('rowheader')).toHaveText('Hybrid + rerank, multi-query');
  // Keyword search finds both gold passages in a two-document library: Recall@10 is 1 for BM25 only.
  await expect(rows.nth(1).getByRole('cell').nth(1)).toHaveText('1.000');
  for (let i = 1; i <= 8; i++) await expect(rows.nth(i).getByRole('cell').nth(3)).toHaveText(/^[01]\.\d{3}$/);
  await expect(dialog.getByTestId('evaluate-chart').locator('rect')).toHaveCount(8 * 2 + 2);
  await expect(dialog.getByRole('img', { name: /Recall@10 and nDCG@10 by configuration: BM25 only/ })).toBeVisible();
  await expect(dialog.getByText('Groundedness')).toBeVisible();
  await expect(dialog.getByText(/of 2 \(\d found nothing relevant\)/)).toBeVisible();

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export CSV' }).click(),
  ]);
  const csv = (await readFile((await download.path())!, 'utf8')).split('\r\n');
  expect(csv[0]).toBe('section,configuration,mode,multi_query,metric,value');
  expect(csv).toContain('retrieval,bm25,bm25,false,recall@10,1');
  expect(csv.some((l) => l.startsWith('answers,grounded-answer@1,,,groundedness,'))).toBe(true);

  // The results view is accessible (axe: no serious or critical violation) and never scrolls sideways at 360 px.
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() =>
    [document.documentElement, ...document.querySelectorAll('dialog[open]')]
      .filter((el) => el.scrollWidth > el.clientWidth)
      .map((el) => el.tagName),
  );
  expect(overflow).toEqual([]);
  const axe = await new AxeBuilder({ page }).include('dialog[open]').analyze();
  const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);

  // The run is kept: after a reload the panel shows it again (wide again: the library leaves its drawer).
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.reload();
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  await expect(dialog.getByRole('heading', { name: 'Earlier runs' })).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(1 + 8);
  expect(externalRequests).toEqual([]);
});
