// Shapes produced by parsing and chunking; pure data that crosses workers and lands in storage.
import type { ErrorCode } from '../errors';

/** Every kind of document ingestion reads; the one list that storage, imports and filters check kinds against. */
export const INGEST_KINDS = [
  'pdf',
  'docx',
  'epub',
  'pptx',
  'odt',
  'rtf',
  'spreadsheet',
  'html',
  'markdown',
  'text',
] as const;

export type DocumentKind = (typeof INGEST_KINDS)[number];

export type BlockKind = 'heading' | 'paragraph' | 'code' | 'table' | 'list';

/** A structural unit of a document; offsets index into ParsedDocument.text. */
export interface Block {
  kind: BlockKind;
  text: string;
  start: number;
  end: number;
  /** Heading level 1-6, for headings only. */
  level?: number;
  /** 1-based page number where the block starts, for paged formats. */
  page?: number;
}

export interface ParsedDocument {
  kind: DocumentKind;
  title: string;
  /** Normalized full text: the blocks joined by blank lines. Citations index into it. */
  text: string;
  blocks: Block[];
  pageCount?: number;
  warnings: ErrorCode[];
  /** Pages whose text was recognised from their image (OCR), each with its key in the OCR cache. */
  ocrPages?: OcrPageRef[];
  /** Pictures inside a DOCX, PPTX or EPUB whose text was recognised on request (page 0 where there are no pages). */
  ocrImages?: OcrPageRef[];
}

/** A recognised page: its number and the key of its recognition (lines, boxes and image) in the OCR cache. */
export interface OcrPageRef {
  page: number;
  key: string;
}

export interface ChunkDraft {
  ordinal: number;
  text: string;
  /** Character offsets into ParsedDocument.text. */
  start: number;
  end: number;
  headingPath: string[];
  pageStart?: number;
  pageEnd?: number;
  tokenCount: number;
  /** Hex SHA-256 of the chunk text. */
  hash: string;
}

export interface ChunkOptions {
  /** Token budget per chunk, measured with the embedding model's tokenizer. */
  maxTokens: number;
  overlapTokens: number;
  countTokens: (text: string) => number;
  /**
   * The document title passed to contextualText. When given, each chunk's budget leaves room for its
   * "Title > Heading" prefix, so the embedded text (prefix included) fits maxTokens.
   */
  contextTitle?: string;
}
