// The first run: the panel, the sample library answering with citations (kept across a reload, then closed), files dropped anywhere on the window, and text pasted as a note.
import type { Page } from '@playwright/test';
import { expect, openApp, STANDIN_URL, test } from './fixtures';

const SAMPLE = 'The Rust Programming Language (sample)';

const sourceItems = (page: Page) => page.getByRole('list', { name: 'Sources' }).getByRole('listitem');

test('the sample library: one click opens it, a sample question is answered from its chapters with citations, and it stays until closed @device-independent', async ({
  page,
  externalRequests,
}) => {
  await page.goto(STANDIN_URL);
  const panel = page.getByTestId('first-run');
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Add your own documents' })).toBeVisible();
  // Both models ready, so the answer comes with dense search and reranking.
  await openApp(page);
  await panel.getByRole('button', { name: 'Try it on a sample library' }).click();
  await expect(panel).toBeHidden();
  const published = page.getByTestId('published-library');
  await expect(published.getByRole('heading', { name: SAMPLE })).toBeVisible({ timeout: 60_000 });
  await expect(published).toContainText('12 documents');

  const bar = page.getByTestId('sample-bar');
  await bar.getByRole('button', { name: 'What is ownership?' }).click();
  const answer = page.getByRole('region', { name: 'Answer' });
  await expect(answer.getByText('Q: What is ownership?')).toBeVisible();
  await expect(sourceItems(page).first()).toBeVisible({ timeout: 120_000 });
  const names = await sourceItems(page).locator('.src-head strong').allTextContents();
  expect(names.join('\n')).toContain('ch04-01-what-is-ownership.md');
  expect(names.every((n) => /^ch\d\d-\d\d-[a-z-]+\.md/.test(n.replace(/^\[\d+\]\s*/, '')))).toBe(true);
  await expect(sourceItems(page).first().getByTestId('source-library')).toHaveText(SAMPLE);
  await expect(answer.getByRole('link', { name: 'Source 1' }).first()).toBeVisible({ timeout: 180_000 });

  // The choice outlives a reload; closing the sample brings the first run back.
  await page.reload();
  await expect(published.getByRole('heading', { name: SAMPLE })).toBeVisible({ timeout: 60_000 });
  await expect(panel).toBeHidden();
  await bar.getByRole('button', { name: 'Close the sample library' }).click();
  await expect(panel).toBeVisible({ timeout: 60_000 });
  await expect(published).toBeHidden();
  expect(externalRequests).toEqual([]);
});

test('the file picker opens, a file dropped anywhere on the window is imported, and text pasted outside a field becomes a note @device-independent', async ({
  page,
  externalRequests,
}) => {
  await openApp(page);
  // "Add your own documents" opens the library's file picker.
  const chooser = page.waitForEvent('filechooser');
  await page.getByTestId('first-run').getByRole('button', { name: 'Add your own documents' }).click();
  expect((await chooser).isMultiple()).toBe(true);
  // Dragging files over the header (far from the library's own drop zone) shows the overlay; dropping adds them.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['Borrowing lets code use a value without taking ownership.\n'], 'borrowing.txt'));
    (window as unknown as { dt: DataTransfer }).dt = dt;
    const h1 = document.querySelector('h1')!;
    h1.dispatchEvent(new DragEvent('dragenter', { bubbles: true, cancelable: true, dataTransfer: dt }));
    h1.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
  await expect(page.getByTestId('drop-overlay')).toHaveText('Drop files to add them to your library');
  await page.evaluate(() => {
    const { dt } = window as unknown as { dt: DataTransfer };
    document
      .querySelector('h1')!
      .dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
  });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
  const list = page.getByRole('list', { name: 'Documents in your library' });
  await expect(list.getByText('borrowing.txt')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('first-run')).toBeHidden();

  const paste = (selector: string, text: string) =>
    page.evaluate(
      ([selector, text]) => {
        const dt = new DataTransfer();
        dt.setData('text/plain', text);
        const event = new ClipboardEvent('paste', { bubbles: true, cancelable: true, clipboardData: dt });
        document.querySelector(selector)!.dispatchEvent(event);
      },
      [selector, text] as const,
    );
  // Into the Ask box it stays that box's; on the page it is a note, named by the date and minute.
  await paste('#question', 'not a note');
  await paste('main', 'Lighthouse keepers log the weather every four hours.');
  await expect(list.getByText(/^Note \d{4}-\d\d-\d\d \d\d:\d\d\.txt$/)).toBeVisible({ timeout: 60_000 });
  await expect(list.getByRole('listitem')).toHaveCount(2);
  expect(externalRequests).toEqual([]);
});
