// Seeded mutations of the fixture documents for the import fuzz run: byte flips, cuts, splices, structural tokens.
import { inflateRawSync } from 'node:zlib';
import { entryData, readZipDirectory } from '../../src/lib/ingest/zip';
import { makeZip } from '../unit/ingest/zip-writer';
import { seededRandom } from '../../src/lib/evaluation/sample';

export type FuzzKind = 'md' | 'html' | 'docx' | 'pdf';

export interface Seed {
  kind: FuzzKind;
  name: string;
  bytes: Uint8Array;
}

export interface FuzzCase {
  /** Unique in the run, so no file is taken for a changed version of another (which would ask to replace it). */
  name: string;
  kind: FuzzKind;
  seed: string;
  /** The mutations applied, in order, with their positions: enough to rebuild the file from the seed. */
  steps: string[];
  bytes: Uint8Array;
}

/** mulberry32 (the app's seeded sampler's): a seed reproduces a run exactly. */
export const prng = seededRandom;

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Tokens that open, close or nest each format's structures. */
const TOKENS: Record<FuzzKind, string[]> = {
  md: [
    '<',
    '>',
    '[',
    '](',
    '#',
    '> > > ',
    '\n> ',
    '```',
    '~~~',
    '|',
    '|---|',
    '*',
    '_',
    '`',
    '\n',
    '\n\n',
    '<div x="1"',
    '<!--',
    '&#',
    '![',
    '\\',
    '1. ',
    '- ',
    '---\n',
  ],
  html: [
    '<',
    '>',
    '</',
    '<div>',
    '</div>',
    '<table><tr><td>',
    '<li>',
    '<!--',
    '-->',
    '<script>',
    '"',
    "'",
    '<h1>',
    '<pre>',
    '&',
    '&#x',
    '<![CDATA[',
    '<svg>',
    '<a href="',
  ],
  pdf: [
    'obj',
    'endobj',
    'stream',
    'endstream',
    'xref',
    'trailer',
    'startxref',
    '<<',
    '>>',
    '/Length 999999999',
    ' 0 R',
    '[',
    ']',
    '(',
    ')',
    '\\',
    '/Type /Page',
    '%%EOF',
    'BT',
    'ET',
    'Tj',
    '/Filter /FlateDecode',
    '-1',
  ],
  docx: ['PK\x03\x04', 'PK\x01\x02', 'PK\x05\x06', '\xff\xff\xff\xff', '\x00\x00', '<w:p>', '</w:t>'],
};

/** What deep nesting looks like in each format (repeated a few thousand times). */
const NESTERS: Record<FuzzKind, string[]> = {
  md: ['> ', '>', '- ', '  - ', '[', '*', '<div>'],
  html: ['<div>', '<ul><li>', '<table><tr><td>', '<b>', '<blockquote>'],
  pdf: ['[', '<<', '('],
  docx: ['<w:tbl><w:tr><w:tc>', '<w:p><w:r>'],
};

/** Characters that patterns over text repeat: spaces, tabs, NBSPs, emphasis and heading markers, brackets. */
const RUNS = [' ', '\t', ' \t', '\u00A0', '-', '=', '*', '_', '`', '#', '!', '[', '<', '&', '.', '\\'];

/** The start of the line that holds position `at` (a '\n' before it, or 0). */
function lineStart(b: Uint8Array, at: number): number {
  while (at > 0 && b[at - 1] !== 0x0a) at--;
  return at;
}

type Mutator = (b: Uint8Array, r: Rand, kind: FuzzKind, donors: Seed[]) => [Uint8Array, string];

