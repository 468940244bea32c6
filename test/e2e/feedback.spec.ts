// Feedback end to end: a thumbs up with a reason and a source marked not relevant are stored, kept across a reload,
// listed in Settings, and exported as training data whose JSONL rows hold the passages shown; deleting them works.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { readFileSync } from 'node:fs';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const QUESTION = 'How does a Fresnel lens focus the lamp light?';

const jsonl = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function openSettings(page: Page) {
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Settings' });
  await expect(dialog).toBeVisible();
  return dialog.getByTestId('feedback');
}

test(
  'thumbs, a reason and a source mark are kept, listed and exported as triplets',
  { tag: '@device-independent' },
  async ({ page, externalRequests }, testInfo) => {
    await useScriptedGenerator(page);
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
    await expect(
      page.getByRole('list', { name: 'Documents in your library' }).getByText('sourdough.txt'),
    ).toBeVisible();
    await page.getByRole('textbox', { name: 'Ask' }).fill(QUESTION);
    await page.getByRole('button', { name: 'Ask' }).click();
    const answer = page.getByRole('region', { name: 'Answer' });
    await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });

    // The scripted answer cites [1]: a thumbs up makes passage 1 a positive; passage 2 is marked not relevant.
    const good = answer.getByRole('button', { name: 'Good answer' });
    await expect(good).toHaveAttribute('aria-pressed', 'false');
    await good.click();
    await expect(good).toHaveAttribute('aria-pressed', 'true');
    const reason = answer.getByRole('textbox', { name: /Why\?/ });
    await reason.fill('names the lens');
    await reason.press('Enter');
    await expect(answer.getByText('Reason saved.')).toBeVisible();
    const sources = page.getByRole('list', { name: 'Sources' }).getByRole('listitem');
    expect(await sources.count()).toBeGreaterThanOrEqual(2);
    const notRelevant = sources.nth(1).getByRole('button', { name: 'Not relevant' });
    await notRelevant.click();
    await expect(notRelevant).toHaveAttribute('aria-pressed', 'true');
    const text = async (i: number) => ((await sources.nth(i).getByRole('region').textContent()) ?? '').trim();
    const [first, second] = [await text(0), await text(1)];

    // Kept across a reload: the answer shown comes back with its feedback.
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(answer.getByRole('button', { name: 'Good answer' })).toHaveAttribute('aria-pressed', 'true');
    await expect(sources.nth(1).getByRole('button', { name: 'Not relevant' })).toHaveAttribute('aria-pressed', 'true');

    const panel = await openSettings(page);
    await expect(panel.getByTestId('feedback-counts')).toContainText(
      '1 answer(s) with feedback records: 1 good, 0 bad',
    );
    await expect(panel.getByTestId('feedback-counts')).toContainText('1 source mark(s)');
    const row = panel.getByRole('list', { name: 'Feedback records' }).getByRole('listitem');
    await expect(row).toHaveCount(1);
    await expect(row).toContainText(QUESTION);
    await expect(row).toContainText('names the lens');

    const downloading = page.waitForEvent('download');
    await panel.getByRole('button', { name: 'Export training data' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toMatch(/^lectern-training-\d{4}-\d{2}-\d{2}\.zip$/);
    const file = testInfo.outputPath('training.zip');
    await download.saveAs(file);
    const files = unzipSync(new Uint8Array(readFileSync(file)));
    expect(Object.keys(files).sort()).toEqual(['README.md', 'colbert.jsonl', 'pairs.jsonl', 'triplets.jsonl']);
    expect(jsonl(strFromU8(files['triplets.jsonl']!))).toEqual([
      { query: QUESTION, positive: first, negative: second },
    ]);
    expect(jsonl(strFromU8(files['pairs.jsonl']!))).toEqual([{ query: QUESTION, positive: first }]);
    const readme = strFromU8(files['README.md']!);
    expect(readme).toContain('| triplets.jsonl | 1 |');
    // The answer model loads after the sources show: the record names it from the ask's end.
    expect(readme).toMatch(/- generator: lectern-standin\//);
    await expect(panel.getByRole('status')).toContainText('1 pair(s), 1 triplet(s)');

    // Deleted from Settings: nothing is left to export.
    await row.getByRole('button', { name: /Delete feedback on/ }).click();
    await expect(row).toHaveCount(0);
    await expect(panel.getByTestId('feedback-counts')).toContainText('0 answer(s)');
    await panel.getByRole('button', { name: 'Export training data' }).click();
    await expect(panel.getByRole('alert')).toContainText('no training data to export yet');
    expect(externalRequests).toEqual([]);
  },
);
