// A published library end to end: `lectern publish` on fixture chapters, the site served statically and opened in a
// fresh browser, questions answered from it beside the private library; a tampered shard, another embedder and a
// library on another host are each said plainly.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import { expect, openApp, serveApp, STANDIN_URL, test } from './fixtures';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHAPTERS = ['ch08-00-common-collections.md', 'ch09-00-error-handling.md', 'ch15-04-rc.md'];
const NAME = 'Rust book (published)';
const RC_QUESTION = 'What does Rc reference counting do?';

let work = '';
let site = '';

test.beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'lectern-published-'));
  const docs = join(work, 'docs');
  for (const c of CHAPTERS) cpSync(join(ROOT, 'test/fixtures/docs/rust', c), join(docs, c));
  site = join(work, 'site');
  const run = spawnSync(
    process.execPath,
    [
      'tools/publish/cli.mjs',
      'publish',
      docs,
      '--out',
      site,
      '--name',
      NAME,
      '--registry',
      'test/fixtures/standin/registry.json',
      '--cache',
      join(work, 'cache'),
    ],
    { cwd: ROOT, encoding: 'utf8', timeout: 300_000 },
  );
  expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
});

test.afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the published site to damage. */
function copySite(name: string): string {
  const dir = join(work, name);
  cpSync(site, dir, { recursive: true });
  return dir;
}

const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

async function ask(page: Page, question: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Ask' }).fill(question);
  await page.getByRole('button', { name: 'Ask', exact: true }).click();
  await expect(page.getByRole('region', { name: 'Answer' }).getByText(`Q: ${question}`)).toBeVisible();
  await expect(sourceItems(page).first().or(page.getByTestId('refusal')).first()).toBeVisible({ timeout: 120_000 });
}

/** Stops the answer being written, so the next question can be asked. */
async function stop(page: Page): Promise<void> {
  const button = page.getByRole('button', { name: 'Stop' });
  await expect(async () => {
    if (await button.isVisible()) await button.click({ timeout: 1_000 });
    await expect(page.getByRole('button', { name: 'Ask', exact: true })).toBeVisible({ timeout: 1_000 });
  }).toPass();
}

async function openSite(page: Page, dir: string): Promise<{ origin: string; stop: () => void }> {
  const served = await serveApp({ LECTERN_DIST: dir });
  await openApp(page, `${served.origin}${STANDIN_URL}`);
  await expect(page.getByTestId('published-library').getByRole('heading', { name: NAME })).toBeVisible({
    timeout: 60_000,
  });
  return served;
}

test('answers from the published library beside the private one, naming each source’s library @device-independent', async ({
  page,
  externalRequests,
}) => {
  const served = await openSite(page, site);
  try {
    const panel = page.getByTestId('published-library');
    await expect(panel).toContainText(`${CHAPTERS.length} documents`);
    await expect(panel.getByTestId('published-index-ready')).toHaveText('Searched by meaning and keywords.', {
      timeout: 60_000,
    });
    // A private document beside it.
    await page
      .getByLabel('Add documents')
      .setInputFiles(fileURLToPath(new URL('../fixtures/docs/skeleton/lighthouses.md', import.meta.url)));
    const list = page.getByRole('list', { name: 'Documents in your library' });
    await expect(list.getByText('lighthouses.md')).toBeVisible({ timeout: 120_000 });

    await ask(page, RC_QUESTION);
    const top = sourceItems(page).first();
    await expect(top.locator('.src-head strong')).toContainText('ch15-04-rc.md');
    await expect(top.getByTestId('source-library')).toHaveText(NAME);
    await expect(top).toContainText('Rc');
    await stop(page);

    await ask(page, 'How far out at sea can the lighthouse beam be seen?');
    const first = sourceItems(page).first();
    await expect(first.locator('.src-head strong')).toContainText('lighthouses.md');
    await expect(first.getByTestId('source-library')).toHaveText('Your library');
    await stop(page);
  } finally {
    served.stop();
  }
  expect(externalRequests).toEqual([]);
});

