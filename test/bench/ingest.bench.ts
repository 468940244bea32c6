// Ingest throughput without models: parse + chunk (real bge-small tokenizer) of the shared PDFs and the Rust book, and EPUB/PPTX/ODT/XLSX/ODS/CSV parsing against Markdown.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe } from 'vitest';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import { defaultRegistry } from '../../src/lib/config/registry';
import type { EmbedderSpec } from '../../src/lib/config/registry-types';
import { AppError } from '../../src/lib/errors';
import {
  chunkDocument,
  parseFile,
  type ChunkOptions,
  type ParsedDocument,
  type PdfjsModule,
} from '../../src/lib/ingest';
import { keywordCounts } from '../../src/lib/retrieval/keywords';
import { emit, Group, round2 } from './report';
import { makeEpub, makeOds, makeOdt, makePptx, makeXlsx, odsTable, type XlsxCell } from '../unit/ingest/office-files';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** CI checks out ../shared beside the clone; LECTERN_SHARED overrides (as in the unit tests). */
const sharedDir = process.env.LECTERN_SHARED ?? path.resolve(repoRoot, '../shared');
const PDF_DIR = path.join(sharedDir, 'data/docs/pdf');
const RUST_BOOK = path.join(sharedDir, 'data/docs/markdown/rust-book');
const EMBEDDER_ID = 'Xenova/bge-small-en-v1.5';
const TOKENIZER_DIR = path.join(sharedDir, 'models/cards');

const TARGET_PAGES_PER_S = 50;
/** password.pdf (from pdf.js's test files) opens with this user password, as in the unit tests. */
const PASSWORDS: Record<string, string> = { 'password.pdf': 'password' };
const MB = 1e6;

for (const dir of [PDF_DIR, RUST_BOOK, path.join(TOKENIZER_DIR, EMBEDDER_ID)]) {
  if (!existsSync(dir)) throw new Error(`Missing shared bench data ${dir}; set LECTERN_SHARED to the shared/ folder.`);
}

/**
 * Node runs pdf.js's legacy build (the modern one needs DOMMatrix), its worker module registered in this thread as
 * the app's loadPdfjsInWorker does. The legacy bundles' core-js replaces Array.prototype.push with a slow JS version
 * on V8 <= 12.1 (Node 20), for every module in the process: it cost ~1.3x CPU time on the PDFs and ~1.4x on the
 * Rust book. The app's modern build has no core-js, so browsers keep the native push; the bench restores it.
 */
