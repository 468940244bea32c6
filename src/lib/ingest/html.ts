// HTML ingestion with htmlparser2 (no DOM, so nothing in the page can run): main content, headings, lists, tables.
import { Parser } from 'htmlparser2';
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import { assertLooksLikeText, assertNotEmpty, decodeText } from './text';
import type { DocumentKind, ParsedDocument } from './types';

/** A minimal element tree: enough structure to pick the main content and walk it. */
export interface HtmlElement {
  name: string;
  attribs: Record<string, string>;
  children: HtmlNode[];
  parent: HtmlElement | null;
}
export type HtmlNode = HtmlElement | string;

/** Never read: code, styling, metadata, embedded media and form controls. */
const SKIP = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'head',
  'title',
  'meta',
  'link',
  'base',
  'svg',
  'canvas',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'video',
  'audio',
  'source',
  'track',
  'map',
  'img',
  'picture',
  'input',
  'button',
  'select',
  'option',
  'optgroup',
  'textarea',
  'datalist',
  'dialog',
  'param',
  'area',
]);

const BLOCK = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'caption',
  'center',
  'dd',
  'details',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'header',
  'hgroup',
  'hr',
  'html',
  'legend',
  'li',
  'main',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'ul',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'listing',
  'xmp',
  'plaintext',
  'menu',
  'search',
]);

const HIDDEN_CLASS = /(?:^|\s)(?:sr-only|visually-hidden|element-invisible|screen-reader-text|hidden)(?:\s|$)/i;

const MAX_DEPTH = 256;

/**
 * Builds the element tree with htmlparser2's streaming callbacks (it handles implied end tags). With `xml`, the
 * source is read as XML (the OOXML, ODF and EPUB parts): names keep their case and namespace prefix, no HTML rules.
 */
export function parseHtmlTree(html: string, opts: { xml?: boolean } = {}): HtmlElement {
  const root: HtmlElement = { name: '#root', attribs: {}, children: [], parent: null };
  let current = root;
  // Past MAX_DEPTH, elements are attached flat: hostile nesting cannot blow the stack of the walkers.
  const descended: boolean[] = [];
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        const el: HtmlElement = { name, attribs, children: [], parent: current };
        current.children.push(el);
        // Skipped and hidden elements still nest, so their content stays out of view; walkers never enter them.
        const deeper = descended.length < MAX_DEPTH || SKIP.has(name) || isHidden(el);
        descended.push(deeper);
        if (deeper) current = el;
      },
      ontext(text) {
        const last = current.children[current.children.length - 1];
        if (typeof last === 'string') current.children[current.children.length - 1] = last + text;
        else current.children.push(text);
      },
      onclosetag() {
        if (descended.pop() && current.parent) current = current.parent;
      },
    },
    opts.xml
      ? { xmlMode: true, decodeEntities: true }
      : { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  return root;
}

function isHidden(el: HtmlElement): boolean {
  const a = el.attribs;
  if ('hidden' in a || a['aria-hidden'] === 'true' || a.type === 'hidden') return true;
  if (a.style && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(a.style)) return true;
  return a.class !== undefined && HIDDEN_CLASS.test(a.class);
}

/** Visible descendant elements in document order. */
function elements(node: HtmlElement): HtmlElement[] {
  const out: HtmlElement[] = [];
  const stack: HtmlNode[] = [...node.children].reverse();
  while (stack.length > 0) {
    const child = stack.pop()!;
    if (typeof child === 'string' || SKIP.has(child.name) || isHidden(child)) continue;
    out.push(child);
    for (let i = child.children.length - 1; i >= 0; i--) stack.push(child.children[i]!);
  }
  return out;
}

/** Visible text of a subtree, whitespace collapsed; nested tables read as "a, b; c, d". */
function textOf(node: HtmlNode, preserve = false): string {
  if (typeof node === 'string') return node;
  if (SKIP.has(node.name) || isHidden(node)) return '';
  if (node.name === 'br') return preserve ? '\n' : ' ';
  if (node.name === 'table' && !preserve) {
    return tableRows(node)
      .map((row) => row.join(', '))
      .join('; ');
  }
  const inner = node.children.map((c) => textOf(c, preserve)).join('');
  return BLOCK.has(node.name) && !preserve ? ` ${inner} ` : inner;
}

