// Dense search latency: Voy (the baseline) against an exact float32 scan, on synthetic normalized vectors.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bench, describe } from 'vitest';
import { initVoy, VoyIndex } from '../../src/lib/retrieval/voy-index';

const require = createRequire(import.meta.url);
await initVoy(readFileSync(require.resolve('voy-search/voy_search_bg.wasm')));

const N = Number(process.env.BENCH_DENSE_N ?? 10_000);
const DIMS = 384;

function randomUnit(count: number, dims: number, seed: number): Float32Array {
  const out = new Float32Array(count * dims);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  for (let r = 0; r < count; r++) {
    let n = 0;
    for (let d = 0; d < dims; d++) n += out[r * dims + d]! ** 2;
    n = Math.sqrt(n);
    for (let d = 0; d < dims; d++) out[r * dims + d]! /= n;
  }
  return out;
}

const data = randomUnit(N, DIMS, 1);
const ids = Array.from({ length: N }, (_, i) => `c${i}`);
const queries = randomUnit(32, DIMS, 2);
const voy = new VoyIndex(DIMS);
voy.build(ids, data);
let q = 0;
const nextQuery = () => queries.subarray((q++ % 32) * DIMS, (q % 32 || 32) * DIMS);

function exactTopK(query: Float32Array, k: number): number[] {
  const scores = new Float32Array(N);
  for (let r = 0; r < N; r++) {
    let s = 0;
    const o = r * DIMS;
    for (let d = 0; d < DIMS; d++) s += data[o + d]! * query[d]!;
    scores[r] = s;
  }
  return Array.from(scores.keys())
    .sort((a, b) => scores[b]! - scores[a]!)
    .slice(0, k);
}

describe(`dense top-10 over ${N} × ${DIMS}`, () => {
  bench('voy (baseline)', () => {
    voy.search(nextQuery(), 10);
  }, { baseline: true } as object);
  bench('exact float32 scan (JS)', () => {
    exactTopK(nextQuery(), 10);
  });
});
