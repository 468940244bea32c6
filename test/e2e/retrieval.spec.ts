// Retrieval end to end on Rust book chapters: the right chapter ranks high and says why, filters narrow the
// search, off-topic questions are refused without calling the generator, and the relevance threshold separates
// on-topic from off-topic questions with a margin.
//
// Ingesting on WebGPU (SwiftShader) is slow, so the tests share one page per worker that has the chapters
// already added. The page's context has the same localhost-only guard as ./fixtures, and every test fails if
// a request left localhost. A failed test tears the worker down, so the next test gets a fresh page.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, guardLocalhost, openApp, test as base } from './fixtures';

const CHAPTERS = [
  'ch08-00-common-collections.md',
  'ch09-00-error-handling.md',
  'ch14-01-release-profiles.md',
  'ch15-04-rc.md',
  'ch16-00-concurrency.md',
];
const chapter = (name: string) => fileURLToPath(new URL(`../fixtures/docs/rust/${name}`, import.meta.url));

const registry = JSON.parse(
  readFileSync(fileURLToPath(new URL('../fixtures/standin/registry.json', import.meta.url)), 'utf8'),
) as { models: { role: string; relevanceThreshold?: number }[] };
const THRESHOLD = registry.models.find((m) => m.role === 'late-interaction')?.relevanceThreshold ?? 0.5;

interface Library {
  page: Page;
  /** Requests the shared page tried to send anywhere but localhost (they are blocked). */
  external: string[];
}

const test = base.extend<{ guard: void }, { library: Library }>({
  library: [
    async ({ browser }, use, workerInfo) => {
      const context = await browser.newContext({ baseURL: workerInfo.project.use.baseURL });
      const external = await guardLocalhost(context);
      const page = await context.newPage();
      await openApp(page);
      await page.getByLabel('Add documents').setInputFiles(CHAPTERS.map(chapter));
      const list = page.getByRole('list', { name: 'Documents in your library' });
      for (const name of CHAPTERS) await expect(list.getByText(name)).toBeVisible({ timeout: 120_000 });
      await use({ page, external });
      await context.close();
    },
    { scope: 'worker', timeout: 300_000 },
  ],
  guard: [
    async ({ library }, use) => {
      await use();
      expect(library.external, 'requests that left localhost').toEqual([]);
    },
    { auto: true },
  ],
});

const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');
const sourceDocs = async (page: Page) =>
  (await sourceItems(page).locator('.src-head strong').allInnerTexts()).map((t) => t.replace(/^\[\d+\]\s*/, ''));

/** Stops an answer still being written (on-topic questions go on to the generator) so Ask is available. */
async function idle(page: Page): Promise<void> {
  const stop = page.getByRole('button', { name: 'Stop' });
  const askButton = page.getByRole('button', { name: 'Ask', exact: true });
  await expect(async () => {
    if (await stop.isVisible()) await stop.click({ timeout: 1_000 });
    await expect(askButton).toBeVisible({ timeout: 1_000 });
  }).toPass();
}

/** Asks and waits until the search is over: sources listed or a refusal shown. */
async function ask(page: Page, question: string): Promise<void> {
  await idle(page);
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Answer' }).getByText(`Q: ${question}`)).toBeVisible();
  await expect(sourceItems(page).first().or(page.getByTestId('refusal')).first()).toBeVisible();
}

/** Opens source n's explanation and returns its table as [query word, matched word, strength] rows. */
async function explain(page: Page, n: number) {
  const item = page.locator(`#source-${n}`);
  await item.getByRole('button', { name: `Why this passage? [${n}]` }).click();
  const table = item.getByRole('table', { name: 'Query words and their best match in this passage' });
  await expect(table).toBeVisible();
  const rows = await table
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent?.trim() ?? '')));
  return { item, rows: rows.map(([q, d, s]) => ({ query: q!, doc: d!, strength: Number(s) })) };
}

/** What the threshold reads for the top source: the mean best match over the query's words (its table). */
async function topRelevance(page: Page): Promise<number> {
  const { item, rows } = await explain(page, 1);
  expect(rows.length).toBeGreaterThan(0);
  await item.getByRole('button', { name: 'Hide why' }).click();
  return rows.reduce((sum, r) => sum + r.strength, 0) / rows.length;
}

// First: it needs a page on which the answer model was never asked for.
test('refuses an off-topic question without calling the answer model', async ({ library: { page } }) => {
  const answerModel = page.getByRole('region', { name: 'Models' }).locator('.slot').filter({ hasText: 'Answer model' });
  await expect(answerModel).toContainText('Loads when first needed.');

  await ask(page, 'sourdough starter flour baking bread');
  await expect(page.getByTestId('refusal')).toBeVisible();
  await expect(page.getByTestId('refusal')).toContainText('Nothing relevant found');
  await expect(page.getByRole('region', { name: 'Answer' })).toHaveAttribute('aria-busy', 'false');
  const items = sourceItems(page);
  expect(await items.count()).toBeGreaterThan(0);
  for (const item of await items.all()) await expect(item).toContainText('low confidence');
  await expect(page.getByTestId('answer-text')).toHaveText('');
  await expect(page.getByRole('link', { name: /^Source \d+$/ })).toHaveCount(0);
  await expect(answerModel).toContainText('Loads when first needed.');
});

