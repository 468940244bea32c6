// The one entry point for parsing: enforces the size limit, picks a parser by magic bytes, extension or MIME type.
import { AppError } from '../errors';
import { fileExtension } from './assemble';
import { parseCsv } from './csv';
import { parseDocx } from './docx';
import { parseEpub } from './epub';
import { parseHtml } from './html';
import { parseMarkdown } from './markdown';
import { parseOds } from './ods';
import { parseOdt } from './odt';
import { parsePdf, type PdfOcr, type PdfjsLoader } from './pdf';
import { parsePptx } from './pptx';
import { hasRtfMagic, parseRtf } from './rtf';
import { parseText } from './text';
import { parseXlsx } from './xlsx';
import type { ImageOcr } from './image-text';
import type { DocumentKind, ParsedDocument } from './types';
import { entryData, isZip, readZipDirectory } from './zip';

export interface ParseOptions {
  /** Larger files are refused with FILE_TOO_LARGE. Default 200 MB. */
  maxBytes?: number;
  /** Password for an encrypted PDF. */
  password?: string;
  /** How to load pdf.js; see PdfOptions.loadPdfjs. */
  loadPdfjs?: PdfjsLoader;
  /** Extra pdf.js getDocument parameters. */
  pdfDocumentParams?: Record<string, unknown>;
  /** Recognising a PDF's scanned pages (see PdfOptions.ocr). */
  ocr?: PdfOcr;
  /** Recognising the text in a DOCX, PPTX or EPUB file's pictures, on request (image-text.ts). */
  imageOcr?: ImageOcr;
  /** Zip-bomb guard for DOCX, EPUB, PPTX, ODT, XLSX and ODS. Default 200 MB. */
  maxUncompressedBytes?: number;
}

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

const MARKDOWN_EXT = new Set(['md', 'markdown', 'mdown', 'mkd', 'mkdn', 'mdx', 'mdtext', 'mdwn']);
const HTML_EXT = new Set(['html', 'htm', 'xhtml', 'xht', 'shtml']);
const DOCX_EXT = new Set(['docx', 'docm', 'dotx', 'dotm']);
/** Spreadsheets: all of kind 'spreadsheet', each read by its own parser. */
type SheetFormat = 'xlsx' | 'ods' | 'csv';
const SHEET_EXT: Record<string, SheetFormat> = {
  xlsx: 'xlsx',
  xlsm: 'xlsx',
  xltx: 'xlsx',
  xltm: 'xlsx',
  ods: 'ods',
  ots: 'ods',
  csv: 'csv',
  tsv: 'csv',
  tab: 'csv',
};
const SHEET_MIME: Record<string, SheetFormat> = {
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.ms-excel.sheet.macroenabled.12': 'xlsx',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
};
/** The ZIP-based formats other than DOCX, by extension: a damaged file so named goes to its parser, which says why. */
const ZIP_EXT_KIND: Record<string, Format> = {
  epub: 'epub',
  pptx: 'pptx',
  pptm: 'pptx',
  ppsx: 'pptx',
  potx: 'pptx',
  odt: 'odt',
  ott: 'odt',
};
/** The `mimetype` entry of EPUB and OpenDocument archives. */
const ZIP_MIMETYPE_KIND: Record<string, DocumentKind | string> = {
  'application/epub+zip': 'epub',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.text-template': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.spreadsheet-template': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'OpenDocument presentation (.odp)',
  'application/vnd.oasis.opendocument.graphics': 'OpenDocument drawing (.odg)',
};
const TEXT_EXT = new Set(
  (
    'txt text log json jsonl ndjson xml yaml yml toml ini cfg conf env properties rst adoc asciidoc org tex ' +
    'bib srt vtt nfo me readme js mjs cjs ts tsx jsx py rb rs go java kt kts scala c h cc cpp hpp cs swift m mm ' +
    'php pl pm lua r jl sh bash zsh fish ps1 bat sql css scss less sass vue svelte graphql gql proto diff patch ' +
    'dockerfile makefile cmake gradle ex exs erl hs ml clj dart zig nim'
  ).split(' '),
);
const XLSB = 'Excel binary workbook (.xlsb)';
/** Extensions we recognize but cannot read, by name. */
const UNSUPPORTED_EXT: Record<string, string> = {
  doc: 'Word 97-2003 document (.doc)',
  pages: 'Pages document',
  xls: 'Excel workbook (.xls)',
  xlsb: XLSB,
  ppt: 'PowerPoint presentation (.ppt)',
  odp: 'OpenDocument presentation (.odp)',
  mobi: 'Mobipocket e-book',
  djvu: 'DjVu document',
  xps: 'XPS document',
  ps: 'PostScript file',
};