const nativePush = Array.prototype.push;
const [pdfjs, pdfjsWorker] = await Promise.all([
  import('pdfjs-dist/legacy/build/pdf.mjs'),
  import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
]);
(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = pdfjsWorker;
const pushPolyfilled = Array.prototype.push !== nativePush;
if (pushPolyfilled) {
  Object.defineProperty(Array.prototype, 'push', { value: nativePush, writable: true, configurable: true });
}
const loadPdfjs = async () => pdfjs as unknown as PdfjsModule;

// The embedder's own tokenizer files, loaded as the app's loadTokenCounter does, but from disk; no ONNX session.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = TOKENIZER_DIR;
const tokenizer = await AutoTokenizer.from_pretrained(EMBEDDER_ID);
/** Characters handed to the tokenizer: against the text's own length, how often the chunker re-reads it. */
let tokenizedChars = 0;
const countTokens = (text: string): number => {
  tokenizedChars += text.length;
  return tokenizer.encode(text, { add_special_tokens: false }).length;
};

// Chunk budget exactly as the ingest pipeline (chunkParsed in src/lib/pipelines/ingest.ts) sets it for the default
// embedder and settings.
const spec = defaultRegistry().models.find((m): m is EmbedderSpec => m.role === 'embedder' && m.id === EMBEDDER_ID);
if (!spec) throw new Error(`${EMBEDDER_ID} is no longer in the default registry`);
const MAX_TOKENS = Math.min(DEFAULT_SETTINGS.chunkTokens, spec.maxTokens);
const chunkOptions = (doc: ParsedDocument): ChunkOptions => ({
  maxTokens: MAX_TOKENS,
  overlapTokens: DEFAULT_SETTINGS.chunkOverlapTokens,
  countTokens,
  contextTitle: doc.title,
});

interface Input {
  name: string;
  bytes: Uint8Array;
  password?: string;
}

/** Sums over the timed passes, per file. */
interface Tally {
  parse: number;
  chunk: number;
  /** Process CPU ms of parse + chunk: on a loaded machine, the figure that did not wait for a core. */
  cpu: number;
  keywords: number;
  chunks: number;
  tokenized: number;
  pages: number;
  /** The parsed text (last pass), for the one-pass tokenizer floor. */
  text: string;
  refused?: string;
}

const zero = (): Tally => ({ parse: 0, chunk: 0, cpu: 0, keywords: 0, chunks: 0, tokenized: 0, pages: 0, text: '' });
const cpuMs = (since: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

/**
 * The ingest worker's steps for one file, each timed: parse, chunk, and BM25 term counts (reported apart: the
 * headline is parse + chunk, as the target is defined). Image-only PDFs are refused with PDF_NO_TEXT, as in the app.
 */
async function ingest(input: Input, t: Tally): Promise<void> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let doc: ParsedDocument;
  try {
    doc = await parseFile(input.bytes, input.name, '', { loadPdfjs, password: input.password });
  } catch (err) {
    t.parse += performance.now() - t0;
    t.cpu += cpuMs(c0);
    if (!(err instanceof AppError && err.code === 'PDF_NO_TEXT')) throw err;
    t.refused = err.code;
    t.pages = Number(err.details.pages ?? 0);
    return;
  }
  const t1 = performance.now();
  const before = tokenizedChars;
  const chunks = await chunkDocument(doc, chunkOptions(doc));
  const t2 = performance.now();
  t.cpu += cpuMs(c0);
  for (const c of chunks) keywordCounts(`d:${c.ordinal}`, c.text);
  t.keywords += performance.now() - t2;
  t.parse += t1 - t0;
  t.chunk += t2 - t1;
  t.tokenized += tokenizedChars - before;
  t.chunks += chunks.length;
  t.pages = doc.pageCount ?? 0;
  t.text = doc.text;
}

const rate = (n: number, ms: number) => (ms > 0 ? round2((n * 1000) / ms) : null);

/**
 * One bench call ingests every file of a corpus once (after one warm-up pass); the bench's line gets the
 * throughput figures of the timed passes. Refused files are timed but kept out of the totals.
 */
function corpusBench(group: string, name: string, inputs: Input[], iterations: number, perFile: boolean): void {
  const g = new Group(group, { files: inputs.length });
  const tallies = new Map<string, Tally>();
  let passes = 0;
  const run = async () => {
    for (const input of inputs) {
      let t = tallies.get(input.name);
      if (!t) tallies.set(input.name, (t = zero()));
      await ingest(input, t);
    }
    passes++;
  };
  const extra = () => {
    const ok = inputs.filter((f) => !tallies.get(f.name)!.refused);
    const total = (f: (t: Tally) => number) => ok.reduce((s, p) => s + f(tallies.get(p.name)!), 0);
    const per = (f: (t: Tally) => number) => total(f) / passes;
    const pages = total((t) => t.pages);
    const bytes = ok.reduce((s, p) => s + p.bytes.length, 0);
    const textChars = total((t) => t.text.length);
    const ms = per((t) => t.parse + t.chunk);
    const cpu = per((t) => t.cpu);
    // The floor for chunking: the tokenizer reading each text once (timed once, outside the passes).
    const t0 = performance.now();
    for (const p of ok) countTokens(tallies.get(p.name)!.text);
    const tokenizeOnceMs = performance.now() - t0;
    const pagesPerS = rate(pages, ms);
    return {
      note: 'ms per pass, averaged over the timed passes; MB = 10^6 bytes; refused files outside the totals',
      passes,
      ...(pages > 0 ? { pages } : {}),
      bytes,
      chunks: per((t) => t.chunks),
      parse_ms: round2(per((t) => t.parse)),
      chunk_ms: round2(per((t) => t.chunk)),
      keywords_ms: round2(per((t) => t.keywords)),
      tokenize_once_ms: round2(tokenizeOnceMs),
      tokenized_chars_per_text_char: round2(per((t) => t.tokenized) / textChars),
      ...(pages > 0
        ? {
            pages_per_s: pagesPerS,
            pages_per_cpu_s: rate(pages, cpu),
            target_pages_per_s: TARGET_PAGES_PER_S,
            meets: pagesPerS !== null && pagesPerS >= TARGET_PAGES_PER_S,
          }
        : {}),
      files_per_s: rate(ok.length, ms),
      mb_per_s: rate(bytes / MB, ms),
      mb_per_cpu_s: rate(bytes / MB, cpu),
      load_avg: loadavg().map(round2),
      ...(perFile
        ? {
            per_file: Object.fromEntries(
              inputs.map((p) => {
                const t = tallies.get(p.name)!;
                const fileMs = (t.parse + t.chunk) / passes;
                return [
                  p.name,
                  {
                    pages: t.pages,
                    bytes: p.bytes.length,
                    ms: round2(fileMs),
                    cpu_ms: round2(t.cpu / passes),
                    parse_share: round2(t.parse / (t.parse + t.chunk)),
                    pages_per_s: rate(t.pages, fileMs),
                    mb_per_s: rate(p.bytes.length / MB, fileMs),
                    ...(t.refused ? { refused: t.refused } : { chunks: t.chunks / passes }),
                  },
                ];
              }),
            ),
          }
        : {}),
    };
  };
  const reset = () => {
    tallies.clear();
    passes = 0;
  };
  g.add(name, run, { time: 0, iterations, warmupIterations: 1 }, { reset, extra });
}

// ── PDFs ────────────────────────────────────────────────────────────────────────────────────────────────────────
const pdfs: Input[] = readdirSync(PDF_DIR)
  .filter((f) => f.endsWith('.pdf'))
  .sort()
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(path.join(PDF_DIR, name))), password: PASSWORDS[name] }));

