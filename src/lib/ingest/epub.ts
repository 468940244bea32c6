// EPUB ingestion, chapters in spine order through htmlToBlocks (no DOM: scripts never run, they are dropped).
// Hand-written: epub.js needs a DOM and is unmaintained; on fflate + htmlparser2 (bundled) EPUB+PPTX+ODT add 3 kB gz.
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { openArchive, resolvePart, type ArchiveCodes, type ArchiveReader, type ZipFormatOptions } from './archive';
import { htmlToBlocks } from './html';
import { imageTypeOf, withImageText, type EmbeddedImage, type ImageOcr } from './image-text';
import type { ParsedDocument } from './types';
import { attr, childElements, findAll, findFirstXml, parseXml, xmlText } from './xml';

const EPUB_CODES: ArchiveCodes = {
  invalid: 'EPUB_INVALID',
  tooLarge: 'EPUB_TOO_LARGE_UNCOMPRESSED',
  cfbReason: 'it is a legacy Microsoft Office file, not an e-book',
};

const CONTAINER = 'META-INF/container.xml';
const CHAPTER_TYPES = new Set(['application/xhtml+xml', 'text/html']);

interface ManifestItem {
  path: string;
  mediaType: string;
  properties: string;
}

function invalid(fileName: string, reason: string): AppError {
  return new AppError('EPUB_INVALID', undefined, { fileName, reason });
}

/** Chapter file → its title, from the EPUB 3 nav document, else the EPUB 2 NCX; the first entry per file wins. */
function tocTitles(
  zip: ArchiveReader,
  items: Map<string, ManifestItem>,
  ncxId: string | undefined,
): Map<string, string> {
  const titles = new Map<string, string>();
  const add = (base: string, href: string | undefined, label: string) => {
    const text = collapseSpaces(label);
    if (href === undefined || text === '') return;
    const path = resolvePart(base, href);
    if (!titles.has(path)) titles.set(path, text);
  };
  const nav = [...items.values()].find((i) => i.properties.split(/\s+/).includes('nav'));
  const navText = nav && zip.text(nav.path);
  if (nav && navText !== undefined) {
    const root = parseXml(navText);
    const toc = findAll(root, 'nav').find((n) => attr(n, 'type') === 'toc') ?? findFirstXml(root, 'nav');
    for (const a of toc ? findAll(toc, 'a') : []) add(nav.path, attr(a, 'href'), xmlText(a));
  }
  const ncx = ncxId === undefined ? undefined : items.get(ncxId);
  const ncxText = ncx && zip.text(ncx.path);
  if (ncx && ncxText !== undefined) {
    // Every navLabel (nested points included, in document order) sits beside its point's content link.
    for (const label of findAll(parseXml(ncxText), 'navLabel')) {
      const content = label.parent && childElements(label.parent, 'content')[0];
      add(ncx.path, content ? attr(content, 'src') : undefined, xmlText(label));
    }
  }
  return titles;
}

/** Font obfuscation (IDPF, Adobe): common, harmless, and only ever applied to fonts. */
const FONT_OBFUSCATION = new Set(['http://www.idpf.org/2008/embedding', 'http://ns.adobe.com/pdf/enc#RC']);

/**
 * The parts META-INF/encryption.xml says are encrypted with anything but font obfuscation: a DRM-protected book
 * (Adobe ADEPT, Readium LCP) lists its chapters there, and their bytes would read as garbage.
 */
function encryptedParts(zip: ArchiveReader): Set<string> {
  const xml = zip.text('META-INF/encryption.xml');
  const out = new Set<string>();
  if (xml === undefined) return out;
  for (const data of findAll(parseXml(xml), 'EncryptedData')) {
    const method = findFirstXml(data, 'EncryptionMethod');
    const ref = findFirstXml(data, 'CipherReference');
    const uri = ref && attr(ref, 'URI');
    if (uri && !FONT_OBFUSCATION.has((method && attr(method, 'Algorithm')) ?? '')) out.add(resolvePart('', uri));
  }
  return out;
}