/** The rows of a table (not of tables nested in it), as lists of non-empty cell texts. */
function tableRows(table: HtmlElement): string[][] {
  const rows: string[][] = [];
  const visit = (el: HtmlElement) => {
    for (const child of el.children) {
      if (typeof child === 'string' || SKIP.has(child.name) || isHidden(child)) continue;
      if (child.name === 'tr') {
        const cells: string[] = [];
        for (const cell of child.children) {
          if (typeof cell === 'string' || (cell.name !== 'td' && cell.name !== 'th') || isHidden(cell)) continue;
          const text = collapseSpaces(textOf(cell));
          if (text === '') continue;
          // Financial tables put "$", "%" and ")" in cells of their own; they belong to the neighbouring number.
          const prev = cells.length - 1;
          if (prev >= 0 && /^[$€£¥]$/.test(cells[prev]!)) cells[prev] = cells[prev]! + text;
          else if (prev >= 0 && /^(?:%|\)|%\))$/.test(text)) cells[prev] = cells[prev]! + text;
          else cells.push(text);
        }
        if (cells.length > 0) rows.push(cells);
      } else if (child.name !== 'table') {
        visit(child); // thead, tbody, tfoot (and stray wrappers)
      }
    }
  };
  visit(table);
  return rows;
}

/** Lines of a list, one per item, nested items indented two spaces per level. */
function listLines(list: HtmlElement, depth: number, out: string[]): void {
  let n = Number.parseInt(list.attribs.start ?? '1', 10);
  if (!Number.isFinite(n)) n = 1;
  for (const child of list.children) {
    if (typeof child === 'string' || SKIP.has(child.name) || isHidden(child)) continue;
    if (child.name === 'ul' || child.name === 'ol') {
      listLines(child, depth + 1, out); // a list directly inside a list (invalid, but common)
      continue;
    }
    const nested: HtmlElement[] = [];
    const own = child.children
      .map((c) => {
        if (typeof c !== 'string' && (c.name === 'ul' || c.name === 'ol')) {
          nested.push(c);
          return ' ';
        }
        return textOf(c);
      })
      .join('');
    const text = collapseSpaces(own);
    const marker = list.name === 'ol' ? `${n++}.` : '-';
    if (text !== '') out.push(`${'  '.repeat(depth)}${marker} ${text}`);
    for (const sub of nested) listLines(sub, depth + 1, out);
  }
}

const BOLD_STYLE = /font-weight\s*:\s*(?:bold|bolder|[6-9]00)\b/i;
const isBold = (el: HtmlElement) => el.name === 'b' || el.name === 'strong' || BOLD_STYLE.test(el.attribs.style ?? '');
/** Longest text an element with role=heading may hold and still be read as one heading. */
const ARIA_HEADING_CHARS = 200;
/** Longest text read as a heading when only its boldness says so. */
const BOLD_HEADING_CHARS = 100;

/**
 * The text of a short paragraph set wholly in bold (b, strong or a bold font-weight), else undefined. Reads at most
 * 64 nodes and BOLD_HEADING_CHARS characters, so checking every paragraph stays linear.
 */
function boldHeadingText(block: HtmlElement): string | undefined {
  let text = '';
  let budget = 64;
  const stack: [HtmlNode, boolean][] = [[block, isBold(block)]];
  while (stack.length > 0) {
    if (--budget < 0) return undefined;
    const [node, bold] = stack.pop()!;
    if (typeof node === 'string') {
      if (node.trim() === '') {
        text += ' ';
        continue;
      }
      if (!bold) return undefined;
      text += node;
      if (text.length > BOLD_HEADING_CHARS * 2) return undefined;
      continue;
    }
    if (SKIP.has(node.name) || isHidden(node)) continue;
    if (node.name === 'br') text += ' ';
    else if (node !== block && (BLOCK.has(node.name) || node.name === 'table')) return undefined;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, bold || isBold(node)]);
  }
  const heading = collapseSpaces(text);
  // A label ("Commission file number:"), a sentence, a parenthetical note or a bare number is not a heading.
  if (heading.length < 2 || heading.length > BOLD_HEADING_CHARS || !/\p{L}/u.test(heading)) return undefined;
  if (/[.,;:]$/.test(heading) || heading.startsWith('(')) return undefined;
  return heading;
}

/**
 * The visible text of an element when it is short (at most `limit` characters once spaces collapse), else undefined.
 * Reads at most 1,000 nodes and stops past twice the limit, so asking it of nested elements stays linear.
 */
