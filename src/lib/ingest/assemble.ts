// Shared by all parsers: cleans block text and joins blocks into ParsedDocument.text with exact offsets.
import type { ErrorCode } from '../errors';
import type { Block, BlockKind, DocumentKind, ParsedDocument } from './types';

/** A block before it has a place in the document text. */
export interface BlockDraft {
  kind: BlockKind;
  text: string;
  level?: number;
  page?: number;
}

export const BLOCK_SEPARATOR = '\n\n';

// Control characters other than tab and newline, zero-width characters and the BOM carry no text.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F\u200B\u200E\u200F\u2060\uFEFF]/g;

/** Normalizes line breaks, strips invisible characters and trailing spaces; keeps indentation (code needs it). */
export function cleanText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?|\u2028|\u2029|\u0085/g, '\n')
    .replace(INVISIBLE, '')
    .split('\n')
    .map((line) => trimSpacesEnd(line))
    .join('\n');
}

/**
 * The line without its trailing spaces, tabs and NBSPs. A loop, not /[ \t]+$/: a regex tries that run from every
 * space of a long one, which is quadratic (a 1 MB line of spaces took minutes).
 */
export function trimSpacesEnd(line: string, nbsp = true): string {
  let end = line.length;
  for (let c = line.charCodeAt(end - 1); c === 32 || c === 9 || (nbsp && c === 0xa0); c = line.charCodeAt(end - 1))
    end--;
  return end === line.length ? line : line.slice(0, end);
}

/** Collapses every run of whitespace (NBSP included) to one space, for prose and table cells. */
export function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Removes leading and trailing blank lines, and the indentation every non-blank line shares. */
export function dedent(text: string): string {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[0]!.trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  let common = Infinity;
  for (const line of lines) {
    if (line.trim() === '') continue;
    common = Math.min(common, /^[ \t]*/.exec(line)![0].length);
  }
  if (!Number.isFinite(common) || common === 0) return lines.join('\n');
  return lines.map((l) => l.slice(common)).join('\n');
}

/** The file name without folders or extension, used as a title when the document has none. */
export function fileStem(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem.trim() || base.trim() || 'Untitled';
}

/** Lower-cased extension without the dot, or '' when there is none. */
export function fileExtension(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? fileName;
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot + 1).toLowerCase() : '';
}

export interface AssembleOptions {
  warnings?: ErrorCode[];
  pageCount?: number;
}

/**
 * Cleans and trims each draft, drops empty ones, and lays the rest out separated by blank lines so that
 * text.slice(block.start, block.end) === block.text for every block.
 */
export function assemble(
  kind: DocumentKind,
  title: string,
  drafts: readonly BlockDraft[],
  opts: AssembleOptions = {},
): ParsedDocument {
  const blocks: Block[] = [];
  const parts: string[] = [];
  let offset = 0;
  for (const draft of drafts) {
    const cleaned = cleanText(draft.text);
    // Code keeps its indentation; everything else is trimmed.
    const text = draft.kind === 'code' ? dedent(cleaned) : cleaned.trim();
    if (text.trim() === '') continue;
    if (parts.length > 0) offset += BLOCK_SEPARATOR.length;
    const block: Block = { kind: draft.kind, text, start: offset, end: offset + text.length };
    if (draft.level !== undefined) block.level = draft.level;
    if (draft.page !== undefined) block.page = draft.page;
    blocks.push(block);
    parts.push(text);
    offset += text.length;
  }
  const doc: ParsedDocument = {
    kind,
    title: collapseSpaces(cleanText(title)) || 'Untitled',
    text: parts.join(BLOCK_SEPARATOR),
    blocks,
    warnings: [...new Set(opts.warnings ?? [])],
  };
  if (opts.pageCount !== undefined) doc.pageCount = opts.pageCount;
  return doc;
}