export async function parseEpub(
  bytes: Uint8Array,
  fileName: string,
  opts: ZipFormatOptions & { imageOcr?: ImageOcr } = {},
): Promise<ParsedDocument> {
  const zip = await openArchive(bytes, fileName, EPUB_CODES, [CONTAINER], opts.maxUncompressedBytes);
  const rootfile = findFirstXml(parseXml(zip.required(CONTAINER)), 'rootfile');
  const opfPath = rootfile && attr(rootfile, 'full-path');
  if (!opfPath) throw invalid(fileName, 'its container names no package document');
  const opfFile = resolvePart('', opfPath);
  const opfText = zip.text(opfFile);
  if (opfText === undefined) throw invalid(fileName, `it has no ${opfPath}`);
  const opf = parseXml(opfText);

  const items = new Map<string, ManifestItem>();
  for (const item of findAll(opf, 'item')) {
    const id = attr(item, 'id');
    const href = attr(item, 'href');
    if (id === undefined || href === undefined) continue;
    items.set(id, {
      path: resolvePart(opfFile, href),
      mediaType: (attr(item, 'media-type') ?? '').toLowerCase(),
      properties: attr(item, 'properties') ?? '',
    });
  }
  const spine = findFirstXml(opf, 'spine');
  if (!spine) throw invalid(fileName, 'its package document has no spine');
  const titles = tocTitles(zip, items, attr(spine, 'toc'));

  const locked = encryptedParts(zip);
  const readPictures = opts.imageOcr?.available() === true;
  const mediaTypes = new Map([...items.values()].map((i) => [i.path, i.mediaType]));
  // The cover (EPUB 3's cover-image, EPUB 2's <meta name="cover">) shows the title the book already names: not read.
  const coverMeta = findAll(opf, 'meta').find((m) => attr(m, 'name') === 'cover');
  const coverId = coverMeta && attr(coverMeta, 'content');
  const covers = new Set(
    [...items.entries()]
      .filter(([id, i]) => i.properties.split(/\s+/).includes('cover-image') || id === coverId)
      .map(([, i]) => i.path),
  );
  const images: EmbeddedImage[] = [];
  const blocks: BlockDraft[] = [];
  // A chapter listed twice is read once: repeats would multiply a small file's text (a bomb the sizes do not show).
  const seen = new Set<string>();
  for (const ref of childElements(spine, 'itemref')) {
    const item = items.get(attr(ref, 'idref') ?? '');
    // The nav document is the table of contents, not a chapter.
    if (!item || !CHAPTER_TYPES.has(item.mediaType) || item.properties.split(/\s+/).includes('nav')) continue;
    if (seen.has(item.path)) continue;
    seen.add(item.path);
    if (locked.has(item.path)) throw invalid(fileName, 'it is protected by DRM');
    const xhtml = zip.text(item.path);
    if (xhtml === undefined) continue;
    // Pictures are noted only when they may be read (OCR): their parts are inflated only then.
    const pictures: { src: string; at: number }[] = [];
    const onImage = readPictures ? (src: string, at: number) => pictures.push({ src, at }) : undefined;
    const chapter = htmlToBlocks(xhtml, { preferMain: false, ...(onImage && { onImage }) }).blocks;
    if (chapter.length === 0 && pictures.length === 0) continue;
    const tocTitle = titles.get(item.path);
    // A chapter that does not open with its own heading gets the table of contents' title as one; one of pictures
    // alone gets it only when their text is read.
    const heading: BlockDraft[] =
      chapter[0]?.kind !== 'heading' && tocTitle ? [{ kind: 'heading', level: 1, text: tocTitle }] : [];
    if (chapter.length > 0) blocks.push(...heading);
    for (const { src, at } of pictures) {
      const part = resolvePart(item.path, src);
      const mediaType = imageTypeOf(part) ?? mediaTypes.get(part) ?? '';
      if (locked.has(part) || covers.has(part)) continue;
      images.push({
        part,
        mediaType,
        read: zip.picture(part),
        // A picture above the chapter's own heading belongs to the chapter: its text goes under that heading.
        at: blocks.length + Math.max(at, chapter[0]?.kind === 'heading' ? 1 : 0),
        ...(chapter.length === 0 && heading.length > 0 && { before: heading }),
      });
    }
    blocks.push(...chapter);
  }
  const read = await withImageText(blocks, images, opts.imageOcr);
  const metaTitle = findFirstXml(opf, 'title');
  const title = metaTitle ? collapseSpaces(xmlText(metaTitle)) : '';
  const doc = assemble('epub', title || fileStem(fileName), read.blocks, { warnings: read.warnings });
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return read.refs.length > 0 ? { ...doc, ocrImages: read.refs } : doc;
}