const MIME_KIND: Record<string, Format> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/epub+zip': 'epub',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/rtf': 'rtf',
  'text/rtf': 'rtf',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/x-markdown': 'markdown',
  'text/plain': 'text',
  'application/json': 'text',
  'application/xml': 'text',
  'text/xml': 'text',
};

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  return sig.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

/** Names binary formats by their magic bytes; undefined when none matches. */
function binaryFormatName(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'PNG image';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'JPEG image';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'GIF image';
  if (ascii(bytes, 0, 4) === 'RIFF') {
    const sub = ascii(bytes, 8, 12);
    return sub === 'WEBP'
      ? 'WebP image'
      : sub === 'WAVE'
        ? 'WAV audio'
        : sub === 'AVI '
          ? 'AVI video'
          : 'RIFF media file';
  }
  if (ascii(bytes, 4, 8) === 'ftyp') return 'MP4/QuickTime media file';
  if (ascii(bytes, 0, 3) === 'ID3' || startsWith(bytes, [0xff, 0xfb])) return 'MP3 audio';
  if (ascii(bytes, 0, 4) === 'OggS') return 'Ogg media file';
  if (ascii(bytes, 0, 4) === 'fLaC') return 'FLAC audio';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF image';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'gzip archive';
  if (ascii(bytes, 0, 4) === 'Rar!') return 'RAR archive';
  if (startsWith(bytes, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return '7-Zip archive';
  if (startsWith(bytes, [0x7f, 0x45, 0x4c, 0x46])) return 'ELF executable';
  if (startsWith(bytes, [0x00, 0x61, 0x73, 0x6d])) return 'WebAssembly module';
  if (ascii(bytes, 0, 15) === 'SQLite format 3') return 'SQLite database';
  if (ascii(bytes, 0, 4) === '%!PS') return 'PostScript file';
  if (ascii(bytes, 0, 8) === 'AT&TFORM') return 'DjVu document';
  return undefined;
}

const CFB = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/** The `mimetype` entry's text when it is stored uncompressed (as EPUB and ODF require), else ''. */
function zipMimetype(bytes: Uint8Array, entries: ReturnType<typeof readZipDirectory>): string {
  const entry = entries.find((e) => e.name === 'mimetype');
  if (!entry || entry.method !== 0 || entry.compressedSize > 200) return '';
  return new TextDecoder().decode(entryData(bytes, entry)).trim().toLowerCase();
}

/** What kind of ZIP-based file this is, from the names inside it (and the `mimetype` entry). */
function zipKind(bytes: Uint8Array): DocumentKind | string {
  try {
    const entries = readZipDirectory(bytes);
    const names = entries.map((e) => e.name);
    if (names.some((n) => n.startsWith('word/'))) return 'docx';
    if (names.includes('xl/workbook.xml')) return 'xlsx';
    // A binary workbook (.xlsb) is a ZIP with xl/ too, but its parts are BIFF12, not XML.
    if (names.includes('xl/workbook.bin')) return XLSB;
    if (names.some((n) => n.startsWith('xl/'))) return 'Excel workbook (.xlsx)';
    if (names.includes('ppt/presentation.xml')) return 'pptx';
    if (names.some((n) => n.startsWith('ppt/'))) return 'PowerPoint presentation (.pptx)';
    const mimetype = zipMimetype(bytes, entries);
    if (ZIP_MIMETYPE_KIND[mimetype]) return ZIP_MIMETYPE_KIND[mimetype];
    if (names.includes('mimetype') && names.some((n) => n.startsWith('META-INF/'))) return 'EPUB or OpenDocument file';
    return 'ZIP archive';
  } catch {
    return 'damaged ZIP archive';
  }
}

function hasPdfMagic(bytes: Uint8Array): boolean {
  // The header may follow a little junk; readers accept it within the first kilobyte.
  return new TextDecoder('latin1').decode(bytes.subarray(0, 1024)).includes('%PDF-');
}

/** Plain text, as far as the first 8 KB tell: no NUL bytes (unless UTF-16) and mostly valid UTF-8. */
function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 8192);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) return true;
  if (head.includes(0)) return false;
  const text = new TextDecoder('utf-8').decode(head);
  const bad = text.match(/\uFFFD/g)?.length ?? 0;
  return bad <= text.length * 0.05;
}

