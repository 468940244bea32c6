// Linear-time text handling: every parser and every pass over model output, fed inputs that make a backtracking regex
// blow up (nested tags, 1e5-space lines, 40k "!", unclosed brackets…), must finish within a generous time budget.
// Each call runs under vm's watchdog, so a catastrophic regex fails this test instead of hanging the suite.
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { cleanText, collapseSpaces, dedent } from '../../../src/lib/ingest/assemble';
import { cleanInline, decodeEntities, markdownBlocks, parseMarkdown } from '../../../src/lib/ingest/markdown';
import { htmlToBlocks } from '../../../src/lib/ingest/html';
import { decodeText, paragraphsOf } from '../../../src/lib/ingest/text';
import { parseCitations, stripCitations } from '../../../src/lib/answer/citations';
import { contentWords } from '../../../src/lib/answer/grounding';
import { parseQueries, parseRewrite } from '../../../src/lib/answer/multi-query';
import { isNoAnswer, isRefusalSentence } from '../../../src/lib/answer/refusal';
import { splitSentences } from '../../../src/lib/answer/sentences';
import { tokenize } from '../../../src/lib/retrieval/tokenize';
import { alignTokens } from '../../../src/lib/retrieval/explain';

/** Far above what a linear pass over these inputs takes here (tens of ms), far below a quadratic one (minutes). */
const BUDGET_MS = 3_000;
const N = 100_000;

/** Inputs known to defeat backtracking patterns over Markdown, HTML, plain text and model output. */
const INPUTS: Record<string, string> = {
  'spaces then a letter': ' '.repeat(N) + 'x',
  'spaces inside a line': `a${' '.repeat(N)}b`,
  'spaces inside a paragraph': `a\nb${' '.repeat(N)}c\nd`,
  'tabs and spaces inside a line': `a${' \t'.repeat(N / 2)}b`,
  'NBSPs inside a line': `a${'\u00A0 '.repeat(N / 2)}b`,
  'a line of spaces in a heading': `# a${' '.repeat(N)}b`,
  'a heading of hashes': `# ${'#'.repeat(N)} x`,
  'tabs and spaces': ' \t'.repeat(N / 2) + 'x',
  'nested open tags': '<a '.repeat(N / 3),
  'attributes without end': `<a ${'b=c '.repeat(N / 4)}`,
  'attribute values chained': `<a b=${'c='.repeat(N / 2)}`,
  'quotes in a tag': `<a b="${'"'.repeat(N)}`,
  'quoted attributes without end': `<a${' x="1"'.repeat(N / 6)}`,
  'few quoted attributes without end': `<div${' x="1"'.repeat(40)}`,
  'unclosed comments': '<!--'.repeat(N / 4),
  'exclamation marks': '!'.repeat(40_000),
  'open brackets': '['.repeat(N),
  'image openers': '![x]('.repeat(N / 5),
  'link openers': '[x]('.repeat(N / 4),
  'parentheses in a link': `[x](${'('.repeat(N)}`,
  asterisks: '*'.repeat(N),
  'asterisk words': '*a '.repeat(N / 3),
  underscores: '_'.repeat(N),
  'underscore words': '_a '.repeat(N / 3),
  backticks: '`'.repeat(N),
  'backtick words': '`a '.repeat(N / 3),
  tildes: '~'.repeat(N),
  pipes: '|'.repeat(N),
  'table delimiters': `|${'-|'.repeat(N / 2)}`,
  'list markers': '- '.repeat(N / 2),
  'numbered markers': '1. '.repeat(N / 3),
  entities: '&#'.repeat(N / 2),
  backslashes: '\\'.repeat(N),
  'citation markers': '[1]'.repeat(N / 3),
  'spaces before a citation': `a${' '.repeat(N)}b [1]`,
  'citation openers': '[1, '.repeat(N / 4),
  'dots and letters': 'a.'.repeat(N / 2),
  'sentence ends': '. '.repeat(N / 2),
  'digits and commas': '1,'.repeat(N / 2),
  'numbered list answer': '1. a\n'.repeat(N / 5),
  'equals signs': '='.repeat(N),
  'dashes then text': `${'-'.repeat(N)}x`,
  'front matter': `---\n${'title: a\n'.repeat(N / 9)}`,
  'CJK run': '灯'.repeat(N),
  'nested quotes': `${'> '.repeat(N / 2)}x`,
  'nested quotes without spaces': `${'>'.repeat(N)}x`,
  'a staircase of quotes': Array.from({ length: 300 }, (_, i) => `${'> '.repeat(i + 1)}x`).join('\n'),
};