describe(`ingest · ${pdfs.length} PDFs from shared/data/docs/pdf`, () => {
  // single_table.pdf is image-only: refused with PDF_NO_TEXT (the app stores nothing), so reported apart.
  corpusBench('ingest pdf', 'parse + chunk, every PDF', pdfs, 8, true);
});

// ── The Rust book (Markdown) ────────────────────────────────────────────────────────────────────────────────────
function markdownFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? markdownFiles(p) : f.endsWith('.md') ? [p] : [];
    });
}
const book: Input[] = markdownFiles(RUST_BOOK).map((p) => ({
  name: path.relative(RUST_BOOK, p),
  bytes: new Uint8Array(readFileSync(p)),
}));

describe(`ingest · the Rust book, ${book.length} Markdown files`, () => {
  corpusBench('ingest markdown', 'parse + chunk, the Rust book', book, 4, false);
});

// ── EPUB, PPTX, ODT, RTF and spreadsheets against Markdown, the same text ──────────────────────────────────────────────
/** The Rust book's first 40 files as paragraphs (blank-line separated), one chapter / slide / section each. */
const sections = book.slice(0, 40).map((f) => ({
  title: f.name,
  paragraphs: new TextDecoder()
    .decode(f.bytes)
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean),
}));
/** RTF's escapes: backslash and braces quoted, anything past ASCII as \uN with a '?' fallback. */
const rtfText = (t: string) =>
  Array.from(t, (ch) => {
    const code = ch.codePointAt(0)!;
    if (ch === '\\' || ch === '{' || ch === '}') return `\\${ch}`;
    if (code < 128) return ch;
    const units = code > 0xffff ? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)] : [code];
    return units.map((u) => `\\u${u > 32767 ? u - 65536 : u}?`).join('');
  }).join('');
