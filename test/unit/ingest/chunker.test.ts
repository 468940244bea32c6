// Chunking: exact offsets, budgets, whole code blocks, heading paths, sentence overlap, determinism.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, type BlockDraft } from '../../../src/lib/ingest/assemble';
import { chunkDocument, contextualText } from '../../../src/lib/ingest/chunker';
import { parseMarkdown } from '../../../src/lib/ingest/markdown';
import { parseText } from '../../../src/lib/ingest/text';
import type { ChunkDraft, ChunkOptions, ParsedDocument } from '../../../src/lib/ingest/types';
import { readFixture, readShared, utf8, words } from './helpers';

const opts = (maxTokens: number, overlapTokens = 0): ChunkOptions => ({ maxTokens, overlapTokens, countTokens: words });

function expectChunkInvariants(doc: ParsedDocument, chunks: ChunkDraft[], max: number): void {
  chunks.forEach((c, i) => {
    expect(c.ordinal).toBe(i);
    expect(doc.text.slice(c.start, c.end)).toBe(c.text);
    expect(c.text).toBe(c.text.trim());
    expect(c.tokenCount).toBe(words(c.text));
    expect(c.tokenCount).toBeLessThanOrEqual(max);
    expect(c.hash).toBe(createHash('sha256').update(c.text).digest('hex'));
  });
  // In order, and together covering every visible character.
  let covered = 0;
  chunks.forEach((c, i) => {
    if (i > 0) expect(c.start).toBeGreaterThan(chunks[i - 1]!.start);
    expect(doc.text.slice(covered, Math.max(covered, c.start)).trim()).toBe('');
    covered = Math.max(covered, c.end);
  });
  expect(doc.text.slice(covered).trim()).toBe('');
}

let rust: ParsedDocument;
beforeAll(async () => {
  rust = await parseMarkdown(
    readShared('markdown/rust-book/src/ch04-01-what-is-ownership.md'),
    'ch04-01-what-is-ownership.md',
  );
});

