// Measures the stand-in reranker in Node through the app's own code (chunker, BM25, dense, RRF, int6, MaxSim):
// relevance of on- and off-topic questions against the retrieval fixture chapters (the threshold's margin), and
// first stage versus rerank on the needle corpus, including a seeded sweep of bug-report-style queries.
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { env } from '@huggingface/transformers';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import { validateRegistry } from '../../src/lib/config/registry';
import { SPECIAL_TOKEN } from '../../src/lib/retrieval/explain';
import type { Device, EmbedderSpec, LateInteractionSpec } from '../../src/lib/config/registry-types';
import { chunkDocument, contextualText, parseFile } from '../../src/lib/ingest';
import { TransformersEmbedder } from '../../src/lib/models/embedder/transformers-embedder';
import { TransformersLateInteraction } from '../../src/lib/models/late-interaction/transformers-late-interaction';
import { loadTokenCounter } from '../../src/lib/models/tokenizer';
import { Bm25Index } from '../../src/lib/retrieval/bm25';
import { tokenVectorRows } from '../../src/lib/pipelines/records';
import { storedToInt8 } from '../../src/lib/retrieval/compress';
import { poolTokens } from '../../src/lib/retrieval/pool-tokens';
import { ExactIndex } from '../../src/lib/retrieval/exact-index';
import { finalOrder } from '../../src/lib/retrieval/final-order';
import { reciprocalRankFusion } from '../../src/lib/retrieval/fusion';
import { maxSimRerank, type DocTokens } from '../../src/lib/retrieval/maxsim';
import { tokenize } from '../../src/lib/retrieval/tokenize';
import { CHAPTERS, chapter, COOCCURRENCE_QUERIES, NEEDLE, NEEDLE_QUESTIONS } from '../e2e/needle-corpus';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTRY = join(ROOT, 'test/fixtures/standin/registry.json');
/** What the relevance score leaves out, as the search service does. */
const SPECIAL = SPECIAL_TOKEN;

/** retrieval.spec.ts's threshold cases first, then more of each kind. */
const FIXTURE_CHAPTERS = [
  'ch08-00-common-collections.md',
  'ch09-00-error-handling.md',
  'ch14-01-release-profiles.md',
  'ch15-04-rc.md',
  'ch16-00-concurrency.md',
];
const ON_TOPIC = [
  'What does Rc reference counting do?',
  'How does Rust handle recoverable errors with Result and panic?',
  'release profiles for cargo build',
  'Which collections are stored on the heap?',
  'What is fearless concurrency?',
  'How do I set the optimization level in the dev profile?',
  'When should I use Rc<T> for multiple ownership?',
  'What is the difference between concurrent and parallel programming?',
  'How does panic! stop the program on unrecoverable errors?',
  'Where are vectors, strings and hash maps covered?',
];
const OFF_TOPIC = [
  'sourdough starter flour baking bread',
  'Who won the football world cup?',
  'quantum entanglement of photons',
  'What is the best recipe for chocolate cake?',
  'Where is the nearest train station?',
  'How tall is Mount Everest?',
  'Which planets have rings around them?',
  'What did the Roman senate vote on?',
  'knitting patterns for wool sweaters',
  'When does the tide turn at the harbour?',
];
const SPEC_CASES = 3;

interface Doc {
  name: string;
  text: string;
}

interface Result {
  /** Chunk ids, best first: BM25 alone, the fused first stage (what gets reranked), and after rerank. */
  bm25: string[];
  fused: string[];
  reranked: string[];
  /** The app's order: rerank fused with the first stage (finalOrder), and the same with equal weights. */
  final: string[];
  finalWeight1: string[];
  /** The top reranked chunk's mean best match over the query's words: what the threshold reads. */
  relevance: number;
  /** Max − min over the candidates of the [MASK] expansion rows' summed best matches. */
  maskSpread: number;
}

interface Library {
  chunks: Map<string, string>;
  search(query: string): Promise<Result>;
}