const xmlText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const formats: Input[] = [
  {
    name: 'book.md',
    bytes: new TextEncoder().encode(sections.map((x) => `# ${x.title}\n\n${x.paragraphs.join('\n\n')}`).join('\n\n')),
  },
  {
    name: 'book.epub',
    bytes: makeEpub(
      'The book',
      sections.map((x, i) => ({
        file: `ch${i + 1}.xhtml`,
        body: `<h1>${xmlText(x.title)}</h1>${x.paragraphs.map((p) => `<p>${xmlText(p)}</p>`).join('')}`,
      })),
    ),
  },
  { name: 'book.pptx', bytes: makePptx(sections.map((x) => ({ title: x.title, body: x.paragraphs }))) },
  {
    name: 'book.odt',
    bytes: makeOdt(
      sections
        .map(
          (x) =>
            `<text:h text:outline-level="1">${xmlText(x.title)}</text:h>${x.paragraphs.map((p) => `<text:p>${xmlText(p)}</text:p>`).join('')}`,
        )
        .join(''),
    ),
  },
  {
    name: 'book.rtf',
    bytes: new TextEncoder().encode(
      String.raw`{\rtf1\ansi{\stylesheet{\s0 Normal;}{\s1 heading 1;}}` +
        sections
          .map(
            (x) =>
              `\\pard\\s1 ${rtfText(x.title)}\\par ${x.paragraphs.map((p) => `\\pard ${rtfText(p)}\\par `).join('')}`,
          )
          .join('') +
        '}',
    ),
  },
  // Spreadsheets: one sheet per section (CSV: one sheet), a row per paragraph under a "Section | Paragraph" header.
  {
    name: 'book.xlsx',
    bytes: makeXlsx(
      sections.map((x, i) => ({
        name: `S${i + 1}`,
        rows: [['Section', 'Paragraph'], ...x.paragraphs.map((p): XlsxCell[] => [x.title, p])],
      })),
    ),
  },
  {
    name: 'book.ods',
    bytes: makeOds(
      sections
        .map((x, i) => odsTable(`S${i + 1}`, [['Section', 'Paragraph'], ...x.paragraphs.map((p) => [x.title, p])]))
        .join(''),
    ),
  },
  {
    name: 'book.csv',
    bytes: new TextEncoder().encode(
      [
        'Section,Paragraph',
        ...sections.flatMap((x) => x.paragraphs.map((p) => `${x.title},"${p.replace(/"/g, '""')}"`)),
      ].join('\n'),
    ),
  },
];

/** A typical numeric sheet: 20,000 rows of an id, a date-like label and six numbers (160,000 cells). */
const GRID_ROWS = 20_000;
const grid: string[][] = [
  ['id', 'day', 'north', 'east', 'south', 'west', 'total', 'ratio'],
  ...Array.from({ length: GRID_ROWS }, (_, r) => {
    const v = [1, 2, 3, 4].map((k) => ((r * 7919 * k) % 10_000) / 10);
    const total = v.reduce((a, b) => a + b, 0);
    return [
      `R${r + 1}`,
      `2024-${String((r % 12) + 1).padStart(2, '0')}-01`,
      ...v.map(String),
      String(total),
      (v[0]! / (total || 1)).toFixed(4),
    ];
  }),
];
const gridInputs: (Input & { label: string })[] = [
  {
    label: 'parse grid xlsx',
    name: 'grid.xlsx',
    bytes: makeXlsx([
      { name: 'Grid', rows: grid.map((row, r) => (r === 0 ? row : row.map((c, k) => (k < 2 ? c : Number(c))))) },
    ]),
  },
  { label: 'parse grid ods', name: 'grid.ods', bytes: makeOds(odsTable('Grid', grid)) },
  {
    label: 'parse grid csv',
    name: 'grid.csv',
    bytes: new TextEncoder().encode(grid.map((r) => r.join(',')).join('\n')),
  },
];

describe('ingest · EPUB, PPTX, ODT, RTF, XLSX, ODS and CSV holding the same text as a Markdown file (the baseline)', () => {
  const g = new Group('ingest formats', { sections: sections.length });
  for (const input of formats) {
    g.add(
      `parse ${input.name.split('.')[1]}`,
      async () => {
        await parseFile(input.bytes, input.name, '');
      },
      { time: 800, iterations: 10, warmupIterations: 2 },
      { extra: () => ({ bytes: input.bytes.length }) },
    );
  }
  for (const input of gridInputs) {
    g.add(
      input.label,
      async () => {
        await parseFile(input.bytes, input.name, '');
      },
      { time: 800, iterations: 5, warmupIterations: 1 },
      { extra: () => ({ bytes: input.bytes.length, cells: grid.length * grid[0]!.length }) },
    );
  }
});

emit({
  group: 'ingest setup',
  tokenizer: EMBEDDER_ID,
  max_tokens: MAX_TOKENS,
  overlap_tokens: DEFAULT_SETTINGS.chunkOverlapTokens,
  pdfjs: 'legacy build, worker module in this thread',
  pdfjs_array_push_polyfill: pushPolyfilled ? 'removed' : 'none',
});
