// Instructions with the question: an inline instruction becomes a date filter shown as a removable chip, and removing it searches again without it; the conversation's Instructions field is kept across a reload, and unusable model output is a plain note.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

async function addDocs(page: Page) {
  await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
  const library = page.getByRole('list', { name: 'Documents in your library' });
  await expect(library.getByText('lighthouses.md')).toBeVisible();
  await expect(library.getByText('sourdough.txt')).toBeVisible();
}

async function ask(page: Page, question: string) {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
}

const QUESTION = 'How does a Fresnel lens focus the lamp light';

test('an inline instruction becomes a date chip; removing it searches everything again', async ({
  page,
  externalRequests,
}) => {
  const gen = await useScriptedGenerator(page);
  await openApp(page);
  await addDocs(page);
  await ask(page, `${QUESTION}, only documents added before 2020`);

  const answer = page.getByRole('region', { name: 'Answer' });
  const chips = answer.getByRole('list', { name: 'Filters from your instructions' });
  const sources = page.getByRole('list', { name: 'Sources' });
  // The documents were added today: a filter to those added before 2020 keeps none of them.
  await expect(chips.getByRole('listitem')).toHaveCount(1, { timeout: 120_000 });
  await expect(chips).toContainText('Added until 2019-12-31');
  await expect(answer.getByTestId('turn-instruction')).toContainText(
    'Following your instructions: only documents added before 2020',
  );
  await expect(page.getByTestId('refusal')).toContainText('No passage matches the current filters');
  await expect(answer.getByTestId('rewritten')).toHaveText(`Searched for: ${QUESTION}`);
  await expect(sources).toHaveCount(0);
  // The model was asked for the filters only: with nothing found, no answer is written.
  expect(gen.calls()).toBe(1);

  // Removed from the keyboard: the same question is searched again without the date filter.
  const remove = chips.getByRole('button', { name: 'Remove filter: Added until 2019-12-31' });
  await remove.focus();
  await page.keyboard.press('Enter');
  await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });
  await expect(chips).toHaveCount(0);
  await expect(page.getByTestId('refusal')).toHaveCount(0);
  await expect(sources.getByRole('listitem').first()).toContainText('lighthouses.md');
  await expect(answer.getByText(`Q: ${QUESTION}, only documents added before 2020`)).toBeVisible();
  // The remaining filters were used as they were: the model wrote the answer, and was not asked for filters again.
  expect(gen.calls()).toBe(2);
  expect(externalRequests).toEqual([]);
});

test("the conversation's instructions are kept across a reload; output that is not filters is a plain note", async ({
  page,
  externalRequests,
}) => {
  const gen = await useScriptedGenerator(page);
  await openApp(page);
  await addDocs(page);
  await page.getByText('Instructions', { exact: true }).click();
  const field = page.getByRole('textbox', { name: 'Instructions for this conversation' });
  await field.fill('garble the PDFs from 2021');
  await expect(page.getByText('Instructions (on)')).toBeVisible();
  await ask(page, `${QUESTION}?`);

  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });
  await expect(answer.getByTestId('instruction-note')).toHaveText(
    "Couldn't turn your instructions into filters; searched without them.",
  );
  await expect(answer.getByRole('list', { name: 'Filters from your instructions' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first()).toContainText(
    'lighthouses.md',
  );
  expect(gen.calls()).toBe(2);

  await page.reload();
  await page.getByText('Instructions (on)').click();
  await expect(field).toHaveValue('garble the PDFs from 2021');
  // The turn keeps its note across the reload too.
  await expect(answer.getByTestId('instruction-note')).toBeVisible();
  expect(externalRequests).toEqual([]);
});