describe('chunkDocument', () => {
  it('keeps offsets exact and budgets respected at every size', async () => {
    for (const max of [8, 24, 64, 128, 400]) {
      for (const overlap of [0, 16]) {
        expectChunkInvariants(rust, await chunkDocument(rust, opts(max, overlap)), max);
      }
    }
    const war = await parseText(readFixture('book-war-and-peace-1p.txt'), 'war.txt');
    expectChunkInvariants(war, await chunkDocument(war, opts(50, 10)), 50);
  });

  it('re-counts whole chunks, for tokenizers where separators cost tokens', async () => {
    // Like BPE vocabularies with a token for "\n\n": the sum of the parts undercounts the whole.
    const count = (t: string) => words(t) + (t.match(/\n\n/g)?.length ?? 0) * 3;
    const chunks = await chunkDocument(rust, { maxTokens: 40, overlapTokens: 8, countTokens: count });
    for (const c of chunks) {
      expect(c.tokenCount).toBe(count(c.text));
      expect(c.tokenCount).toBeLessThanOrEqual(40);
    }
  });

  it('leaves room for the contextual prefix when given the title', async () => {
    const chunks = await chunkDocument(rust, { ...opts(40, 8), contextTitle: 'The Rust Book' });
    for (const c of chunks) expect(words(contextualText(c, 'The Rust Book'))).toBeLessThanOrEqual(40);
    const plain = await chunkDocument(rust, opts(40, 8));
    expect(plain.some((c) => words(contextualText(c, 'The Rust Book')) > 40)).toBe(true);
  });

  it('never splits a code block that fits the budget', async () => {
    const max = 64;
    const chunks = await chunkDocument(rust, opts(max, 16));
    const code = rust.blocks.filter((b) => b.kind === 'code');
    expect(code.length).toBeGreaterThan(5);
    for (const b of code) {
      expect(words(b.text)).toBeLessThanOrEqual(max);
      expect(chunks.some((c) => c.start <= b.start && c.end >= b.end)).toBe(true);
      // No chunk starts or ends inside it.
      expect(chunks.some((c) => (c.start > b.start && c.start < b.end) || (c.end > b.start && c.end < b.end))).toBe(
        false,
      );
    }
  });

  it('splits a code block larger than the budget at line boundaries only', async () => {
    const lines = Array.from({ length: 40 }, (_, i) => `let value_${i} = compute(${i}, "x y z");`);
    const doc = await parseMarkdown(utf8(`# Big\n\n\`\`\`\n${lines.join('\n')}\n\`\`\``), 'big.md');
    const chunks = await chunkDocument(doc, opts(30));
    expectChunkInvariants(doc, chunks, 30);
    expect(chunks.length).toBeGreaterThan(5);
    for (const c of chunks.slice(1)) {
      expect(['\n', undefined]).toContain(doc.text[c.start - 1]);
      expect(['\n', undefined]).toContain(doc.text[c.end]);
    }
  });

  it('labels chunks with the titles of their enclosing headings', async () => {
    const chunks = await chunkDocument(rust, opts(100, 20));
    const pathOf = (needle: string) => chunks.find((c) => c.text.includes(needle))?.headingPath;
    expect(pathOf('Ownership is a set of rules that govern')).toEqual(['What Is Ownership?']);
    expect(pathOf('Pushing to the stack is faster than allocating')).toEqual([
      'What Is Ownership?',
      'The Stack and the Heap',
    ]);
    expect(pathOf('Rust will never automatically create “deep” copies')).toEqual([
      'What Is Ownership?',
      'Memory and Allocation',
      'Variables and Data Interacting with Move',
    ]);
    expect(pathOf('Returning values can also transfer ownership.')).toEqual([
      'What Is Ownership?',
      'Return Values and Scope',
    ]);
    // A chunk never spans two sections.
    for (const c of chunks) {
      const inside = rust.blocks.filter((b) => b.kind === 'heading' && b.start > c.start && b.start < c.end);
      expect(inside).toEqual([]);
    }
  });

  it('starts a section chunk with its heading', async () => {
    const chunks = await chunkDocument(rust, opts(100, 20));
    expect(chunks.find((c) => c.headingPath.at(-1) === 'Ownership Rules')!.text.startsWith('Ownership Rules\n\n')).toBe(
      true,
    );
  });

  it('overlaps consecutive chunks of a section by whole trailing sentences', async () => {
    const war = await parseText(readFixture('book-war-and-peace-1p.txt'), 'war.txt');
    const chunks = await chunkDocument(war, opts(60, 15));
    let overlaps = 0;
    for (let i = 1; i < chunks.length; i++) {
      const prev = chunks[i - 1]!;
      const cur = chunks[i]!;
      if (cur.start >= prev.end) continue;
      overlaps++;
      const shared = war.text.slice(cur.start, prev.end);
      expect(prev.text.endsWith(shared)).toBe(true);
      expect(words(shared)).toBeLessThanOrEqual(15);
      // The overlap begins where a sentence begins.
      expect(war.text.slice(0, cur.start)).toMatch(/(?:[.!?]["')]?\s+|^\s*|\n\n)$/);
    }
    expect(overlaps).toBeGreaterThan(3);
    const none = await chunkDocument(war, opts(60, 0));
    for (let i = 1; i < none.length; i++) expect(none[i]!.start).toBeGreaterThanOrEqual(none[i - 1]!.end);
  });

  it('does not overlap across sections', async () => {
    const chunks = await chunkDocument(rust, opts(60, 20));
    for (let i = 1; i < chunks.length; i++) {
      const [prev, cur] = [chunks[i - 1]!, chunks[i]!];
      if (prev.headingPath.join('>') !== cur.headingPath.join('>')) expect(cur.start).toBeGreaterThanOrEqual(prev.end);
    }
  });

  it('is deterministic', async () => {
    const a = await chunkDocument(rust, opts(80, 16));
    const b = await chunkDocument(rust, opts(80, 16));
    expect(b).toEqual(a);
  });

  it('cuts a run of text with no spaces to fit', async () => {
    const doc = assemble('text', 't', [{ kind: 'paragraph', text: 'x'.repeat(500) }]);
    const chars = (t: string) => Math.ceil(t.length / 100);
    const chunks = await chunkDocument(doc, { maxTokens: 2, overlapTokens: 0, countTokens: chars });
    expect(chunks.map((c) => c.text.length)).toEqual([200, 200, 100]);
  });

  it('carries page ranges from the blocks', async () => {
    const drafts: BlockDraft[] = [
      { kind: 'paragraph', text: 'One two three four.', page: 1 },
      { kind: 'paragraph', text: 'Five six seven eight.', page: 2 },
      { kind: 'paragraph', text: 'Nine ten eleven twelve.', page: 3 },
    ];
    const chunks = await chunkDocument(assemble('pdf', 'p', drafts), opts(8));
    expect(chunks.map((c) => [c.pageStart, c.pageEnd])).toEqual([
      [1, 2],
      [3, 3],
    ]);
  });

  it('returns nothing for an empty document and refuses a zero budget', async () => {
    expect(await chunkDocument(assemble('text', 'e', []), opts(10))).toEqual([]);
    await expect(chunkDocument(rust, opts(0))).rejects.toThrow(RangeError);
  });
});

describe('contextualText', () => {
  it('prefixes title and heading path, without repeating a title taken from the first heading', () => {
    expect(contextualText({ text: 'Body.', headingPath: ['Intro', 'Scope'] }, 'Guide')).toBe(
      'Guide > Intro > Scope\n\nBody.',
    );
    expect(contextualText({ text: 'Body.', headingPath: ['Guide', 'Scope'] }, 'Guide')).toBe('Guide > Scope\n\nBody.');
    expect(contextualText({ text: 'Body.', headingPath: [] }, 'Guide')).toBe('Guide\n\nBody.');
    expect(contextualText({ text: 'Body.', headingPath: [] }, '')).toBe('Body.');
  });
});