function shortText(el: HtmlElement, limit: number): string | undefined {
  let text = '';
  let budget = 1000;
  const stack: HtmlNode[] = [el];
  while (stack.length > 0) {
    if (--budget < 0) return undefined;
    const node = stack.pop()!;
    if (typeof node === 'string') {
      text += node;
      if (text.length > limit * 2) return undefined;
      continue;
    }
    if (SKIP.has(node.name) || isHidden(node)) continue;
    if (node.name === 'br' || BLOCK.has(node.name)) text += ' ';
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  const short = collapseSpaces(text);
  return short.length <= limit ? short : undefined;
}

/** Walks content and emits blocks; inline text accumulates until a block boundary. */
class BlockBuilder {
  readonly blocks: BlockDraft[] = [];
  private buffer = '';
  /** Whether the buffer holds more than whitespace (kept as text is added: trimming the buffer each time is quadratic). */
  private buffered = false;
  /**
   * dropChrome: drop nav and aside (used inside a chosen main region). boldHeadings: in a page without heading
   * elements, read a short paragraph wholly in bold as a heading, so its passages get a heading path.
   */
  /** Pictures met inside the paragraph being read: they stand after it. */
  private pictures: string[] = [];

  constructor(
    private readonly dropChrome: boolean,
    private readonly boldHeadings = false,
    private readonly onImage?: (src: string, at: number) => void,
  ) {}

  flush(): void {
    const text = this.buffer
      .replace(/[^\S\n]+/g, ' ')
      .replace(/ *\n */g, '\n')
      .replace(/\n{2,}/g, '\n')
      .trim();
    if (text !== '') this.blocks.push({ kind: 'paragraph', text });
    this.buffer = '';
    this.buffered = false;
    for (const src of this.pictures) this.onImage?.(src, this.blocks.length);
    this.pictures = [];
  }

  /** A picture (img, or an SVG's image): where it stands, for recognising its text on request. */
  private picture(node: HtmlElement): void {
    const sources =
      node.name === 'svg'
        ? elements(node)
            .filter((el) => el.name === 'image')
            .map((el) => el.attribs.href ?? el.attribs['xlink:href'])
        : [node.attribs.src];
    for (const src of sources) {
      if (!src) continue;
      if (!this.buffered) this.onImage?.(src, this.blocks.length);
      else this.pictures.push(src);
    }
  }

  /** The pictures inside a block read whole (a table, a list, a heading, code): they stand after it. */
  private picturesIn(node: HtmlElement): void {
    if (!this.onImage) return;
    const stack: HtmlNode[] = [...node.children].reverse();
    while (stack.length > 0) {
      const el = stack.pop()!;
      if (typeof el === 'string' || isHidden(el)) continue;
      if (el.name === 'img' || el.name === 'svg') this.picture(el);
      else if (el.name === 'picture' || !SKIP.has(el.name))
        for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i]!);
    }
  }

  walk(node: HtmlNode): void {
    if (typeof node === 'string') {
      this.buffer += node.replace(/\s+/g, ' ');
      if (!this.buffered && /\S/.test(node)) this.buffered = true;
      return;
    }
    const name = node.name;
    if (this.onImage && !isHidden(node)) {
      if (name === 'img' || name === 'svg') this.picture(node);
      else if (name === 'picture') this.picturesIn(node);
    }
    if (SKIP.has(name) || isHidden(node)) return;
    if (this.dropChrome && (name === 'nav' || name === 'aside' || node.attribs.role === 'navigation')) return;
    if (name === 'br') {
      this.buffer += '\n';
      return;
    }
    const heading = /^h([1-6])$/.exec(name);
    // role=heading on a container that holds a whole section is not a heading: read it as content instead.
    const ariaText = !heading && node.attribs.role === 'heading' ? shortText(node, ARIA_HEADING_CHARS) : undefined;
    if (heading || ariaText !== undefined) {
      this.flush();
      const level = heading ? Number(heading[1]) : Math.min(6, Math.max(1, Number(node.attribs['aria-level']) || 2));
      this.blocks.push({ kind: 'heading', level, text: ariaText ?? collapseSpaces(textOf(node)) });
      this.picturesIn(node);
      return;
    }
    if (this.boldHeadings && (name === 'p' || name === 'div' || name === 'center')) {
      const text = boldHeadingText(node);
      if (text !== undefined) {
        this.flush();
        this.blocks.push({ kind: 'heading', level: 2, text });
        this.picturesIn(node);
        return;
      }
    }
    if (name === 'pre' || name === 'listing' || name === 'xmp' || name === 'plaintext') {
      this.flush();
      this.blocks.push({ kind: 'code', text: textOf(node, true).replace(/^\n/, '') });
      this.picturesIn(node);
      return;
    }
    if (name === 'ul' || name === 'ol' || name === 'menu') {
      this.flush();
      const lines: string[] = [];
      listLines(node, 0, lines);
      if (lines.length > 0) this.blocks.push({ kind: 'list', text: lines.join('\n') });
      this.picturesIn(node);
      return;
    }
    if (name === 'table' && !isLayoutTable(node)) {
      this.flush();
      const rows = tableRows(node);
      if (rows.length > 0) this.blocks.push({ kind: 'table', text: rows.map((r) => r.join(' | ')).join('\n') });
      this.picturesIn(node);
      return;
    }
    const block = BLOCK.has(name);
    if (block) this.flush();
    for (const child of node.children) this.walk(child);
    if (block) this.flush();
  }
}

