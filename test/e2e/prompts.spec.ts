// Prompts measured in use: choose A/B in Settings, see the turns alternate versions across a reload, see the figures.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

async function askAndWait(page: Page, question: string, version: number) {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(answer.getByText(`Q: ${question}`)).toBeVisible();
  await expect(answer.getByTestId('answer-meta')).toContainText(`prompt grounded-answer v${version}`, {
    timeout: 120_000,
  });
}

async function openPrompts(page: Page) {
  await page.getByRole('button', { name: 'Settings' }).click();
  const prompts = page.getByRole('dialog', { name: 'Settings' }).getByRole('group', { name: 'Prompts', exact: true });
  await expect(prompts.getByRole('columnheader', { name: 'Version 2' })).toBeVisible();
  return prompts;
}

test(
  'A/B alternates the answer prompt versions across a reload, and Settings shows each version used',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    // The scripted generator answers at once: what is checked here is which template each question used.
    const gen = await useScriptedGenerator(page);
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md'), doc('sourdough.txt')]);
    await expect(
      page.getByRole('list', { name: 'Documents in your library' }).getByText('sourdough.txt'),
    ).toBeVisible();

    let prompts = await openPrompts(page);
    await expect(prompts.getByRole('radio', { name: 'Version 1 only' })).toBeChecked();
    await prompts.getByRole('radio', { name: /A\/B: versions 1 and 2/ }).check();
    await expect(page.getByRole('status')).toHaveText('New questions alternate prompt versions 1 and 2.');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await askAndWait(page, 'How does a Fresnel lens focus the lamp light?', 1);
    await askAndWait(page, 'What does the Fresnel lens do to the beam?', 2);
    const earlier = page.getByRole('region', { name: 'Earlier in this conversation' }).getByTestId('turn-prompt');
    await expect(earlier).toHaveText(['prompt grounded-answer v1']);
    await askAndWait(page, 'Why is the lighthouse beam seen so far?', 1);

    // The choice and its counter are stored: after a reload the next question takes the version after the last one
    // (v2; a counter or choice lost in the reload would give v1 again).
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(page.getByRole('region', { name: 'Answer' }).getByTestId('answer-meta')).toContainText('v1');
    await askAndWait(page, 'Which lens focuses the lighthouse lamp?', 2);
    await expect(earlier).toHaveText([1, 2, 1].map((v) => `prompt grounded-answer v${v}`));
    expect(gen.calls()).toBeGreaterThanOrEqual(4);

    prompts = await openPrompts(page);
    await expect(prompts.getByRole('radio', { name: /A\/B: versions 1 and 2/ })).toBeChecked();
    const uses = prompts.getByTestId('prompt-uses');
    await expect(uses.getByRole('rowheader')).toHaveText('Answers written');
    await expect(uses.getByRole('cell')).toHaveText(['2', '2']);
    await expect(prompts.getByRole('row', { name: /Prompt tokens/ }).getByRole('cell')).toHaveText([/^\d+$/, /^\d+$/]);
    expect(externalRequests).toEqual([]);
  },
);
