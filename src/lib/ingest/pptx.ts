// PPTX ingestion: one section per slide in presentation order (slide N is page N), title, body, tables, speaker notes.
// Hand-written: npm's extractors (officeparser) pull pdf.js, tesseract.js, xmldom; on fflate + htmlparser2 this adds ~1 kB gz.
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { openArchive, relationships, type ArchiveCodes, type ZipFormatOptions } from './archive';
import type { HtmlElement } from './html';
import type { ParsedDocument } from './types';
import { attr, childElements, findAll, findFirstXml, localName, parseXml, xmlText } from './xml';

const PPTX_CODES: ArchiveCodes = {
  invalid: 'PPTX_INVALID',
  tooLarge: 'PPTX_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is password-protected or in the old .ppt format; save it as an unprotected .pptx and try again',
};

const PRESENTATION = 'ppt/presentation.xml';
const TITLE_TYPES = new Set(['title', 'ctrTitle']);
/** Placeholders that repeat on every slide and say nothing about it. */
const CHROME_TYPES = new Set(['sldNum', 'dt', 'ftr', 'hdr', 'sldImg']);

/** A DrawingML paragraph's text: runs and fields in order, line breaks kept. */
function paragraphText(p: HtmlElement): string {
  let text = '';
  for (const child of childElements(p)) {
    const name = localName(child.name);
    if (name === 'r' || name === 'fld') text += findAll(child, 't').map(xmlText).join('');
    else if (name === 'br') text += '\n';
  }
  return text.trim();
}

function paragraphs(shape: HtmlElement): string[] {
  const body = findFirstXml(shape, 'txBody');
  return body
    ? findAll(body, 'p')
        .map(paragraphText)
        .filter((t) => t !== '')
    : [];
}

function placeholderType(shape: HtmlElement): string | undefined {
  const ph = findFirstXml(shape, 'ph');
  // A placeholder without a type is a body placeholder.
  return ph ? (attr(ph, 'type') ?? 'body') : undefined;
}

/** The blocks of one slide: its title as a heading (or "Slide N"), then body paragraphs and tables. */
function slideBlocks(xml: string, page: number): BlockDraft[] {
  const root = parseXml(xml);
  let title = '';
  const body: BlockDraft[] = [];
  for (const shape of findAll(root, ['sp', 'graphicFrame'])) {
    if (localName(shape.name) === 'graphicFrame') {
      for (const table of findAll(shape, 'tbl')) {
        const rows = findAll(table, 'tr')
          .map((tr) => findAll(tr, 'tc').map((tc) => collapseSpaces(paragraphs(tc).join(' '))))
          .filter((cells) => cells.some((c) => c !== ''));
        if (rows.length > 0) body.push({ kind: 'table', text: rows.map((r) => r.join(' | ')).join('\n'), page });
      }
      continue;
    }
    const type = placeholderType(shape);
    if (type !== undefined && CHROME_TYPES.has(type)) continue;
    const texts = paragraphs(shape);
    if (type !== undefined && TITLE_TYPES.has(type) && title === '') title = collapseSpaces(texts.join(' '));
    else for (const text of texts) body.push({ kind: 'paragraph', text, page });
  }
  // Untitled slides still get a heading, so their passages do not carry the previous slide's title.
  return [{ kind: 'heading', level: 1, text: title || `Slide ${page}`, page }, ...body];
}

/** The speaker notes' text (the notes slide's body placeholder), or '' when there are none. */
function notesText(xml: string): string {
  const shapes = findAll(parseXml(xml), 'sp').filter((s) => placeholderType(s) === 'body');
  return collapseSpaces(shapes.flatMap(paragraphs).join(' '));
}

export async function parsePptx(
  bytes: Uint8Array,
  fileName: string,
  opts: ZipFormatOptions = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, PPTX_CODES, [PRESENTATION], opts.maxUncompressedBytes);
  const rels = relationships(zip, PRESENTATION);
  const slideIds = findAll(parseXml(zip.required(PRESENTATION)), 'sldId');
  const blocks: BlockDraft[] = [];
  // A slide listed twice is read once: repeats would multiply a small file's text (a bomb the sizes do not show).
  const seen = new Set<string>();
  let found = 0;
  for (const [index, sldId] of slideIds.entries()) {
    // r:id, the relationship; the unprefixed id is a number.
    const relId = Object.entries(sldId.attribs).find(([name]) => name.includes(':') && localName(name) === 'id')?.[1];
    const slide = rels.get(relId ?? '');
    if (!slide || seen.has(slide.target)) continue;
    seen.add(slide.target);
    const xml = zip.text(slide.target);
    if (xml === undefined) continue;
    found++;
    // Its place in the list, as PowerPoint numbers it, even when an earlier listed slide is missing.
    const page = index + 1;
    const drafts = slideBlocks(xml, page);
    const notesRel = [...relationships(zip, slide.target).values()].find((r) => r.type.endsWith('/notesSlide'));
    const notesXml = notesRel && zip.text(notesRel.target);
    const notes = notesXml === undefined ? '' : notesText(notesXml);
    if (notes !== '') drafts.push({ kind: 'paragraph', text: `Notes: ${notes}`, page });
    // A slide with nothing but its generated "Slide N" heading adds no text.
    if (drafts.length > 1 || drafts[0]!.text !== `Slide ${page}`) blocks.push(...drafts);
  }
  if (found === 0) throw new AppError('PPTX_INVALID', undefined, { fileName, reason: 'it has no slides' });
  const core = zip.text('docProps/core.xml');
  const coreTitle = core === undefined ? undefined : findFirstXml(parseXml(core), 'title');
  const title = coreTitle ? collapseSpaces(xmlText(coreTitle)) : '';
  const doc = assemble('pptx', title || fileStem(fileName), blocks, { pageCount: slideIds.length });
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
