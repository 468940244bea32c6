// RTF ingestion: one linear pass over groups and control words into paragraphs, headings (outline level or a "heading N" style) and tables; pictures, objects and field codes are never read.
// Hand-written: rtf-parser and rtf-stream-parser are Node stream transforms, and rtf.js (3.0.9) renders into a DOM
// from a 2.1 MB minified bundle; text needs neither, and this reader is 2.5 kB gz (rolldown --minify) on TextDecoder alone.
import { AppError } from '../errors';
import { assemble, collapseSpaces, fileStem, type BlockDraft } from './assemble';
import type { ParsedDocument } from './types';

/** Groups deeper than this are refused: real documents stay far below it, and each level holds a state. */
export const RTF_MAX_DEPTH = 1000;

/** Destinations whose content is not the document's text: tables of fonts and colours, pictures, embedded objects, field code, headers and footers, notes, revision data. */
const SKIPPED = new Set(
  (
    'fonttbl colortbl pict object objdata header headerl headerr headerf footer footerl footerr footerf ' +
    'footnote fldinst xe tc tcn bkmkstart bkmkend themedata colorschememapping datastore latentstyles listtable ' +
    'listoverridetable rsidtbl generator xmlnstbl mmathPr filetbl revtbl private pgdsctbl annotation atnid ' +
    'atnauthor atndate atnref nonshppict sp userprops docvar template'
  ).split(' '),
);

/** Control words that stand for one character. */
const CHARS: Record<string, string> = {
  emdash: '\u2014',
  endash: '\u2013',
  bullet: '\u2022',
  lquote: '\u2018',
  rquote: '\u2019',
  ldblquote: '\u201C',
  rdblquote: '\u201D',
  emspace: ' ',
  enspace: ' ',
  qmspace: ' ',
  tab: '\t',
  line: '\n',
};

/** Windows character sets (\fcharset) as code pages. */
const CHARSET_CODEPAGE: Record<number, number> = {
  128: 932,
  129: 949,
  134: 936,
  136: 950,
  161: 1253,
  162: 1254,
  163: 1258,
  177: 1255,
  178: 1256,
  186: 1257,
  204: 1251,
  222: 874,
  238: 1250,
};

/** TextDecoder labels for code pages; an unknown one reads as Windows-1252. */
function codepageLabel(cp: number): string {
  if (cp === 932) return 'shift_jis';
  if (cp === 936) return 'gbk';
  if (cp === 949) return 'euc-kr';
  if (cp === 950) return 'big5';
  if (cp === 10000) return 'macintosh';
  if (cp === 874 || (cp >= 1250 && cp <= 1258)) return `windows-${cp}`;
  if (cp === 866) return 'ibm866';
  return 'windows-1252';
}

type Destination = 'body' | 'title' | 'style' | 'fonttbl' | 'none';

interface GroupState {
  dest: Destination;
  /** Characters to skip after \uN (its ANSI fallback). */
  uc: number;
  hidden: boolean;
  font: number;
  style: number;
  outline: number | undefined;
  inTable: boolean;
}

/** A paragraph style: its name and outline level (from the style sheet). */
interface Style {
  name: string;
  outline: number | undefined;
}

/** Heading level (1-6) of a paragraph: its own outline level, else its style's, else a style named "heading N" or "Title". */
function headingLevel(outline: number | undefined, style: Style | undefined): number | undefined {
  const level = outline ?? style?.outline;
  if (level !== undefined) return level >= 0 && level <= 5 ? level + 1 : undefined;
  const name = style?.name.trim().toLowerCase() ?? '';
  const m = /^heading\s*([1-9])$/.exec(name);
  if (m) return Math.min(6, Number(m[1]));
  return name === 'title' ? 1 : undefined;
}

const isLetter = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
const isDigit = (c: number) => c >= 48 && c <= 57;
const hexValue = (c: number) => (isDigit(c) ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1);

