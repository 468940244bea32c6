// Text in the pictures of DOCX, PPTX and EPUB files, recognised (OCR) only when the user says yes: which pictures, and where their text goes.
import { AppError, type ErrorCode } from '../errors';
import type { BlockDraft } from './assemble';
import { sha256Hex } from './hash';
import type { OcrLine } from './ocr-layout';
import type { OcrPageRef } from './types';

/** A picture as a document holds it, and where it stands among the document's blocks. */
export interface EmbeddedImage {
  /**
   * Its part in the archive: a picture shown twice (a logo on every slide) is read once, where it first stands.
   * Without it (mammoth does not say), pictures with the same bytes are.
   */
  part?: string;
  /** Its media type (image/png …), from the part's extension or the document's content types. */
  mediaType: string;
  /** Its bytes, inflated only when asked: undefined when the archive cannot give them. */
  read(): Promise<Uint8Array | undefined>;
  /** The index in the document's blocks its text goes before (the blocks' length: after the last). */
  at: number;
  /** The slide or page it is on, when the format has them. */
  page?: number;
  /**
   * Blocks that stand before its text only when some picture sharing them has text: the heading of a slide or chapter
   * that holds nothing but pictures, which is not added for nothing when the pictures are not read.
   */
  before?: readonly BlockDraft[];
}

/** Recognising pictures (OCR), supplied by the caller. */
export interface ImageOcr {
  /** Whether OCR can run here at all; when not, pictures are left unread, as they were before. */
  available(): boolean;
  /** Resolves whether to recognise the text in `count` pictures. */
  offer(count: number): Promise<boolean>;
  /** Recognises one picture (the `done`-th of `total`); `key` names its result in the OCR cache. */
  recognise(image: Blob, done: number, total: number): Promise<{ key: string; lines: OcrLine[] }>;
}

/** Picture types every current browser decodes, by file extension. */
const IMAGE_TYPES: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  gif: 'image/gif',
  bmp: 'image/bmp',
  webp: 'image/webp',
};
const DECODABLE = new Set(Object.values(IMAGE_TYPES));
/** Smaller files are bullets, rules and icons. */
const MIN_BYTES = 2048;
/** A picture holding readable text has at least this many pixels (about 200 × 200), and no side under MIN_SIDE. */
const MIN_PIXELS = 40_000;
const MIN_SIDE = 32;
/** Larger pictures are photographs, and decoding one would hold this many pixels × 4 bytes: they are left unread. */
const MAX_PIXELS = 25_000_000;
/** Nor is a picture with a side over this (browsers refuse to draw a canvas much larger). */
const MAX_SIDE = 16_384;
/** At most this many pictures are offered per file: a photo book's hundreds would take an hour. */
export const MAX_PICTURES = 50;
/** The picture formats, as image-size names them, that every current browser decodes. */
const DRAWN = new Set(['png', 'jpg', 'gif', 'bmp', 'webp']);
/**
 * At most this many places where pictures stand are looked at, and at most MAX_READ bytes of pictures read, whatever the
 * file: a small DOCX can name one large picture thousands of times, each read separately (mammoth names no part).
 */
const MAX_EXAMINED = 4 * MAX_PICTURES;
const MAX_READ = 128 * 1024 * 1024;
/** Recognised text with fewer letters and digits than this is a photo's noise, not text: it is left out. */
const MIN_LETTERS = 8;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/gu;

/** Whether browsers decode pictures of this media type (and so whether one is worth reading). */
export const isDecodable = (mediaType: string): boolean => DECODABLE.has(mediaType.toLowerCase());

/** The media type of a part named `path`, by its extension; undefined for a type browsers do not decode. */
export function imageTypeOf(path: string): string | undefined {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? undefined : IMAGE_TYPES[path.slice(dot + 1).toLowerCase()];
}

/** How recognised picture text stands in a document: one paragraph, its lines kept, marked as a picture's. */
export function pictureText(lines: readonly OcrLine[]): string | undefined {
  const text = lines
    .map((l) => l.text)
    .join('\n')
    .trim();
  return (text.match(LETTER_OR_DIGIT)?.length ?? 0) >= MIN_LETTERS ? `Text in picture: ${text}` : undefined;
}

/** The picture's size in pixels from its header (image-size), or undefined when it is not a picture it knows. */
function sizeOf(
  bytes: Uint8Array,
  imageSize: (bytes: Uint8Array) => { width?: number; height?: number; type?: string },
): { width: number; height: number } | undefined {
  try {
    // A picture named .png may be a TIFF or a HEIC inside, which image-size reads and browsers do not draw.
    const { width, height, type } = imageSize(bytes);
    return width && height && DRAWN.has(type ?? '') ? { width, height } : undefined;
  } catch {
    return undefined;
  }
}

