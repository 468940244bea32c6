// PPTX ingestion: one section per slide in presentation order (slide N is page N), title, body, tables, speaker notes.
// Hand-written: npm's extractors (officeparser) pull pdf.js, tesseract.js, xmldom; on fflate + htmlparser2 this adds ~1 kB gz.
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { openArchive, relationships, type ArchiveCodes, type ZipFormatOptions } from './archive';
import type { HtmlElement } from './html';
import { imageTypeOf, withImageText, type EmbeddedImage, type ImageOcr } from './image-text';
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

/** The relationship ids of a slide's pictures, in drawing order. */
function pictureIds(root: HtmlElement): string[] {
  return findAll(root, 'pic').flatMap((pic) => {
    const blip = findFirstXml(pic, 'blip');
    const id = blip && Object.entries(blip.attribs).find(([n]) => n.includes(':') && localName(n) === 'embed')?.[1];
    return id ? [id] : [];
  });
}

/** The blocks of one slide: its title as a heading (or "Slide N"), then body paragraphs and tables. */
function slideBlocks(root: HtmlElement, page: number): BlockDraft[] {
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
  opts: ZipFormatOptions & { imageOcr?: ImageOcr } = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, PPTX_CODES, [PRESENTATION], opts.maxUncompressedBytes);
  const rels = relationships(zip, PRESENTATION);
  const slideIds = findAll(parseXml(zip.required(PRESENTATION)), 'sldId');
  const blocks: BlockDraft[] = [];
  // Pictures are noted only when they may be read (OCR): their parts are inflated only then.
  const readPictures = opts.imageOcr?.available() === true;
  const images: EmbeddedImage[] = [];
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
    const root = parseXml(xml);
    const drafts = slideBlocks(root, page);
    const slideRels = relationships(zip, slide.target);
    const notesRel = [...slideRels.values()].find((r) => r.type.endsWith('/notesSlide'));
    const notesXml = notesRel && zip.text(notesRel.target);
    const notes = notesXml === undefined ? '' : notesText(notesXml);
    // A slide with nothing but its generated "Slide N" heading adds no text, unless its pictures are read.
    const empty = drafts.length === 1 && notes === '' && drafts[0]!.text === `Slide ${page}`;
    if (readPictures) {
      // The pictures' text goes after the slide's body, before its notes.
      const at = blocks.length + (empty ? 0 : drafts.length);
      for (const id of pictureIds(root)) {
        const part = slideRels.get(id)?.target;
        if (part === undefined) continue;
        const mediaType = imageTypeOf(part) ?? '';
        images.push({ part, mediaType, read: zip.picture(part), at, page, ...(empty && { before: drafts }) });
      }
    }
    if (notes !== '') drafts.push({ kind: 'paragraph', text: `Notes: ${notes}`, page });
    if (!empty) blocks.push(...drafts);
  }
  if (found === 0) throw new AppError('PPTX_INVALID', undefined, { fileName, reason: 'it has no slides' });
  const core = zip.text('docProps/core.xml');
  const coreTitle = core === undefined ? undefined : findFirstXml(parseXml(core), 'title');
  const title = coreTitle ? collapseSpaces(xmlText(coreTitle)) : '';
  const read = await withImageText(blocks, images, opts.imageOcr);
  const doc = assemble('pptx', title || fileStem(fileName), read.blocks, {
    pageCount: slideIds.length,
    warnings: read.warnings,
  });
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return read.refs.length > 0 ? { ...doc, ocrImages: read.refs } : doc;
}