/** A copy of the site with the last byte of every shard of these kinds flipped. */
function tamperedSite(name: string, kinds: string[]): string {
  const dir = copySite(name);
  const shards = join(dir, 'library/shards');
  for (const f of readdirSync(shards).filter((f) => kinds.some((k) => f.startsWith(`${k}-`)))) {
    const bytes = readFileSync(join(shards, f));
    bytes[bytes.length - 1]! ^= 0x55;
    writeFileSync(join(shards, f), bytes);
  }
  return dir;
}

test('tampered keyword shards are reported and not used, and the private library still answers @device-independent', async ({
  page,
  externalRequests,
}) => {
  const served = await openSite(page, tamperedSite('tampered-keywords', ['keywords']));
  try {
    await page
      .getByLabel('Add documents')
      .setInputFiles(fileURLToPath(new URL('../fixtures/docs/skeleton/lighthouses.md', import.meta.url)));
    const list = page.getByRole('list', { name: 'Documents in your library' });
    await expect(list.getByText('lighthouses.md')).toBeVisible({ timeout: 120_000 });
    await ask(page, 'How far out at sea can the lighthouse beam be seen? Rc reference counting');
    await expect(page.getByText(/The published library was left out: .*does not match its manifest/)).toBeVisible();
    const labels = await sourceItems(page).getByTestId('source-library').allInnerTexts();
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.every((l) => l === 'Your library')).toBe(true);
    await stop(page);
  } finally {
    served.stop();
  }
  expect(externalRequests).toEqual([]);
});

test('tampered vector shards are reported, and the library is still searched by keywords @device-independent', async ({
  page,
  externalRequests,
}) => {
  const served = await openSite(page, tamperedSite('tampered-dense', ['dense']));
  try {
    await expect(page.getByTestId('published-error')).toContainText('does not match its manifest', {
      timeout: 60_000,
    });
    await ask(page, RC_QUESTION);
    const top = sourceItems(page).first();
    await expect(top.locator('.src-head strong')).toContainText('ch15-04-rc.md');
    await expect(top.getByTestId('source-library')).toHaveText(NAME);
    await stop(page);
  } finally {
    served.stop();
  }
  expect(externalRequests).toEqual([]);
});

test('a library built with another embedder is searched by keywords only, and says so @device-independent', async ({
  page,
  externalRequests,
}) => {
  const dir = copySite('other-embedder');
  const file = join(dir, 'library/lectern-library.json');
  const manifest = JSON.parse(readFileSync(file, 'utf8'));
  manifest.models.embedder.id = 'someone/other-embedder';
  writeFileSync(file, JSON.stringify(manifest));
  const served = await openSite(page, dir);
  try {
    await expect(page.getByTestId('published-mismatch')).toContainText('someone/other-embedder');
    await expect(page.getByTestId('published-mismatch')).toContainText('searched by keywords only');
    await expect(page.getByTestId('published-index-ready')).toHaveText('Searched by keywords.', { timeout: 60_000 });
    await ask(page, RC_QUESTION);
    const top = sourceItems(page).first();
    await expect(top.locator('.src-head strong')).toContainText('ch15-04-rc.md');
    await expect(top.getByTestId('source-library')).toHaveText(NAME);
    await stop(page);
  } finally {
    served.stop();
  }
  expect(externalRequests).toEqual([]);
});

test('a library on another host asks first, then fails with one plain answer @device-independent', async ({
  page,
  externalRequests,
}) => {
  // The site on a second port: another origin, which the app's security policy does not list.
  const other = await serveApp({ LECTERN_DIST: site });
  try {
    const url = `${other.origin}/library/lectern-library.json`;
    await page.goto(`${STANDIN_URL}&library=${encodeURIComponent(url)}`);
    const dialog = page.getByRole('dialog', { name: 'Open a published library from another host?' });
    await expect(dialog.getByTestId('consent-origin')).toHaveText(other.origin, { timeout: 120_000 });
    await dialog.getByRole('button', { name: `Open from ${other.origin}` }).click();
    const error = page.getByTestId('published-error');
    await expect(error).toContainText(`The published library at ${url} could not be loaded`, { timeout: 60_000 });
    await expect(error).toContainText('CORS');
  } finally {
    other.stop();
  }
  expect(externalRequests).toEqual([]);
});
