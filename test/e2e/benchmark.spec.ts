// A BEIR benchmark imported into the app (its corpus as documents, its judged queries judged by document), evaluated
// in the Evaluate panel; the BM25-only row equals `npm run eval`'s figures for the same folder.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, openApp, test } from './fixtures';

const TINY = fileURLToPath(new URL('../fixtures/beir/tiny', import.meta.url));
const CLI = fileURLToPath(new URL('../eval/run.mjs', import.meta.url));

test('imports a BEIR folder and evaluates the app on it, as the CLI does @device-independent', async ({
  page,
  externalRequests,
}) => {
  await openApp(page);
  const panel = page.getByTestId('eval-set');
  await panel.getByText('Import a benchmark').click();
  // A folder without the corpus and queries: its own message, nothing imported.
  await panel.getByTestId('benchmark-folder').setInputFiles(`${TINY}/qrels`);
  await expect(panel.getByRole('alert')).toHaveText(
    'That folder is not a BEIR benchmark: corpus.jsonl, queries.jsonl not found. Pick the folder that holds corpus.jsonl, queries.jsonl and qrels/test.tsv.',
  );
  await panel.getByTestId('benchmark-folder').setInputFiles(TINY);
  await expect(panel.getByTestId('benchmark-status')).toHaveText(
    'Imported tiny (test): 4 judged questions, 8 documents added.',
    { timeout: 120_000 },
  );
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByRole('listitem')).toHaveCount(8);
  await expect(library.getByText('tiny-lh1.md')).toBeVisible();
  const list = panel.getByRole('list', { name: 'Questions in the evaluation set' });
  await expect(list.getByRole('listitem')).toHaveCount(4);
  await expect(list.getByText('What do bakers feed a sourdough starter?')).toBeVisible();
  await expect(list.getByText('Judged by document: tiny-sd1.md')).toBeVisible();

  // Importing again adds no document and no question: the same ids are replaced.
  await panel.getByTestId('benchmark-folder').setInputFiles(TINY);
  await expect(panel.getByTestId('benchmark-status')).toHaveText(
    'Imported tiny (test): 4 judged questions, 0 documents added, 8 already in your library.',
  );
  await expect(list.getByRole('listitem')).toHaveCount(4);

  await page.getByRole('button', { name: 'Evaluate', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Evaluate my library' });
  await expect(dialog.getByText('4 questions in the set')).toBeVisible();
  await dialog.getByRole('checkbox', { name: /Also with multi-query/ }).uncheck();
  await dialog.getByRole('checkbox', { name: 'Also answer each question' }).uncheck();
  await dialog.getByRole('button', { name: 'Run the evaluation' }).click();
  const table = dialog.getByRole('table', { name: /Context relevance by search configuration/ });
  await expect(table).toBeVisible({ timeout: 120_000 });
  await expect(table.getByRole('row')).toHaveCount(1 + 4);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    dialog.getByRole('button', { name: 'Export JSON' }).click(),
  ]);
  const report = JSON.parse(await readFile((await download.path())!, 'utf8')) as {
    sources: Record<string, number>;
    retrieval: { configs: { config: { id: string }; queries: number; [metric: string]: unknown }[] };
  };
  expect(report.sources).toEqual({ benchmark: 4 });
  const bm25 = report.retrieval.configs.find((c) => c.config.id === 'bm25')!;
  // The CLI on the same folder (BM25 runs in Node): the same figures, from the same metrics code.
  const { stdout } = await promisify(execFile)('node', [CLI, '--dataset', TINY, '--mode', 'bm25']);
  const cli = JSON.parse(stdout) as Record<string, number>;
  const round = (v: unknown) => Math.round((v as number) * 1e5) / 1e5;
  expect({
    queries: bm25.queries,
    'ndcg@10': round(bm25['ndcg@10']),
    'recall@100': round(bm25['recall@100']),
    'mrr@10': round(bm25['mrr@10']),
  }).toEqual({
    queries: cli.queries,
    'ndcg@10': cli['ndcg@10'],
    'recall@100': cli['recall@100'],
    'mrr@10': cli['mrr@10'],
  });
  expect(externalRequests).toEqual([]);
});
