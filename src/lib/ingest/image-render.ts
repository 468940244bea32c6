// Draws the pictures of DOCX, PPTX and EPUB files in the ingest worker (OffscreenCanvas), for text recognition (OCR).
import { AppError } from '../errors';
import type { PageImage } from './pdf';

/** No side of a drawn picture goes over this many pixels. */
const MAX_SIDE = 4096;
/** A picture whose longer side is under this is drawn twice as large: tesseract reads small text better so. */
const SMALL_SIDE = 1200;

/** The scale a picture `width` × `height` is drawn at for recognition (publish draws with it too). */
export function pictureScale(width: number, height: number): number {
  const longer = Math.max(width, height, 1);
  return longer < SMALL_SIDE ? 2 : Math.min(1, MAX_SIDE / longer);
}

/** Draws the picture on white (transparent parts would read as black), at a size tesseract reads well. */
export async function drawImageOffscreen(image: Blob): Promise<PageImage> {
  if (typeof OffscreenCanvas === 'undefined' || typeof createImageBitmap === 'undefined')
    throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it cannot draw pictures off screen' });
  const bitmap = await createImageBitmap(image);
  try {
    const scale = pictureScale(bitmap.width, bitmap.height);
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it has no 2D canvas in workers' });
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    const png = await canvas.convertToBlob({ type: 'image/png' });
    canvas.width = canvas.height = 0;
    // A picture's image is never shown (the citation view shows pages): no JPEG preview is encoded for it.
    return { image: png, preview: png, width, height };
  } finally {
    bitmap.close();
  }
}