/** "a PNG image", "an Excel workbook", "an MP3 audio file": the article by the type's first sound. */
export const articleFor = (type: string): 'a' | 'an' => (/^(?:[aeiou]|MP\d)/i.test(type) ? 'an' : 'a');

function unsupported(fileName: string, type: string): AppError {
  return new AppError('FILE_UNSUPPORTED_TYPE', undefined, { fileName, type, article: articleFor(type) });
}

/** What detectFormat tells apart: the kinds, with spreadsheets split by the parser that reads them. */
type Format = Exclude<DocumentKind, 'spreadsheet'> | SheetFormat;

/**
 * Decides which parser reads the file. Content wins over names where it is unambiguous (a PDF or ZIP
 * signature); otherwise the extension, then the MIME type, then a look at the bytes. Throws
 * FILE_UNSUPPORTED_TYPE naming the type when none applies.
 */
function detectFormat(bytes: Uint8Array, fileName: string, mimeType = ''): Format {
  const ext = fileExtension(fileName);
  const mime = mimeType.split(';')[0]!.trim().toLowerCase();
  const sheet = SHEET_EXT[ext] ?? SHEET_MIME[mime];
  if (hasPdfMagic(bytes)) return 'pdf';
  if (isZip(bytes)) {
    const kind = zipKind(bytes);
    if (kind === 'docx' || kind === 'epub' || kind === 'pptx' || kind === 'odt') return kind;
    if (kind === 'xlsx' || kind === 'ods') return kind;
    if (kind === XLSB) throw unsupported(fileName, kind); // even when named .xlsx: it is no damaged XLSX
    // A damaged archive named .docx is a damaged Word file: let the DOCX parser say so (and so on for the others).
    if (DOCX_EXT.has(ext) || MIME_KIND[mime] === 'docx') return 'docx';
    const named = ZIP_EXT_KIND[ext] ?? MIME_KIND[mime];
    if (named === 'epub' || named === 'pptx' || named === 'odt') return named;
    if (sheet === 'xlsx' || sheet === 'ods') return sheet;
    throw unsupported(fileName, kind);
  }
  if (startsWith(bytes, CFB)) {
    if (DOCX_EXT.has(ext)) return 'docx'; // encrypted .docx files are CFB containers; the parser explains
    if (ZIP_EXT_KIND[ext] === 'pptx') return 'pptx'; // so are encrypted .pptx files
    if (sheet === 'xlsx') return 'xlsx'; // and encrypted .xlsx files
    throw unsupported(fileName, UNSUPPORTED_EXT[ext] ?? 'legacy Microsoft Office file');
  }
  if (hasRtfMagic(bytes)) return 'rtf';
  const binary = binaryFormatName(bytes);
  if (binary) throw unsupported(fileName, binary);
  // Named as PDF, Word, EPUB, PowerPoint, ODT, XLSX, ODS or RTF but not shaped like one: the parser reports the damage.
  if (ext === 'pdf') return 'pdf';
  if (DOCX_EXT.has(ext)) return 'docx';
  if (ZIP_EXT_KIND[ext]) return ZIP_EXT_KIND[ext];
  if (SHEET_EXT[ext]) return SHEET_EXT[ext];
  if (ext === 'rtf') return 'rtf';
  if (UNSUPPORTED_EXT[ext]) throw unsupported(fileName, UNSUPPORTED_EXT[ext]);
  if (MARKDOWN_EXT.has(ext)) return 'markdown';
  if (HTML_EXT.has(ext)) return 'html';
  if (TEXT_EXT.has(ext)) return 'text';
  const byMime = sheet ?? MIME_KIND[mime] ?? (mime.startsWith('text/') ? 'text' : undefined);
  if (byMime) return byMime;
  if (looksLikeText(bytes)) {
    const head = new TextDecoder().decode(bytes.subarray(0, 1024)).trimStart().toLowerCase();
    return head.startsWith('<!doctype html') || head.startsWith('<html') ? 'html' : 'text';
  }
  throw unsupported(fileName, ext ? `.${ext} file` : mime ? `${mime} file` : 'file of unknown type');
}

