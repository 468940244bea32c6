// Token-vector storage: bytes per chunk, top-10 agreement with float32 MaxSim and nDCG@10 per stored format, on proxy vectors.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import {
  quantizeInt6,
  quantizeInt8,
  unpackInt6,
  type FloatTokens,
  type Int8Tokens,
} from '../../src/lib/retrieval/compress';
import { maxSim, type DocTokens, type QueryTokens } from '../../src/lib/retrieval/maxsim';
import { poolTokens } from '../../src/lib/retrieval/pool-tokens';
import { binarize } from '../unit/retrieval/compress-variants';
import { emit, Group } from './report';

/**
 * The proxy (tools/real-models/token_proxy.py, made by `npm run bench:tokens`): real all-MiniLM-L6-v2 token states
 * on SciFact, projected to 96 d. Not ColBERT vectors (none can be had here): the figures rank formats, they do not
 * promise a real model's numbers.
 */
interface ProxyMeta {
  about: string;
  dims: number;
  docs: { id: string; tokens: number }[];
  queries: { id: string; tokens: number }[];
  qrels: Record<string, Record<string, number>>;
  candidates: number[][];
}

const folder = fileURLToPath(new URL('../fixtures/token-proxy/', import.meta.url));
if (!existsSync(join(folder, '.complete'))) {
  throw new Error('token-storage bench: no proxy token vectors; run `npm run bench:tokens` (it makes them first)');
}
const meta = JSON.parse(readFileSync(join(folder, 'meta.json'), 'utf8')) as ProxyMeta;
const DIMS = meta.dims;
const rows = (file: string) => {
  const b = readFileSync(join(folder, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const split = (data: Float32Array, list: { tokens: number }[]): FloatTokens[] => {
  let off = 0;
  return list.map(({ tokens }) => {
    const m = { data: data.subarray(off * DIMS, (off + tokens) * DIMS), tokens, dims: DIMS };
    off += tokens;
    return m;
  });
};
const docs = split(rows('docs.f32'), meta.docs);
const queries: QueryTokens[] = split(rows('queries.f32'), meta.queries);
const QUERIES = Math.min(queries.length, Number(process.env.BENCH_TOKEN_QUERIES ?? queries.length));

interface Variant {
  name: string;
  /** Stored bytes for one chunk's vectors (values + per-token scales), from the variant's own output. */
  encode: (d: FloatTokens) => { doc: Omit<DocTokens, 'id'>; bytes: number };
}

const int6 = (d: FloatTokens) => {
  const p = quantizeInt6(d);
  const u: Int8Tokens = unpackInt6(p);
  return { doc: { data: u.data, tokens: u.tokens, scales: u.scales }, bytes: p.data.byteLength + p.scales.byteLength };
};
const VARIANTS: Variant[] = [
  { name: 'float32', encode: (d) => ({ doc: { data: d.data, tokens: d.tokens }, bytes: d.data.byteLength }) },
  {
    name: 'int8',
    encode: (d) => {
      const q = quantizeInt8(d);
      return {
        doc: { data: q.data, tokens: q.tokens, scales: q.scales },
        bytes: q.data.byteLength + q.scales.byteLength,
      };
    },
  },
  { name: 'int6 (stored)', encode: int6 },
  {
    name: '1-bit',
    encode: (d) => {
      const b = binarize(d);
      return { doc: { data: b.data, tokens: b.tokens }, bytes: b.data.byteLength };
    },
  },
  { name: 'pool ×2 + int6', encode: (d) => int6(poolTokens(d, { poolFactor: 2 })) },
  { name: 'pool ×3 + int6', encode: (d) => int6(poolTokens(d, { poolFactor: 3 })) },
];

/** nDCG@10 of a ranking (document indexes) against the test qrels of query q. */
function ndcg(q: number, ranked: readonly number[]): number {
  const rel = meta.qrels[meta.queries[q]!.id] ?? {};
  let dcg = 0;
  ranked.slice(0, 10).forEach((d, i) => (dcg += (rel[meta.docs[d]!.id] ?? 0) / Math.log2(i + 2)));
  const judged = Object.values(rel).sort((a, b) => b - a);
  let ideal = 0;
  judged.slice(0, 10).forEach((g, i) => (ideal += g / Math.log2(i + 2)));
  return ideal > 0 ? dcg / ideal : 0;
}

const rank = (q: QueryTokens, cands: readonly number[], encoded: Map<number, Omit<DocTokens, 'id'>>) =>
  cands
    .map((d) => ({ d, s: maxSim(q, { id: String(d), ...encoded.get(d)! } as DocTokens).score }))
    .sort((a, b) => b.s - a.s || a.d - b.d)
    .map((x) => x.d);

const needed = [...new Set(meta.candidates.slice(0, QUERIES).flat())];
const meanTokens = needed.reduce((s, d) => s + docs[d]!.tokens, 0) / needed.length;
const reference: number[][] = [];
const figures: Record<string, unknown>[] = [];
for (const v of VARIANTS) {
  const t0 = performance.now();
  const encoded = new Map<number, Omit<DocTokens, 'id'>>();
  let bytes = 0;
  for (const d of needed) {
    const e = v.encode(docs[d]!);
    encoded.set(d, e.doc);
    bytes += e.bytes;
  }
  const encodeMs = (performance.now() - t0) / needed.length;
  let agree = 0;
  let quality = 0;
  for (let q = 0; q < QUERIES; q++) {
    const ranked = rank(queries[q]!, meta.candidates[q]!, encoded);
    if (v.name === 'float32') reference[q] = ranked;
    const top = new Set(reference[q]!.slice(0, 10));
    agree += ranked.slice(0, 10).filter((d) => top.has(d)).length / 10;
    quality += ndcg(q, ranked);
  }
  const perChunk = bytes / needed.length;
  const line = {
    group: 'token storage (proxy vectors)',
    what: v.name,
    bytes_per_chunk: Math.round(perChunk),
    bytes_per_256_tokens: Math.round((perChunk / meanTokens) * 256),
    top10_agreement_vs_f32: Math.round((agree / QUERIES) * 1000) / 1000,
    ndcg10: Math.round((quality / QUERIES) * 10000) / 10000,
    encode_ms_per_chunk: Math.round(encodeMs * 100) / 100,
    queries: QUERIES,
    mean_tokens: Math.round(meanTokens),
    proxy: meta.about,
  };
  figures.push(line);
  emit(line);
}
const best = figures.find((f) => f.what === 'int6 (stored)')!;
const before = figures.find((f) => f.what === 'float32')!;
emit({
  goal: 'token-vector agreement with float32 MaxSim, top-10 (stored format)',
  value: best.top10_agreement_vs_f32,
  target: 0.95,
  met: (best.top10_agreement_vs_f32 as number) >= 0.95,
  bytes_ratio_vs_float32:
    Math.round(((best.bytes_per_chunk as number) / (before.bytes_per_chunk as number)) * 1000) / 1000,
  ndcg10: best.ndcg10,
  ndcg10_float32: before.ndcg10,
});

// One timed figure: what pooling a 256-token chunk adds to an import (the encoder's own time is seconds per chunk).
const chunk = docs.find((d) => d.tokens >= 250) ?? docs[0]!;
describe('token pooling', () => {
  const group = new Group("store one chunk's token vectors", { tokens: chunk.tokens });
  const options = { time: 800, iterations: 10, warmupIterations: 3 };
  group.add('int6 (stored)', () => int6(chunk), options);
  group.add('pool ×2 + int6', () => int6(poolTokens(chunk)), options);
});
