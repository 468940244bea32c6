// DOCX page numbers: marks Word's page breaks in document.xml as sentinel text mammoth carries through, then turns the sentinels in the blocks into page numbers.
import type { BlockDraft } from './assemble';

/** An author's page break (`w:br w:type="page"`): the next text starts a page. */
export const HARD_BREAK = '\uE000';
/** Where Word's last layout ended a page (`w:lastRenderedPageBreak`); right after a hard break it is the same page. */
export const RENDERED_BREAK = '\uE001';
/** Section breaks that start the next section on an odd or an even page (a blank page between when needed). */
export const ODD_PAGE_BREAK = '\uE002';
export const EVEN_PAGE_BREAK = '\uE003';

/** The sentinel for a section that starts as `type` says (`w:type w:val`, default nextPage); none for continuous. */
function sectionMark(type: string | undefined): string | undefined {
  if (type === 'continuous' || type === 'nextColumn') return undefined;
  return type === 'oddPage' ? ODD_PAGE_BREAK : type === 'evenPage' ? EVEN_PAGE_BREAK : HARD_BREAK;
}

/** The value of `w:val="…"` in one tag, if any. */
function valOf(tag: string): string | undefined {
  const at = tag.indexOf('w:val="');
  if (at < 0) return undefined;
  const end = tag.indexOf('"', at + 7);
  return end < 0 ? undefined : tag.slice(at + 7, end);
}

/**
 * Each `w:sectPr`: where it ends and its start type. The last is the body's own; the others end their paragraph's
 * section. Every search moves forward from the last, so this is linear however the sections are written.
 */
function sections(xml: string): { end: number; type: string | undefined }[] {
  const found: { end: number; type: string | undefined }[] = [];
  let typeAt = 0;
  let changeAt = 0;
  for (let at = xml.indexOf('<w:sectPr'); at >= 0; at = xml.indexOf('<w:sectPr', at + 1)) {
    const tagEnd = xml.indexOf('>', at);
    if (tagEnd < 0) break;
    // `<w:sectPrChange>` (tracked, old properties) is not a section.
    const after = xml.charCodeAt(at + 9);
    if (after !== 32 && after !== 47 && after !== 62 && after !== 9 && after !== 10 && after !== 13) continue;
    const selfClosing = xml.charCodeAt(tagEnd - 1) === 47;
    let close = selfClosing ? tagEnd : xml.indexOf('</w:sectPr>', tagEnd);
    if (close < 0) break;
    // A tracked change holds the old properties in a w:sectPr of its own: the section ends after the change, and
    // its type is the one before the change.
    if (changeAt >= 0 && changeAt < tagEnd) changeAt = xml.indexOf('<w:sectPrChange', tagEnd);
    const ownEnd = changeAt >= 0 && changeAt < close ? changeAt : close;
    if (ownEnd !== close) {
      const changeClose = xml.indexOf('</w:sectPrChange>', ownEnd);
      close = changeClose < 0 ? -1 : xml.indexOf('</w:sectPr>', changeClose);
      if (close < 0) break;
    }
    if (typeAt >= 0 && typeAt < tagEnd) typeAt = xml.indexOf('<w:type ', tagEnd);
    let type: string | undefined;
    if (!selfClosing && typeAt >= 0 && typeAt < ownEnd) {
      const typeEnd = xml.indexOf('>', typeAt);
      if (typeEnd >= 0 && typeEnd < ownEnd) type = valOf(xml.slice(typeAt, typeEnd));
    }
    found.push({ end: close, type });
    at = close;
  }
  return found;
}

/**
 * A section ends with the paragraph holding its `w:sectPr`; how the next one starts is in the next `w:sectPr`. After
 * each such paragraph, a paragraph holding that start's sentinel.
 */
function markSections(xml: string, found: readonly { end: number; type: string | undefined }[]): string {
  let out = '';
  let from = 0;
  let paraEnd = 0;
  for (let i = 0; i + 1 < found.length; i++) {
    if (paraEnd >= 0 && paraEnd < found[i]!.end) paraEnd = xml.indexOf('</w:p>', found[i]!.end);
    if (paraEnd < 0) break;
    const mark = sectionMark(found[i + 1]!.type);
    if (mark === undefined || paraEnd + 6 <= from) continue;
    out += xml.slice(from, paraEnd + 6) + `<w:p>${run(mark)}</w:p>`;
    from = paraEnd + 6;
  }
  return out + xml.slice(from);
}