const MUTATORS: Record<string, Mutator> = {
  flip(b, r) {
    const out = b.slice();
    const n = 1 + int(r, 16);
    const at: number[] = [];
    for (let i = 0; i < n && out.length; i++) {
      const p = int(r, out.length);
      out[p]! ^= 1 << int(r, 8);
      at.push(p);
    }
    return [out, `flip@${at.join(',')}`];
  },
  truncate(b, r) {
    const at = int(r, b.length + 1);
    return [b.slice(0, at), `truncate@${at}`];
  },
  duplicate(b, r) {
    const from = int(r, b.length + 1);
    const len = int(r, Math.min(4096, b.length - from) + 1);
    const to = int(r, b.length + 1);
    const times = 1 + int(r, 8);
    const chunk = b.subarray(from, from + len);
    return [
      concat(b.subarray(0, to), ...Array.from({ length: times }, () => chunk), b.subarray(to)),
      `duplicate ${from}+${len} x${times}@${to}`,
    ];
  },
  splice(b, r, kind, donors) {
    const donor = pick(
      r,
      donors.filter((d) => d.kind === kind),
    );
    const from = int(r, donor.bytes.length + 1);
    const len = int(r, Math.min(8192, donor.bytes.length - from) + 1);
    const at = int(r, b.length + 1);
    const cut = int(r, Math.min(8192, b.length - at) + 1);
    return [
      concat(b.subarray(0, at), donor.bytes.subarray(from, from + len), b.subarray(at + cut)),
      `splice ${donor.name}:${from}+${len}@${at}-${cut}`,
    ];
  },
  tokens(b, r, kind) {
    let out = b;
    const n = 1 + int(r, 20);
    const steps: string[] = [];
    for (let i = 0; i < n; i++) {
      const token = pick(r, TOKENS[kind]);
      const at = int(r, out.length + 1);
      out = concat(out.subarray(0, at), latin1(token), out.subarray(at));
      steps.push(`${JSON.stringify(token)}@${at}`);
    }
    return [out, `tokens ${steps.join(' ')}`];
  },
  nest(b, r, kind) {
    const token = pick(r, NESTERS[kind]);
    const depth = 1000 + int(r, 40_000);
    // Markdown nests only from the start of a line, so the run starts one.
    const at = kind === 'md' ? lineStart(b, int(r, b.length + 1)) : int(r, b.length + 1);
    const run = latin1(token.repeat(depth));
    return [concat(b.subarray(0, at), run, b.subarray(at)), `nest ${JSON.stringify(token)}x${depth}@${at}`];
  },
  run(b, r) {
    // A long run of one character inside a line: what makes a backtracking pattern rescan it from every position.
    const token = pick(r, RUNS);
    // Long enough that a quadratic pass takes seconds; short enough that the text itself embeds quickly.
    const length = 4_000 + int(r, 60_000);
    const at = int(r, b.length + 1);
    const run = new TextEncoder().encode(token.repeat(Math.ceil(length / token.length)));
    return [concat(b.subarray(0, at), run, b.subarray(at)), `run ${JSON.stringify(token)}x${length}@${at}`];
  },
  zipHeader(b, r) {
    // Corrupts a field of a local header, the central directory or its end record: sizes, offsets, counts, methods.
    const sigs = [0x04034b50, 0x02014b50, 0x06054b50];
    const found: number[] = [];
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let i = 0; i + 4 <= b.length; i++) if (sigs.includes(view.getUint32(i, true))) found.push(i);
    if (found.length === 0) return MUTATORS.flip!(b, r, 'docx', []);
    const at = pick(r, found) + 4 + int(r, 40);
    const out = b.slice();
    const value = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 256)]);
    const width = 1 + int(r, 4);
    for (let i = 0; i < width && at + i < out.length; i++) out[at + i] = value;
    return [out, `zipHeader@${at}=${value}x${width}`];
  },
  docxXml(b, r, _kind, donors) {
    // Mutates the XML inside the archive and zips it again, so the damage reaches mammoth rather than the unzip.
    let entries;
    try {
      entries = readZipDirectory(b);
    } catch {
      return MUTATORS.zipHeader!(b, r, 'docx', donors);
    }
    const steps: string[] = [];
    const files = entries.map((e) => {
      let data: Uint8Array;
      try {
        const raw = entryData(b, e);
        data = e.method === 8 ? new Uint8Array(inflateRawSync(raw)) : raw.slice();
      } catch {
        data = new Uint8Array(0);
      }
      if (e.name.endsWith('.xml') && r() < 0.6) {
        const [out, step] = pick(r, [MUTATORS.flip!, MUTATORS.truncate!, MUTATORS.duplicate!, MUTATORS.tokens!])(
          data,
          r,
          'html',
          donors,
        );
        steps.push(`${e.name}: ${step}`);
        data = out;
      }
      return { name: e.name, data, deflate: true };
    });
    return [makeZip(files), `docxXml ${steps.join('; ')}`];
  },
};

const PLAN: Record<FuzzKind, string[]> = {
  md: ['flip', 'truncate', 'duplicate', 'splice', 'tokens', 'tokens', 'nest', 'run'],
  html: ['flip', 'truncate', 'duplicate', 'splice', 'tokens', 'tokens', 'nest', 'run'],
  pdf: ['flip', 'flip', 'truncate', 'duplicate', 'splice', 'tokens', 'tokens', 'nest'],
  docx: ['flip', 'truncate', 'duplicate', 'splice', 'zipHeader', 'zipHeader', 'docxXml', 'docxXml'],
};

/** `count` mutated files, spread evenly over the kinds, each from a random seed with one to three mutations. */
export function fuzzCases(seeds: Seed[], count: number, runSeed: number): FuzzCase[] {
  const r = prng(runSeed);
  const kinds: FuzzKind[] = ['md', 'html', 'docx', 'pdf'];
  const ext: Record<FuzzKind, string> = { md: 'md', html: 'html', docx: 'docx', pdf: 'pdf' };
  return Array.from({ length: count }, (_, i) => {
    const kind = kinds[i % kinds.length]!;
    const seed = pick(
      r,
      seeds.filter((s) => s.kind === kind),
    );
    let bytes = seed.bytes;
    const steps: string[] = [];
    const n = 1 + int(r, 3);
    for (let k = 0; k < n; k++) {
      const name = pick(r, PLAN[kind]);
      const [out, step] = MUTATORS[name]!(bytes, r, kind, seeds);
      bytes = out;
      steps.push(step);
    }
    const tag = steps.map((s) => s.split(/[ @]/)[0]).join('-');
    return { name: `fuzz-${String(i).padStart(3, '0')}-${tag}.${ext[kind]}`, kind, seed: seed.name, steps, bytes };
  });
}
