// DOCX ingestion: vets the ZIP with the shared archive checks (directory, then a streamed inflate), converts with mammoth, pages from Word's page breaks.
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { AppError, causeOf } from '../errors';
import { assemble, fileStem } from './assemble';
import { markPageBreaks, pagesFromMarks } from './docx-pages';
import { htmlToBlocks } from './html';
import { withImageText, type EmbeddedImage, type ImageOcr } from './image-text';
import type { ParsedDocument } from './types';
import { checkInflated, DEFAULT_MAX_UNCOMPRESSED_BYTES, vetArchive, type ArchiveCodes } from './archive';
import type { ZipEntry } from './zip';

export interface DocxOptions {
  /** Refuse archives whose entries add up to more than this when inflated. Default 200 MB. */
  maxUncompressedBytes?: number;
  /** Recognising the text in the document's pictures, when the user says yes. */
  imageOcr?: ImageOcr;
}

/** How a picture is named in mammoth's HTML, to be found again where it stands. */
const PICTURE_SRC = /^lectern-picture:(\d+)$/;

const DOCX_CODES: ArchiveCodes = {
  invalid: 'DOCX_INVALID',
  tooLarge: 'DOCX_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is password-protected or in the old .doc format; save it as an unprotected .docx and try again',
};

/** Throws unless the archive is a plausible, reasonably sized Word document; reads only the directory. */
export function vetDocxArchive(
  bytes: Uint8Array,
  fileName: string,
  maxUncompressed = DEFAULT_MAX_UNCOMPRESSED_BYTES,
): ZipEntry[] {
  const entries = vetArchive(bytes, fileName, DOCX_CODES, maxUncompressed);
  if (!entries.some((e) => e.name.startsWith('word/') && e.name.endsWith('.xml'))) {
    throw new AppError('DOCX_INVALID', undefined, { fileName, reason: 'a ZIP archive without a word/ part' });
  }
  return entries;
}

/**
 * The archive again with document.xml's page breaks marked (docx-pages.ts), stored uncompressed; undefined when it has
 * none, or cannot be re-read (mammoth then reports the damage). Runs after the size checks, so inflating all is safe.
 */
function withPageMarks(bytes: Uint8Array): Uint8Array | undefined {
  const PART = 'word/document.xml';
  try {
    const part = unzipSync(bytes, { filter: (f) => f.name === PART })[PART];
    const marked = part && markPageBreaks(strFromU8(part));
    if (!marked) return undefined;
    const files = unzipSync(bytes);
    files[PART] = strToU8(marked);
    return zipSync(files, { level: 0 });
  } catch {
    return undefined;
  }
}

export async function parseDocx(bytes: Uint8Array, fileName: string, opts: DocxOptions = {}): Promise<ParsedDocument> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  const limit = opts.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const entries = vetDocxArchive(bytes, fileName, limit);
  await checkInflated(bytes, entries, fileName, DOCX_CODES, limit);
  // Loaded on demand: mammoth is large and only DOCX needs it.
  const mammoth = (await import('mammoth')).default;
  const marked = withPageMarks(bytes);
  const input = marked ?? bytes;
  const arrayBuffer = input.buffer.slice(input.byteOffset, input.byteOffset + input.byteLength) as ArrayBuffer;
  let html: string;
  // Pictures are named, never encoded: their bytes are read only if their text is to be recognised.
  const pictures: { mediaType: string; read: () => Promise<ArrayBuffer> }[] = [];
  const readPictures = opts.imageOcr?.available() === true;
  try {
    // mammoth's browser build reads `arrayBuffer`, its Node build `buffer`; JSZip accepts an ArrayBuffer for both.
    const input = { arrayBuffer, buffer: arrayBuffer } as unknown as { arrayBuffer: ArrayBuffer };
    const result = await mammoth.convertToHtml(input, {
      convertImage: mammoth.images.imgElement((image) => {
        if (!readPictures) return Promise.resolve({ src: '' });
        pictures.push({ mediaType: image.contentType, read: () => image.readAsArrayBuffer() });
        return Promise.resolve({ src: `lectern-picture:${pictures.length - 1}` });
      }),
      externalFileAccess: false,
    });
    html = result.value;
  } catch (err) {
    const reason = causeOf(err);
    throw new AppError('DOCX_INVALID', undefined, { fileName, reason: reason.slice(0, 200) });
  }
  const images: EmbeddedImage[] = [];
  const onImage = (src: string, at: number) => {
    const picture = pictures[Number(PICTURE_SRC.exec(src)?.[1] ?? -1)];
    if (!picture) return;
    const read = async () => {
      try {
        return new Uint8Array(await picture.read());
      } catch {
        // A damaged picture is left unread; the document is not refused for it.
        return undefined;
      }
    };
    images.push({ mediaType: picture.mediaType, read, at });
  };
  const read = await withImageText(htmlToBlocks(html, { preferMain: false, onImage }).blocks, images, opts.imageOcr);
  const converted = read.blocks;
  // Page numbers only where Word left page breaks; elsewhere a passage is cited by its section (heading path).
  const paged = marked ? pagesFromMarks(converted) : undefined;
  const blocks = paged?.blocks ?? converted;
  const firstHeading = blocks.find((b) => b.kind === 'heading' && b.level === 1);
  const doc = assemble(
    'docx',
    firstHeading?.text ?? fileStem(fileName),
    blocks,
    paged ? { pageCount: paged.pageCount, warnings: read.warnings } : { warnings: read.warnings },
  );
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return read.refs.length > 0 ? { ...doc, ocrImages: read.refs } : doc;
}
