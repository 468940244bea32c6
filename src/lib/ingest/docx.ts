// DOCX ingestion: vets the ZIP against zip bombs (directory, then a streamed inflate), converts with mammoth to HTML.
import { AppError, causeOf } from '../errors';
import { assemble, fileStem } from './assemble';
import { htmlToBlocks } from './html';
import type { ParsedDocument } from './types';
import { inflatedSize, isZip, readZipDirectory, ZipFormatError, type ZipEntry } from './zip';

export interface DocxOptions {
  /** Refuse archives whose entries add up to more than this when inflated. Default 200 MB. */
  maxUncompressedBytes?: number;
}

export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
/** Deflate tops out near 1032:1, so a ratio this high on a sizeable entry is a bomb, not a document. */
const MAX_ENTRY_RATIO = 1000;
const RATIO_CHECK_MIN_BYTES = 1024 * 1024;
const MAX_ENTRIES = 20_000;

const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** Throws unless the archive is a plausible, reasonably sized Word document; reads only the directory. */
export function vetDocxArchive(
  bytes: Uint8Array,
  fileName: string,
  maxUncompressed = DEFAULT_MAX_UNCOMPRESSED_BYTES,
): ZipEntry[] {
  if (CFB_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new AppError('DOCX_INVALID', undefined, {
      fileName,
      reason: 'it is password-protected or in the old .doc format; save it as an unprotected .docx and try again',
    });
  }
  if (!isZip(bytes)) throw new AppError('DOCX_INVALID', undefined, { fileName, reason: 'not a ZIP archive' });
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes);
  } catch (err) {
    if (err instanceof ZipFormatError) throw new AppError('DOCX_INVALID', undefined, { fileName, reason: err.message });
    throw err;
  }
  if (entries.length > MAX_ENTRIES) {
    throw new AppError('DOCX_TOO_LARGE_UNCOMPRESSED', undefined, { fileName, entries: entries.length });
  }
  let total = 0;
  for (const e of entries) {
    total += e.uncompressedSize;
    if (
      e.uncompressedSize > RATIO_CHECK_MIN_BYTES &&
      e.uncompressedSize / Math.max(1, e.compressedSize) > MAX_ENTRY_RATIO
    ) {
      throw new AppError('DOCX_TOO_LARGE_UNCOMPRESSED', undefined, {
        fileName,
        entry: e.name,
        ratio: Math.round(e.uncompressedSize / Math.max(1, e.compressedSize)),
      });
    }
  }
  if (total > maxUncompressed) {
    throw new AppError('DOCX_TOO_LARGE_UNCOMPRESSED', undefined, {
      fileName,
      uncompressedBytes: total,
      limit: maxUncompressed,
    });
  }
  if (entries.some((e) => e.encrypted))
    throw new AppError('DOCX_INVALID', undefined, { fileName, reason: 'encrypted entries' });
  if (!entries.some((e) => e.name.startsWith('word/') && e.name.endsWith('.xml'))) {
    throw new AppError('DOCX_INVALID', undefined, { fileName, reason: 'a ZIP archive without a word/ part' });
  }
  return entries;
}

/**
 * Inflates every entry as a stream against one running byte budget, discarding the output: the directory's sizes
 * are only claims, and a file that declares 1 KB may inflate to gigabytes inside mammoth.
 */
async function checkInflated(bytes: Uint8Array, entries: ZipEntry[], fileName: string, limit: number): Promise<void> {
  let total = 0;
  for (const entry of entries) {
    let size: number;
    try {
      size = await inflatedSize(bytes, entry, limit - total);
    } catch (err) {
      if (err instanceof ZipFormatError)
        throw new AppError('DOCX_INVALID', undefined, { fileName, reason: err.message });
      throw err;
    }
    total += size;
    if (total > limit) {
      throw new AppError('DOCX_TOO_LARGE_UNCOMPRESSED', undefined, { fileName, entry: entry.name, limit });
    }
  }
}

export async function parseDocx(bytes: Uint8Array, fileName: string, opts: DocxOptions = {}): Promise<ParsedDocument> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  const limit = opts.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const entries = vetDocxArchive(bytes, fileName, limit);
  await checkInflated(bytes, entries, fileName, limit);
  // Loaded on demand: mammoth is large and only DOCX needs it.
  const mammoth = (await import('mammoth')).default;
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let html: string;
  try {
    // mammoth's browser build reads `arrayBuffer`, its Node build `buffer`; JSZip accepts an ArrayBuffer for both.
    const input = { arrayBuffer, buffer: arrayBuffer } as unknown as { arrayBuffer: ArrayBuffer };
    const result = await mammoth.convertToHtml(input, {
      // Images are never read; skipping them avoids base64-encoding every picture.
      convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })),
      externalFileAccess: false,
    });
    html = result.value;
  } catch (err) {
    const reason = causeOf(err);
    throw new AppError('DOCX_INVALID', undefined, { fileName, reason: reason.slice(0, 200) });
  }
  const { blocks } = htmlToBlocks(html, { preferMain: false });
  const firstHeading = blocks.find((b) => b.kind === 'heading' && b.level === 1);
  const doc = assemble('docx', firstHeading?.text ?? fileStem(fileName), blocks);
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