test('ranks the chapter that defines a term and explains the match', async ({ library: { page } }) => {
  await ask(page, 'What does Rc reference counting do?');
  await expect(page.getByTestId('refusal')).toBeHidden();
  const top3 = (await sourceDocs(page)).slice(0, 3);
  const n = top3.indexOf('ch15-04-rc.md') + 1;
  expect(n, `top 3 sources: ${top3.join(', ')}`).toBeGreaterThan(0);

  const { item, rows } = await explain(page, n);
  const passage = item.getByLabel('Passage with matched words highlighted');
  await expect(passage.locator('mark').filter({ hasText: /^rc$/i }).first()).toBeVisible();
  await expect(
    passage
      .locator('mark')
      .filter({ hasText: /^reference$/i })
      .first(),
  ).toBeVisible();
  for (const word of ['rc', 'reference', 'counting']) {
    const row = rows.find((r) => r.query === word);
    expect(row, `table row for "${word}"`).toMatchObject({ doc: word });
    expect(row!.strength).toBeGreaterThan(0.9);
  }
  await item.getByRole('button', { name: 'Hide why' }).click();
  await expect(item.getByRole('button', { name: `Why this passage? [${n}]` })).toBeVisible();
});

test('filters by document and by file type', async ({ library: { page } }) => {
  const question = 'What does Rc reference counting do?';
  const filters = page.locator('details.filters');
  const summary = filters.locator('summary');
  await summary.click();
  const only = filters.getByRole('checkbox', { name: 'ch16-00-concurrency.md' });
  await only.check();
  await expect(summary).toHaveText('Filters (on)');

  await ask(page, question);
  const docs = await sourceDocs(page);
  expect(docs.length).toBeGreaterThan(0);
  expect(
    docs.every((d) => d === 'ch16-00-concurrency.md'),
    docs.join(', '),
  ).toBe(true);

  await only.uncheck();
  await expect(summary).toHaveText('Filters');
  await ask(page, question);
  // The filter is lifted: the best source is the Rc chapter it had excluded (only ch15-04-rc.md mentions Rc, so a
  // reranker that works may rightly take all five sources from it).
  expect((await sourceDocs(page))[0]).toBe('ch15-04-rc.md');

  // No PDFs in the library: nothing to list, nothing to answer from.
  const pdf = filters.getByRole('checkbox', { name: 'pdf' });
  await pdf.check();
  await ask(page, question);
  await expect(page.getByTestId('refusal')).toBeVisible();
  await expect(sourceItems(page)).toHaveCount(0);
  await expect(page.getByTestId('answer-text')).toHaveText('');

  await filters.getByRole('button', { name: 'Clear filters' }).click();
  await expect(pdf).not.toBeChecked();
  await expect(summary).toHaveText('Filters');
  await ask(page, question);
  await expect(page.getByTestId('refusal')).toBeHidden();
  expect((await sourceDocs(page))[0]).toBe('ch15-04-rc.md');
  await summary.click();
});

// Calibration on the stand-ins with these chapters (mean Strength of the top source's table; the relevance the
// threshold reads is the same mean without punctuation rows, which the stand-in scores 1.00): on-topic questions
// 0.86-1.00 here (relevance 0.84-1.00), off-topic ones made of content words 0.45-0.67 (relevance 0.45-0.63), hence
// relevanceThreshold 0.76 in the stand-in registry; `node test/eval/standin.mjs` prints the relevances. Off-topic
// questions made mostly of function words ("Where is the nearest train station?" 0.748, "When does the tide turn
// at the harbour?" 0.812) sit on or above it: the stand-in matches "the" or "when" as exactly as a rare word, so
// they are left out.
test('the relevance threshold separates on-topic from off-topic questions', async ({ library: { page } }) => {
  const cases: [question: string, onTopic: boolean][] = [
    ['What does Rc reference counting do?', true],
    ['How does Rust handle recoverable errors with Result and panic?', true],
    ['release profiles for cargo build', true],
    ['sourdough starter flour baking bread', false],
    ['Who won the football world cup?', false],
    ['quantum entanglement of photons', false],
  ];
  const margin = 0.05;
  const seen: { question: string; onTopic: boolean; relevance: number; refused: boolean }[] = [];
  for (const [question, onTopic] of cases) {
    await ask(page, question);
    const relevance = await topRelevance(page);
    seen.push({ question, onTopic, relevance, refused: await page.getByTestId('refusal').isVisible() });
  }
  console.log(
    `[${test.info().project.name}] top relevance, threshold ${THRESHOLD}:\n` +
      seen
        .map(
          (s) =>
            `  ${s.onTopic ? 'on ' : 'off'}  ${s.relevance.toFixed(3)}  ${s.refused ? 'refused ' : 'answered'}  ${s.question}`,
        )
        .join('\n'),
  );
  for (const { question, onTopic, relevance, refused } of seen) {
    expect.soft(refused, question).toBe(!onTopic);
    if (onTopic) expect.soft(relevance, question).toBeGreaterThanOrEqual(THRESHOLD + margin);
    else expect.soft(relevance, question).toBeLessThanOrEqual(THRESHOLD - margin);
  }
  await idle(page);
});
