// PDF ingestion with pdf.js: loading (passwords, damaged pages), the title, and each page's text read into blocks.
import { AppError, type ErrorCode, causeOf } from '../errors';
import { assemble, fileStem } from './assemble';
import { blocksOfPages } from './pdf-blocks';
import { ocrBoxes, type OcrLine } from './ocr-layout';
import { boxesOf, dropRunningLines, rowsOf, type Box, type PdfjsTextItem, type PdfjsTextStyles } from './pdf-layout';
import { walkOperators } from './pdf-ops';
import { shortRules, withUnderscores } from './pdf-underscores';
import type { OcrPageRef, ParsedDocument } from './types';

export { isGlyphGarbage } from './pdf-blocks';

// The slice of the pdf.js API this module uses, so that either build (modern or legacy) can be passed in.
export type { PdfjsTextItem };
export interface PdfjsPage {
  getTextContent(
    params?: Record<string, unknown>,
  ): Promise<{ items: ReadonlyArray<PdfjsTextItem | { type: string }>; styles?: PdfjsTextStyles }>;
  /** The page's drawing operations (asked only of pages without text, to tell a scan from a blank page). */
  getOperatorList?(
    params?: Record<string, unknown>,
  ): Promise<{ fnArray: ArrayLike<number>; argsArray: ArrayLike<unknown> }>;
  cleanup(): unknown;
  /** The page's size at a scale (points at 1), for rendering and for placing recognised text. */
  getViewport?(params: { scale: number }): { width: number; height: number };
  render?(params: Record<string, unknown>): { promise: Promise<void>; cancel(): void };
}
export interface PdfjsDocument {
  numPages: number;
  getPage(pageNumber: number): Promise<PdfjsPage>;
  getMetadata(): Promise<{ info: unknown }>;
  destroy(): Promise<void>;
}
export interface PdfjsModule {
  getDocument(src: Record<string, unknown>): { promise: Promise<PdfjsDocument>; destroy(): Promise<void> };
  /** pdf.js's operation codes by name. */
  OPS?: Record<string, number>;
  AnnotationMode?: { DISABLE: number };
}

/** An image of this many pixels is a page scan wherever it is drawn. */
const SCAN_PIXELS = 250_000;
/**
 * A smaller image is a scan when drawn over this share of the page: single_table.pdf's scanned table is a 158 × 767
 * pixel image drawn over 9 % of its page.
 */
const SCAN_AREA = 0.05;
/** …and it still has this many pixels: a logo or an icon stretched over the page is not text. */
const SCAN_MIN_PIXELS = 50_000;
/**
 * Text-less pages whose drawing is inspected at most, of each kind (no text; a few characters), until one is a scan:
 * each inspection holds one page's operator list for a moment. Blank back pages and stamped or titled pages come
 * before a scan in real reports, so a few more than the first two are looked at.
 */
const SCAN_CHECKS = 8;

/**
 * Whether a page without text draws a scan: an image of SCAN_PIXELS, or a smaller one (SCAN_MIN_PIXELS) drawn over
 * SCAN_AREA of the page, following the drawing's transforms. Not a blank page, a logo or an icon.
 */
async function drawsScan(page: PdfjsPage, pdfjs: PdfjsModule): Promise<boolean> {
  const ops = pdfjs.OPS;
  if (!ops || !page.getOperatorList) return false;
  const { fnArray, argsArray } = await page.getOperatorList({
    ...(pdfjs.AnnotationMode && { annotationMode: pdfjs.AnnotationMode.DISABLE }),
  });
  const size = page.getViewport?.({ scale: 1 });
  const pageArea = size ? size.width * size.height : 0;
  const xobject = new Set([ops.paintImageXObject, ops.paintImageXObjectRepeat, ops.paintJpegXObject]);
  return walkOperators({ fnArray, argsArray }, ops, (fn, args, ctm) => {
    // paintImageXObject(id, width, height); an inline image carries its own width and height.
    const [w, h] = xobject.has(fn)
      ? [Number(args?.[1]), Number(args?.[2])]
      : fn === ops.paintInlineImageXObject
        ? [Number((args?.[0] as { width?: number })?.width), Number((args?.[0] as { height?: number })?.height)]
        : [0, 0];
    const pixels = w * h;
    if (pixels >= SCAN_PIXELS) return true;
    // An image fills the unit square of the current transform: its area on the page is the determinant's size.
    const drawn = Math.abs(ctm[0] * ctm[3] - ctm[1] * ctm[2]);
    return pixels >= SCAN_MIN_PIXELS && pageArea > 0 && drawn >= SCAN_AREA * pageArea;
  });
}

