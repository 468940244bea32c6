// Scanned PDFs end to end: the import offers text recognition (OCR) with an estimate, recognises the page with the self-hosted tesseract.js, and a citation boxes the cited lines on the page image; declining leaves the file out with its own message.
import { readFileSync } from 'node:fs';
import type { Page } from '@playwright/test';
import { PDFDocument } from 'pdf-lib';
import { formatMessage } from '../../src/lib/errors/app-error';
import { makePptx } from '../unit/ingest/office-files';
import { expect, openApp, test } from './fixtures';
import { useScriptedGenerator } from './harness/scripted';

/** A scanned page (an image, no text layer) holding one table; its true text is single_table.truth.txt. */
const SCAN = readFileSync(new URL('../fixtures/docs/ingest/single_table.pdf', import.meta.url));

const queueRow = (page: Page, name: string) =>
  page.locator('[aria-label="Import queue"] li').filter({ has: page.getByText(name, { exact: false }) });

/**
 * The scanned page `pages` times over, for a recognition long enough to cancel. Each copy is stamped with its number
 * (a few characters of text, still a page without a text layer) so that no two pages draw the same image: identical
 * pages would be recognised once and taken from the cache.
 */
async function scans(pages: number): Promise<Buffer> {
  const source = await PDFDocument.load(SCAN);
  const out = await PDFDocument.create();
  const copies = await out.copyPages(source, Array<number>(pages).fill(0));
  copies.forEach((p, i) => {
    p.drawText(`p. ${i + 1}`, { x: 300, y: 40, size: 10 });
    out.addPage(p);
  });
  return Buffer.from(await out.save());
}

async function addScan(page: Page, name: string, buffer: Buffer = SCAN, pages = 1): Promise<void> {
  await page.getByLabel('Add documents').setInputFiles([{ name, mimeType: 'application/pdf', buffer }]);
  const offer = page.getByRole('group', { name: `Recognise the text of ${name}?` });
  await expect(offer).toContainText(
    pages === 1 ? 'has a scanned page with no text layer' : `has ${pages} scanned pages with no text layer`,
  );
  // The estimate comes before any work: "About 5 s." up to minutes.
  await expect(offer).toContainText(/About \d+ (s|min)\./);
}

