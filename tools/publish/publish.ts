// `lectern publish <folder> --out <dir>`: ingests a folder with the app's own parsers, chunker and models, and writes a static site: the app plus a published library.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import { originOf } from '../../src/lib/config/provenance';
import { AppError, type ErrorCode } from '../../src/lib/errors';
import { contextualText, detectKind, parseFile, type PdfjsModule } from '../../src/lib/ingest';
import type { DocumentKind } from '../../src/lib/ingest/types';
import { chunkParsed } from '../../src/lib/pipelines/ingest';
import { chunkId, documentRows } from '../../src/lib/pipelines/records';
import { buildLibrary, type PublishInput } from '../../src/lib/published/build';
import { PUBLISHED_PREFIX, type PublishedManifest } from '../../src/lib/published/format';
import { keywordCounts } from '../../src/lib/retrieval/keywords';
import { cacheKey, PublishCache, type CachedDoc } from './cache';
import { prepareModels, readRegistry, type Models } from './models';
import { ocrLanguagesArg, PublishOcr } from './ocr';
import { Progress } from './progress';
import { buildApp, checkOut, emitApp, LIBRARY_DIR, originalFileUrl, writeLibrary, writeOriginals } from './site';
import { UserError } from './user-error';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const USAGE = `Usage: lectern publish <folder> --out <dir> [options]

Builds a static site: the Lectern app plus a library of <folder>'s PDF, DOCX, EPUB, PPTX, ODT, RTF, XLSX, ODS,
CSV, HTML, Markdown and text files, indexed with the app's own parsers, chunker and models. Deploy <dir> to any
static host.

Options:
  --out <dir>            where the site goes (required)
  --registry <file|url>  the model registry (default: the app's built-in one); a URL is also what the site uses
  --models <dir>         a folder of {org}/{name} model files for a registry file (repeatable; first match wins)
  --name <text>          the library's name (default: the folder's name)
  --include-files        ship the original files too, so citations can open them
  --library-only         write only the library (manifest, shards/, files/) into <dir> itself, without the app:
                         for a library another Lectern site opens (its public/ folder, or ?library=)
  --cache <dir>          the incremental cache (default: node_modules/.cache/lectern-publish)
  --build                run \`vite build\` first even when dist/ exists
  --app <dir>            the built app to copy (default: this package's dist/, built when missing)
  --shard-kb <n>         target size of every passages, dense or tokens shard in KB (default: 2048 for dense,
                         128 for passages and tokens, which are read a few at a time)
  --ocr                  recognise the text of scanned PDF pages and of the pictures in DOCX, PPTX and EPUB
                         files (tesseract.js, as the app does; without it a scanned PDF is left out)
  --ocr-lang <codes>     the languages to recognise, comma-separated (default eng; also deu, fra, spa, ita, por, nld)
  --stats                print throughput and bytes per passage by part
  --stats-json <file>    write the same figures as JSON to <file> (for benchmarks)
  -h, --help             this text`;

/** The extensions published, by kind; anything else in the folder is listed as skipped. */
const SUPPORTED = new Set([
  'pdf',
  'docx',
  'epub',
  'pptx',
  'odt',
  'rtf',
  'xlsx',
  'ods',
  'csv',
  'tsv',
  'html',
  'htm',
  'xhtml',
  'md',
  'markdown',
  'mdx',
  'txt',
  'text',
]);

/** Node runs pdf.js's legacy build in-thread (no module worker), as the unit tests do. */
const loadPdfjs = () => import('pdfjs-dist/legacy/build/pdf.mjs') as Promise<PdfjsModule>;

interface Options {
  folder: string;
  out: string;
  registry: string | null;
  models: string[];
  name: string;
  includeFiles: boolean;
  libraryOnly: boolean;
  cache: string;
  build: boolean;
  app: string | null;
  shardBytes: number | undefined;
  stats: boolean;
  statsJson: string | null;
  /** The languages to recognise scanned pages and pictures in; null without --ocr. */
  ocr: string[] | null;
}