/**
 * The page's text items with the underscores it draws as rules put back (pdf-underscores.ts), on pages that hold an
 * e-mail address (an "@" and a space between word characters): reading a page's drawing doubled the parse time of
 * tracemonkey.pdf when done on every page, and addresses are where such a gap changes what the text says.
 */
async function drawnUnderscores(
  page: PdfjsPage,
  pdfjs: PdfjsModule,
  items: ReadonlyArray<PdfjsTextItem | { type: string }>,
): Promise<ReadonlyArray<PdfjsTextItem | { type: string }>> {
  const text = items.filter((it): it is PdfjsTextItem => 'str' in it);
  if (!pdfjs.OPS || !page.getOperatorList) return items;
  if (!text.some((it) => it.str.includes('@')) || !text.some((it) => WORD_SPACE.test(it.str))) return items;
  const list = await page
    .getOperatorList({ ...(pdfjs.AnnotationMode && { annotationMode: pdfjs.AnnotationMode.DISABLE }) })
    .catch(() => null);
  try {
    const rules = list ? shortRules(list, pdfjs.OPS) : [];
    return rules.length === 0 ? items : withUnderscores(text, rules);
  } catch {
    // A drawing this reading does not expect costs the page its underscores, not its text.
    return items;
  }
}
const WORD_SPACE = /\w \w/;

/** Fewer letters and digits than this on a page, and it is read as having no text (a scan may carry a stamp). */
const SPARSE_TEXT = 16;

/** Letters and digits in a page's text layer, counted up to `cap`. */
function lettersIn(rows: Box[][], cap = Infinity): number {
  let n = 0;
  for (const row of rows)
    for (const box of row) for (const ch of box.text) if (/[\p{L}\p{N}]/u.test(ch) && ++n >= cap) return n;
  return n;
}

/** A page drawn as an image for recognition. */
export interface PageImage {
  /** Lossless, for recognition. */
  image: Blob;
  /** Smaller, for the citation view. */
  preview: Blob;
  width: number;
  height: number;
}

/** Draws a pdf.js page at a scale into an image (the app: an OffscreenCanvas in the ingest worker). */
export type PageRenderer = (page: PdfjsPage, scale: number) => Promise<PageImage>;

/** Recognising scanned pages (OCR), supplied by the caller. */
export interface PdfOcr {
  /** Whether OCR can run here at all; when not, nothing is offered and the scanned pages are warned about. */
  available(): boolean;
  /** Pages without a text layer, of which at least one draws a scan: resolves whether to recognise them. */
  offer(pages: readonly number[]): Promise<boolean>;
  render: PageRenderer;
  /** getDocument parameters rendering needs (a worker's canvas factory). */
  documentParams?: Record<string, unknown>;
  /** Recognises one rendered page (the `done`-th of `total`); `key` names its result in the OCR cache. */
  recognise(image: PageImage, page: number, done: number, total: number): Promise<{ key: string; lines: OcrLine[] }>;
}

/** Rendering scale for recognition: 144 dpi, where the measured error rate was 4 % (test/eval/ocr.ts). */
export const OCR_SCALE = 2;
/** No side of a rendered page goes over this many pixels (a poster-sized page is drawn smaller). */
const MAX_RENDER_SIDE = 4096;

export type PdfjsLoader = () => Promise<PdfjsModule>;

export interface PdfOptions {
  password?: string;
  /**
   * Returns the pdf.js module to use. Defaults to the modern build running in the calling thread (we are
   * already in a worker). Node callers pass the legacy build: () => import('pdfjs-dist/legacy/build/pdf.mjs').
   */
  loadPdfjs?: PdfjsLoader;
  /** Extra getDocument parameters (e.g. cMapUrl for CJK fonts). */
  documentParams?: Record<string, unknown>;
  /** Recognising pages that are scans; without it they stay empty and the user is warned. */
  ocr?: PdfOcr;
}

