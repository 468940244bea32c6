// In-app OCR on WASM: four pages of tracemonkey.pdf as 300 dpi scans (made at test time), recognised by the app; seconds per page and the character error rate of the stored text against the app's reading of the real text layer.
import { readFileSync } from 'node:fs';
import { createCanvas } from '@napi-rs/canvas';
import { expect, test } from '@playwright/test';
import { PDFDocument } from 'pdf-lib';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { parsePdf, type PdfjsModule } from '../../../src/lib/ingest/pdf';
import { guardLocalhost, openApp } from '../../e2e/fixtures';
import { cer } from '../../eval/cer';
import { emit, round2 } from '../report';

const PAGES = 4;
const SOURCE = new URL('../../fixtures/docs/ingest/tracemonkey.pdf', import.meta.url);
const FONTS = new URL('../../../node_modules/pdfjs-dist/standard_fonts/', import.meta.url).pathname;

/** The first PAGES pages drawn at 300 dpi and put back as one image each: a scan whose true text is known. */
async function scanned(): Promise<Buffer> {
  const src = await pdfjs.getDocument({ data: new Uint8Array(readFileSync(SOURCE)), standardFontDataUrl: FONTS })
    .promise;
  const out = await PDFDocument.create();
  for (let n = 1; n <= PAGES; n++) {
    const page = await src.getPage(n);
    const viewport = page.getViewport({ scale: 300 / 72 });
    const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    await page.render({ canvas: canvas as never, canvasContext: ctx as never, viewport }).promise;
    const image = await out.embedPng(canvas.toBuffer('image/png'));
    const size = page.getViewport({ scale: 1 });
    out.addPage([size.width, size.height]).drawImage(image, { x: 0, y: 0, width: size.width, height: size.height });
  }
  await src.destroy();
  return Buffer.from(await out.save());
}

test('OCR of scanned pages in the app: seconds per page and character error rate', async ({ page, context }) => {
  test.setTimeout(900_000);
  const external = await guardLocalhost(context);
  const truth = await parsePdf(new Uint8Array(readFileSync(SOURCE)), 'tracemonkey.pdf', {
    loadPdfjs: async () => pdfjs as unknown as PdfjsModule,
  });
  const reference = truth.blocks
    .filter((b) => (b.page ?? 0) <= PAGES)
    .map((b) => b.text)
    .join('\n');
  await openApp(page);
  const name = 'tracemonkey-scan.pdf';
  await page
    .getByLabel('Add documents')
    .setInputFiles([{ name, mimeType: 'application/pdf', buffer: await scanned() }]);
  const offer = page.getByRole('group', { name: `Recognise the text of ${name}?` });
  await expect(offer).toContainText(`has ${PAGES} scanned pages`, { timeout: 120_000 });
  const estimate = /About [^.]+\./.exec((await offer.textContent()) ?? '')?.[0] ?? null;
  await offer.getByRole('button', { name: 'Recognise text' }).click();
  const t0 = Date.now();
  const row = page.locator('[aria-label="Import queue"] li').filter({ has: page.getByText(name) });
  await expect(row).toContainText('Recognising text', { timeout: 60_000 });
  await expect(row).not.toContainText('Recognising text', { timeout: 840_000 });
  const recognisedS = (Date.now() - t0) / 1000;
  await expect(row).toHaveText(`${name}: added`, { timeout: 300_000 });
  const stored = await page.evaluate(async (file) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('lectern');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    return new Promise<string>((resolve) => {
      const r = db.transaction('documents').objectStore('documents').getAll();
      r.onsuccess = () => resolve((r.result as { name: string; text: string }[]).find((d) => d.name === file)!.text);
    });
  }, name);
  emit({
    bench: 'ocr-in-app',
    pages: PAGES,
    scan_dpi: 300,
    // Recognising includes loading tesseract's worker, core and English data the first time (from the app's ocr/).
    recognise_s: round2(recognisedS),
    s_per_page: round2(recognisedS / PAGES),
    estimate_shown_first: estimate,
    cer: Math.round(cer(reference, stored) * 10000) / 10000,
  });
  expect(external).toEqual([]);
});
