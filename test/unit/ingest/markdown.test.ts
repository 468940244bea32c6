// Markdown structure: headings (ATX, setext), code fences, tables, lists, quotes, front matter, inline cleanup.
import { describe, expect, it } from 'vitest';
import { cleanInline, parseMarkdown } from '../../../src/lib/ingest/markdown';
import { expectOffsets, readFixture, readShared, utf8 } from './helpers';

const md = (source: string, name = 'doc.md') => parseMarkdown(utf8(source), name);

describe('parseMarkdown', () => {
  it('reads ATX and setext headings with their levels', async () => {
    const doc = await md('# One #\n\nText.\n\nTwo\n===\n\nThree\n---\n\n###### Six\n\n#NotAHeading');
    expect(doc.blocks.map((b) => [b.kind, b.level, b.text])).toEqual([
      ['heading', 1, 'One'],
      ['paragraph', undefined, 'Text.'],
      ['heading', 1, 'Two'],
      ['heading', 2, 'Three'],
      ['heading', 6, 'Six'],
      ['paragraph', undefined, '#NotAHeading'],
    ]);
    expect(doc.title).toBe('One');
    expectOffsets(doc);
  });

  it('skips front matter and takes its title', async () => {
    const doc = await md('---\ntitle: "Field Notes"\ntags: [a, b]\n---\n\n# Heading\n\nBody.');
    expect(doc.title).toBe('Field Notes');
    expect(doc.text.startsWith('Heading')).toBe(true);
    expect(doc.text).not.toContain('tags');
  });

  it('keeps fenced code as one block, blank lines and # lines included', async () => {
    const doc = await md('Intro:\n\n```rust\nfn main() {\n\n    # not a heading\n}\n```\n\n~~~\nplain\n~~~\n\nAfter.');
    const code = doc.blocks.filter((b) => b.kind === 'code').map((b) => b.text);
    expect(code).toEqual(['fn main() {\n\n    # not a heading\n}', 'plain']);
    expect(doc.blocks.some((b) => b.kind === 'heading')).toBe(false);
    expectOffsets(doc);
  });

  it('runs an unclosed fence to the end of the file', async () => {
    const doc = await md('Text\n\n```\nline 1\n\nline 2');
    expect(doc.blocks.at(-1)).toMatchObject({ kind: 'code', text: 'line 1\n\nline 2' });
  });

  it('turns tables into one block of "cell | cell" rows', async () => {
    const doc = await parseMarkdown(readFixture('simple-table.md'), 'simple-table.md');
    expect(doc.blocks).toHaveLength(1);
    expect(doc.blocks[0]).toMatchObject({
      kind: 'table',
      text: 'Item | Price | # In stock\nJuicy Apples | 1.99 | 739\nBananas | 1.89 | 6',
    });
  });

  it('keeps a list as one block with markers and nesting, joining wrapped items', async () => {
    const doc = await md(
      'Shopping:\n\n- apples\n- pears\n  that are ripe\n  - conference\n1. first\n2. second\n\nDone.',
    );
    expect(doc.blocks.map((b) => b.kind)).toEqual(['paragraph', 'list', 'paragraph']);
    expect(doc.blocks[1]!.text).toBe('- apples\n- pears that are ripe\n  - conference\n1. first\n2. second');
  });

  it('reads block quotes as content, headings inside included', async () => {
    const doc = await md('> ### Aside\n>\n> Quoted *text*\n> continues.\n\nOutside.');
    expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([
      ['heading', 'Aside'],
      ['paragraph', 'Quoted text continues.'],
      ['paragraph', 'Outside.'],
    ]);
  });

  it('drops link definitions, comments, thematic breaks and empty HTML; keeps HTML text', async () => {
    const doc = await md(
      'See [the book][b].\n\n<!-- hidden\nnote -->\n\n***\n\n<a id="x"></a>\n\n<span class="caption">Figure 1: A `caption`</span>\n\n[b]: https://example.com',
    );
    expect(doc.blocks.map((b) => b.text)).toEqual(['See the book.', 'Figure 1: A `caption`']);
  });

  it('parses the sample with code blocks in several languages', async () => {
    const doc = await parseMarkdown(readFixture('codeblock.md'), 'codeblock.md');
    expect(doc.blocks.map((b) => b.kind)).toEqual(['heading', 'code', 'heading', 'code', 'code']);
    expect(doc.blocks[1]!.text).toContain('<h1>Hello, World!</h1>');
    expectOffsets(doc);
  });

  it('reads a Rust book chapter into clean structure', async () => {
    const doc = await parseMarkdown(
      readShared('markdown/rust-book/src/ch04-01-what-is-ownership.md'),
      'ch04-01-what-is-ownership.md',
    );
    expectOffsets(doc);
    expect(doc.title).toBe('What Is Ownership?');
    const headings = doc.blocks.filter((b) => b.kind === 'heading').map((b) => `${b.level}:${b.text}`);
    expect(headings.slice(0, 5)).toEqual([
      '2:What Is Ownership?',
      '3:The Stack and the Heap',
      '3:Ownership Rules',
      '3:Variable Scope',
      '3:The `String` Type',
    ]);
    expect(headings).toContain('4:Variables and Data Interacting with Move');
    for (const b of doc.blocks.filter((x) => x.kind !== 'code')) {
      expect(b.text).not.toMatch(/```|<\/?[A-Za-z][^>`]*>|\]\(/);
    }
    expect(doc.blocks.filter((b) => b.kind === 'code').length).toBeGreaterThan(10);
    expect(doc.text).toContain('Each value in Rust has an owner.');
  });
});

describe('cleanInline', () => {
  it('strips links, emphasis and tags but not code spans or snake_case', () => {
    expect(cleanInline('A [link](http://x.y/(a)) and ![img](p.png) *em* **bold** _u_ ~~s~~')).toBe(
      'A link and img em bold u s',
    );
    expect(cleanInline('keep snake_case_name and `Vec<T>` and `a*b*c`')).toBe(
      'keep snake_case_name and `Vec<T>` and `a*b*c`',
    );
    expect(cleanInline('x &amp; y &lt;z&gt; &#233; \\*literal\\*')).toBe('x & y <z> é *literal*');
    expect(cleanInline('<https://example.com> <b>bold</b>')).toBe('https://example.com bold');
  });
});
