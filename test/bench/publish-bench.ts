// `npm run bench:publish`: `lectern publish` on the Rust book (passages/s, bytes per passage by part) and the model stages in Node vs headless Chromium.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import { contextualText, parseFile } from '../../src/lib/ingest';
import { chunkParsed } from '../../src/lib/pipelines/ingest';
import { MODEL_SETS } from '../fixtures/model-sets.mjs';
import { openBrowserBackends } from '../eval/browser-backends';
import type { PublishStats } from '../../tools/publish/publish';
import { prepareModels, readRegistry } from '../../tools/publish/models';
import { emit, round2 } from './report';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'tools/publish/cli.mjs');
/** CI checks out ../shared beside the clone; LECTERN_SHARED overrides (as in the other benches). */
const SHARED = process.env.LECTERN_SHARED ?? resolve(ROOT, '../shared');
const BOOK = join(SHARED, 'data/docs/markdown/rust-book/src');
type Models = 'standin' | 'real';
const SETS: Models[] = ['standin', 'real'];
/** Passages the model-stage comparison embeds (BENCH_PUBLISH_PASSAGES), after a warm-up call on WARMUP others. */
const PASSAGES = Number(process.env.BENCH_PUBLISH_PASSAGES ?? 200);
const WARMUP = 16;
/** Timed rounds per runtime, interleaved Node, Chromium, Node, Chromium… (BENCH_PUBLISH_ROUNDS). */
const ROUNDS = Number(process.env.BENCH_PUBLISH_ROUNDS ?? 2);

const load = () => loadavg().map((x) => round2(x));
const log = (line: string) => process.stderr.write(`bench:publish: ${line}\n`);

function requireBook(): void {
  const chapters = existsSync(BOOK) ? readdirSync(BOOK).filter((f) => f.endsWith('.md')).length : 0;
  if (chapters === 0) {
    throw new Error(
      `The Rust book is missing: no Markdown chapters in ${BOOK}. It comes with the shared data checked out ` +
        'beside the clone (../shared); set LECTERN_SHARED to that folder.',
    );
  }
  for (const [set, { models }] of Object.entries(MODEL_SETS)) {
    if (!existsSync(models[0]!)) {
      const how = set === 'real' ? 'npm run models:real' : 'npm run standin';
      throw new Error(`The ${set} models are missing (${models[0]}): run \`${how}\` first.`);
    }
  }
  if (!existsSync(join(ROOT, 'dist/index.html'))) throw new Error('No built app in dist/: run `npx vite build` first.');
}