/** The kind of document the file is, as detectFormat decides (xlsx, ods and csv are all spreadsheets). */
export function detectKind(bytes: Uint8Array, fileName: string, mimeType = ''): DocumentKind {
  const format = detectFormat(bytes, fileName, mimeType);
  return format === 'xlsx' || format === 'ods' || format === 'csv' ? 'spreadsheet' : format;
}

/** Parses any supported file into a ParsedDocument; AppError with a specific code on bad input. */
export async function parseFile(
  bytes: Uint8Array,
  fileName: string,
  mimeType = '',
  opts: ParseOptions = {},
): Promise<ParsedDocument> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  if (bytes.length > maxBytes) {
    const limitMB = Math.round((maxBytes / 1024 / 1024) * 10) / 10;
    throw new AppError('FILE_TOO_LARGE', undefined, { fileName, limitMB, bytes: bytes.length, limit: maxBytes });
  }
  const zipOpts = opts.maxUncompressedBytes === undefined ? {} : { maxUncompressedBytes: opts.maxUncompressedBytes };
  const pictureOpts = opts.imageOcr ? { ...zipOpts, imageOcr: opts.imageOcr } : zipOpts;
  switch (detectFormat(bytes, fileName, mimeType)) {
    case 'pdf': {
      const pdfOpts: Parameters<typeof parsePdf>[2] = {};
      if (opts.password !== undefined) pdfOpts.password = opts.password;
      if (opts.loadPdfjs) pdfOpts.loadPdfjs = opts.loadPdfjs;
      if (opts.pdfDocumentParams) pdfOpts.documentParams = opts.pdfDocumentParams;
      if (opts.ocr) pdfOpts.ocr = opts.ocr;
      return parsePdf(bytes, fileName, pdfOpts);
    }
    case 'docx':
      return parseDocx(bytes, fileName, pictureOpts);
    case 'epub':
      return parseEpub(bytes, fileName, pictureOpts);
    case 'pptx':
      return parsePptx(bytes, fileName, pictureOpts);
    case 'odt':
      return parseOdt(bytes, fileName, zipOpts);
    case 'rtf':
      return parseRtf(bytes, fileName);
    case 'xlsx':
      return parseXlsx(bytes, fileName, zipOpts);
    case 'ods':
      return parseOds(bytes, fileName, zipOpts);
    case 'csv':
      return parseCsv(bytes, fileName);
    case 'html':
      return parseHtml(bytes, fileName);
    case 'markdown':
      return parseMarkdown(bytes, fileName);
    case 'text':
      return parseText(bytes, fileName);
  }
}
