// Markdown ingestion: a line-based block parser (headings, paragraphs, lists, code, tables, quotes) without a DOM.
import { AppError } from '../errors';
import { assemble, collapseSpaces, dedent, fileStem, trimSpacesEnd, type BlockDraft } from './assemble';
import { assertLooksLikeText, assertNotEmpty, decodeText } from './text';
import type { ParsedDocument } from './types';

const FENCE_OPEN = /^( {0,3})(`{3,}|~{3,})(.*)$/;
// The text is taken whole and trimmed in code: a lazy (.*?) before [ \t]*$ is quadratic on a long run of spaces.
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*))?$/;
const SETEXT_1 = /^ {0,3}=+[ \t]*$/;
const SETEXT_2 = /^ {0,3}-+[ \t]*$/;
const THEMATIC = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])(?:[ \t]+|$)/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const HTML_BLOCK = /^ {0,3}<(?:\/?[A-Za-z][A-Za-z0-9-]*(?:[\s/>]|$)|!--)/;
const LINK_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*\S/;
const BLANK = /^[ \t]*$/;
/**
 * Quotes nest by recursion up to this depth; deeper markers are stripped all at once, so 50,000 nested "> " cannot
 * overflow the stack. A quote adds nothing to the blocks but its content: past the bound only the paragraph breaks
 * between lines of different depths are lost, never text.
 */
const MAX_QUOTE_DEPTH = 32;
// A whole HTML tag, quoted attribute values included (they may hold backticks or '>'). Names and unquoted values
// stop at '<', so a run of unclosed tags is scanned once, not once per '<' (that was quadratic); an unquoted value
// cannot start with a quote, so a quoted one has one reading only (two made an unclosed tag exponential).
const HTML_TAG = /<\/?[A-Za-z][\w:-]*(?:\s+[^\s=>/<]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`][^\s<>]*))?)*\s*\/?>/g;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00A0' };

/** An ATX heading's text without its optional closing sequence (` ##`), which must follow a space or stand alone. */
function withoutClosingHashes(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '#') end--;
  if (end === text.length) return text;
  if (end === 0) return '';
  const before = text[end - 1];
  return before === ' ' || before === '\t' ? trimSpacesEnd(text.slice(0, end), false) : text;
}

/** Decodes the handful of HTML entities Markdown authors actually write. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Strips inline Markdown syntax (links, emphasis, inline HTML, escapes) outside code spans. */
export function cleanInline(text: string): string {
  // Odd-indexed parts are code spans (kept verbatim, backticks included).
  const parts = text.split(/(`+[^`]*?`+)/);
  return parts
    .map((part, i) => {
      if (i % 2 === 1) return part;
      // Escaped punctuation hides in private-use code points until the syntax around it is gone.
      const hidden = part.replace(/\\([!-/:-@[-`{-~])/g, (_, c: string) =>
        String.fromCharCode(0xe000 + c.charCodeAt(0)),
      );
      return decodeEntities(
        hidden
          // Spans are bounded so that unclosed brackets and markers cost linear time, not quadratic. Link text stops
          // at the next '[' too (the innermost brackets are the link, as in CommonMark), so a run of '[' is read
          // once rather than 1,000 characters from each of them.
          .replace(/!\[([^[\]]{0,1000})\]\((?:[^()]|\([^)]{0,1000}\)){0,2000}\)/g, '$1')
          .replace(/\[([^[\]]{1,1000})\]\((?:[^()]|\([^)]{0,1000}\)){0,2000}\)/g, '$1')
          .replace(/\[([^[\]]{1,1000})\]\[[^\]]{0,1000}\]/g, '$1')
          .replace(/<((?:https?|mailto):[^>\s]+)>/gi, '$1')
          .replace(/<!--[\s\S]{0,10000}?-->/g, '')
          .replace(/<\/?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?\/?>/g, '')
          .replace(/(\*\*|__)(?=\S)([\s\S]{0,1000}?\S)\1/g, '$2')
          .replace(/~~(?=\S)([\s\S]{0,1000}?\S)~~/g, '$1')
          .replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, '$1')
          .replace(/(^|[^\w\\])_(?=[^\s_])([^_]*?[^\s_])_(?![\w])/g, '$1$2')
          .replace(/[\uE000-\uE07F]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xe000)),
      );
    })
    .join('');
}

function isFenceClose(line: string, fence: string): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return m !== null && m[1]![0] === fence[0] && m[1]!.length >= fence.length;
}

function indentOf(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (ch === ' ') n++;
    else if (ch === '\t') n += 4 - (n % 4);
    else break;
  }
  return n;
}

function stripIndent(line: string, count: number): string {
  let i = 0;
  let removed = 0;
  while (i < line.length && removed < count && (line[i] === ' ' || line[i] === '\t')) {
    removed += line[i] === '\t' ? 4 - (removed % 4) : 1;
    i++;
  }
  return line.slice(i);
}

function splitTableRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => collapseSpaces(cleanInline(cell.replace(/\\\|/g, '|'))));
}

function isListItem(line: string): boolean {
  return LIST_ITEM.test(line) && !THEMATIC.test(line);
}

/** True where a line starts a block that ends a running paragraph. */
function interruptsParagraph(line: string): boolean {
  if (ATX.test(line) || FENCE_OPEN.test(line) || QUOTE.test(line) || THEMATIC.test(line)) return true;
  if (HTML_BLOCK.test(line)) return true;
  // Only bullets and lists starting at 1 interrupt a paragraph (CommonMark), so "2024. A year" stays prose.
  const m = LIST_ITEM.exec(line);
  return (
    m !== null &&
    indentOf(line) < 4 &&
    (/^[-*+]$/.test(m[2]!) || /^1[.)]$/.test(m[2]!)) &&
    !BLANK.test(line.slice(m[0].length))
  );
}

interface Context {
  blocks: BlockDraft[];
  title?: string;
}

/** Joins paragraph lines: soft breaks become spaces, hard breaks (two spaces or a backslash) stay. */
function joinParagraph(lines: string[]): string {
  let out = '';
  lines.forEach((raw, i) => {
    // endsWith, not / {2,}$/: that regex tries a long run of spaces inside the line from each of its spaces.
    const hard = raw.endsWith('  ') || raw.endsWith('\\');
    const line = raw.trim().replace(/\\$/, '');
    out += line;
    if (i < lines.length - 1) out += hard ? '\n' : ' ';
  });
  return out;
}

/** A line without all its leading quote markers (`> > >x` is `x`), in one pass however deep they go. */
function stripQuoteMarkers(line: string): string {
  let at = 0;
  for (;;) {
    let p = at;
    while (p < line.length && p - at < 3 && line[p] === ' ') p++;
    if (line[p] !== '>') return line.slice(at);
    at = line[p + 1] === ' ' ? p + 2 : p + 1;
  }
}

function parseLines(lines: string[], ctx: Context, depth = 0): void {
  let i = 0;
  const emit = (block: BlockDraft) => {
    if (block.text.trim() !== '') ctx.blocks.push(block);
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (BLANK.test(line)) {
      i++;
      continue;
    }

    const fence = FENCE_OPEN.exec(line);
    if (fence && !(fence[2]![0] === '`' && fence[3]!.includes('`'))) {
      const indent = fence[1]!.length;
      const body: string[] = [];
      i++;
      while (i < lines.length && !isFenceClose(lines[i]!, fence[2]!)) body.push(stripIndent(lines[i++]!, indent));
      i++; // the closing fence (or past the end when unclosed)
      emit({ kind: 'code', text: body.join('\n') });
      continue;
    }

    const atx = ATX.exec(line);
    if (atx) {
      // CommonMark trims spaces and tabs here, not NBSPs.
      const raw = withoutClosingHashes(trimSpacesEnd(atx[2] ?? '', false));
      emit({ kind: 'heading', level: atx[1]!.length, text: collapseSpaces(cleanInline(raw)) });
      i++;
      continue;
    }

    if (THEMATIC.test(line)) {
      i++;
      continue;
    }

    if (/^ {0,3}<!--/.test(line)) {
      while (i < lines.length && !lines[i]!.includes('-->')) i++;
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner: string[] = [];
      const flatten = depth + 1 >= MAX_QUOTE_DEPTH;
      while (i < lines.length && !BLANK.test(lines[i]!)) {
        const l = lines[i]!;
        if (QUOTE.test(l)) inner.push(flatten ? stripQuoteMarkers(l) : l.replace(QUOTE, ''));
        else if (inner.length > 0 && !interruptsParagraph(l))
          inner.push(l); // lazy continuation
        else break;
        i++;
        // A blank line inside the quote (a bare ">") is kept as the inner blank line it stands for.
      }
      parseLines(inner, ctx, depth + 1);
      continue;
    }

    const next = lines[i + 1];
    if (line.includes('|') && next !== undefined && TABLE_DELIMITER.test(next) && next.includes('|')) {
      const rows = [splitTableRow(line)];
      i += 2;
      while (i < lines.length && !BLANK.test(lines[i]!) && lines[i]!.includes('|'))
        rows.push(splitTableRow(lines[i++]!));
      emit({ kind: 'table', text: rows.map((r) => r.join(' | ')).join('\n') });
      continue;
    }

    if (isListItem(line) && indentOf(line) < 4) {
      i = parseList(lines, i, ctx);
      continue;
    }

    if (indentOf(line) >= 4) {
      const body: string[] = [];
      while (i < lines.length && (indentOf(lines[i]!) >= 4 || BLANK.test(lines[i]!)))
        body.push(stripIndent(lines[i++]!, 4));
      emit({ kind: 'code', text: body.join('\n') });
      continue;
    }

    if (LINK_DEFINITION.test(line)) {
      i++;
      continue;
    }

    if (HTML_BLOCK.test(line)) {
      const html: string[] = [];
      while (i < lines.length && !BLANK.test(lines[i]!) && !(html.length > 0 && FENCE_OPEN.test(lines[i]!)))
        html.push(lines[i++]!);
      emit({ kind: 'paragraph', text: collapseSpaces(cleanInline(html.join('\n').replace(HTML_TAG, ''))) });
      continue;
    }

    // Paragraph, or a setext heading when an underline follows it.
    const para: string[] = [line];
    i++;
    let heading = 0;
    while (i < lines.length && !BLANK.test(lines[i]!)) {
      const l = lines[i]!;
      if (SETEXT_1.test(l)) heading = 1;
      else if (SETEXT_2.test(l)) heading = 2;
      if (heading) {
        i++;
        break;
      }
      if (interruptsParagraph(l)) break;
      para.push(l);
      i++;
    }
    if (heading) emit({ kind: 'heading', level: heading, text: collapseSpaces(cleanInline(para.join(' '))) });
    else emit({ kind: 'paragraph', text: cleanInline(joinParagraph(para)) });
  }
}

