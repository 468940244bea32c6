// `lectern publish --ocr`: scanned PDF pages and the pictures of DOCX, PPTX and EPUB files recognised at publish time, in Node, with the app's own tesseract.js settings and language data.
import { createCanvas, loadImage, type Canvas } from '@napi-rs/canvas';
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { OCR_LANGUAGES } from '../../src/lib/config/ocr-languages';
import { AppError, causeOf } from '../../src/lib/errors';
import { pictureScale } from '../../src/lib/ingest/image-render';
import type { ImageOcr } from '../../src/lib/ingest/image-text';
import { OCR_LAYOUT_VERSION, ocrLinesOf, type TesseractBlocks } from '../../src/lib/ingest/ocr-layout';
import type { PageImage, PdfOcr } from '../../src/lib/ingest/pdf';
import { OCR_MODEL } from '../../src/lib/models/ocr/tesseract';
import { UserError } from './user-error';

const require = createRequire(import.meta.url);

interface Worker {
  recognize(image: Buffer, options: object, output: object): Promise<{ data: TesseractBlocks }>;
  setParameters(params: Record<string, string>): Promise<unknown>;
  terminate(): Promise<unknown>;
}

/** The languages `--ocr-lang` names (comma-separated tesseract codes), checked against those the app ships. */
export function ocrLanguagesArg(value: string | undefined): string[] {
  const codes = (value ?? 'eng')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const known = new Set<string>(OCR_LANGUAGES.map((l) => l.code));
  const unknown = codes.filter((c) => !known.has(c));
  if (codes.length === 0 || unknown.length > 0)
    throw new UserError(
      `--ocr-lang takes tesseract codes from ${[...known].join(', ')}; not ${unknown.join(', ') || 'nothing'}.`,
    );
  return [...new Set(codes)];
}

/** Recognition for one publish run: one tesseract.js worker, started on the first page or picture and ended by close. */
export class PublishOcr {
  /** What recognised text depends on: part of each document's cache key. */
  readonly settings: string;
  private worker: Promise<Worker> | null = null;

  constructor(
    private readonly languages: readonly string[],
    private readonly cacheDir: string,
  ) {
    this.settings = `${OCR_MODEL} ${languages.join('+')} layout ${OCR_LAYOUT_VERSION}`;
  }

  /** The PDF reader's and the picture readers' hooks: the author asked by giving --ocr, so nothing is asked again. */
  hooks(stage: (s: string) => void): { ocr: PdfOcr; imageOcr: ImageOcr } {
    return {
      ocr: {
        available: () => true,
        offer: async () => true,
        render: async (page, scale) => {
          const viewport = page.getViewport!({ scale });
          const canvas = whiteCanvas(viewport.width, viewport.height);
          await page.render!({ canvas, canvasContext: canvas.getContext('2d'), viewport }).promise;
          return pageImage(canvas);
        },
        recognise: (image, _page, done, total) => this.read(image, done, total, stage),
      },
      imageOcr: {
        available: () => true,
        offer: async () => true,
        recognise: async (image, done, total) => {
          const picture = await loadImage(Buffer.from(await image.arrayBuffer()));
          // At the scale the app draws pictures at.
          const scale = pictureScale(picture.width, picture.height);
          const canvas = whiteCanvas(picture.width * scale, picture.height * scale);
          canvas.getContext('2d').drawImage(picture, 0, 0, canvas.width, canvas.height);
          return this.read(pageImage(canvas), done, total, stage);
        },
      },
    };
  }

  /** Ends the worker, if one started; never throws (a worker that failed to start has nothing to end). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.then((w) => w.terminate()).catch(() => {});
  }

  private async read(image: PageImage, done: number, total: number, stage: (s: string) => void) {
    stage(`recognising ${done + 1}/${total}`);
    const starting = (this.worker ??= this.start());
    // A start that failed is tried again by the next file, not remembered for the rest of the run.
    const worker = await starting.catch((err: unknown) => {
      if (this.worker === starting) this.worker = null;
      throw err;
    });
    const png = Buffer.from(await image.image.arrayBuffer());
    const { data } = await worker.recognize(png, {}, { blocks: true, text: false }).catch(async (err: unknown) => {
      // A worker that failed a page may be broken: the next page starts a new one.
      if (this.worker === starting) this.worker = null;
      await worker.terminate().catch(() => {});
      throw err;
    });
    return { key: '', lines: ocrLinesOf(data, image.width, image.height) };
  }

  /**
   * A worker reading the app's languages (LSTM best_int, as shipped) from one folder, as tesseract.js needs them; a
   * failure to start is OCR_UNAVAILABLE (the file is then left out, and the next one tries again).
   */
  private async start(): Promise<Worker> {
    const langDir = join(this.cacheDir, 'ocr-lang');
    let worker: Worker | undefined;
    try {
      mkdirSync(langDir, { recursive: true });
      for (const code of this.languages) {
        const source = join(
          dirname(require.resolve(`@tesseract.js-data/${code}/package.json`)),
          '4.0.0_best_int',
          `${code}.traineddata.gz`,
        );
        // Copied afresh by each run, whole or not at all (a few MB): data left damaged by an earlier run cut short is
        // never read, since tesseract.js fails on bad data in a way Node cannot catch (a throw in its message handler).
        const target = join(langDir, `${code}.traineddata.gz`);
        const partial = `${target}.${process.pid}.tmp`;
        try {
          copyFileSync(source, partial);
          renameSync(partial, target);
        } finally {
          rmSync(partial, { force: true });
        }
      }
      const { createWorker, OEM, PSM } = await import('tesseract.js');
      worker = (await createWorker([...this.languages], OEM.LSTM_ONLY, {
        langPath: langDir,
        gzip: true,
        cacheMethod: 'none',
        // Without it tesseract.js rethrows a failed job inside its message listener: in Node an uncaught exception
        // that ends the process, whatever catches the job's promise.
        errorHandler: () => {},
      })) as unknown as Worker;
      // Full page layout analysis (PSM 3), as the app: the API's default reads two columns across as one.
      // Tesseract's notes ("Estimating resolution as 257") go nowhere instead of into the author's terminal.
      await worker.setParameters({ tessedit_pageseg_mode: PSM.AUTO, debug_file: '/dev/null' });
      return worker;
    } catch (err) {
      await worker?.terminate().catch(() => {});
      throw new AppError('OCR_UNAVAILABLE', undefined, { reason: causeOf(err).slice(0, 200) });
    }
  }
}

function whiteCanvas(width: number, height: number): Canvas {
  const canvas = createCanvas(Math.max(1, Math.ceil(width)), Math.max(1, Math.ceil(height)));
  const g = canvas.getContext('2d');
  g.fillStyle = '#fff';
  g.fillRect(0, 0, canvas.width, canvas.height);
  return canvas;
}

/** The canvas as a PNG; a published library keeps no page images, so the preview is the same image. */
function pageImage(canvas: Canvas): PageImage {
  const image = new Blob([canvas.toBuffer('image/png') as BlobPart], { type: 'image/png' });
  return { image, preview: image, width: canvas.width, height: canvas.height };
}