/**
 * The default loader for the app's ingest worker. Registering the worker module as globalThis.pdfjsWorker
 * makes pdf.js parse in this thread instead of starting a nested worker (which it cannot do from a worker).
 * Importing that module also makes pdf.js post one "ready" message to our parent; the RPC client ignores it.
 */
export const loadPdfjsInWorker: PdfjsLoader = async () => {
  const [pdfjs, worker] = await Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.mjs')]);
  (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
  return pdfjs as unknown as PdfjsModule;
};

/**
 * Renders and recognises `numbers` (text-less pages), replacing each one's rows with the recognised words laid out
 * as a text layer would be. A page that cannot be drawn or read fails the import (OCR_FAILED): a document is never
 * stored with some of its scanned pages silently missing.
 */
async function recognisePages(
  doc: PdfjsDocument,
  numbers: readonly number[],
  pages: { page: number; rows: Box[][] }[],
  ocr: PdfOcr,
  fileName: string,
): Promise<OcrPageRef[]> {
  const refs: OcrPageRef[] = [];
  for (const [i, n] of numbers.entries()) {
    const page = await doc.getPage(n);
    try {
      const size = page.getViewport?.({ scale: 1 });
      if (!size || !page.render) throw new Error('this build of pdf.js cannot draw pages');
      const scale = Math.min(OCR_SCALE, MAX_RENDER_SIDE / Math.max(size.width, size.height, 1));
      const image = await ocr.render(page, scale);
      const { key, lines } = await ocr.recognise(image, n, i, numbers.length);
      const entry = pages.find((p) => p.page === n);
      const read = rowsOf(ocrBoxes(lines, size.width, size.height));
      // A page with a few characters of its own (a title page, a stamp) keeps them unless recognition read clearly
      // more: OCR reads that text too, give or take a misread letter.
      const own = lettersIn(entry?.rows ?? []);
      if (entry && lettersIn(read) >= (own === 0 ? 1 : own + SPARSE_TEXT)) {
        entry.rows = read;
        refs.push({ page: n, key });
      }
    } catch (err) {
      // A cancel, or OCR that cannot run here, says so itself; anything else is this page's failure.
      if (err instanceof AppError) throw err;
      throw new AppError('OCR_FAILED', undefined, { fileName, page: n, reason: causeOf(err).slice(0, 200) });
    } finally {
      page.cleanup();
    }
  }
  return refs;
}

function errorCodeFor(err: unknown, passwordGiven: boolean): ErrorCode {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'PasswordException') {
    const code = (err as { code?: unknown }).code;
    // pdf.js: 1 = a password is needed, 2 = the one given is wrong.
    return code === 2 || (code !== 1 && passwordGiven) ? 'PDF_PASSWORD_INCORRECT' : 'PDF_PASSWORD_REQUIRED';
  }
  return 'PDF_INVALID';
}

function hasPdfHeader(bytes: Uint8Array): boolean {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  return head.includes('%PDF-');
}

/** A plausible document title from the PDF's Info dictionary, or undefined. */
function metadataTitle(info: unknown): string | undefined {
  const raw = typeof info === 'object' && info !== null ? (info as { Title?: unknown }).Title : undefined;
  if (typeof raw !== 'string') return undefined;
  const title = raw.replace(/^Microsoft (?:Word|PowerPoint) - /i, '').trim();
  if (title === '' || /^untitled$/i.test(title) || /\.(?:docx?|pdf|tex|dvi|ps|indd|rtf)$/i.test(title))
    return undefined;
  return title;
}