function options(argv: readonly string[]): Options | null {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv[0] === 'publish' ? argv.slice(1) : [...argv],
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        registry: { type: 'string' },
        models: { type: 'string', multiple: true },
        name: { type: 'string' },
        'include-files': { type: 'boolean' },
        'library-only': { type: 'boolean' },
        cache: { type: 'string' },
        build: { type: 'boolean' },
        app: { type: 'string' },
        'shard-kb': { type: 'string' },
        stats: { type: 'boolean' },
        'stats-json': { type: 'string' },
        ocr: { type: 'boolean' },
        'ocr-lang': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UserError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals.length !== 1) throw new UserError(`Give one folder to publish.\n\n${USAGE}`);
  if (!values.out) throw new UserError(`Give the site's folder with --out <dir>.\n\n${USAGE}`);
  const folder = resolve(positionals[0]!);
  const shardKb = values['shard-kb'] === undefined ? undefined : Number(values['shard-kb']);
  if (shardKb !== undefined && !(Number.isInteger(shardKb) && shardKb > 0))
    throw new UserError('--shard-kb takes a whole number of kilobytes.');
  if (values['library-only'] && (values.build || values.app))
    throw new UserError('--library-only writes no app: leave out --build and --app.');
  if (values['ocr-lang'] !== undefined && !values.ocr)
    throw new UserError('--ocr-lang names the languages of --ocr: give --ocr too.');
  return {
    folder,
    out: resolve(values.out),
    registry: values.registry ?? null,
    models: values.models ?? [],
    name: values.name ?? basename(folder),
    includeFiles: values['include-files'] ?? false,
    libraryOnly: values['library-only'] ?? false,
    cache: resolve(values.cache ?? join(ROOT, 'node_modules', '.cache', 'lectern-publish')),
    build: values.build ?? false,
    app: values.app ? resolve(values.app) : null,
    shardBytes: shardKb && shardKb * 1024,
    stats: values.stats ?? false,
    statsJson: values['stats-json'] ? resolve(values['stats-json']) : null,
    ocr: values.ocr ? ocrLanguagesArg(values['ocr-lang']) : null,
  };
}

interface Found {
  /** `/`-separated, relative to the folder. */
  path: string;
  file: string;
}

/** Every file under `folder`, hidden entries, node_modules and the output folder left out, sorted by path. */
function walk(folder: string, out: string): { files: Found[]; skipped: string[] } {
  const files: Found[] = [];
  const skipped: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, entry.name);
      if (entry.name.startsWith('.') || entry.name === 'node_modules' || file === out) continue;
      const path = relative(folder, file).split(sep).join('/');
      if (entry.isDirectory()) visit(file);
      else if (!entry.isFile()) continue;
      else if (SUPPORTED.has(entry.name.split('.').pop()!.toLowerCase())) files.push({ path, file });
      else skipped.push(path);
    }
  };
  visit(folder);
  const byPath = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  files.sort((a, b) => byPath(a.path, b.path));
  return { files, skipped: skipped.sort(byPath) };
}

