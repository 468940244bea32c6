// An import resumes after a reload: every file ends up in the library once, a cancelled one stays out, an open tab's stay its own.
import type { Page } from '@playwright/test';
import { DB_NAME } from '../../src/lib/persistence/schema';
import { expect, openApp, test } from './fixtures';
import { queueRows } from './import-queue';

const COUNT = 20;
const CANCELLED = 'resume-20.md';

/** Distinct Markdown files (no two share bytes), `entries` lines long: a few passages each, or many. */
const logs = (count: number, entries: number, prefix = 'resume') =>
  Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${String(i + 1).padStart(2, '0')}.md`,
    mimeType: 'text/markdown',
    buffer: Buffer.from(
      [
        `# Harbour log ${i + 1}`,
        '',
        ...Array.from(
          { length: entries },
          (_, j) =>
            `Entry ${j} of log ${i + 1}: the ferry number ${i * 100 + j} crossed the bay under a ${
              ['grey', 'clear', 'stormy', 'misty'][j % 4]
            } sky, carrying ${j + i} passengers and ${(j * 7 + i) % 13} crates of apples.`,
        ),
      ].join('\n\n'),
    ),
  }));
const FILES = logs(COUNT, 24);

const cancelButton = (page: Page, name: string) => page.getByRole('button', { name: `Cancel ${name}`, exact: true });