export interface ImageTextResult {
  blocks: BlockDraft[];
  /** The recognised pictures, for the OCR cache (page 0 where the format has no pages). */
  refs: OcrPageRef[];
  warnings: ErrorCode[];
}

/**
 * Offers to recognise the document's pictures that could hold text; when the user says yes, each one's text is added
 * as a paragraph where the picture stands. A picture that cannot be drawn or read is left out with a warning
 * (OCR_PICTURES_FAILED), and so are all of them when OCR cannot run at all (OCR_IMAGES_SKIPPED); a cancel ends the
 * import.
 */
export async function withImageText(
  blocks: BlockDraft[],
  images: readonly EmbeddedImage[],
  ocr: ImageOcr | undefined,
): Promise<ImageTextResult> {
  const none: ImageTextResult = { blocks, refs: [], warnings: [] };
  if (!ocr?.available() || images.length === 0) return none;
  const picked: { image: EmbeddedImage; blob: Blob }[] = [];
  const seen = new Set<string>();
  let examined = 0;
  let bytesRead = 0;
  let imageSize: Parameters<typeof sizeOf>[1] | undefined;
  for (const image of images) {
    if (picked.length >= MAX_PICTURES || examined >= MAX_EXAMINED || bytesRead >= MAX_READ) break;
    if (!isDecodable(image.mediaType) || (image.part !== undefined && seen.has(image.part))) continue;
    if (image.part !== undefined) seen.add(image.part);
    examined++;
    const bytes = await image.read();
    bytesRead += bytes?.length ?? 0;
    if (!bytes || bytes.length < MIN_BYTES) continue;
    if (image.part === undefined) {
      const hash = await sha256Hex(bytes);
      if (seen.has(hash)) continue;
      seen.add(hash);
    }
    // The size from the file's header, never by decoding it (a huge picture is not decoded to learn it is huge).
    imageSize ??= (await import('image-size')).imageSize;
    const size = sizeOf(bytes, imageSize);
    const pixels = size ? size.width * size.height : 0;
    if (!size || pixels < MIN_PIXELS || pixels > MAX_PIXELS) continue;
    if (Math.min(size.width, size.height) < MIN_SIDE || Math.max(size.width, size.height) > MAX_SIDE) continue;
    picked.push({ image, blob: new Blob([bytes as BlobPart], { type: image.mediaType }) });
  }
  if (picked.length === 0 || !(await ocr.offer(picked.length))) return none;
  const added = new Map<number, BlockDraft[]>();
  const refs: OcrPageRef[] = [];
  const opened = new Set<readonly BlockDraft[]>();
  const warnings: ErrorCode[] = [];
  try {
    for (const [i, { image, blob }] of picked.entries()) {
      let read: { key: string; lines: OcrLine[] };
      try {
        read = await ocr.recognise(blob, i, picked.length);
      } catch (err) {
        // A cancel, or OCR that cannot run here, says so itself. A picture this browser cannot draw or read is left
        // out with a warning: the file's own text does not depend on it.
        if (err instanceof AppError) throw err;
        if (!warnings.includes('OCR_PICTURES_FAILED')) warnings.push('OCR_PICTURES_FAILED');
        continue;
      }
      // Kept for the cache even when it holds no text, so a re-import does not read it again.
      refs.push({ page: image.page ?? 0, key: read.key });
      const text = pictureText(read.lines);
      if (text === undefined) continue;
      const at = Math.min(image.at, blocks.length);
      const here = added.get(at) ?? [];
      if (image.before && !opened.has(image.before)) {
        opened.add(image.before);
        here.push(...image.before);
      }
      here.push({ kind: 'paragraph', text, ...(image.page !== undefined && { page: image.page }) });
      added.set(at, here);
    }
  } catch (err) {
    // OCR could not start here (offline before its files were ever fetched, say): the document's own text is still
    // added, with a warning that its pictures were not read.
    if (err instanceof AppError && err.code === 'OCR_UNAVAILABLE') return { ...none, warnings: ['OCR_IMAGES_SKIPPED'] };
    throw err;
  }
  if (added.size === 0) return { ...none, refs, warnings };
  const out: BlockDraft[] = [];
  for (let at = 0; at <= blocks.length; at++) {
    out.push(...(added.get(at) ?? []));
    if (at < blocks.length) out.push(blocks[at]!);
  }
  return { blocks: out, refs, warnings };
}
