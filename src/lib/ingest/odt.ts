// ODT ingestion: content.xml's headings (with their outline level), paragraphs, lists and simple tables, in order.
// Hand-written: no maintained browser ODF text extractor without a DOM; on fflate + htmlparser2 this adds ~1 kB gz.
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { openArchive, type ArchiveCodes, type ZipFormatOptions } from './archive';
import type { HtmlElement } from './html';
import type { ParsedDocument } from './types';
import { attr, childElements, findAll, findFirstXml, localName, parseXml, xmlText } from './xml';

const ODT_CODES: ArchiveCodes = {
  invalid: 'ODT_INVALID',
  tooLarge: 'ODT_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is a legacy Microsoft Office file, not an OpenDocument text',
};

const CONTENT = 'content.xml';
/** Never read: footnotes and comments (out of the flow), the generated table of contents, change tracking. */
const SKIP = new Set(['note', 'annotation', 'table-of-content', 'tracked-changes', 'sequence-decls', 'forms']);

/** The text of a paragraph or heading: spans and links read through, spaces, tabs and line breaks expanded. */
function inlineText(el: HtmlElement): string {
  let text = '';
  for (const child of el.children) {
    if (typeof child === 'string') {
      text += child;
      continue;
    }
    const name = localName(child.name);
    if (SKIP.has(name)) continue;
    if (name === 's') text += ' '.repeat(Math.min(100, Math.max(1, Number(attr(child, 'c') ?? '1') || 1)));
    else if (name === 'tab') text += '\t';
    else if (name === 'line-break') text += '\n';
    else text += inlineText(child);
  }
  return text;
}

/** An ODF heading: its outline level (1-6) and text. */
const heading = (h: HtmlElement): BlockDraft => ({
  kind: 'heading',
  level: Math.min(6, Math.max(1, Number(attr(h, 'outline-level') ?? '1') || 1)),
  text: collapseSpaces(inlineText(h)),
});

/**
 * A list's items as "- " lines in `lines`; a heading inside it (numbered headings from Word are written as list items)
 * ends the list lines so far and becomes a heading, so the passages after it keep their heading path.
 */
function listInto(list: HtmlElement, depth: number, out: BlockDraft[], lines: string[]): void {
  for (const item of childElements(list)) {
    if (!['list-item', 'list-header'].includes(localName(item.name))) continue;
    for (const child of childElements(item)) {
      const name = localName(child.name);
      if (name === 'list') listInto(child, depth + 1, out, lines);
      else if (name === 'h') {
        flushList(out, lines);
        out.push(heading(child));
      } else if (name === 'p') {
        const text = collapseSpaces(inlineText(child));
        if (text !== '') lines.push(`${'  '.repeat(depth)}- ${text}`);
      }
    }
  }
}

function flushList(out: BlockDraft[], lines: string[]): void {
  if (lines.length > 0) out.push({ kind: 'list', text: lines.splice(0).join('\n') });
}

/** The paragraphs and headings under an element, one space apart. */
function paragraphsText(el: HtmlElement): string {
  return collapseSpaces(findAll(el, ['p', 'h']).map(inlineText).join(' '));
}

/** Rows of non-empty cell texts; undefined for a table with tables inside (not simple: read as text instead). */
function tableRows(table: HtmlElement): string[][] | undefined {
  if (findAll(table, 'table').length > 0) return undefined;
  return findAll(table, 'table-row')
    .map((row) =>
      findAll(row, 'table-cell')
        .map(paragraphsText)
        .filter((c) => c !== ''),
    )
    .filter((cells) => cells.length > 0);
}

function walk(el: HtmlElement, out: BlockDraft[]): void {
  for (const child of childElements(el)) {
    const name = localName(child.name);
    if (SKIP.has(name)) continue;
    if (name === 'h') {
      out.push(heading(child));
    } else if (name === 'p') {
      out.push({ kind: 'paragraph', text: inlineText(child) });
    } else if (name === 'list') {
      const lines: string[] = [];
      listInto(child, 0, out, lines);
      flushList(out, lines);
    } else if (name === 'table') {
      const rows = tableRows(child);
      if (rows === undefined) out.push({ kind: 'paragraph', text: paragraphsText(child) });
      else if (rows.length > 0) out.push({ kind: 'table', text: rows.map((r) => r.join(' | ')).join('\n') });
    } else {
      walk(child, out); // sections, frames and other containers
    }
  }
}

export async function parseOdt(
  bytes: Uint8Array,
  fileName: string,
  opts: ZipFormatOptions = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, ODT_CODES, [CONTENT], opts.maxUncompressedBytes);
  // ODF encrypts parts itself (the ZIP flag stays clear) and says so in the manifest.
  if (zip.text('META-INF/manifest.xml')?.includes('encryption-data')) {
    throw new AppError('ODT_INVALID', undefined, { fileName, reason: 'it is password-protected' });
  }
  const content = parseXml(zip.required(CONTENT));
  const body = findFirstXml(content, 'body');
  const text = body && findFirstXml(body, 'text');
  if (!text) throw new AppError('ODT_INVALID', undefined, { fileName, reason: 'it has no text body' });
  const blocks: BlockDraft[] = [];
  walk(text, blocks);
  const meta = zip.text('meta.xml');
  const metaTitle = meta === undefined ? undefined : findFirstXml(parseXml(meta), 'title');
  const title =
    (metaTitle && collapseSpaces(xmlText(metaTitle))) ||
    blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text ||
    fileStem(fileName);
  const doc = assemble('odt', title, blocks);
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
