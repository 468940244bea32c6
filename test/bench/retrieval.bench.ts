// Retrieval speed on the CPU: dense top-10 and index build (Voy is the baseline), BM25, MaxSim, hybrid + rerank.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe } from 'vitest';
import { Bm25Index } from '../../src/lib/retrieval/bm25';
import { quantizeInt6, quantizeInt8, unpackInt6 } from '../../src/lib/retrieval/compress';
import { ExactIndex } from '../../src/lib/retrieval/exact-index';
import { reciprocalRankFusion } from '../../src/lib/retrieval/fusion';
import { maxSimRerank, type DocTokens, type QueryTokens } from '../../src/lib/retrieval/maxsim';
import { maxSimRerankSimd, type Int8DocTokens } from '../../src/lib/retrieval/maxsim-simd';
import type { VectorHit, VectorIndex } from '../../src/lib/retrieval/vector-index';
import { initVoy, VoyIndex } from '../../src/lib/retrieval/voy-index';
import { poolTokens } from '../unit/retrieval/compress-variants';
import {
  buildVoy,
  emit,
  Group,
  label,
  results,
  round2,
  runOptions,
  SIZES,
  stats,
  VOY_BATCH,
  type Stats,
} from './report';
import { chunkIds, rng, rowAt, unitRows, ZipfCorpus } from './synthetic';

const require = createRequire(import.meta.url);
await initVoy(readFileSync(require.resolve('voy-search/voy_search_bg.wasm')));

const DIMS = 384;
const QUERIES = 32;
const TOKEN_DIMS = 96;
const DOC_TOKENS = 100;
const QUERY_TOKENS = 32;
const RERANK = 50;
const FIRST_STAGE = 100;

const denseQueries = unitRows(QUERIES, DIMS, 2);
const corpus = new ZipfCorpus(50_000);
const nextWord = rng(3);
const textQueries = Array.from({ length: QUERIES }, () => corpus.query(nextWord));
const queryTokens: QueryTokens[] = Array.from({ length: QUERIES }, (_, i) => ({
  data: unitRows(QUERY_TOKENS, TOKEN_DIMS, 100 + i),
  tokens: QUERY_TOKENS,
  dims: TOKEN_DIMS,
}));

/**
 * Token matrices for reranking. Chunk i uses pool entry i mod POOL: the arithmetic is what a real chunk costs, and
 * 100k distinct matrices (1 GB as float32) would only measure the machine's memory.
 */
const POOL = 1024;
const poolF32 = Array.from({ length: POOL }, (_, i) => ({
  data: unitRows(DOC_TOKENS, TOKEN_DIMS, 10_000 + i),
  tokens: DOC_TOKENS,
  dims: TOKEN_DIMS,
}));
const poolInt8 = poolF32.map(quantizeInt8);
const poolPooledInt8 = poolF32.slice(0, RERANK).map((m) => quantizeInt8(poolTokens(m)));
const chunkNumber = (id: string) => Number(id.slice(1));
const int8Doc = (id: string): DocTokens => {
  const m = poolInt8[chunkNumber(id) % POOL]!;
  return { id, data: m.data, tokens: m.tokens, scales: m.scales };
};
const poolInt6 = poolF32.map(quantizeInt6);
/** What the app does per candidate: unpack the stored int6 row to int8, then score. */
const int6Doc = (id: string): Int8DocTokens => {
  const m = unpackInt6(poolInt6[chunkNumber(id) % POOL]!);
  return { id, data: m.data, tokens: m.tokens, scales: m.scales };
};

let q = 0;
const nextQuery = () => q++ % QUERIES;