/** Serves the models in the hub layout, and ONNX Runtime's files under ort/, on a free localhost port. */
function serve(models: string): Promise<{ server: Server; base: string }> {
  const require = createRequire(import.meta.url);
  const ort = dirname(
    require.resolve('onnxruntime-web/webgpu', { paths: [dirname(require.resolve('@huggingface/transformers'))] }),
  );
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const hub = path.match(/^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/);
    const [dir, rel] = path.startsWith('/ort/') ? [ort, path.slice(5)] : hub ? [models, `${hub[1]}/${hub[2]}`] : [];
    const file = dir && rel ? normalize(join(dir, rel)) : null;
    if (!file || !file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': statSync(file).size });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      ok({ server, base: `http://127.0.0.1:${port}/` });
    }),
  );
}

async function openModels(base: string) {
  const registry = validateRegistry(JSON.parse(readFileSync(REGISTRY, 'utf8')));
  const embedderSpec = registry.models.find((m): m is EmbedderSpec => m.role === 'embedder')!;
  const lateSpec = registry.models.find((m): m is LateInteractionSpec => m.role === 'late-interaction')!;
  const runtime = { modelBaseUrl: base, wasmBaseUrl: `${base}ort/` };
  // In Node, transformers.js runs onnxruntime-node, whose device is 'cpu': same graphs, same fp32 weights.
  const device = 'cpu' as Device;
  const embedder = new TransformersEmbedder();
  const late = new TransformersLateInteraction();
  await embedder.load({ spec: embedderSpec, device, dtype: 'fp32', runtime, selfTest: false });
  await late.load({ spec: lateSpec, device, dtype: 'fp32', runtime });
  const countTokens = await loadTokenCounter(embedderSpec, runtime);
  return { embedderSpec, lateSpec, embedder, late, countTokens };
}

type Models = Awaited<ReturnType<typeof openModels>>;

/** Ingests `docs` as the app does (chunks, BM25 rows, dense vectors, int6 token vectors) and searches as it does. */
async function library(m: Models, docs: Doc[]): Promise<Library> {
  const { embedderSpec, lateSpec, embedder, late, countTokens } = m;
  const bm25 = new Bm25Index();
  const chunks = new Map<string, string>();
  const tokens = new Map<string, DocTokens>();
  const ids: string[] = [];
  const vectors: Float32Array[] = [];
  for (const d of docs) {
    const parsed = await parseFile(new TextEncoder().encode(d.text), d.name, '');
    const drafts = await chunkDocument(parsed, {
      maxTokens: Math.min(DEFAULT_SETTINGS.chunkTokens, embedderSpec.maxTokens),
      overlapTokens: DEFAULT_SETTINGS.chunkOverlapTokens,
      countTokens,
      contextTitle: parsed.title,
    });
    const dense = await embedder.embed(
      drafts.map((c) => contextualText(c, parsed.title)),
      'document',
    );
    const encoded = await late.encodeDocuments(drafts.map((c) => c.text));
    drafts.forEach((c, i) => {
      const id = `${d.name}:${c.ordinal}`;
      ids.push(id);
      chunks.set(id, c.text);
      bm25.add(id, c.text);
      vectors.push(dense.slice(i * embedderSpec.dims, (i + 1) * embedderSpec.dims));
      // Stored as the app stores them (int6), or pooled first with --pool N (the variant the README measured).
      const e = encoded[i]!;
      const p = poolFactor > 1 ? poolTokens(e, { poolFactor }) : null;
      const t = p
        ? {
            ...p,
            tokenIds: Int32Array.from(p.first, (k) => e.tokenIds[k]!),
            tokenTexts: Array.from(p.first, (k) => e.tokenTexts[k]!),
          }
        : e;
      const [row] = tokenVectorRows([{ id, docId: d.name }], { modelId: 'standin', vectors: [t] });
      const q = storedToInt8(row!);
      tokens.set(id, { id, data: q.data, tokens: q.tokens, scales: q.scales });
    });
  }
  const index = new ExactIndex(embedderSpec.dims);
  const all = new Float32Array(ids.length * embedderSpec.dims);
  vectors.forEach((v, i) => all.set(v, i * embedderSpec.dims));
  index.build(ids, all);

  return {
    chunks,
    async search(query) {
      const keyword = bm25.search(query, { k: 100 });
      const dense = index.search(await embedder.embed([query], 'query'), 100);
      const fused = reciprocalRankFusion([{ hits: dense }, { hits: keyword }], {
        limit: DEFAULT_SETTINGS.rerankCandidates,
      });
      const q = await late.encodeQuery(query);
      const hits = maxSimRerank(
        q,
        fused.map((f) => tokens.get(f.id)!),
        fused.length,
      );
      const words = q.tokenTexts.flatMap((t, i) => (SPECIAL.test(t) || lateSpec.skiplist.includes(t) ? [] : [i]));
      const top = hits[0]!;
      const masks = hits.map((h) =>
        q.tokenTexts.reduce((sum, t, i) => (t === '[MASK]' ? sum + h.bestScore[i]! : sum), 0),
      );
      return {
        bm25: keyword.map((h) => h.id),
        fused: fused.map((h) => h.id),
        reranked: hits.map((h) => h.id),
        final: finalOrder(fused, hits).map((h) => h.id),
        finalWeight1: finalOrder(fused, hits, { rerankWeight: 1 }).map((h) => h.id),
        relevance: words.reduce((sum, i) => sum + top.bestScore[i]!, 0) / Math.max(1, words.length),
        maskSpread: Math.max(...masks) - Math.min(...masks),
      };
    },
  };
}

