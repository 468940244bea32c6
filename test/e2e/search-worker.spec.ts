// A search worker that stops responding is replaced: the question on it fails with SEARCH_STALLED, the next answers.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, test } from './fixtures';

const doc = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));

async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask' }).click();
}

test(
  'a search worker spinning in a loop is restarted, reopened and relinked: questions and imports go on',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    // A minute before the spinning worker is given up, then two questions and an import on WASM.
    test.setTimeout(420_000);
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles([doc('lighthouses.md')]);
    const library = page.getByRole('list', { name: 'Documents in your library' });
    await expect(library.getByText('lighthouses.md')).toBeVisible();

    const search = page.workers().find((w) => /search\.worker/.test(w.url()));
    expect(
      search,
      page
        .workers()
        .map((w) => w.url())
        .join(', '),
    ).toBeDefined();
    // The worker spins for good: it takes no call and says nothing. Not awaited: this evaluate never returns.
    void search!
      .evaluate(() => {
        for (;;);
      })
      .catch(() => {});

    await ask(page, 'How does a Fresnel lens focus the lamp light?');
    await expect(page.locator('[role="alert"][data-code="SEARCH_STALLED"]')).toBeVisible({ timeout: 150_000 });
    // A successor started (the spinning one may linger in Playwright's list: its evaluate never returned).
    await expect.poll(() => page.workers().some((w) => w !== search && /search\.worker/.test(w.url()))).toBe(true);

    // The successor opened the same library, with the embedder and reranker lent again.
    await ask(page, 'How does a Fresnel lens focus the lamp light?');
    const sources = page.getByRole('list', { name: 'Sources' });
    await expect(sources.getByRole('listitem').first()).toContainText('Fresnel', { timeout: 120_000 });
    await expect(page.getByTestId('answer-text')).toContainText('[1]', { timeout: 120_000 });
    await expect(page.getByRole('button', { name: 'Ask' })).toBeEnabled({ timeout: 120_000 });

    // The ingest worker's line to search was replaced too: a file added now is found.
    await page.getByLabel('Add documents').setInputFiles([doc('sourdough.txt')]);
    await expect(library.getByText('sourdough.txt')).toBeVisible();
    await ask(page, 'What do bakers feed the sourdough starter?');
    await expect(sources.getByRole('listitem').first()).toContainText('starter', { timeout: 120_000 });
    expect(externalRequests).toEqual([]);
  },
);
