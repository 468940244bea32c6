// Cuts a parsed document into token-budgeted chunks along its structure: sections, blocks, sentences, then lines.
import { sha256Hex } from './hash';
import { segmentBounded } from './segments';
import type { Block, ChunkDraft, ChunkOptions, ParsedDocument } from './types';

/** A contiguous, trimmed range of doc.text that the packer places whole. */
interface Unit {
  start: number;
  end: number;
  tokens: number;
  /** Index of the block (within its section) the unit came from. */
  block: number;
  /** First unit of its block: a place where a chunk may break to keep the block whole. */
  blockStart: boolean;
  /** A sentence or list item: the only units an overlap is made of. */
  sentence: boolean;
  heading: boolean;
}

interface Section {
  path: string[];
  blocks: Block[];
}

/** Groups blocks into sections: leading headings (several when a heading has no body of its own) plus body. */
function sectionsOf(blocks: readonly Block[]): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let current: Section = { path: [], blocks: [] };
  let hasBody = false;
  for (const block of blocks) {
    if (block.kind === 'heading') {
      if (hasBody) {
        sections.push(current);
        current = { path: [], blocks: [] };
        hasBody = false;
      }
      const level = block.level ?? 1;
      while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
      stack.push({ level, title: block.text });
      current.path = stack.map((h) => h.title);
      current.blocks.push(block);
    } else {
      current.blocks.push(block);
      hasBody = true;
    }
  }
  if (current.blocks.length > 0) sections.push(current);
  return sections;
}

let segmenter: Intl.Segmenter | null | undefined;