test.describe('OCR of scanned PDFs and pictures', { tag: '@device-independent' }, () => {
  test('a scanned PDF is offered OCR, then a question about its table is answered with the cited lines boxed on the page', async ({
    page,
    externalRequests,
  }) => {
    test.setTimeout(300_000);
    await useScriptedGenerator(page);
    await openApp(page);
    const ocrRequests: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.includes('/ocr/')) ocrRequests.push(new URL(r.url()).pathname);
    });
    await addScan(page, 'single_table.pdf');
    // Nothing of OCR is fetched until the user says yes.
    expect(ocrRequests).toEqual([]);
    await page.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'single_table.pdf')).toHaveText('single_table.pdf: added', { timeout: 240_000 });
    // Loaded from the app's own ocr/ folder: the worker, one WASM core and the English data.
    expect(ocrRequests.some((p) => p.endsWith('/ocr/lang/eng.traineddata.gz'))).toBe(true);
    expect(ocrRequests.some((p) => /\/ocr\/tesseract-core(-simd)?-lstm\.wasm\.js$/.test(p))).toBe(true);

    await page
      .getByRole('textbox', { name: 'Ask' })
      .fill('Chipper: how many total chunks, mean chunks per document and tables per document?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const answer = page.getByRole('region', { name: 'Answer' });
    await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });
    const source = page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first();
    await expect(source).toContainText('[1] single_table.pdf');
    await expect(source).toContainText('Chipper');

    await answer.getByRole('link', { name: 'Source 1' }).first().click();
    const viewer = page.getByRole('dialog', { name: /\[1\] single_table\.pdf/ });
    await expect(viewer.locator('.passage')).toContainText('Chipper');
    const scan = viewer.getByTestId('cited-scan');
    await expect(scan).toBeVisible();
    await expect(scan.getByRole('img', { name: /Page 1 of single_table\.pdf, scanned/ })).toBeVisible();
    // The passage is the whole table: its rows are boxed, one per recognised line, top to bottom. The PDF draws the
    // table image from 33 % to 45 % of the page's height (its transform, [0 -96.4 468 0 72 534.4] on a 792 pt page), so
    // every box lies there: the boxes come from where tesseract read each line, mapped back onto the page.
    const boxes = scan.getByTestId('cited-region');
    expect(await boxes.count()).toBeGreaterThanOrEqual(4);
    const img = (await scan.getByRole('img').boundingBox())!;
    let previous = -Infinity;
    for (const box of await boxes.all()) {
      const b = (await box.boundingBox())!;
      const middle = (b.y + b.height / 2 - img.y) / img.height;
      expect(middle).toBeGreaterThan(0.32);
      expect(middle).toBeLessThan(0.46);
      expect(middle).toBeGreaterThan(previous);
      previous = middle;
      expect(b.x).toBeGreaterThanOrEqual(img.x + img.width * 0.1);
      expect(b.x + b.width).toBeLessThanOrEqual(img.x + img.width * 0.9);
    }
    expect(externalRequests).toEqual([]);
  });

  test('recognition shows its progress and can be cancelled: nothing of the file is added', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    await addScan(page, 'ledger.pdf', await scans(6), 6);
    await page.getByRole('button', { name: 'Recognise text' }).click();
    const row = queueRow(page, 'ledger.pdf');
    await expect(row).toContainText('Recognising text (OCR)');
    // Past the first page: the bar moves within the stage, page by page.
    const bar = row.getByRole('progressbar');
    const start = Number(await bar.getAttribute('value'));
    await expect.poll(async () => Number(await bar.getAttribute('value')), { timeout: 60_000 }).toBeGreaterThan(start);
    await page.getByRole('button', { name: 'Cancel ledger.pdf' }).click();
    await expect(row).toHaveText('ledger.pdf: cancelled', { timeout: 30_000 });
    await expect(page.getByText('No documents yet.')).toBeVisible();
    // The next file goes through, and the worker recognises again after the cancel ended its tesseract worker.
    await addScan(page, 'single_table.pdf');
    await page.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'single_table.pdf')).toHaveText('single_table.pdf: added', { timeout: 120_000 });
    expect(externalRequests).toEqual([]);
  });

  test('languages picked in Settings are loaded from the app and kept; English stays ticked when it is the only one', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    const langRequests: string[] = [];
    page.on('request', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.includes('/ocr/lang/')) langRequests.push(path.slice(path.lastIndexOf('/') + 1));
    });
    const openSettings = async () => {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Settings' });
      await expect(dialog).toBeVisible();
      return dialog.getByRole('group', { name: 'Text recognition (OCR) of scanned pages and pictures' });
    };
    let ocr = await openSettings();
    await expect(ocr.getByRole('checkbox', { name: 'English' })).toBeChecked();
    await ocr.getByRole('checkbox', { name: 'English' }).click();
    await expect(ocr.getByRole('checkbox', { name: 'English' })).toBeChecked();
    await ocr.getByRole('checkbox', { name: 'German' }).check();
    await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Save' }).click();

    await addScan(page, 'single_table.pdf');
    await page.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'single_table.pdf')).toHaveText('single_table.pdf: added', { timeout: 120_000 });
    expect(langRequests.sort()).toEqual(['deu.traineddata.gz', 'eng.traineddata.gz']);

    await openApp(page);
    ocr = await openSettings();
    await expect(ocr.getByRole('checkbox', { name: 'German' })).toBeChecked();
    await expect(ocr.getByRole('checkbox', { name: 'French' })).not.toBeChecked();
    expect(externalRequests).toEqual([]);
  });

  test('once used, text recognition works with the network cut: its files are kept by the offline copy', async ({
    page,
    context,
    externalRequests,
  }) => {
    await openApp(page);
    await expect
      .poll(() => page.evaluate(() => navigator.serviceWorker.controller?.state ?? null), { timeout: 60_000 })
      .toBe('activated');
    await addScan(page, 'single_table.pdf');
    await page.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'single_table.pdf')).toHaveText('single_table.pdf: added', { timeout: 120_000 });
    const kept = await page.evaluate(async () =>
      (await (await caches.open('lectern-ocr')).keys())
        .map((r) => new URL(r.url).pathname.split('/ocr/')[1] ?? '')
        .sort(),
    );
    expect(kept).toEqual(expect.arrayContaining(['lang/eng.traineddata.gz', 'worker.min.js']));
    expect(kept.some((f) => /^tesseract-core(-simd)?-lstm\.wasm\.js$/.test(f))).toBe(true);

    await context.setOffline(true);
    await openApp(page);
    await addScan(page, 'two-pages.pdf', await scans(2), 2);
    await page.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'two-pages.pdf')).toHaveText('two-pages.pdf: added', { timeout: 120_000 });
    await context.setOffline(false);
    expect(externalRequests).toEqual([]);
  });

  test('a picture in a slide is offered OCR once Settings say so; its text answers a question, cited to its slide', async ({
    page,
    externalRequests,
  }) => {
    test.setTimeout(300_000);
    await useScriptedGenerator(page);
    await openApp(page);
    // A screenshot of a policy, drawn here as a picture (PNG): its words are nowhere in the deck's own text.
    const png = await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(1000, 260);
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#fff';
      g.fillRect(0, 0, 1000, 260);
      g.fillStyle = '#111';
      g.font = '44px sans-serif';
      g.fillText('Warranty claims close after', 40, 100);
      g.fillText('ninety days from delivery.', 40, 170);
      return [...new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer())];
    });
    const offerPictures = async (on: boolean) => {
      await page.getByRole('button', { name: 'Settings', exact: true }).click();
      const settings = page.getByRole('dialog', { name: 'Settings' });
      await settings.getByRole('checkbox', { name: /Offer to read the text in the pictures/ }).setChecked(on);
      await settings.getByRole('button', { name: 'Save' }).click();
    };
    /** The deck, its first slide's text as given (each version is another file), the policy picture on slide 2. */
    const addDeck = (name: string, agenda: string) =>
      page.getByLabel('Add documents').setInputFiles([
        {
          name,
          mimeType: '',
          buffer: Buffer.from(
            makePptx([
              { title: 'Welcome', body: [agenda] },
              {
                title: 'Support policy',
                body: ['The policy as shown to customers:'],
                pictures: [{ name: 'policy.png', bytes: new Uint8Array(png) }],
              },
            ]),
          ),
        },
      ]);
    // Off by default: turned on in Settings.
    await offerPictures(true);
    await addDeck('review.pptx', 'Agenda for the service review');
    const offer = page.getByRole('group', { name: 'Recognise the text of review.pptx?' });
    await expect(offer).toContainText('has a picture that may hold text');
    await expect(offer).toContainText(/About \d+ (s|min)\./);
    await offer.getByRole('button', { name: 'Recognise text' }).click();
    await expect(queueRow(page, 'review.pptx')).toHaveText('review.pptx: added', { timeout: 240_000 });

    await page.getByRole('textbox', { name: 'Ask' }).fill('When do warranty claims close?');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    const answer = page.getByRole('region', { name: 'Answer' });
    await expect(answer.getByTestId('answer-meta')).toBeVisible({ timeout: 120_000 });
    const source = page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first();
    await expect(source).toContainText('[1] review.pptx');
    await expect(source).toContainText('Support policy · page 2');
    await expect(source).toContainText(/Text in picture: Warranty claims close after\s+ninety days from delivery/);
    // Turned off again, the same deck (edited, under another name) is added without a question.
    await offerPictures(false);
    await addDeck('review-2.pptx', 'Agenda for the service review, edited');
    await expect(queueRow(page, 'review-2.pptx')).toHaveText('review-2.pptx: added', { timeout: 120_000 });
    expect(externalRequests).toEqual([]);
  });

  test('declining OCR leaves the scanned PDF out with its own message, and the queue goes on', async ({
    page,
    externalRequests,
  }) => {
    await openApp(page);
    await addScan(page, 'scan.pdf');
    await page.getByRole('button', { name: 'Skip those pages' }).click();
    await expect(queueRow(page, 'scan.pdf')).toContainText(formatMessage('PDF_NO_TEXT', {}), { timeout: 60_000 });
    await page
      .getByLabel('Add documents')
      .setInputFiles([
        { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('The harbour lamp is lit at dusk.') },
      ]);
    await expect(queueRow(page, 'note.txt')).toHaveText('note.txt: added', { timeout: 120_000 });
    expect(externalRequests).toEqual([]);
  });
});
