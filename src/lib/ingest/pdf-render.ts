// Draws PDF pages with pdf.js into an OffscreenCanvas in the ingest worker, for text recognition (OCR) and the citation view.
import { AppError } from '../errors';
import type { PageImage, PdfjsPage } from './pdf';

/** JPEG quality of the page image kept for the citation view (the recognised text comes from the lossless PNG). */
const PREVIEW_QUALITY = 0.72;

interface CanvasAndContext {
  canvas: OffscreenCanvas | null;
  context: OffscreenCanvasRenderingContext2D | null;
}

/** pdf.js's canvas factory for a worker, where there is no document to make canvases in. */
class OffscreenCanvasFactory {
  constructor(_options: unknown) {}
  create(width: number, height: number): CanvasAndContext {
    if (width <= 0 || height <= 0) throw new Error('Invalid canvas size');
    const canvas = new OffscreenCanvas(width, height);
    return { canvas, context: canvas.getContext('2d', { willReadFrequently: true }) };
  }
  reset(c: CanvasAndContext, width: number, height: number): void {
    if (!c.canvas) throw new Error('Canvas is not specified');
    c.canvas.width = width;
    c.canvas.height = height;
  }
  destroy(c: CanvasAndContext): void {
    if (c.canvas) c.canvas.width = c.canvas.height = 0;
    c.canvas = null;
    c.context = null;
  }
}

/** pdf.js's filter factory without a document: colour-transfer filters are skipped (scans rarely use them). */
class NoFilterFactory {
  constructor(_options: unknown) {}
  addFilter(): string {
    return 'none';
  }
  addHCMFilter(): string {
    return 'none';
  }
  addAlphaFilter(): string {
    return 'none';
  }
  addLuminosityFilter(): string {
    return 'none';
  }
  addHighlightHCMFilter(): string {
    return 'none';
  }
  destroy(): void {}
}

/** getDocument parameters that let pdf.js draw inside a worker. */
export const offscreenDocumentParams = (): Record<string, unknown> => ({
  CanvasFactory: OffscreenCanvasFactory,
  FilterFactory: NoFilterFactory,
});

/** Draws `page` at `scale` on white: a PNG to recognise and a JPEG to show. */
export async function renderPageOffscreen(page: PdfjsPage, scale: number): Promise<PageImage> {
  if (typeof OffscreenCanvas === 'undefined' || !page.getViewport || !page.render)
    throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it cannot draw pages off screen' });
  const viewport = page.getViewport({ scale });
  const width = Math.max(1, Math.ceil(viewport.width));
  const height = Math.max(1, Math.ceil(viewport.height));
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d');
  if (!context) throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it has no 2D canvas in workers' });
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  await page.render({ canvas, canvasContext: context, viewport }).promise;
  return canvasImages(canvas);
}

/** A drawn canvas as a PNG to recognise and a JPEG to show; the canvas is emptied after. */
async function canvasImages(canvas: OffscreenCanvas): Promise<PageImage> {
  const { width, height } = canvas;
  const image = await canvas.convertToBlob({ type: 'image/png' });
  const preview = await canvas.convertToBlob({ type: 'image/jpeg', quality: PREVIEW_QUALITY });
  canvas.width = canvas.height = 0;
  return { image, preview, width, height };
}