/** The "naive" baseline a first implementation would write: score every row into objects, sort them all. */
function naiveTopK(data: Float32Array, ids: string[], query: Float32Array, k: number): VectorHit[] {
  return ids
    .map((id, r) => {
      let s = 0;
      for (let d = 0, o = r * DIMS; d < DIMS; d++) s += data[o + d]! * query[d]!;
      return { id, score: s };
    })
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

/** Share of the reference top-10 that a candidate index also returns, over all queries. */
function recallAt10(reference: VectorIndex, candidate: VectorIndex): number {
  let same = 0;
  for (let i = 0; i < QUERIES; i++) {
    const want = new Set(reference.search(rowAt(denseQueries, DIMS, i), 10).map((h) => h.id));
    same += candidate.search(rowAt(denseQueries, DIMS, i), 10).filter((h) => want.has(h.id)).length;
  }
  return same / (10 * QUERIES);
}

function offHeapBytes(): number {
  return process.memoryUsage().external;
}

// MaxSim does not depend on the library size: one group.
describe(`MaxSim rerank · ${RERANK} candidates × ${DOC_TOKENS} tokens × ${TOKEN_DIMS} d, query ${QUERY_TOKENS} tokens`, () => {
  const g = new Group('maxsim', { candidates: RERANK, doc_tokens: DOC_TOKENS, dims: TOKEN_DIMS });
  const opts = runOptions(0);
  const f32Docs: DocTokens[] = poolF32
    .slice(0, RERANK)
    .map((m, i) => ({ id: `c${i}`, data: m.data, tokens: m.tokens }));
  const i8Docs: DocTokens[] = f32Docs.map((d) => int8Doc(d.id));
  const pooledDocs: DocTokens[] = poolPooledInt8.map((m, i) => ({
    id: `c${i}`,
    data: m.data,
    tokens: m.tokens,
    scales: m.scales,
  }));
  // Ranking agreement, not speed: the SIMD kernel rounds the query to int8 to choose each query token's match.
  let same = 0;
  for (const qt of queryTokens) {
    const want = new Set(maxSimRerank(qt, f32Docs, 10).map((h) => h.id));
    same += maxSimRerankSimd(qt, i8Docs as Int8DocTokens[], 10).filter((h) => want.has(h.id)).length;
  }
  emit({ group: 'maxsim top-10 agreement vs float32', int8_wasm_simd: round2(same / (10 * queryTokens.length)) });
  g.add('float32 (baseline)', () => maxSimRerank(queryTokens[nextQuery()]!, f32Docs, RERANK), opts);
  g.add('int8 + scales', () => maxSimRerank(queryTokens[nextQuery()]!, i8Docs, RERANK), opts);
  g.add(
    'int6 packed (stored today): unpack + MaxSim',
    () =>
      maxSimRerank(
        queryTokens[nextQuery()]!,
        f32Docs.map((d) => int6Doc(d.id)),
        RERANK,
      ),
    opts,
  );
  g.add('int8 + scales, pooled ×2', () => maxSimRerank(queryTokens[nextQuery()]!, pooledDocs, RERANK), opts);
  g.add(
    'int8 + scales, WASM SIMD',
    () => maxSimRerankSimd(queryTokens[nextQuery()]!, i8Docs as Int8DocTokens[], RERANK),
    opts,
  );
  g.add(
    'int6 packed (stored today): unpack + WASM SIMD',
    () =>
      maxSimRerankSimd(
        queryTokens[nextQuery()]!,
        f32Docs.map((d) => int6Doc(d.id)),
        RERANK,
      ),
    opts,
  );
});

interface SizeState {
  ids: string[];
  data: Float32Array;
  voy: VoyIndex;
  exact: ExactIndex;
  int8: ExactIndex;
  int8js: ExactIndex;
  bm25: Bm25Index;
}

/** Builds one library size's indexes and emits its memory and recall lines. */
function setUp(size: number): SizeState {
  const ids = chunkIds(size);
  const data = unitRows(size, DIMS, 1);
  // Voy first: its WASM memory only grows, so the growth is what Voy needed (peak included).
  const before = offHeapBytes();
  let t0 = performance.now();
  const voy = new VoyIndex(DIMS);
  buildVoy(voy, ids, data);
  const voyBuildMs = performance.now() - t0;
  const voyBytes = offHeapBytes() - before;
  const exact = new ExactIndex(DIMS);
  const int8 = new ExactIndex(DIMS, { precision: 'int8' });
  const int8js = new ExactIndex(DIMS, { precision: 'int8', simd: false });
  exact.build(ids, data);
  int8.build(ids, data);
  int8js.build(ids, data);
  emit({
    group: 'dense index memory',
    size,
    note: 'off-heap bytes per vector (Voy: WASM memory growth + its per-id row copies; Exact: its matrix)',
    voy_bytes_per_vector: Math.round(voyBytes / size),
    exact_f32_bytes_per_vector: exact.byteLength / size,
    exact_int8_bytes_per_vector: int8.byteLength / size,
    voy_over_exact_f32: round2(voyBytes / exact.byteLength),
    voy_over_exact_int8: round2(voyBytes / int8.byteLength),
    voy_first_build_ms: Math.round(voyBuildMs),
  });
  emit({
    group: 'dense recall@10 vs exact f32',
    size,
    voy: recallAt10(exact, voy),
    exact_int8_simd: recallAt10(exact, int8),
    exact_int8_js: recallAt10(exact, int8js),
    int8_simd_available: int8.simd,
  });

  // BM25 over a Zipf corpus, imported as postings (tokenizing 10M synthetic words would only time the tokenizer).
  const bm25 = new Bm25Index();
  const nextTerm = rng(7);
  // Generated first, so the figure is the import (what cold start pays per stored keyword row), not the sampling.
  const rows = ids.map((id) => corpus.document(id, nextTerm));
  t0 = performance.now();
  for (const row of rows) bm25.importDoc(row);
  emit({ group: 'bm25 import', size, vocabulary: corpus.vocabulary, ms: Math.round(performance.now() - t0) });
  return { ids, data, voy, exact, int8, int8js, bm25 };
}

for (const size of SIZES) {
  const n = label(size);
  let state: SizeState | undefined;
  const prepare = () => (state ??= setUp(size));
  // Only called from bench bodies, which run after their group's prepare().
  const S = (): SizeState => state ?? prepare();
  const voyRaw = () => results.get(`dense top-10 · ${n} › voy (VoyIndex, baseline)`);

  describe(`dense top-10 · ${n} × ${DIMS}`, () => {
    const g = new Group(`dense top-10 · ${n}`, { size, dims: DIMS }, prepare);
    const opts = runOptions(size);
    g.add('voy (VoyIndex, baseline)', () => S().voy.search(rowAt(denseQueries, DIMS, nextQuery()), 10), opts);
    g.add('ExactIndex f32', () => S().exact.search(rowAt(denseQueries, DIMS, nextQuery()), 10), opts);
    g.add(
      'ExactIndex int8, JS scan (before the SIMD kernel)',
      () => S().int8js.search(rowAt(denseQueries, DIMS, nextQuery()), 10),
      opts,
    );
    const simdName = 'ExactIndex int8, WASM SIMD scan + rescoring';
    g.add(simdName, () => S().int8.search(rowAt(denseQueries, DIMS, nextQuery()), 10), opts, {
      extra: () => goal('dense top-10 p50 (ms)', size, results.get(`dense top-10 · ${n} › ${simdName}`), 10),
    });
    g.add(
      'naive JS (map + sort)',
      () => naiveTopK(S().data, S().ids, rowAt(denseQueries, DIMS, nextQuery()), 10),
      opts,
    );
  });

  describe(`dense index build · ${n} × ${DIMS}`, () => {
    const g = new Group(`dense build · ${n}`, { size, dims: DIMS }, prepare);
    const opts = runOptions(size, true);
    // Rebuilding the query index in place: a second Voy instance would double its (never returned) WASM memory.
    g.add(`voy build, ${label(VOY_BATCH)}-row batches (baseline)`, () => buildVoy(S().voy, S().ids, S().data), opts);
    g.add('ExactIndex f32 build', () => new ExactIndex(DIMS).build(S().ids, S().data), opts);
    g.add('ExactIndex int8 build', () => new ExactIndex(DIMS, { precision: 'int8' }).build(S().ids, S().data), opts);
  });

  describe(`BM25 top-${FIRST_STAGE} · ${n} chunks, Zipf vocabulary ${corpus.vocabulary}, ~100 terms per chunk`, () => {
    const g = new Group(`bm25 · ${n}`, { size, k: FIRST_STAGE }, prepare);
    const name = 'bm25 search (4–8 word queries)';
    g.add(name, () => S().bm25.search(textQueries[nextQuery()]!, { k: FIRST_STAGE }), runOptions(size), {
      extra: () => ratioToVoyRaw(results.get(`bm25 · ${n} › ${name}`), voyRaw()),
    });
  });

  describe(`hybrid + rerank · ${n}: BM25 top-${FIRST_STAGE} + dense top-${FIRST_STAGE} → RRF → MaxSim top-${RERANK} (int6, as stored)`, () => {
    const g = new Group(`hybrid + rerank · ${n}`, { size }, prepare);
    const variants: [string, (st: SizeState) => VectorIndex, boolean][] = [
      ['hybrid + rerank · voy (baseline)', (st) => st.voy, false],
      ['hybrid + rerank · ExactIndex f32', (st) => st.exact, false],
      ['hybrid + rerank · ExactIndex int8 JS', (st) => st.int8js, false],
      ['hybrid + rerank · ExactIndex int8 WASM SIMD', (st) => st.int8, false],
      ['hybrid + rerank · int8 WASM SIMD dense + WASM SIMD MaxSim (the app now)', (st) => st.int8, true],
    ];
    for (const [name, pick, simdMaxSim] of variants) {
      const stages = { bm25: [] as number[], dense: [] as number[], rrf: [] as number[], maxsim: [] as number[] };
      const run = () => {
        const i = nextQuery();
        const st = S();
        let t = performance.now();
        const lexical = st.bm25.search(textQueries[i]!, { k: FIRST_STAGE });
        let now = performance.now();
        stages.bm25.push(now - t);
        t = now;
        const semantic = pick(st).search(rowAt(denseQueries, DIMS, i), FIRST_STAGE);
        now = performance.now();
        stages.dense.push(now - t);
        t = now;
        const fused = reciprocalRankFusion([lexical, semantic], { limit: RERANK });
        now = performance.now();
        stages.rrf.push(now - t);
        t = now;
        const candidates = fused.map((h) => int6Doc(h.id));
        const hits = simdMaxSim
          ? maxSimRerankSimd(queryTokens[i]!, candidates, 10)
          : maxSimRerank(queryTokens[i]!, candidates, 10);
        stages.maxsim.push(performance.now() - t);
        return hits;
      };
      g.add(name, run, runOptions(size), {
        reset: () => Object.values(stages).forEach((v) => (v.length = 0)),
        extra: () => ({
          stage_p50_ms: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, stats(v).p50_ms])),
          ...ratioToVoyRaw(results.get(`hybrid + rerank · ${n} › ${name}`), voyRaw()),
          ...(simdMaxSim
            ? goal(
                'hybrid + MaxSim rerank of the top 50, p50 (ms)',
                size,
                results.get(`hybrid + rerank · ${n} › ${name}`),
                30,
              )
            : {}),
        }),
      });
    }
  });
}

/** The goal fields of issue #12 for a bench line: the target applies at 100k passages. */
function goal(name: string, size: number, mine: Stats | undefined, target: number): Record<string, unknown> {
  if (!mine) return {};
  const applies = size === 100_000;
  return {
    goal: name,
    value: mine.p50_ms,
    target: applies ? target : null,
    met: applies ? mine.p50_ms <= target : null,
  };
}

/** This bench's p50 as a multiple of the raw Voy dense query's p50 in the same run. */
function ratioToVoyRaw(mine: Stats | undefined, voy: Stats | undefined): Record<string, number> {
  return mine && voy ? { p50_over_voy_raw_p50: round2(mine.p50_ms / voy.p50_ms) } : {};
}