const rank = (list: string[], id: string) => list.indexOf(id) + 1 || Infinity;
const fmt = (n: number) => (Number.isFinite(n) ? String(n) : '-');

async function calibration(m: Models, threshold: number): Promise<void> {
  const docs = FIXTURE_CHAPTERS.map((name) => ({
    name,
    text: readFileSync(join(ROOT, 'test/fixtures/docs/rust', name), 'utf8'),
  }));
  const lib = await library(m, docs);
  const rows: { q: string; on: boolean; spec: boolean; relevance: number; top: string; mask: number }[] = [];
  for (const [list, on] of [
    [ON_TOPIC, true],
    [OFF_TOPIC, false],
  ] as const) {
    for (const [i, q] of list.entries()) {
      const r = await lib.search(q);
      rows.push({ q, on, spec: i < SPEC_CASES, relevance: r.relevance, top: r.reranked[0]!, mask: r.maskSpread });
    }
  }
  console.log(
    `\nRelevance of the top passage (what the threshold reads), threshold ${threshold}; * = retrieval.spec.ts case`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.on ? 'on ' : 'off'} ${r.spec ? '*' : ' '} ${r.relevance.toFixed(3)}  ${r.relevance >= threshold ? 'answered' : 'refused '}  [MASK] spread ${r.mask.toFixed(3)}  ${r.q}  (${r.top})`,
    );
  }
  const span = (rs: typeof rows) => {
    const on = Math.min(...rs.filter((r) => r.on).map((r) => r.relevance));
    const off = Math.max(...rs.filter((r) => !r.on).map((r) => r.relevance));
    return `lowest on-topic ${on.toFixed(3)} (margin ${(on - threshold).toFixed(3)}), highest off-topic ${off.toFixed(3)} (margin ${(threshold - off).toFixed(3)})`;
  };
  console.log(`  retrieval.spec.ts cases: ${span(rows.filter((r) => r.spec))}`);
  console.log(`  all cases: ${span(rows)}`);
}

/** Seeded queries of three words that each occur in 3-20 chunks and all together in one, which BM25 ranks first. */
function cooccurrenceSweep(chunks: Map<string, string>, perChunk = 2): { query: string; target: string }[] {
  const terms = new Map([...chunks].map(([id, t]) => [id, new Set(tokenize(t))]));
  const df = new Map<string, number>();
  for (const set of terms.values()) for (const t of set) df.set(t, (df.get(t) ?? 0) + 1);
  const bm25 = new Bm25Index();
  for (const [id, t] of chunks) bm25.add(id, t);
  let seed = 11;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const out: { query: string; target: string }[] = [];
  for (const [id, text] of chunks) {
    const words = [...new Set(text.toLowerCase().match(/[a-z]{4,}/g) ?? [])].filter((w) => {
      const t = tokenize(w);
      return t.length === 1 && df.get(t[0]!)! >= 3 && df.get(t[0]!)! <= 20;
    });
    let found = 0;
    for (let trial = 0; trial < 40 && words.length >= 3 && found < perChunk; trial++) {
      const pick = new Set<string>();
      while (pick.size < 3) pick.add(words[Math.floor(random() * words.length)]!);
      const query = [...pick].join(' ');
      const qt = tokenize(query);
      if (new Set(qt).size !== 3) continue;
      const holding = [...terms].filter(([, set]) => qt.every((t) => set.has(t)));
      if (holding.length !== 1 || holding[0]![0] !== id || bm25.search(query, { k: 1 })[0]?.id !== id) continue;
      out.push({ query, target: id });
      found++;
    }
  }
  return out;
}

async function needles(m: Models): Promise<void> {
  const lib = await library(
    m,
    CHAPTERS.map((name) => ({ name, text: chapter(name) })),
  );
  const needle = [...lib.chunks].find(([, t]) => t.includes(NEEDLE))![0];
  console.log(
    `\nNeedle corpus (${lib.chunks.size} chunks): rank of the passage; BM25 / first stage (fused) / rerank / final (app)`,
  );
  const cases = [
    ...NEEDLE_QUESTIONS.map((query) => ({ query, target: needle })),
    ...COOCCURRENCE_QUERIES.map((query) => {
      const qt = tokenize(query);
      const holding = [...lib.chunks].filter(([, t]) => {
        const set = new Set(tokenize(t));
        return qt.every((w) => set.has(w));
      });
      return { query, target: holding.length === 1 ? holding[0]![0] : '' };
    }),
  ];
  for (const { query, target } of cases) {
    const r = await lib.search(query);
    console.log(
      `  ${fmt(rank(r.bm25, target))} / ${fmt(rank(r.fused, target))} / ${fmt(rank(r.reranked, target))} / ${fmt(rank(r.final, target))}  ${query}  (${target})`,
    );
  }
  const sweep = cooccurrenceSweep(lib.chunks);
  const ranks = {
    bm25: [] as number[],
    fused: [] as number[],
    reranked: [] as number[],
    final: [] as number[],
    finalWeight1: [] as number[],
  };
  for (const { query, target } of sweep) {
    const r = await lib.search(query);
    for (const k of Object.keys(ranks) as (keyof typeof ranks)[]) ranks[k].push(rank(r[k], target));
  }
  console.log(`\nSweep: ${sweep.length} queries whose three words occur together in one chunk only (BM25 first)`);
  for (const [k, rs] of Object.entries(ranks)) {
    const at = (n: number) => rs.filter((x) => x <= n).length;
    console.log(`  ${k.padEnd(12)} top 1 ${at(1)}, top 5 ${at(5)}, top 10 ${at(10)} of ${rs.length}`);
  }
}

/** `--pool N`: token vectors pooled by N before int6 (the README's measured alternative); 1: as the app stores them. */
let poolFactor = 1;

export async function main(argv: readonly string[]): Promise<number> {
  const pool = argv.indexOf('--pool');
  poolFactor = pool >= 0 ? Number(argv[pool + 1]) : 1;
  if (!Number.isInteger(poolFactor) || poolFactor < 1) throw new Error('--pool takes a whole number ≥ 1');
  const at = argv.indexOf('--models');
  const models = resolve(at >= 0 ? argv[at + 1]! : join(ROOT, 'test/fixtures/models'));
  if (!existsSync(join(models, 'lectern-standin/colbert/onnx/model.onnx'))) {
    console.error(`No stand-in models in ${models}: run \`npm run standin\` first.`);
    return 1;
  }
  const threshold = (
    JSON.parse(readFileSync(REGISTRY, 'utf8')) as { models: { role: string; relevanceThreshold?: number }[] }
  ).models.find((x) => x.role === 'late-interaction')!.relevanceThreshold!;
  // onnxruntime-node loads models from files: transformers.js caches them in a fresh folder, removed afterwards.
  env.useFSCache = true;
  env.cacheDir = mkdtempSync(join(tmpdir(), 'lectern-standin-'));
  const { server, base } = await serve(models);
  try {
    const m = await openModels(base);
    console.log(`Stand-in models: ${models}`);
    await calibration(m, threshold);
    await needles(m);
    return 0;
  } finally {
    server.close();
    rmSync(env.cacheDir, { recursive: true, force: true });
  }
}