const run = (mark: string) => `<w:r><w:t>${mark}</w:t></w:r>`;

/** Each tag `<name …/>` (or `<name …>`) in `xml` replaced by `replace(tag)`, in one indexOf pass (linear on any input). */
function replaceTags(xml: string, name: string, replace: (tag: string) => string | undefined): string {
  let out = '';
  let from = 0;
  for (let at = xml.indexOf(`<${name}`, from); at >= 0; at = xml.indexOf(`<${name}`, from)) {
    const after = xml.charCodeAt(at + name.length + 1);
    // `<w:br` must not match `<w:brx`: the name ends at a space, `/` or `>`.
    const end = xml.indexOf('>', at);
    if (end < 0) break;
    if (after !== 32 && after !== 47 && after !== 62 && after !== 9 && after !== 10 && after !== 13) {
      out += xml.slice(from, end + 1);
      from = end + 1;
      continue;
    }
    const tag = xml.slice(at, end + 1);
    const replacement = replace(tag);
    out += xml.slice(from, at) + (replacement ?? tag);
    from = end + 1;
  }
  return out + xml.slice(from);
}

/**
 * The sentinels, at the start of the Private Use Area, as characters or as character references (which mammoth
 * decodes): a document already using them is not paged.
 */
const SENTINELS = /[\uE000-\uE003]|&#(?:[xX]0*[eE]00[0-3]|0*5734[4-7]);/;

/**
 * document.xml with each page break as a run of sentinel text mammoth keeps: Word's rendered breaks, hard breaks and
 * section starts in place. Undefined when the file holds no rendered break: only a file Word laid out says where its
 * pages turn (an export from elsewhere with one section break is not a two-page document), and such a file is cited
 * by section instead. A rendered break follows every hard break and section start that has text after it, so those
 * count only where a page is left blank (pagesFromMarks).
 */
export function markPageBreaks(xml: string): string | undefined {
  if (!xml.includes('<w:lastRenderedPageBreak') || SENTINELS.test(xml)) return undefined;
  const marked = replaceTags(
    markSections(xml, sections(xml)),
    'w:lastRenderedPageBreak',
    () => `<w:t>${RENDERED_BREAK}</w:t>`,
  );
  return replaceTags(marked, 'w:br', (tag) => (tag.includes('w:type="page"') ? `<w:t>${HARD_BREAK}</w:t>` : undefined));
}

/**
 * The blocks with the sentinels taken out and a 1-based page on each: the page its first visible character is on.
 * A rendered break right after a hard one (nothing visible between) is the same page turn, counted once. Blocks left
 * empty (a paragraph that held only a break) are dropped. Returns the page count too.
 */
export function pagesFromMarks(blocks: readonly BlockDraft[]): { blocks: BlockDraft[]; pageCount: number } {
  let page = 1;
  let afterHard = false;
  const out: BlockDraft[] = [];
  for (const block of blocks) {
    let text = '';
    let start: number | undefined;
    for (const c of block.text) {
      if (c === HARD_BREAK || c === ODD_PAGE_BREAK || c === EVEN_PAGE_BREAK) {
        // Right after another hard break with nothing visible between, a section break is that same page turn.
        if (!afterHard || c === HARD_BREAK) page++;
        if ((c === ODD_PAGE_BREAK && page % 2 === 0) || (c === EVEN_PAGE_BREAK && page % 2 === 1)) page++;
        afterHard = true;
      } else if (c === RENDERED_BREAK) {
        if (!afterHard) page++;
        afterHard = false;
      } else {
        text += c;
        if (c.trim() !== '') {
          start ??= page;
          afterHard = false;
        }
      }
    }
    if (start !== undefined) out.push({ ...block, text, page: start });
  }
  return { blocks: out, pageCount: page };
}
