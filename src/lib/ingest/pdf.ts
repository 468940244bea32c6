// PDF ingestion with pdf.js: loading (passwords, damaged pages), the title, and each page's text read into blocks.
import { AppError, type ErrorCode, causeOf } from '../errors';
import { assemble, fileStem } from './assemble';
import { blocksOfPages } from './pdf-blocks';
import { boxesOf, dropRunningLines, rowsOf, type Box, type PdfjsTextItem, type PdfjsTextStyles } from './pdf-layout';
import type { ParsedDocument } from './types';

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

/** Fewest pixels an image needs to be a page scan: a logo, a signature or an icon is smaller. */
const SCAN_PIXELS = 250_000;
/** Text-less pages whose drawing is inspected at most: each inspection holds the page's whole operator list. */
const SCAN_CHECKS = 2;

/** Whether a page without text draws a page-sized image (a scanned page, not a blank page or a logo). */
async function drawsScan(page: PdfjsPage, pdfjs: PdfjsModule): Promise<boolean> {
  const ops = pdfjs.OPS;
  if (!ops || !page.getOperatorList) return false;
  const { fnArray, argsArray } = await page.getOperatorList({
    ...(pdfjs.AnnotationMode && { annotationMode: pdfjs.AnnotationMode.DISABLE }),
  });
  const xobject = new Set([ops.paintImageXObject, ops.paintImageXObjectRepeat, ops.paintJpegXObject]);
  for (let i = 0; i < fnArray.length; i++) {
    const fn = fnArray[i]!;
    const args = argsArray[i] as unknown[] | undefined;
    // paintImageXObject(id, width, height); an inline image carries its own width and height.
    const [w, h] = xobject.has(fn)
      ? [Number(args?.[1]), Number(args?.[2])]
      : fn === ops.paintInlineImageXObject
        ? [Number((args?.[0] as { width?: number })?.width), Number((args?.[0] as { height?: number })?.height)]
        : [0, 0];
    if (w * h >= SCAN_PIXELS) return true;
  }
  return false;
}

const hasText = (rows: Box[][]) => rows.some((row) => row.some((box) => /[\p{L}\p{N}]/u.test(box.text)));
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
    let failedPages = 0;
    let scannedPages = 0;
    let scanChecks = 0;
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent({ includeMarkedContent: false });
        const { boxes, rotated } = boxesOf(content.items, content.styles);
        const rows = rowsOf(boxes);
        // One scanned page is enough to warn; at most SCAN_CHECKS text-less pages are inspected.
        if (!hasText(rows) && scannedPages === 0 && scanChecks < SCAN_CHECKS) {
          scanChecks++;
          if (await drawsScan(page, pdfjs).catch(() => false)) scannedPages++;
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
    // Some pages are pictures of text: the rest is added, and the user is told those pages' text is missing.
    if (scannedPages > 0 && scannedPages + failedPages < doc.numPages) warnings.push('PDF_PAGES_SCANNED');

    dropRunningLines(pages);

    const drafts = blocksOfPages(pages);
    if (!drafts.some((d) => /[\p{L}\p{N}]/u.test(d.text))) {
      throw new AppError('PDF_NO_TEXT', undefined, { fileName, pages: doc.numPages });
    }
    const meta = await doc.getMetadata().catch(() => ({ info: undefined }));
    const firstHeading = drafts.find((d) => d.kind === 'heading' && d.page === 1);
    const title = metadataTitle(meta.info) ?? firstHeading?.text ?? fileStem(fileName);
    return assemble('pdf', title, drafts, { warnings, pageCount: doc.numPages });
  } finally {
    await doc.destroy().catch(() => {});
  }
}
