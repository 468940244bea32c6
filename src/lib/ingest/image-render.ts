// Draws the pictures of DOCX, PPTX and EPUB files in the ingest worker (OffscreenCanvas), for text recognition (OCR).
import { AppError } from '../errors';
import type { PageImage } from './pdf';
import { canvasImages } from './pdf-render';

/** No side of a drawn picture goes over this many pixels. */
const MAX_SIDE = 4096;
/** A picture whose longer side is under this is drawn twice as large: tesseract reads small text better so. */
const SMALL_SIDE = 1200;

/** Draws the picture on white (transparent parts would read as black), at a size tesseract reads well. */
export async function drawImageOffscreen(image: Blob): Promise<PageImage> {
  if (typeof OffscreenCanvas === 'undefined' || typeof createImageBitmap === 'undefined')
    throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it cannot draw pictures off screen' });
  const bitmap = await createImageBitmap(image);
  try {
    const longer = Math.max(bitmap.width, bitmap.height, 1);
    const scale = longer < SMALL_SIDE ? 2 : Math.min(1, MAX_SIDE / longer);
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it has no 2D canvas in workers' });
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    return await canvasImages(canvas);
  } finally {
    bitmap.close();
  }
}
