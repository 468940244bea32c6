// Two tabs on one library (two pages of one browser context, so one IndexedDB): they stay in step, and never double it.
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { DB_NAME } from '../../src/lib/persistence/schema';
import { expect, openApp, test } from './fixtures';

const skeleton = (name: string) => fileURLToPath(new URL(`../fixtures/docs/skeleton/${name}`, import.meta.url));
const LIGHTHOUSES = skeleton('lighthouses.md');
const SOURDOUGH = skeleton('sourdough.txt');
const FRESNEL = 'How does a Fresnel lens focus the lamp light?';

const docList = (page: Page) => page.getByRole('list', { name: 'Documents in your library' });
const docEntry = (page: Page, name: string) =>
  docList(page)
    .getByRole('listitem')
    .filter({ has: page.getByText(name, { exact: true }) });
const queueRow = (page: Page, name: string) =>
  page.locator('[aria-label="Import queue"] li').filter({ hasText: new RegExp(`^\\s*${name.replace('.', '\\.')}:`) });
const alerts = (page: Page) => page.locator('[role="alert"][data-code]');
const sources = (page: Page) => page.getByRole('list', { name: 'Sources' });
const sourceDocs = async (page: Page) =>
  (await sources(page).getByRole('listitem').locator('.src-head strong').allInnerTexts()).map((t) =>
    t.replace(/^\[\d+\]\s*/, ''),
  );

/** Both pages opened at once (the models load in each). */
async function openBoth(page: Page, other: Page): Promise<void> {
  await Promise.all([openApp(page), openApp(other)]);
}

/** Stops an answer still being written, so the next question starts from rest. */
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
  await expect(page.getByRole('region', { name: 'Answer' }).getByText(`Q: ${question}`).last()).toBeVisible();
  await expect(sources(page).getByRole('listitem').first().or(page.getByTestId('refusal')).first()).toBeVisible();
}

/** The stored documents' names and which documents the stored chunks belong to, read through a second connection. */
async function stored(page: Page): Promise<{ names: string[]; chunkDocs: string[]; ids: string[] }> {
  return page.evaluate(async (dbName) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(dbName);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    const all = <T>(store: string) =>
      new Promise<T[]>((resolve, reject) => {
        const get = db.transaction(store).objectStore(store).getAll();
        get.onsuccess = () => resolve(get.result as T[]);
        get.onerror = () => reject(get.error);
      });
    const docs = await all<{ id: string; name: string }>('documents');
    const chunks = await all<{ docId: string }>('chunks');
    db.close();
    return {
      names: docs.map((d) => d.name),
      ids: docs.map((d) => d.id),
      chunkDocs: [...new Set(chunks.map((c) => c.docId))],
    };
  }, DB_NAME);
}

test(
  'two tabs adding the same file at once keep one copy, and the second is told it is a duplicate',
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    const other = await context.newPage();
    await openBoth(page, other);
    await Promise.all([
      page.getByLabel('Add documents').setInputFiles(LIGHTHOUSES),
      other.getByLabel('Add documents').setInputFiles(LIGHTHOUSES),
    ]);
    const name = 'lighthouses.md';
    const added = `${name}: added`;
    const duplicate = `${name}: "${name}" is already in your library as "${name}".`;
    for (const p of [page, other]) {
      await expect(queueRow(p, name)).toHaveText(/: (added|".+" is already in your library as ".+"\.)$/, {
        timeout: 180_000,
      });
    }
    const text = async (p: Page) => (await queueRow(p, name).textContent())!.replace(/\s+/g, ' ').trim();
    const rows = [await text(page), await text(other)];
    expect([...rows].sort()).toEqual([duplicate, added].sort());
    const [winner, loser] = rows[0] === added ? [page, other] : [other, page];
    // The loser says why, in its own words, and nothing else went wrong in either tab.
    await expect(alerts(loser)).toHaveCount(1);
    await expect(alerts(loser)).toHaveAttribute('data-code', 'FILE_DUPLICATE');
    await expect(alerts(winner)).toHaveCount(0);

    // One copy: in both lists and in storage (no second document, no stray chunks).
    for (const p of [page, other]) await expect(docEntry(p, name)).toHaveCount(1);
    const db = await stored(page);
    expect(db.names).toEqual([name]);
    expect(db.chunkDocs).toEqual(db.ids);
    // The loser still works: its library lists the one copy and its search finds it.
    await ask(loser, FRESNEL);
    await expect(sources(loser).getByRole('listitem').first()).toContainText('Fresnel');
    expect(await sourceDocs(loser)).toContain(name);
    await idle(loser);
    expect(externalRequests).toEqual([]);
  },
);