/** Part 1: the CLI on the whole book into a temp site with a fresh temp cache; the CLI's --stats-json figures. */
function publishBook(set: Models): void {
  const work = mkdtempSync(join(tmpdir(), 'lectern-bench-publish-'));
  try {
    const statsFile = join(work, 'stats.json');
    const args = [CLI, 'publish', BOOK, '--out', join(work, 'site'), '--registry', MODEL_SETS[set].registry];
    args.push('--cache', join(work, 'cache'), '--app', join(ROOT, 'dist'), '--stats-json', statsFile);
    const loadBefore = load();
    log(`${set}: node ${args.map((a) => a.replace(ROOT, '')).join(' ')}`);
    const t0 = performance.now();
    const run = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wall = (performance.now() - t0) / 1000;
    if (run.status !== 0) throw new Error(`lectern publish failed (${run.status}):\n${run.stderr}\n${run.stdout}`);
    const s = JSON.parse(readFileSync(statsFile, 'utf8')) as PublishStats;
    const manifest = JSON.parse(readFileSync(join(work, 'site/library/lectern-library.json'), 'utf8')) as {
      models: { embedder: { id: string; dtype: string }; late: { id: string; dtype: string } };
    };
    const perPassage = Object.fromEntries(
      [...Object.entries(s.bytes), ['total', s.totalBytes] as const].map(([k, v]) => [k, round2(v / s.passages)]),
    );
    emit({
      group: 'publish',
      name: `rust-book ${set}`,
      models: set,
      embedder: `${manifest.models.embedder.id} (${manifest.models.embedder.dtype})`,
      late: `${manifest.models.late.id} (${manifest.models.late.dtype})`,
      runtime: 'node (onnxruntime-node, cpu)',
      documents: s.documents,
      passages: s.passages,
      built: s.built,
      build_s: round2(s.buildSeconds),
      passages_per_s_build: round2(s.built / s.buildSeconds),
      stages_s: Object.fromEntries(Object.entries(s.stages).map(([k, v]) => [k, round2(v)])),
      cli_wall_s: round2(s.wallSeconds),
      process_wall_s: round2(wall),
      passages_per_s_wall: round2(s.passages / wall),
      bytes_per_passage: perPassage,
      total_mb: round2(s.totalBytes / 1024 / 1024),
      cpus: cpus().length,
      loadavg_before: loadBefore,
      loadavg_after: load(),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The first `n` passages of the book, in the CLI's order, chunked as the CLI does: [embedder text, passage text]. */
async function bookPassages(
  n: number,
  embedder: Parameters<typeof chunkParsed>[1],
  countTokens: Parameters<typeof chunkParsed>[3],
): Promise<{ dense: string[]; late: string[] }> {
  const chunking = { maxTokens: DEFAULT_SETTINGS.chunkTokens, overlapTokens: DEFAULT_SETTINGS.chunkOverlapTokens };
  const dense: string[] = [];
  const late: string[] = [];
  for (const name of readdirSync(BOOK)
    .filter((f) => f.endsWith('.md'))
    .sort()) {
    const parsed = await parseFile(new Uint8Array(readFileSync(join(BOOK, name))), name, '');
    for (const c of await chunkParsed(parsed, embedder, chunking, countTokens)) {
      dense.push(contextualText(c, parsed.title));
      late.push(c.text);
    }
    if (dense.length >= n) break;
  }
  if (dense.length < n) throw new Error(`The Rust book gave ${dense.length} passages, fewer than ${n}.`);
  return { dense: dense.slice(0, n), late: late.slice(0, n) };
}

interface Timed {
  seconds: number[];
  cpuSeconds: number[];
  loadavg: number[][];
}

const newTimed = (): Timed => ({ seconds: [], cpuSeconds: [], loadavg: [] });

async function time(into: Timed, fn: () => Promise<unknown>): Promise<void> {
  into.loadavg.push(load());
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  into.seconds.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  into.cpuSeconds.push((c.user + c.system) / 1e6);
}

/**
 * Part 2: the model stages (dense embedding, late-interaction encoding) of the same passages in Node, as the CLI runs
 * them (the app's TransformersEmbedder and TransformersLateInteraction on onnxruntime-node), and in headless Chromium
 * on wasm through the app's workers (test/eval/browser-backends.ts), each after an untimed warm-up call.
 */
async function modelStages(set: Models): Promise<void> {
  const source = await readRegistry(MODEL_SETS[set].registry, []);
  const work = mkdtempSync(join(tmpdir(), 'lectern-bench-models-'));
  const node = await prepareModels(source, work);
  const browser = await openBrowserBackends({
    models: set,
    device: 'wasm',
    lateInteraction: true,
    batch: PASSAGES,
    log,
  });
  try {
    const { embedder, late, countTokens } = await node.load();
    const all = await bookPassages(PASSAGES + WARMUP, node.embedderSpec, countTokens);
    const texts = { dense: all.dense.slice(WARMUP), late: all.late.slice(WARMUP) };
    const warm = { dense: all.dense.slice(0, WARMUP), late: all.late.slice(0, WARMUP) };
    const denseBackend = browser.backends.dense!;
    const lateBackend = browser.backends.lateInteraction!;
    const runs = {
      dense: {
        node: async (t: string[]) => embedder.embed(t, 'document'),
        chromium: async (t: string[]) => denseBackend.embed(t, 'document'),
      },
      late: {
        node: async (t: string[]) => late.encodeDocuments(t),
        chromium: async (t: string[]) => lateBackend.embedTokens(t, 'document'),
      },
    };
    const models = {
      dense: {
        node: `${node.embedderSpec.id} (${node.published.embedder.dtype})`,
        chromium: `${browser.loaded.embedder.id} (${browser.loaded.embedder.dtype})`,
      },
      late: {
        node: `${node.lateSpec.id} (${node.published.late.dtype})`,
        chromium: `${browser.loaded.lateInteraction!.id} (${browser.loaded.lateInteraction!.dtype})`,
      },
    };
    for (const stage of ['dense', 'late'] as const) {
      const r = runs[stage];
      await r.node(warm[stage]);
      await r.chromium(warm[stage]);
      const timed = { node: newTimed(), chromium: newTimed() };
      for (let i = 0; i < ROUNDS; i++) {
        await time(timed.node, () => r.node(texts[stage]));
        await time(timed.chromium, () => r.chromium(texts[stage]));
      }
      const rate = (t: Timed) => round2(PASSAGES / (t.seconds.reduce((a, b) => a + b, 0) / t.seconds.length));
      const line = (runtime: 'node' | 'chromium', t: Timed, what: string) => ({
        group: 'publish',
        name: `model stage ${stage} ${set} ${runtime}`,
        stage: stage === 'dense' ? 'embedding' : 'tokens',
        models: set,
        model: models[stage][runtime],
        runtime: what,
        passages: PASSAGES,
        warmup_passages: WARMUP,
        rounds_s: t.seconds.map(round2),
        passages_per_s: rate(t),
        loadavg: t.loadavg,
      });
      emit({
        ...line('node', timed.node, 'node, onnxruntime-node cpu (default intra-op threads)'),
        cpu_s_per_round: timed.node.cpuSeconds.map(round2),
      });
      emit(
        line(
          'chromium',
          timed.chromium,
          'headless chromium, onnxruntime-web wasm (1 thread: not cross-origin isolated)',
        ),
      );
      emit({
        group: 'publish',
        name: `model stage ${stage} ${set} node vs chromium`,
        same_dtype: models[stage].node === models[stage].chromium,
        node_over_chromium: round2(rate(timed.node) / rate(timed.chromium)),
      });
    }
  } finally {
    node.close();
    await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Runs both parts for both model sets; BENCH_PUBLISH_PARTS=cli or =models runs one. */
export async function main(): Promise<number> {
  requireBook();
  const parts = process.env.BENCH_PUBLISH_PARTS ?? 'cli,models';
  log(`${cpus().length} cpus, loadavg ${load().join(' ')}`);
  if (parts.includes('cli')) for (const set of SETS) publishBook(set);
  if (parts.includes('models')) for (const set of SETS) await modelStages(set);
  return 0;
}