/** Sentence ranges [start, end) of text, via Intl.Segmenter where the runtime has it. */
function sentenceRanges(text: string): [number, number][] {
  if (segmenter === undefined) {
    segmenter =
      typeof Intl !== 'undefined' && 'Segmenter' in Intl
        ? new Intl.Segmenter(undefined, { granularity: 'sentence' })
        : null;
  }
  // Line breaks inside a paragraph are soft wraps, not sentence ends; same length, so offsets still match.
  const flat = text.replace(/\n/g, ' ');
  const out: [number, number][] = [];
  if (segmenter) {
    for (const seg of segmentBounded(segmenter, flat)) out.push([seg.index, seg.index + seg.segment.length]);
  } else {
    const re = /[^.!?。！？]+(?:[.!?。！？]+["')\]]*\s*|$)/g;
    for (let m = re.exec(flat); m !== null && m[0].length > 0; m = re.exec(flat))
      out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** Shrinks [start, end) to exclude surrounding whitespace; null when nothing is left. */
function trimRange(text: string, start: number, end: number): [number, number] | null {
  while (start < end && /\s/.test(text[start]!)) start++;
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return start < end ? [start, end] : null;
}

type Level = 'sentence' | 'line' | 'word' | 'char';

/** Splits docText[start, end) into pieces of at most max tokens, trying coarser cuts first. */
function splitRange(
  docText: string,
  start: number,
  end: number,
  level: Level,
  max: number,
  count: (text: string) => number,
  out: { start: number; end: number; tokens: number; level: Level }[],
): void {
  const slice = docText.slice(start, end);
  let ranges: [number, number][];
  let next: Level;
  if (level === 'sentence') {
    ranges = sentenceRanges(slice);
    next = 'line';
  } else if (level === 'line') {
    ranges = [];
    let from = 0;
    for (let i = 0; i <= slice.length; i++) {
      if (i === slice.length || slice[i] === '\n') {
        ranges.push([from, i]);
        from = i + 1;
      }
    }
    next = 'word';
  } else if (level === 'word') {
    ranges = [...slice.matchAll(/\S+/g)].map((m) => [m.index, m.index + m[0].length]);
    next = 'char';
  } else {
    // One "word" longer than the budget (a URL, base64): the longest prefix that fits, repeatedly.
    let from = 0;
    while (from < slice.length) {
      let lo = from + 1;
      // Search a window that grows only as needed, so each step costs about one chunk's worth of counting.
      let hi = Math.min(slice.length, from + max * 16);
      while (hi < slice.length && count(slice.slice(from, hi)) <= max)
        hi = Math.min(slice.length, from + (hi - from) * 2);
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (count(slice.slice(from, mid)) <= max) lo = mid;
        else hi = mid - 1;
      }
      let cut = lo;
      // Never cut a surrogate pair in half.
      if (cut < slice.length && /[\uDC00-\uDFFF]/.test(slice[cut]!) && cut - 1 > from) cut--;
      out.push({ start: start + from, end: start + cut, tokens: count(slice.slice(from, cut)), level: 'char' });
      from = cut;
    }
    return;
  }
  for (const [a, b] of ranges) {
    const r = trimRange(docText, start + a, start + b);
    if (!r) continue;
    const tokens = count(docText.slice(r[0], r[1]));
    if (tokens <= max) out.push({ start: r[0], end: r[1], tokens, level });
    else splitRange(docText, r[0], r[1], next, max, count, out);
  }
}

/** The units of one block: whole when it fits, else sentences (prose), items (lists) or lines (code, tables). */
function unitsOfBlock(docText: string, block: Block, index: number, max: number, count: (t: string) => number): Unit[] {
  const pieces: { start: number; end: number; tokens: number; level: Level }[] = [];
  const heading = block.kind === 'heading';
  if (block.kind === 'code' || block.kind === 'table' || heading) {
    const whole = count(block.text);
    if (whole <= max) pieces.push({ start: block.start, end: block.end, tokens: whole, level: 'line' });
    else splitRange(docText, block.start, block.end, heading ? 'sentence' : 'line', max, count, pieces);
  } else {
    // Prose is always cut into sentences so that overlaps can be whole sentences; list items stand for sentences.
    splitRange(docText, block.start, block.end, block.kind === 'list' ? 'line' : 'sentence', max, count, pieces);
    if (block.kind === 'list') {
      for (const p of pieces) if (p.level === 'line') p.level = 'sentence';
    }
  }
  return pieces.map((p, i) => ({
    start: p.start,
    end: p.end,
    tokens: p.tokens,
    block: index,
    blockStart: i === 0,
    sentence: p.level === 'sentence' && !heading,
    heading,
  }));
}

/**
 * Cuts a document into chunks of at most opts.maxTokens tokens (opts.countTokens decides). Chunks never
 * cross a section (heading) boundary; a block that fits in a chunk is not split unless the chunk being
 * filled is still small; code and tables are split (by lines) only when one alone exceeds the budget.
 * Consecutive chunks of a section share up to opts.overlapTokens tokens of whole trailing sentences.
 * Every chunk's text is exactly doc.text.slice(start, end). With opts.contextTitle the budget leaves
 * room for each chunk's contextualText prefix.
 */
export async function chunkDocument(doc: ParsedDocument, opts: ChunkOptions): Promise<ChunkDraft[]> {
  const budget = Math.floor(opts.maxTokens);
  if (!Number.isFinite(budget) || budget < 1)
    throw new RangeError(`maxTokens must be at least 1 (got ${opts.maxTokens})`);
  // Overlap is at most half the budget, so every chunk adds at least as much new text as it repeats.
  const overlapWanted = Math.max(0, Math.floor(opts.overlapTokens) || 0);
  const count = opts.countTokens;
  const text = doc.text;
  const drafts: Omit<ChunkDraft, 'hash'>[] = [];

  for (const section of sectionsOf(doc.blocks)) {
    // Room for the contextual prefix, but never more than half the budget.
    const prefix = opts.contextTitle === undefined ? '' : contextPrefix(section.path, opts.contextTitle);
    const reserved = prefix === '' ? 0 : Math.min(count(`${prefix}\n\n`), Math.floor(budget / 2));
    const max = budget - reserved;
    const overlapBudget = Math.min(overlapWanted, Math.floor(max / 2));
    const units = section.blocks.flatMap((b, i) => unitsOfBlock(text, b, i, max, count));
    const blockTokens = new Map<number, number>();
    for (const u of units) blockTokens.set(u.block, (blockTokens.get(u.block) ?? 0) + u.tokens);
    const sum = (idx: number[]) => idx.reduce((s, k) => s + units[k]!.tokens, 0);

    let i = 0;
    let overlap: number[] = [];
    while (i < units.length) {
      const first = units[i]!;
      // Room for the next block whole (when it can fit at all) comes before overlap.
      const firstBlock = blockTokens.get(first.block)!;
      const need = first.blockStart && firstBlock <= max ? firstBlock : first.tokens;
      while (overlap.length > 0 && sum(overlap) + need > max) overlap.shift();

      let tokens = sum(overlap);
      let bodyTokens = 0;
      let j = i;
      while (j < units.length) {
        const u = units[j]!;
        if (j > i) {
          if (tokens + u.tokens > max) break;
          // Keep a block that fits in a chunk of its own whole, unless this chunk is still small.
          const bt = blockTokens.get(u.block)!;
          if (u.blockStart && tokens + bt > max && bt <= max && bodyTokens >= max / 4) break;
        }
        tokens += u.tokens;
        if (!u.heading) bodyTokens += u.tokens;
        j++;
      }

      // Token counts of parts need not add up to the count of the whole (separators, merges): check exactly.
      let lead = overlap.slice();
      let chunkStart = units[lead[0] ?? i]!.start;
      let chunkEnd = units[j - 1]!.end;
      let exact = count(text.slice(chunkStart, chunkEnd));
      while (exact > max && (lead.length > 0 || j - i > 1)) {
        if (lead.length > 0) lead = lead.slice(1);
        else j--;
        chunkStart = units[lead[0] ?? i]!.start;
        chunkEnd = units[j - 1]!.end;
        exact = count(text.slice(chunkStart, chunkEnd));
      }

      const used = [...lead, ...Array.from({ length: j - i }, (_, k) => i + k)];
      const pages = used.map((k) => section.blocks[units[k]!.block]!.page).filter((p): p is number => p !== undefined);
      const draft: Omit<ChunkDraft, 'hash'> = {
        ordinal: drafts.length,
        text: text.slice(chunkStart, chunkEnd),
        start: chunkStart,
        end: chunkEnd,
        headingPath: section.path.slice(),
        tokenCount: exact,
      };
      if (pages.length > 0) {
        draft.pageStart = pages.reduce((m, p) => Math.min(m, p));
        draft.pageEnd = pages.reduce((m, p) => Math.max(m, p));
      }
      drafts.push(draft);

      // The next chunk repeats the trailing whole sentences of this one, never all of it.
      overlap = [];
      if (overlapBudget > 0) {
        let total = 0;
        for (let k = j - 1; k > used[0]!; k--) {
          const u = units[k]!;
          if (!u.sentence || total + u.tokens > overlapBudget) break;
          overlap.unshift(k);
          total += u.tokens;
        }
      }
      i = j;
    }
  }

  return Promise.all(drafts.map(async (d) => ({ ...d, hash: await sha256Hex(d.text) })));
}

/** "Title > H1 > H2" for a heading path; a title taken from the first heading is not repeated. */
function contextPrefix(headingPath: readonly string[], title: string): string {
  const path = headingPath.slice();
  if (path.length > 0 && path[0] === title) path.shift();
  return [title, ...path]
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .join(' > ');
}

/** The text to embed for a chunk: "Title > H1 > H2" then a blank line then the chunk text. */
export function contextualText(chunk: Pick<ChunkDraft, 'text' | 'headingPath'>, title: string): string {
  const prefix = contextPrefix(chunk.headingPath, title);
  return prefix === '' ? chunk.text : `${prefix}\n\n${chunk.text}`;
}