/**
 * Reads a list from lines[start] and emits it as one block, one line per item with its marker and relative
 * indentation. A fenced code block inside an item ends the list block so the code stays a block of its own.
 */
function parseList(lines: string[], start: number, ctx: Context): number {
  const items: { indent: number; text: string }[] = [];
  let i = start;
  const flush = () => {
    if (items.length === 0) return;
    const base = items.reduce((m, it) => Math.min(m, it.indent), Infinity);
    const text = items.map((it) => ' '.repeat(Math.max(0, it.indent - base)) + cleanInline(it.text)).join('\n');
    ctx.blocks.push({ kind: 'list', text });
    items.length = 0;
  };
  while (i < lines.length) {
    const line = lines[i]!;
    if (BLANK.test(line)) {
      // A blank line continues the list only if an item or an indented line follows.
      let j = i + 1;
      while (j < lines.length && BLANK.test(lines[j]!)) j++;
      const after = lines[j];
      if (after === undefined || !(isListItem(after) || indentOf(after) >= 2)) break;
      i = j;
      continue;
    }
    const fence = FENCE_OPEN.exec(line);
    if (fence && indentOf(line) >= 2) {
      flush();
      const indent = indentOf(line);
      const body: string[] = [];
      i++;
      while (i < lines.length && !isFenceClose(lines[i]!.trimStart(), fence[2]!))
        body.push(stripIndent(lines[i++]!, indent));
      i++;
      ctx.blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }
    if (indentOf(line) < 2 && !isListItem(line) && (interruptsParagraph(line) || items.length === 0)) break;
    const m = LIST_ITEM.exec(line);
    if (m && !THEMATIC.test(line)) {
      items.push({ indent: indentOf(line), text: `${m[2]} ${line.slice(m[0].length).trim()}` });
    } else if (items.length > 0) {
      const last = items[items.length - 1]!;
      last.text += ' ' + line.trim(); // continuation of the item
    } else {
      break;
    }
    i++;
  }
  flush();
  return i;
}

/** Skips YAML (---) or TOML (+++) front matter, returning the index of the first content line and any title. */
function skipFrontMatter(lines: string[]): { start: number; title?: string } {
  const open = lines[0]?.trim();
  if (open !== '---' && open !== '+++') return { start: 0 };
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === open || (open === '---' && l === '...')) {
      let title: string | undefined;
      for (const fm of lines.slice(1, i)) {
        const m = /^title\s*[:=]\s*(.+)$/i.exec(fm.trim());
        if (m) title = m[1]!.trim().replace(/^(["'])(.*)\1$/, '$2');
      }
      return title === undefined ? { start: i + 1 } : { start: i + 1, title };
    }
  }
  return { start: 0 };
}

/** Parses Markdown source text into block drafts and a title (front matter, else the leading heading). */
export function markdownBlocks(source: string): { blocks: BlockDraft[]; title?: string } {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const front = skipFrontMatter(lines);
  const ctx: Context = { blocks: [] };
  parseLines(lines.slice(front.start), ctx);
  const blocks = ctx.blocks.map((b) => (b.kind === 'code' ? { ...b, text: dedent(b.text) } : b));
  let title = front.title;
  if (title === undefined) {
    const h1 = blocks.find((b) => b.kind === 'heading' && b.level === 1);
    const first = blocks[0];
    title = h1?.text ?? (first?.kind === 'heading' ? first.text : undefined);
  }
  return title === undefined ? { blocks } : { blocks, title };
}

export async function parseMarkdown(bytes: Uint8Array, fileName: string): Promise<ParsedDocument> {
  assertNotEmpty(bytes, fileName);
  const decoded = decodeText(bytes);
  assertLooksLikeText(decoded.text, fileName);
  const { blocks, title } = markdownBlocks(decoded.text);
  const doc = assemble('markdown', title || fileStem(fileName), blocks, { warnings: decoded.warnings });
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
