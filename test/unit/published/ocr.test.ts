// `lectern publish --ocr` in Node: a slide's picture of a scanned table is decoded, drawn and read by the same tesseract.js settings as the app.
import { createCanvas } from '@napi-rs/canvas';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePptx } from '../../../src/lib/ingest/pptx';
import { ocrLanguagesArg, PublishOcr } from '../../../tools/publish/ocr';
import { loadPdfjs, readFixture } from '../ingest/helpers';
import { makePptx } from '../ingest/office-files';

const work = mkdtempSync(join(tmpdir(), 'lectern-publish-ocr-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** single_table.pdf's scanned page drawn as a PNG picture, as a screenshot pasted into a slide would be. */
async function tablePicture(): Promise<Uint8Array> {
  const pdfjs = await loadPdfjs();
  const doc = await pdfjs.getDocument({ data: readFixture('single_table.pdf'), isEvalSupported: false }).promise;
  const page = await doc.getPage(1);
  const viewport = page.getViewport!({ scale: 2 });
  const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  await page.render!({ canvas, canvasContext: g, viewport }).promise;
  await doc.destroy();
  return new Uint8Array(canvas.toBuffer('image/png'));
}

describe('publish OCR', () => {
  it('reads the text of a slide’s picture, placed on its slide', async () => {
    const ocr = new PublishOcr(['eng'], work);
    const stages: string[] = [];
    try {
      const deck = makePptx([
        {
          title: 'Parsers compared',
          body: ['The benchmark table:'],
          pictures: [{ name: 'table.png', bytes: await tablePicture() }],
        },
      ]);
      const doc = await parsePptx(deck, 'deck.pptx', { imageOcr: ocr.hooks((s) => stages.push(s)).imageOcr });
      const picture = doc.blocks.find((b) => b.text.startsWith('Text in picture:'));
      expect(picture?.page).toBe(1);
      expect(picture?.text).toMatch(/Chipper/);
      expect(stages).toEqual(['recognising 1/1']);
    } finally {
      await ocr.close();
    }
  }, 120_000);

  it('OCR that cannot start leaves the pictures unread with a warning, and the next file tries again', async () => {
    const deck = makePptx([
      { title: 'Parsers', body: ['Body text'], pictures: [{ name: 'table.png', bytes: await tablePicture() }] },
    ]);
    // A language whose data is not installed: the worker cannot start.
    const missing = new PublishOcr(['xxx'], work);
    try {
      for (const _ of [1, 2]) {
        const doc = await parsePptx(deck, 'deck.pptx', { imageOcr: missing.hooks(() => {}).imageOcr });
        expect(doc.warnings).toEqual(['OCR_IMAGES_SKIPPED']);
        expect(doc.blocks.map((b) => b.text)).toEqual(['Parsers', 'Body text']);
      }
    } finally {
      await missing.close();
    }
    // A damaged copy left in the cache by an earlier run is replaced, not read.
    writeFileSync(join(work, 'ocr-lang', 'eng.traineddata.gz'), new Uint8Array(1000));
    const ocr = new PublishOcr(['eng'], work);
    try {
      const doc = await parsePptx(deck, 'deck.pptx', { imageOcr: ocr.hooks(() => {}).imageOcr });
      expect(doc.blocks.find((b) => b.text.startsWith('Text in picture:'))?.text).toMatch(/Chipper/);
    } finally {
      await ocr.close();
    }
  }, 120_000);

  it('takes only the languages the app ships', () => {
    expect(ocrLanguagesArg(undefined)).toEqual(['eng']);
    expect(ocrLanguagesArg('deu, eng,deu')).toEqual(['deu', 'eng']);
    expect(() => ocrLanguagesArg('klingon')).toThrow(/not klingon/);
    expect(() => ocrLanguagesArg(',')).toThrow(/not nothing/);
  });
});
