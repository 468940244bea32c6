// Plain-text ingestion: decodes bytes (UTF-8, UTF-16 by BOM or by shape) and splits paragraphs on blank lines.
import { AppError, type ErrorCode } from '../errors';
import { assemble, fileStem, type BlockDraft } from './assemble';
import type { ParsedDocument } from './types';

export interface DecodedText {
  text: string;
  encoding: 'utf-8' | 'utf-16le' | 'utf-16be' | string;
  warnings: ErrorCode[];
}

/** Guesses UTF-16 without a BOM from the zero bytes ASCII text leaves in every other position. */
function sniffUtf16(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 1024) & ~1;
  if (n < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  if (oddZeros > pairs * 0.4 && evenZeros < pairs * 0.05) return 'utf-16le';
  if (evenZeros > pairs * 0.4 && oddZeros < pairs * 0.05) return 'utf-16be';
  return null;
}

function decodeWith(encoding: string, bytes: Uint8Array): { text: string; lossy: boolean } {
  try {
    return { text: new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes), lossy: false };
  } catch {
    return { text: new TextDecoder(encoding, { fatal: false, ignoreBOM: true }).decode(bytes), lossy: true };
  }
}

/**
 * Decodes text bytes: a BOM decides first, then an explicit label (e.g. an HTML meta charset) when the
 * runtime knows it, then UTF-16 by shape, else UTF-8. Invalid sequences become U+FFFD with a warning.
 */
export function decodeText(bytes: Uint8Array, label?: string): DecodedText {
  let encoding = 'utf-8';
  let body = bytes;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    body = bytes.subarray(3);
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    body = bytes.subarray(2);
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    body = bytes.subarray(2);
  } else if (label && isKnownEncoding(label) && !new TextDecoder(label).encoding.startsWith('utf-16')) {
    // A declared UTF-16 without a BOM is a mislabel (browsers treat it as UTF-8 too).
    encoding = new TextDecoder(label).encoding;
  } else {
    encoding = sniffUtf16(bytes) ?? 'utf-8';
  }
  const { text, lossy } = decodeWith(encoding, body);
  const fixed = encoding === 'windows-1252' ? fixCp1252(text) : text;
  return { text: fixed, encoding, warnings: lossy ? ['FILE_DECODE_WARNING'] : [] };
}

// Bytes 0x80-0x9F of windows-1252, which some runtimes (Node's TextDecoder) decode as Latin-1 C1 controls.
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function fixCp1252(text: string): string {
  return text.replace(/[\u0080-\u009F]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
}

function isKnownEncoding(label: string): boolean {
  try {
    new TextDecoder(label);
    return true;
  } catch {
    return false;
  }
}

/** Refuses decoded text that is mostly control characters or replacement characters: it was not text. */
export function assertLooksLikeText(text: string, fileName: string): void {
  const sample = text.slice(0, 64 * 1024);
  if (sample.length === 0) return;
  // eslint-disable-next-line no-control-regex
  const junk = sample.match(/[\u0000-\u0008\u000E-\u001F\uFFFD]/g)?.length ?? 0;
  if (junk > sample.length * 0.3) {
    throw new AppError('FILE_UNSUPPORTED_TYPE', undefined, { fileName, type: 'binary file', article: 'a' });
  }
}

/** Throws FILE_EMPTY for zero bytes; shared by the text-based parsers. */
export function assertNotEmpty(bytes: Uint8Array, fileName: string): void {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
}

/** Splits plain text into paragraphs at blank lines; line breaks inside a paragraph are kept. */
export function paragraphsOf(text: string): string[] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n[ \t\u00A0]*\n/)
    .filter((p) => p.trim() !== '');
}

export async function parseText(bytes: Uint8Array, fileName: string): Promise<ParsedDocument> {
  assertNotEmpty(bytes, fileName);
  const decoded = decodeText(bytes);
  assertLooksLikeText(decoded.text, fileName);
  const drafts: BlockDraft[] = paragraphsOf(decoded.text).map((text) => ({ kind: 'paragraph', text }));
  const doc = assemble('text', fileStem(fileName), drafts, { warnings: decoded.warnings });
  if (doc.blocks.length === 0) {
    // A BOM alone, or only whitespace.
    throw new AppError(decoded.text.length === 0 ? 'FILE_EMPTY' : 'NO_TEXT', undefined, { fileName });
  }
  return doc;
}