test(
  "a document added in one tab appears in the other's list, and that tab's search and answer find it",
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    const other = await context.newPage();
    await openBoth(page, other);
    await other.getByLabel('Add documents').setInputFiles(SOURDOUGH);
    await expect(docEntry(page, 'sourdough.txt')).toBeVisible({ timeout: 180_000 });

    await page.getByLabel('Add documents').setInputFiles(LIGHTHOUSES);
    await expect(docEntry(other, 'lighthouses.md')).toBeVisible({ timeout: 180_000 });
    await expect(docEntry(other, 'lighthouses.md')).toHaveCount(1);
    // The other tab imported nothing itself: it heard of the document and read it from storage.
    await expect(queueRow(other, 'lighthouses.md')).toHaveCount(0);

    await ask(other, FRESNEL);
    const first = sources(other).getByRole('listitem').first();
    await expect(first).toContainText('lighthouses.md');
    await expect(first).toContainText('Fresnel');
    const answer = other.getByRole('region', { name: 'Answer' });
    await answer.getByRole('link', { name: 'Source 1' }).click({ timeout: 180_000 });
    const viewer = other.getByRole('dialog', { name: /\[1\] lighthouses\.md/ });
    await expect(viewer.getByRole('region', { name: 'Text of lighthouses.md' })).toContainText('Fresnel lens focuses');
    await viewer.getByRole('button', { name: 'Close' }).click();
    await idle(other);
    expect(externalRequests).toEqual([]);
  },
);

test(
  "a document deleted in one tab leaves the other's list, search and conversation",
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    const other = await context.newPage();
    await openBoth(page, other);
    await page.getByLabel('Add documents').setInputFiles([LIGHTHOUSES, SOURDOUGH]);
    for (const name of ['lighthouses.md', 'sourdough.txt']) {
      await expect(docEntry(other, name)).toBeVisible({ timeout: 180_000 });
    }
    // Markdown only: lighthouses.md is the one markdown document, so the search finds it and nothing else.
    await other.getByText('Filters', { exact: true }).click();
    await other.getByRole('checkbox', { name: 'markdown', exact: true }).check();
    await ask(other, FRESNEL);
    await expect(sources(other).getByRole('listitem').first()).toContainText('Fresnel lens focuses');
    expect(await sourceDocs(other)).toEqual(expect.arrayContaining(['lighthouses.md']));
    await idle(other);

    await page.getByRole('button', { name: 'Delete lighthouses.md' }).click();
    await expect(page.getByRole('status')).toHaveText('Deleted "lighthouses.md".');
    await expect(docEntry(other, 'lighthouses.md')).toHaveCount(0);
    await expect(docEntry(other, 'sourdough.txt')).toHaveCount(1);
    // Its passages left the other tab's conversation too.
    await expect(sources(other)).not.toContainText('Fresnel');
    await expect(sources(other).getByRole('listitem').first()).toContainText('was deleted from your library');

    // Its index dropped the chunks: markdown only now matches nothing (a stale index would still find them).
    await ask(other, FRESNEL);
    await expect(other.getByTestId('refusal')).toContainText('No passage matches the current filters');
    await other.getByRole('button', { name: 'Clear filters' }).click();
    await ask(other, FRESNEL);
    await expect(sources(other).getByRole('listitem').first()).toBeVisible();
    expect(await sourceDocs(other)).not.toContain('lighthouses.md');
    await expect(sources(other)).not.toContainText('Fresnel lens focuses');
    await idle(other);
    expect(externalRequests).toEqual([]);
  },
);

test(
  'a tab that missed the messages catches up when it is shown again',
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    const other = await context.newPage();
    // This tab hears nothing on its channel, like a frozen tab.
    await other.addInitScript(() => {
      BroadcastChannel.prototype.addEventListener = () => {};
      Object.defineProperty(BroadcastChannel.prototype, 'onmessage', { set() {}, configurable: true });
    });
    await openBoth(page, other);
    await page.getByLabel('Add documents').setInputFiles(LIGHTHOUSES);
    await expect(docEntry(page, 'lighthouses.md')).toBeVisible({ timeout: 180_000 });
    await expect(page.getByRole('status')).toContainText('Added "lighthouses.md"');
    await expect(docEntry(other, 'lighthouses.md')).toHaveCount(0);

    await other.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await expect(docEntry(other, 'lighthouses.md')).toHaveCount(1);
    await ask(other, FRESNEL);
    await expect(sources(other).getByRole('listitem').first()).toContainText('Fresnel lens focuses');
    await idle(other);

    await page.getByRole('button', { name: 'Delete lighthouses.md' }).click();
    await expect(page.getByRole('status')).toHaveText('Deleted "lighthouses.md".');
    await other.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
    await expect(docEntry(other, 'lighthouses.md')).toHaveCount(0);
    await expect(sources(other).getByRole('listitem').first()).toContainText('was deleted from your library');
    expect(externalRequests).toEqual([]);
  },
);