/** A document's published id: the prefix and the first 16 hex of SHA-256 of its path. */
export function publishedDocId(path: string): string {
  return PUBLISHED_PREFIX + createHash('sha256').update(path).digest('hex').slice(0, 16);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The kinds of file `--ocr` can read more of (scanned pages, pictures): only their cache keys name it. */
const OCR_READS = new Set<DocumentKind>(['pdf', 'docx', 'pptx', 'epub']);
/** Warnings that say OCR could not run this time (a next run may): a document with one is not cached. */
const OCR_RETRY = new Set<ErrorCode>(['OCR_SKIPPED', 'OCR_IMAGES_SKIPPED']);

/** Parses, chunks, embeds and encodes one file into the rows the app would store, with what parsing warned of. */
async function ingest(
  found: Found,
  bytes: Uint8Array,
  hash: string,
  m: Models,
  chunking: PublishedManifest['chunking'],
  stage: (s: string) => void,
  ocr: PublishOcr | null,
): Promise<{ doc: CachedDoc; warnings: ErrorCode[] }> {
  const docId = publishedDocId(found.path);
  const { embedder, late, countTokens } = await m.load();
  stage('parsing');
  const parsed = await parseFile(bytes.slice(), found.path, '', { loadPdfjs, ...ocr?.hooks(stage) });
  stage('chunking');
  const drafts = await chunkParsed(parsed, m.embedderSpec, chunking, countTokens);
  if (drafts.length === 0) throw new AppError('NO_TEXT', undefined, { fileName: found.path });
  const keywords = drafts.map((c) => keywordCounts(chunkId(docId, c.ordinal), c.text));
  stage('embedding');
  const vectors = await embedder.embed(
    drafts.map((c) => contextualText(c, parsed.title)),
    'document',
  );
  stage('tokens');
  const encoded = await late.encodeDocuments(drafts.map((c) => c.text));
  stage('saving');
  const rows = documentRows({
    docId,
    file: { name: found.path, size: bytes.length, hash },
    parsed,
    drafts,
    keywords,
    dense: { key: m.published.embedder.id, dims: m.embedderSpec.dims, vectors },
    tokens: { modelId: m.published.late.id, vectors: encoded },
    addedAt: 0,
  });
  const doc: CachedDoc = {
    doc: {
      id: docId,
      name: found.path,
      title: rows.doc.title,
      kind: rows.doc.kind,
      size: rows.doc.size,
      hash,
      pageCount: rows.doc.pageCount,
    },
    chunks: rows.chunks.map((c) => ({
      ordinal: c.ordinal,
      text: c.text,
      start: c.start,
      end: c.end,
      headingPath: c.headingPath,
      pageStart: c.pageStart,
      pageEnd: c.pageEnd,
      tokenCount: c.tokenCount,
      hash: c.hash,
    })),
    keywords: rows.keywords.map((k) => ({ length: k.length, terms: k.terms, freqs: k.freqs })),
    vectors: rows.vectors.map((v) => ({ data: v.data, scale: v.scale, dims: v.dims })),
    tokenVectors: rows.tokenVectors.map((t) => ({
      tokens: t.tokens,
      dims: t.dims,
      data: t.data,
      scales: t.scales,
      tokenTexts: t.tokenTexts,
    })),
  };
  return { doc, warnings: parsed.warnings };
}

/** Bytes per passage of each part of the library, from the manifest's shard sizes. */
export function sizeByPart(manifest: PublishedManifest): Record<string, number> {
  const sum = (refs: { bytes: number }[] | null) => (refs ?? []).reduce((n, r) => n + r.bytes, 0);
  return {
    lengths: manifest.lengths.bytes,
    keywords: sum(manifest.keywords.shards),
    passages: sum(manifest.passages),
    dense: sum(manifest.dense),
    tokens: sum(manifest.tokens),
  };
}

/** Seconds spent in each stage of building documents (the last stage runs until the next one starts). */
class StageTimer {
  readonly seconds: Record<string, number> = {};
  private current: string | null = null;
  private since = 0;

  to(stage: string | null): void {
    const now = performance.now();
    if (this.current) this.seconds[this.current] = (this.seconds[this.current] ?? 0) + (now - this.since) / 1000;
    this.current = stage;
    this.since = now;
  }
}

/** A run's figures, as `--stats` prints them and `--stats-json` writes them. */
export interface PublishStats {
  documents: number;
  passages: number;
  /** Passages parsed, chunked, embedded and encoded in this run (not from the cache), and the seconds that took. */
  built: number;
  buildSeconds: number;
  /** Seconds per stage of building documents. */
  stages: Record<string, number>;
  /** The whole run, from start to the site written (model loading and the app copy included). */
  wallSeconds: number;
  /** Bytes on disk of each part of the library, and in all. */
  bytes: Record<string, number>;
  totalBytes: number;
}

function collectStats(
  manifest: PublishedManifest,
  built: number,
  buildSeconds: number,
  wallSeconds: number,
  stages: Record<string, number>,
): PublishStats {
  const bytes = sizeByPart(manifest);
  return {
    documents: manifest.counts.documents,
    passages: manifest.counts.passages,
    built,
    buildSeconds,
    stages,
    wallSeconds,
    bytes,
    totalBytes: Object.values(bytes).reduce((a, b) => a + b, 0),
  };
}

function printStats(s: PublishStats): void {
  const n = Math.max(1, s.passages);
  const rate = s.buildSeconds > 0 ? (s.built / s.buildSeconds).toFixed(1) : '-';
  console.log(`\nThroughput: ${s.built} passages built in ${s.buildSeconds.toFixed(1)} s (${rate}/s)`);
  const byStage = Object.entries(s.stages).map(([stage, t]) => `${stage} ${t.toFixed(1)} s`);
  if (byStage.length) console.log(`  by stage: ${byStage.join(', ')}`);
  console.log(`Whole run: ${s.wallSeconds.toFixed(1)} s for ${s.passages} passages`);
  console.log('\nBytes per passage by part');
  for (const [part, bytes] of Object.entries(s.bytes)) {
    console.log(`  ${part.padEnd(9)} ${(bytes / n).toFixed(1).padStart(9)}  (${bytes} bytes)`);
  }
  console.log(`  ${'total'.padEnd(9)} ${(s.totalBytes / n).toFixed(1).padStart(9)}  (${s.totalBytes} bytes)`);
}

async function publish(o: Options): Promise<number> {
  const started = performance.now();
  if (!existsSync(o.folder) || !statSync(o.folder).isDirectory()) throw new UserError(`No folder ${o.folder}.`);
  // The library's own folder: <out>/library beside the app, or <out> itself when only the library is written.
  const libraryDir = o.libraryOnly ? '' : LIBRARY_DIR;
  checkOut(o.folder, o.out, libraryDir);
  const { files, skipped } = walk(o.folder, o.out);
  for (const s of skipped) console.log(`Skipped ${s} (not a kind of file Lectern reads)`);
  if (files.length === 0) throw new UserError(`No PDF, DOCX, HTML, Markdown or text files in ${o.folder}.`);

  const dist = o.app ?? join(ROOT, 'dist');
  if (o.app && !existsSync(join(dist, 'index.html'))) throw new UserError(`No built app (index.html) in ${dist}.`);
  if (!o.libraryOnly && !o.app && (o.build || !existsSync(join(dist, 'index.html')))) {
    console.log('Building the app (vite build)…');
    buildApp(ROOT);
  }

  const source = await readRegistry(o.registry, o.models);
  console.log(`Models: ${source.registry.name} (${source.label})`);
  const m = await prepareModels(source, o.cache);
  const chunking = { maxTokens: DEFAULT_SETTINGS.chunkTokens, overlapTokens: DEFAULT_SETTINGS.chunkOverlapTokens };
  const cache = new PublishCache(o.cache);
  const progress = new Progress(files.length, process.stdout);
  const ocr = o.ocr && new PublishOcr(o.ocr, o.cache);
  const inputs: PublishInput[] = [];
  const failed: string[] = [];
  const warned: string[] = [];
  let built = 0;
  let buildSeconds = 0;
  const timer = new StageTimer();
  try {
    for (const found of files) {
      progress.start(found.path);
      const bytes = new Uint8Array(readFileSync(found.file));
      const hash = sha256(bytes);
      const key = await cacheKey({
        hash,
        path: found.path,
        models: m.cacheKey,
        chunking,
        version: VERSION,
        // By the kind the parsers will read it as (its bytes first), not its name: a PDF saved as .txt is a PDF.
        ...(ocr && OCR_READS.has(detectKind(bytes, found.path)) && { ocr: ocr.settings }),
      });
      let doc = cache.get(key);
      const fromCache = doc !== null;
      if (!doc) {
        // A model that cannot load stops the run (every file needs it); a file that cannot be read is skipped.
        progress.stage('loading models');
        await m.load();
        const t = performance.now();
        try {
          const result = await ingest(
            found,
            bytes,
            hash,
            m,
            chunking,
            (s) => {
              // Stats count recognising as one stage, whichever page it is on.
              timer.to(s.startsWith('recognising') ? 'recognising' : s);
              progress.stage(s);
            },
            ocr,
          );
          doc = result.doc;
          // What recognition could not read is said at the end; when OCR could not run at all, the document is not
          // cached, so the next run tries again.
          for (const w of result.warnings.filter((w) => w.startsWith('OCR_')))
            warned.push(`${found.path}: ${new AppError(w).message}`);
          if (!result.warnings.some((w) => OCR_RETRY.has(w))) cache.put(key, doc);
        } catch (err) {
          const why = err instanceof AppError ? err.message : String(err);
          failed.push(found.path);
          progress.fail(why);
          continue;
        }
        timer.to(null);
        built += doc.chunks.length;
        buildSeconds += (performance.now() - t) / 1000;
      }
      const file = o.includeFiles ? originalFileUrl(found.path) : undefined;
      inputs.push({ ...doc, doc: { ...doc.doc, ...(file ? { file } : {}) } });
      progress.done(doc.chunks.length, fromCache, built, buildSeconds);
    }
  } finally {
    m.close();
    await ocr?.close();
    // Ends the status line on a TTY, so an error printed next starts on its own line.
    progress.finish();
  }
  if (inputs.length === 0) throw new UserError('No file could be read; nothing was published.');

  const library = await buildLibrary(inputs, {
    name: o.name,
    generator: `lectern publish ${VERSION}`,
    models: m.published,
    chunking,
    ...(o.shardBytes ? { shardBytes: o.shardBytes } : {}),
  });
  const counts = writeLibrary(o.out, library, libraryDir);
  writeOriginals(
    o.out,
    o.includeFiles ? inputs.map((d) => ({ path: d.doc.name, source: join(o.folder, ...d.doc.name.split('/')) })) : null,
    libraryDir,
  );
  const origins = source.url ? [originOf(source.url), originOf(source.registry.modelBaseUrl)] : [];
  if (!o.libraryOnly) emitApp(dist, o.out, source.url ? { url: source.url, origins: [...new Set(origins)] } : null);
  const { counts: c } = library.manifest;
  console.log(
    `Published ${c.documents} documents, ${c.passages} passages (${(c.bytes / 1024 / 1024).toFixed(2)} MB) to ${join(o.out, libraryDir)}`,
  );
  console.log(`Shards: ${counts.written} written, ${counts.kept} kept, ${counts.removed} removed`);
  if (failed.length) console.log(`${failed.length} file(s) could not be read and were left out: ${failed.join(', ')}`);
  for (const w of warned) console.log(`Warning: ${w}`);
  if (o.stats || o.statsJson) {
    const stats = collectStats(
      library.manifest,
      built,
      buildSeconds,
      (performance.now() - started) / 1000,
      timer.seconds,
    );
    if (o.stats) printStats(stats);
    if (o.statsJson) {
      mkdirSync(dirname(o.statsJson), { recursive: true });
      writeFileSync(o.statsJson, `${JSON.stringify(stats, null, 2)}\n`);
    }
  }
  return 0;
}

/** Runs the CLI; resolves to the exit code. User errors print a plain message, without a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const o = options(argv);
    if (!o) {
      console.log(USAGE);
      return 0;
    }
    return await publish(o);
  } catch (err) {
    if (err instanceof UserError || err instanceof AppError) {
      console.error(`lectern publish: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