/** What IndexedDB holds: document names and the pending-file rows' names, read in one transaction. */
function stored(page: Page): Promise<{ documents: string[]; pending: string[] }> {
  return page.evaluate(
    (dbName) =>
      new Promise<{ documents: string[]; pending: string[] }>((resolve, reject) => {
        const open = indexedDB.open(dbName);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['documents', 'pendingFiles']);
          const docs = tx.objectStore('documents').getAll();
          const pending = tx.objectStore('pendingFiles').getAll();
          tx.oncomplete = () => {
            db.close();
            const names = (rows: { name: string }[]) => rows.map((r) => r.name).sort();
            resolve({ documents: names(docs.result), pending: names(pending.result) });
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    DB_NAME,
  );
}

/**
 * Reloads from inside the page the moment `added` files are in and another is being imported (not waiting, not
 * finished): the closest a test gets to closing the tab mid-import. Records what the queue showed then.
 */
async function reloadMidImport(page: Page, added: number): Promise<void> {
  await page.evaluate((added) => {
    new MutationObserver((_, observer) => {
      const rows = [...document.querySelectorAll('[aria-label="Import queue"] li')].map((li) => li.textContent ?? '');
      const done = rows.filter((t) => /: added$/.test(t.trim())).length;
      const busy = [...document.querySelectorAll('[aria-label="Import queue"] li progress')].filter((p) => {
        const text = p.closest('li')?.textContent ?? '';
        return !/Waiting/.test(text);
      });
      if (done < added || busy.length === 0) return;
      observer.disconnect();
      sessionStorage.setItem('e2e-reloaded-with', JSON.stringify({ done, busy: busy[0]!.getAttribute('aria-label') }));
      location.reload();
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, added);
}

test(
  'a reload mid-import resumes the files not yet saved: each ends up in the library once, and a cancelled one does not come back',
  { tag: '@device-independent' },
  async ({ page, externalRequests }) => {
    test.setTimeout(480_000);
    await openApp(page);
    await page.getByLabel('Add documents').setInputFiles(FILES);
    // Cancelled while waiting: its row shows it, and its pending file is gone from storage before the reload is armed.
    await cancelButton(page, CANCELLED).click();
    await expect(page.locator('[aria-label="Import queue"] li').filter({ hasText: CANCELLED })).toHaveText(
      `${CANCELLED}: cancelled`,
    );
    await expect.poll(async () => (await stored(page)).pending).not.toContain(CANCELLED);

    const reloaded = page.waitForEvent('load');
    await reloadMidImport(page, 3);
    await reloaded;
    const at = JSON.parse((await page.evaluate(() => sessionStorage.getItem('e2e-reloaded-with'))) ?? '{}') as {
      done: number;
      busy: string;
    };
    expect(at.done).toBeGreaterThanOrEqual(3);
    expect(at.done).toBeLessThan(COUNT - 2);
    expect(at.busy).toMatch(/^resume-\d\d\.md$/);

    // The files not yet saved are queued again at once, in the order they were added, and said so.
    const notice = page.getByTestId('resumed-notice');
    await expect(notice).toContainText(/Resuming the import of \d+ files that a closed tab left unfinished\./);
    const resumed = Number(/of (\d+) files/.exec((await notice.textContent()) ?? '')![1]);
    // The file being imported at the reload is among them, unless its save had committed just before.
    expect([COUNT - 1 - at.done, COUNT - 2 - at.done]).toContain(resumed);
    const queued = (await queueRows(page)).map((r) => r.name);
    expect(queued).toHaveLength(resumed);
    expect(queued).toEqual([...queued].sort());
    expect(queued).not.toContain(CANCELLED);
    expect(queued).toContain('resume-19.md');

    // Every file but the cancelled one ends up in the library once: none twice, none lost, no error on the way.
    await expect(page.getByRole('button', { name: 'Clear list' })).toBeVisible({ timeout: 360_000 });
    const rows = await queueRows(page);
    expect(rows.filter((r) => r.state !== 'added')).toEqual([]);
    await expect(page.locator('[role="alert"][data-code]')).toHaveCount(0);
    const expected = FILES.map((f) => f.name).filter((n) => n !== CANCELLED);
    // The list is windowed (only the rows in view are on the page): its count, and the stored names, say it all.
    await expect(page.getByTestId('library-count')).toHaveText(`${COUNT - 1} documents`);
    expect(await stored(page)).toEqual({ documents: expected, pending: [] });

    // Nothing is left pending: the next start resumes nothing and names nothing.
    await page.reload();
    await expect(page.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(page.getByTestId('library-count')).toHaveText(`${COUNT - 1} documents`);
    await expect(page.getByTestId('resumed-notice')).toHaveCount(0);
    await expect(page.getByTestId('interrupted-notice')).toHaveCount(0);
    await expect(page.locator('[aria-label="Import queue"]')).toHaveCount(0);
    expect(externalRequests).toEqual([]);
  },
);

test(
  "a tab that starts while another imports leaves that tab's files alone: each is added once, by the tab that queued it",
  { tag: '@device-independent' },
  async ({ page, context, externalRequests }) => {
    test.setTimeout(480_000);
    const other = await context.newPage();
    await Promise.all([openApp(page), openApp(other)]);
    const [first, ...rest] = logs(5, 24, 'open');
    await page.getByLabel('Add documents').setInputFiles([first!]);
    await expect(page.locator('[aria-label="Import queue"] li').first()).toHaveText(`${first!.name}: added`);
    // A changed copy of the first file: the import stops to ask whether to replace it, holding the rest in the queue.
    const changed = { ...first!, buffer: Buffer.concat([first!.buffer, Buffer.from('\n\nOne more entry.')]) };
    await page.getByLabel('Add documents').setInputFiles([changed, ...rest]);
    const ask = page.getByRole('group', { name: `Replace ${first!.name}?` });
    await expect(ask).toBeVisible();
    expect((await stored(page)).pending).toEqual([changed, ...rest].map((f) => f.name).sort());

    // The other tab starts again meanwhile: this tab is open, so its files are not resumed there.
    await other.reload();
    await expect(other.getByText(/Ready on (wasm|webgpu)/)).toHaveCount(2, { timeout: 180_000 });
    await expect(other.getByTestId('library-count')).toHaveText('1 document');
    await expect(other.getByTestId('resumed-notice')).toHaveCount(0);
    await expect(other.locator('[aria-label="Import queue"]')).toHaveCount(0);
    expect((await stored(page)).pending).toHaveLength(rest.length + 1);

    await ask.getByRole('button', { name: 'Replace' }).click();
    await expect(page.getByRole('button', { name: 'Clear list' })).toBeVisible({ timeout: 300_000 });
    expect((await queueRows(page)).filter((r) => r.state !== 'added')).toEqual([]);
    expect(await stored(page)).toEqual({ documents: [first!, ...rest].map((f) => f.name).sort(), pending: [] });
    // The other tab learns of them as they are saved, and queued none itself.
    await expect(other.getByTestId('library-count')).toHaveText(`${rest.length + 1} documents`);
    await expect(other.locator('[aria-label="Import queue"]')).toHaveCount(0);
    await expect(page.locator('[role="alert"][data-code]')).toHaveCount(0);
    expect(externalRequests).toEqual([]);
  },
);