/** Every function over untrusted text (documents) or model output. */
const PASSES: Record<string, (text: string) => unknown> = {
  markdownBlocks,
  cleanInline,
  decodeEntities,
  htmlToBlocks: (t) => htmlToBlocks(t),
  decodeText: (t) => decodeText(new TextEncoder().encode(t)),
  paragraphsOf,
  cleanText,
  collapseSpaces,
  dedent,
  parseCitations: (t) => parseCitations(t, 5),
  stripCitations,
  splitSentences,
  contentWords,
  tokenize: (t) => tokenize(t),
  parseQueries: (t) => parseQueries(t),
  parseRewrite: (t) => parseRewrite(t, 'fallback'),
  isNoAnswer,
  isRefusalSentence,
  alignTokens: (t) => alignTokens(t, ['a', '##b', 'x', '灯']),
};

/** Milliseconds one pass takes; Infinity when the watchdog had to stop it, NaN when it threw anything but an AppError. */
function timed(pass: (text: string) => unknown, input: string): number {
  const context = vm.createContext({ pass, input, now: () => performance.now() });
  try {
    return vm.runInContext('const t = now(); pass(input); now() - t', context, { timeout: BUDGET_MS }) as number;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return Infinity;
    // A clear error (its own code) is a fine outcome for hostile text; a stack overflow or a TypeError is not, since
    // the user would see only "Something went wrong".
    return err instanceof AppError ? 0 : NaN;
  }
}

describe('the linear rewrites keep their results', () => {
  it('trims trailing spaces, tabs and NBSPs on every line, the first included', () => {
    expect(cleanText('a\u00A0 \t\r\nb \n \u00A0\nc')).toBe('a\nb\n\nc');
  });

  it('keeps hard line breaks (two trailing spaces or a backslash) and joins soft ones', () => {
    const para = (source: string) => markdownBlocks(source).blocks[0]!.text;
    expect(para('one  \ntwo\\\nthree \nfour\nfive')).toBe('one\ntwo\nthree four five');
    expect(para(`a${' '.repeat(1_000)}b\nc`)).toBe(`a${' '.repeat(1_000)}b c`);
  });

  it('strips links and images with the innermost brackets as their text', () => {
    expect(cleanInline('see ![alt](x.png), [t][ref] and [a [b](c) d')).toBe('see alt, t and [a b d');
    expect(cleanInline('[[w]](u) [x](a(b)c)')).toBe('[[w]](u) x');
  });

  it('reads ATX headings and their closing hashes as before', () => {
    const heading = (line: string) => markdownBlocks(line).blocks[0];
    expect(heading('# Title ##   ')).toMatchObject({ kind: 'heading', level: 1, text: 'Title' });
    expect(heading('## Title#')).toMatchObject({ kind: 'heading', level: 2, text: 'Title#' });
    expect(heading('### a \t###\t')).toMatchObject({ kind: 'heading', level: 3, text: 'a' });
    expect(heading('# C# ')).toMatchObject({ kind: 'heading', text: 'C#' });
  });
});

describe('deeply nested Markdown quotes', () => {
  it('read as their text, however deep, instead of overflowing the stack', async () => {
    const deep = `${'> '.repeat(50_000)}The keeper's log.\n${'>'.repeat(50_000)}Second entry.`;
    const doc = await parseMarkdown(new TextEncoder().encode(deep), 'deep.md');
    expect(doc.blocks.map((b) => [b.kind, b.text])).toEqual([['paragraph', "The keeper's log. Second entry."]]);
    // 50,000 lines each one level deeper than the last would be 2.5 GB; 3,000 of them already nest far past the bound.
    const stairs = Array.from({ length: 3_000 }, (_, i) => `${'>'.repeat(i + 1)} step ${i}`).join('\n');
    const blocks = markdownBlocks(stairs).blocks;
    // Each level its own paragraph up to the bound; past it the levels run together, every word kept in order.
    expect(blocks.slice(0, 31).map((b) => b.text)).toEqual(Array.from({ length: 31 }, (_, i) => `step ${i}`));
    expect(blocks.length).toBe(32);
    expect(blocks.map((b) => b.text).join(' ')).toBe(Array.from({ length: 3_000 }, (_, i) => `step ${i}`).join(' '));
  });

  it('keep their inner structure within the bound', () => {
    expect(markdownBlocks('> # Title\n>\n> > - a\n> > - b').blocks.map((b) => [b.kind, b.text])).toEqual([
      ['heading', 'Title'],
      ['list', '- a\n- b'],
    ]);
  });
});

describe('linear-time text handling', () => {
  for (const [name, pass] of Object.entries(PASSES)) {
    it(`${name} finishes every pathological input within ${BUDGET_MS} ms`, () => {
      const slow = Object.entries(INPUTS)
        .map(([input, text]) => [input, timed(pass, text)] as const)
        .filter(([, ms]) => !Number.isFinite(ms));
      expect(slow.map(([input, ms]) => `${input}: ${Number.isNaN(ms) ? 'threw' : 'stopped'}`)).toEqual([]);
    });
  }
});