/** A table used for page layout: one cell per row, or cells holding headings or whole sections. */
function isLayoutTable(table: HtmlElement): boolean {
  const rows = tableRows(table);
  if (rows.every((r) => r.length <= 1)) return true;
  for (const el of elements(table)) {
    if (/^h[1-6]$/.test(el.name) || el.name === 'article' || el.name === 'main') return true;
  }
  return false;
}

/** The regions holding the main content: <main> or role=main, else top-level <article>s, else everything. */
function mainRegions(root: HtmlElement): { regions: HtmlElement[]; isMain: boolean } {
  const all = elements(root);
  const hasText = (el: HtmlElement) => collapseSpaces(textOf(el)) !== '';
  const main = all.find((el) => (el.name === 'main' || el.attribs.role === 'main') && hasText(el));
  if (main) return { regions: [main], isMain: true };
  const articles = all.filter((el) => el.name === 'article' && hasText(el));
  const topLevel = articles.filter((a) => {
    for (let p = a.parent; p; p = p.parent) if (p.name === 'article') return false;
    return true;
  });
  if (topLevel.length > 0) return { regions: topLevel, isMain: true };
  return { regions: [root], isMain: false };
}

function findFirst(root: HtmlElement, name: string): HtmlElement | undefined {
  const stack: HtmlNode[] = [...root.children].reverse();
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (typeof node === 'string') continue;
    if (node.name === name) return node;
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
  }
  return undefined;
}

/** HTML source to blocks and title; shared with DOCX (mammoth writes HTML). */
export function htmlToBlocks(
  html: string,
  opts: {
    preferMain?: boolean;
    boldHeadings?: boolean;
    /** Told of each picture (its src) and the index in the blocks where it stands, in reading order. */
    onImage?: (src: string, at: number) => void;
  } = {},
): { blocks: BlockDraft[]; title?: string } {
  const root = parseHtmlTree(html);
  const { regions, isMain } = opts.preferMain === false ? { regions: [root], isMain: false } : mainRegions(root);
  const hasHeadings = () => elements(root).some((el) => /^h[1-6]$/.test(el.name) || el.attribs.role === 'heading');
  const builder = new BlockBuilder(isMain, opts.boldHeadings === true && !hasHeadings(), opts.onImage);
  for (const region of regions) {
    builder.walk(region);
    builder.flush();
  }
  const titleEl = findFirst(root, 'title');
  let title = titleEl ? collapseSpaces(titleEl.children.filter((c) => typeof c === 'string').join(' ')) : '';
  if (title === '') title = builder.blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text ?? '';
  return title === '' ? { blocks: builder.blocks } : { blocks: builder.blocks, title };
}

/** The charset an HTML file declares in its first kilobyte (meta charset or http-equiv), if any. */
export function sniffHtmlCharset(bytes: Uint8Array): string | undefined {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  const m =
    /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head) ?? /<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)/i.exec(head);
  return m?.[1];
}

export async function parseHtml(
  bytes: Uint8Array,
  fileName: string,
  kind: DocumentKind = 'html',
): Promise<ParsedDocument> {
  assertNotEmpty(bytes, fileName);
  const decoded = decodeText(bytes, sniffHtmlCharset(bytes));
  assertLooksLikeText(decoded.text, fileName);
  const { blocks, title } = htmlToBlocks(decoded.text, { boldHeadings: true });
  const doc = assemble(kind, title || fileStem(fileName), blocks, { warnings: decoded.warnings });
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