export async function parsePdf(bytes: Uint8Array, fileName: string, opts: PdfOptions = {}): Promise<ParsedDocument> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  if (!hasPdfHeader(bytes)) throw new AppError('PDF_INVALID', undefined, { fileName, reason: 'no %PDF header' });
  const pdfjs = await (opts.loadPdfjs ?? loadPdfjsInWorker)();
  const passwordGiven = opts.password !== undefined && opts.password !== '';
  const task = pdfjs.getDocument({
    // pdf.js may transfer (detach) the buffer it is given; the caller keeps its bytes.
    data: bytes.slice(),
    password: opts.password,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    disableAutoFetch: true,
    disableStream: true,
    stopAtErrors: false,
    verbosity: 0,
    ...opts.ocr?.documentParams,
    ...opts.documentParams,
  });
  let doc: PdfjsDocument;
  try {
    doc = await task.promise;
  } catch (err) {
    await task.destroy().catch(() => {});
    const code = errorCodeFor(err, passwordGiven);
    const reason = causeOf(err);
    throw new AppError(code, undefined, { fileName, reason: reason.slice(0, 200) });
  }

  try {
    const warnings: ErrorCode[] = [];
    const pages: { page: number; rows: Box[][]; rotated: string[] }[] = [];
    const textless: number[] = [];
    let failedPages = 0;
    let scannedPages = 0;
    // Pages with no text at all and pages with a few characters (a scan's stamp, or a title) are inspected on
    // separate budgets, so a document of short title pages still has its text-less pages inspected.
    let emptyChecks = 0;
    let sparseChecks = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent({ includeMarkedContent: false });
        const items = await drawnUnderscores(page, pdfjs, content.items);
        const { boxes, rotated } = boxesOf(items, content.styles);
        const rows = rowsOf(boxes);
        // One scanned page is enough to warn; at most SCAN_CHECKS text-less pages are inspected.
        const letters = lettersIn(rows, SPARSE_TEXT);
        if (letters < SPARSE_TEXT) {
          textless.push(n);
          const checks = letters === 0 ? emptyChecks++ : sparseChecks++;
          if (scannedPages === 0 && checks < SCAN_CHECKS && (await drawsScan(page, pdfjs).catch(() => false)))
            scannedPages++;
        }
        page.cleanup();
        pages.push({ page: n, rows, rotated });
      } catch {
        // A damaged page should not cost the rest of the document.
        failedPages++;
      }
    }
    if (failedPages === doc.numPages && doc.numPages > 0) {
      throw new AppError('PDF_INVALID', undefined, { fileName, reason: 'no page could be read' });
    }
    if (failedPages > 0) warnings.push('PDF_PAGES_SKIPPED');
    let ocrPages: OcrPageRef[] = [];
    const ocr = opts.ocr?.available() ? opts.ocr : undefined;
    if (scannedPages > 0 && ocr && (await ocr.offer(textless))) {
      const layer = pages.map((p) => p.rows);
      try {
        ocrPages = await recognisePages(doc, textless, pages, ocr, fileName);
      } catch (err) {
        // OCR could not run here (offline before its files were ever fetched, say): the text pages are still added,
        // as read before any page was recognised, with a warning; a PDF of scans alone says why it could not be read.
        const unavailable = err instanceof AppError && err.code === 'OCR_UNAVAILABLE';
        if (!unavailable || pages.every((p) => textless.includes(p.page))) throw err;
        pages.forEach((p, i) => (p.rows = layer[i]!));
        warnings.push('OCR_SKIPPED');
      }
    } else if (scannedPages > 0 && scannedPages + failedPages < doc.numPages) {
      // Some pages are pictures of text: the rest is added, and the user is told those pages' text is missing.
      warnings.push('PDF_PAGES_SCANNED');
    }

    dropRunningLines(pages);

    const drafts = blocksOfPages(pages);
    if (!drafts.some((d) => /[\p{L}\p{N}]/u.test(d.text))) {
      throw new AppError('PDF_NO_TEXT', undefined, { fileName, pages: doc.numPages });
    }
    const meta = await doc.getMetadata().catch(() => ({ info: undefined }));
    const firstHeading = drafts.find((d) => d.kind === 'heading' && d.page === 1);
    const title = metadataTitle(meta.info) ?? firstHeading?.text ?? fileStem(fileName);
    const parsed = assemble('pdf', title, drafts, { warnings, pageCount: doc.numPages });
    return ocrPages.length > 0 ? { ...parsed, ocrPages } : parsed;
  } finally {
    await doc.destroy().catch(() => {});
  }
}