/** Where `{\rtf` starts, after an optional UTF-8 BOM and a little whitespace (some writers add them); -1 when it does not. */
function rtfStart(bytes: Uint8Array): number {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (const limit = i + 64; i < limit && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i]!);) i++;
  const magic = bytes[i] === 0x7b && bytes[i + 1] === 0x5c && bytes[i + 2] === 0x72 && bytes[i + 3] === 0x74;
  return magic && bytes[i + 4] === 0x66 ? i : -1;
}

const isBlank = (text: string) => text.trim() === '';

/** True when the bytes start like an RTF file (`{\rtf`, perhaps after a BOM or whitespace). */
export const hasRtfMagic = (bytes: Uint8Array): boolean => rtfStart(bytes) >= 0;

export async function parseRtf(bytes: Uint8Array, fileName: string): Promise<ParsedDocument> {
  const start = rtfStart(bytes);
  if (start < 0) {
    throw new AppError('RTF_INVALID', undefined, { fileName, reason: 'it does not start with an RTF header' });
  }
  const blocks: BlockDraft[] = [];
  const styles = new Map<number, Style>();
  const fontCodepage = new Map<number, number>();
  const decoders = new Map<string, TextDecoder>();
  let ansiCodepage = 1252;
  let title = '';
  let styleName = '';
  let styleOutline: number | undefined;
  let styleIndex = 0;
  let fontIndex = 0;

  let state: GroupState = {
    dest: 'body',
    uc: 1,
    hidden: false,
    font: -1,
    style: 0,
    outline: undefined,
    inTable: false,
  };
  const stack: GroupState[] = [];
  let pending: number[] = [];
  let toSkip = 0;
  let para = '';
  let cell = '';
  let row: string[] = [];
  let table: string[] = [];
  /** A \row just ended and no new row began (\trowd or \intbl): a paragraph now is after the table, not in it. */
  let rowJustEnded = false;

  const decoder = (): TextDecoder => {
    const cp = fontCodepage.get(state.font) ?? ansiCodepage;
    const label = codepageLabel(cp);
    let d = decoders.get(label);
    if (!d) {
      try {
        d = new TextDecoder(label);
      } catch {
        d = new TextDecoder('windows-1252');
      }
      decoders.set(label, d);
    }
    return d;
  };
  const emit = (text: string) => {
    if (state.hidden || text === '') return;
    if (state.dest === 'body') para += text;
    else if (state.dest === 'title') title += text;
    else if (state.dest === 'style') styleName += text;
  };
  /** Whether the last decode left the decoder mid-stream (a long run of text decoded in parts). */
  let streaming = false;
  /** Decodes the pending bytes; `more` keeps the decoder's state for bytes still to come (a multi-byte character cut). */
  const flush = (more = false) => {
    if (pending.length === 0 && !streaming) return;
    const text = decoder().decode(Uint8Array.from(pending), { stream: more });
    pending = [];
    streaming = more;
    emit(text);
  };
  /** One byte of text; a long run is decoded every 64 KiB, so memory stays flat however long the text. */
  const pushByte = (b: number) => {
    pending.push(b);
    if (pending.length >= 65_536) flush(true);
  };
  const flushTable = () => {
    if (cell.trim() !== '') row.push(collapseSpaces(cell));
    cell = '';
    if (row.length > 0) table.push(row.join(' | '));
    row = [];
    if (table.length > 0) blocks.push({ kind: 'table', text: table.join('\n') });
    table = [];
  };
  const endParagraph = () => {
    flush();
    if (state.inTable && !rowJustEnded) {
      cell += `${para} `;
      para = '';
      return;
    }
    flushTable();
    const raw = para;
    para = '';
    const text = collapseSpaces(raw);
    if (text === '') return;
    const level = headingLevel(state.outline, styles.get(state.style));
    blocks.push(level === undefined ? { kind: 'paragraph', text: raw } : { kind: 'heading', level, text });
  };
  const endCell = () => {
    flush();
    rowJustEnded = false;
    cell += para;
    para = '';
    row.push(collapseSpaces(cell));
    cell = '';
  };
  const endRow = () => {
    flush();
    // A blank cell or paragraph is cleared once checked, so a run of \row over it is not re-scanned (quadratic).
    if (isBlank(cell)) cell = '';
    if (isBlank(para)) para = '';
    if (cell !== '' || para !== '') endCell();
    while (row.length > 0 && row[row.length - 1] === '') row.pop();
    if (row.some((c) => c !== '')) table.push(row.join(' | '));
    row = [];
    rowJustEnded = true;
  };
  /** One character of text (a byte, a hex escape or a symbol), unless it is the fallback of a \uN. */
  const skipped = () => {
    if (toSkip <= 0) return false;
    toSkip--;
    return true;
  };

  const controlWord = (word: string, param: number | undefined, hasParam: boolean) => {
    if (SKIPPED.has(word)) {
      flush();
      if (word === 'fonttbl') state.dest = 'fonttbl';
      else state.dest = 'none';
      return;
    }
    switch (word) {
      // Paragraph and table structure belongs to the body: a footnote's or a header's \par must not end a body paragraph.
      case 'par':
      case 'sect':
        if (state.dest === 'body') endParagraph();
        else if (state.dest === 'title' || state.dest === 'style') {
          flush();
          emit(' ');
        }
        return;
      case 'page':
        // A page break inside a paragraph ends nothing; between paragraphs it is already a boundary.
        return;
      case 'cell':
        if (state.dest === 'body') endCell();
        return;
      case 'row':
        if (state.dest === 'body') endRow();
        return;
      case 'nestcell':
        // A table inside a cell is read as text of the outer cell.
        flush();
        emit(' ');
        return;
      case 'nestrow':
        return;
      case 'shptxt':
        // A text box's text (inside the skipped shape instructions) is part of the document.
        flush();
        state.dest = 'body';
        return;
      case 'pard':
        flush();
        state.style = 0;
        state.outline = undefined;
        state.inTable = false;
        return;
      case 'intbl':
        state.inTable = true;
        rowJustEnded = false;
        return;
      case 'trowd':
        rowJustEnded = false;
        return;
      case 's':
        if (state.dest === 'style') styleIndex = param ?? 0;
        else state.style = param ?? 0;
        return;
      case 'outlinelevel':
        if (state.dest === 'style') styleOutline = param;
        else state.outline = param;
        return;
      case 'stylesheet':
        flush();
        state.dest = 'style';
        styleName = '';
        styleIndex = 0;
        styleOutline = undefined;
        return;
      case 'info':
        flush();
        state.dest = 'none';
        return;
      case 'title':
        flush();
        state.dest = 'title';
        title = '';
        return;
      case 'f':
        flush();
        if (state.dest === 'fonttbl') fontIndex = param ?? 0;
        else state.font = param ?? 0;
        return;
      case 'fcharset':
        if (state.dest === 'fonttbl' && param !== undefined && CHARSET_CODEPAGE[param] !== undefined)
          fontCodepage.set(fontIndex, CHARSET_CODEPAGE[param]!);
        return;
      case 'ansicpg':
        flush();
        if (param !== undefined && param > 0) ansiCodepage = param;
        return;
      case 'mac':
        flush();
        ansiCodepage = 10000;
        return;
      case 'pc':
        flush();
        ansiCodepage = 437;
        return;
      case 'pca':
        flush();
        ansiCodepage = 850;
        return;
      case 'deleted':
        // Tracked deletion: text the author removed.
        flush();
        state.hidden = !hasParam || param !== 0;
        return;
      case 'v':
        flush();
        state.hidden = !hasParam || param !== 0;
        return;
      case 'plain':
        flush();
        state.hidden = false;
        return;
      case 'uc':
        state.uc = Math.max(0, param ?? 1);
        return;
      case 'u': {
        flush();
        const unit = (param ?? 0) < 0 ? (param ?? 0) + 65536 : (param ?? 0);
        emit(String.fromCharCode(unit & 0xffff));
        toSkip = state.uc;
        return;
      }
      default: {
        const ch = CHARS[word];
        if (ch !== undefined) {
          flush();
          emit(ch);
        }
      }
    }
  };

  const n = bytes.length;
  let i = start;
  while (i < n) {
    const c = bytes[i]!;
    if (c === 0x7b) {
      // {
      flush();
      toSkip = 0;
      if (stack.length >= RTF_MAX_DEPTH)
        throw new AppError('RTF_INVALID', undefined, { fileName, reason: 'its groups nest too deeply' });
      stack.push(state);
      state = { ...state };
      i++;
      // {\* \destination …}: an optional destination this reader does not know is skipped whole.
      if (bytes[i] === 0x5c && bytes[i + 1] === 0x2a) {
        state.dest = 'none';
        i += 2;
      }
    } else if (c === 0x7d) {
      // }
      flush();
      toSkip = 0;
      // The file's last paragraph may have no \par: end it while its own properties (its style) still hold.
      if (stack.length === 1 && state.dest === 'body') {
        if (isBlank(para)) para = '';
        else endParagraph();
      }
      const closing = state;
      state = stack.pop() ?? state;
      // A style sheet entry ends with its group: "heading 1;" under \s1.
      if (closing.dest === 'style' && state.dest === 'style') {
        const trimmed = styleName.trim();
        const name = (trimmed.endsWith(';') ? trimmed.slice(0, -1) : trimmed).trim();
        if (name !== '') styles.set(styleIndex, { name, outline: styleOutline });
        styleName = '';
        styleIndex = 0;
        styleOutline = undefined;
      }
      i++;
    } else if (c === 0x5c) {
      // backslash
      const next = bytes[i + 1];
      if (next === undefined) break;
      if (isLetter(next)) {
        let j = i + 1;
        while (j < n && j - i <= 32 && isLetter(bytes[j]!)) j++;
        const word = String.fromCharCode(...bytes.subarray(i + 1, j));
        let param: number | undefined;
        let hasParam = false;
        let k = j;
        const negative = bytes[k] === 0x2d && k + 1 < n && isDigit(bytes[k + 1]!);
        if (negative) k++;
        const digitsFrom = k;
        while (k < n && k - digitsFrom < 10 && isDigit(bytes[k]!)) k++;
        if (k > digitsFrom) {
          hasParam = true;
          param = Number(String.fromCharCode(...bytes.subarray(digitsFrom, k))) * (negative ? -1 : 1);
        } else k = j;
        if (bytes[k] === 0x20) k++; // the delimiting space belongs to the control word
        i = k;
        if (word === 'bin') {
          // Binary data follows: skip it, whatever it holds.
          flush();
          i += Math.max(0, param ?? 0);
          continue;
        }
        controlWord(word, param, hasParam);
      } else if (next === 0x27) {
        // \'hh: a byte in the current code page
        const hi = hexValue(bytes[i + 2] ?? 0);
        const lo = hexValue(bytes[i + 3] ?? 0);
        i += hi >= 0 && lo >= 0 ? 4 : 2;
        if (hi >= 0 && lo >= 0 && !skipped() && state.dest !== 'none' && state.dest !== 'fonttbl')
          pushByte(hi * 16 + lo);
      } else if (next === 0x0d || next === 0x0a) {
        i += 2;
        endParagraph();
      } else {
        i += 2;
        if (skipped()) continue;
        if (next === 0x5c || next === 0x7b || next === 0x7d) pushByte(next);
        else if (next === 0x7e) {
          flush();
          emit('\u00A0');
        } else if (next === 0x5f) {
          flush();
          emit('-');
        }
        // \- (optional hyphen), \: (index subentry) and unknown symbols carry no text.
      }
    } else {
      i++;
      if (c === 0x0d || c === 0x0a) continue; // line breaks in RTF source are not text
      if (skipped() || state.dest === 'none' || state.dest === 'fonttbl') continue;
      pushByte(c);
    }
  }
  flush();
  if (para.trim() !== '' || state.inTable) endParagraph();
  if (cell.trim() !== '') endCell();
  flushTable();
  const name =
    collapseSpaces(title) || blocks.find((b) => b.kind === 'heading' && b.level === 1)?.text || fileStem(fileName);
  const doc = assemble('rtf', name, blocks);
  if (doc.blocks.length === 0) throw new AppError('NO_TEXT', undefined, { fileName });
  return doc;
}
