// OCR measurement (#16): renders PDF pages with pdf.js, recognises them with tesseract.js's WASM core (the build the app will ship), and prints character error rate and pages per second as one JSON line.
import { createCanvas } from '@napi-rs/canvas';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import { createWorker, OEM, PSM } from 'tesseract.js';
import { parsePdf, type PdfjsModule } from '../../src/lib/ingest/pdf';
import { cer, normalise } from './cer';

const require = createRequire(import.meta.url);

const USAGE =
  'usage: eval:ocr --pdf <file> [--pages 1-3] [--scale 2] [--model best_int|standard] [--truth <text file>] [--psm 3] [--show]\n' +
  "  Without --truth each page is scored against the app's reading of its text layer (a text PDF rendered and read back);\n" +
  '  with it, the recognised text of all pages is scored against the file (a scanned PDF transcribed by hand).';

interface Args {
  pdf: string;
  pages?: [number, number];
  scale: number;
  model: 'best_int' | 'standard';
  truth?: string;
  /** Tesseract's page segmentation mode (default 3, full layout analysis). */
  psm: PSM;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const pdf = get('pdf');
  if (!pdf) throw new Error(USAGE);
  const range = get('pages')?.split('-').map(Number);
  const scale = Number(get('scale') ?? '2');
  if (range && !(range.every((n) => Number.isInteger(n) && n >= 1) && (range[1] ?? range[0]!) >= range[0]!))
    throw new Error(`--pages takes 1-based page numbers, "3" or "2-5"\n${USAGE}`);
  if (!(scale > 0 && scale <= 8)) throw new Error(`--scale takes a number from 0 to 8\n${USAGE}`);
  const model = get('model') ?? 'best_int';
  if (model !== 'best_int' && model !== 'standard') throw new Error(USAGE);
  return {
    pdf,
    ...(range && { pages: [range[0]!, range[1] ?? range[0]!] as [number, number] }),
    scale,
    psm: (get('psm') ?? PSM.AUTO) as PSM,
    model,
    ...(get('truth') && { truth: get('truth') }),
  };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const pdfjsDir = path.dirname(require.resolve('pdfjs-dist/package.json'));
  const doc = await pdfjs.getDocument({
    data: new Uint8Array(readFileSync(args.pdf)),
    isEvalSupported: false,
    // Fonts a PDF names without embedding them are drawn from pdf.js's own copies, as in the app.
    standardFontDataUrl: `${path.join(pdfjsDir, 'standard_fonts')}/`,
  }).promise;
  const [first, last] = args.pages ?? [1, doc.numPages];
  // The reference for a text PDF: the app's own reading of each page's text layer (reading order, words joined).
  const layerText = new Map<number, string>();
  if (!args.truth) {
    const parsed = await parsePdf(new Uint8Array(readFileSync(args.pdf)), path.basename(args.pdf), {
      loadPdfjs: async () => pdfjs as unknown as PdfjsModule,
    });
    for (const b of parsed.blocks) layerText.set(b.page!, `${layerText.get(b.page!) ?? ''}\n${b.text}`);
  }
  const langDir = path.join(path.dirname(require.resolve('@tesseract.js-data/eng/package.json')), '4.0.0');
  const worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath: args.model === 'best_int' ? `${langDir}_best_int` : langDir,
    gzip: true,
    cacheMethod: 'none',
  });
  // Tesseract's API defaults to one uniform block (PSM 6), which reads two columns across; its CLI's default, full
  // page layout analysis (PSM 3), finds the columns.
  await worker.setParameters({ tessedit_pageseg_mode: args.psm });
  const pages: { page: number; cer?: number; chars: number; renderMs: number; ocrMs: number }[] = [];
  let recognisedAll = '';
  try {
    for (let n = first; n <= last; n++) {
      const page = await doc.getPage(n);
      const started = performance.now();
      const viewport = page.getViewport({ scale: args.scale });
      const canvas = createCanvas(Math.ceil(viewport.width), Math.ceil(viewport.height));
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = 'white';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      await page.render({ canvas: canvas as never, canvasContext: ctx as never, viewport }).promise;
      const png = canvas.toBuffer('image/png');
      const rendered = performance.now();
      const { data } = await worker.recognize(png);
      const recognisedAt = performance.now();
      recognisedAll += `${data.text}\n`;
      const layer = layerText.get(n) ?? '';
      const score = args.truth ? undefined : cer(layer, data.text);
      pages.push({
        page: n,
        ...(score !== undefined && { cer: Math.round(score * 10000) / 10000 }),
        chars: normalise(args.truth ? data.text : layer).length,
        renderMs: Math.round(rendered - started),
        ocrMs: Math.round(recognisedAt - rendered),
      });
      process.stderr.write(`ocr: page ${n} ${JSON.stringify(pages.at(-1))}\n`);
      if (argv.includes('--show'))
        process.stderr.write(`  layer: ${normalise(layer)}\n  ocr:   ${normalise(data.text)}\n`);
      page.cleanup();
    }
  } finally {
    await worker.terminate();
    await doc.destroy();
  }
  const ocrSeconds = pages.reduce((s, p) => s + p.ocrMs, 0) / 1000;
  const scored = pages.filter((p) => p.cer !== undefined);
  // Without --truth, CER over all pages weighs each page by its reference length.
  const overall = args.truth
    ? cer(readFileSync(args.truth, 'utf8'), recognisedAll)
    : scored.reduce((s, p) => s + p.cer! * p.chars, 0) /
      Math.max(
        1,
        scored.reduce((s, p) => s + p.chars, 0),
      );
  process.stdout.write(
    `${JSON.stringify({
      pdf: path.basename(args.pdf),
      pages: pages.length,
      scale: args.scale,
      model: `eng ${args.model} (LSTM)`,
      psm: Number(args.psm),
      cer: Math.round(overall * 10000) / 10000,
      pages_per_s: Math.round((pages.length / ocrSeconds) * 1000) / 1000,
      ocr_ms_p50: pages.map((p) => p.ocrMs).sort((a, b) => a - b)[Math.floor(pages.length / 2)],
      per_page: pages,
    })}\n`,
  );
  return 0;
}
