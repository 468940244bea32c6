// Token-vector compression: int8/1-bit/pooling shapes, and their top-10 agreement with float32 MaxSim.
import { describe, expect, it } from 'vitest';
import {
  dequantizeInt8,
  quantizeInt6,
  quantizeInt8,
  storedToInt8,
  unpackInt6,
  type FloatTokens,
} from '../../../src/lib/retrieval/compress';
import type { QueryTokens } from '../../../src/lib/retrieval/maxsim';
import { binarize, measureAgreement, poolTokens, topKAgreement } from './compress-variants';

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function normalizeRows(data: Float32Array, dims: number): Float32Array {
  for (let r = 0; r < data.length / dims; r++) {
    let n = 0;
    for (let j = 0; j < dims; j++) n += data[r * dims + j]! ** 2;
    n = Math.sqrt(n);
    for (let j = 0; j < dims; j++) data[r * dims + j]! /= n;
  }
  return data;
}

const DIMS = 96;
const DOCS = 200;
const TOKENS = 100;
const QUERIES = 12;
const QTOKENS = 24;

interface Corpus {
  docs: { id: string; data: Float32Array; tokens: number }[];
  queries: QueryTokens[];
}

/**
 * Seeded corpus. `clusters` = 0: every token an independent random unit vector. Otherwise each document's tokens
 * scatter around that many centres, closer to real ColBERT output where neighbouring tokens are similar.
 * Each query token is a noisy copy of a token from one of three target documents, so rankings carry signal.
 */
function corpus(seed: number, clusters: number): Corpus {
  const g = gaussian(seed);
  const docs = Array.from({ length: DOCS }, (_, i) => {
    const data = new Float32Array(TOKENS * DIMS);
    const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: DIMS }, g));
    for (let t = 0; t < TOKENS; t++) {
      const c = clusters > 0 ? centres[t % clusters]! : undefined;
      for (let j = 0; j < DIMS; j++) data[t * DIMS + j] = (c ? c[j]! : 0) + g() * (c ? 0.6 : 1);
    }
    return { id: `d${i}`, data: normalizeRows(data, DIMS), tokens: TOKENS };
  });
  const queries = Array.from({ length: QUERIES }, (_, qi) => {
    const targets = [0, 1, 2].map((k) => docs[(qi * 17 + k * 61) % DOCS]!);
    const data = new Float32Array(QTOKENS * DIMS);
    for (let i = 0; i < QTOKENS; i++) {
      const src = targets[i % 3]!;
      const t = Math.floor(Math.abs(g() * 1000)) % TOKENS;
      for (let j = 0; j < DIMS; j++) data[i * DIMS + j] = src.data[t * DIMS + j]! + g() * 0.15;
    }
    return { data: normalizeRows(data, DIMS), tokens: QTOKENS, dims: DIMS };
  });
  return { docs, queries };
}

describe('compression', () => {
  it('quantizes to int8 with per-token scales and small reconstruction error', () => {
    const { docs } = corpus(1, 0);
    const m: FloatTokens = { data: docs[0]!.data, tokens: TOKENS, dims: DIMS };
    const q = quantizeInt8(m);
    expect(q.data).toHaveLength(TOKENS * DIMS);
    expect(q.scales).toHaveLength(TOKENS);
    const back = dequantizeInt8(q);
    let maxErr = 0;
    for (let i = 0; i < back.data.length; i++) maxErr = Math.max(maxErr, Math.abs(back.data[i]! - m.data[i]!));
    expect(maxErr).toBeLessThanOrEqual(Math.max(...q.scales) / 2 + 1e-7);
    expect(binarize(m).data).toHaveLength(TOKENS * (DIMS / 8));
  });

  it('pools tokens by merging the most similar ones, halving the count', () => {
    // Two near-duplicate pairs and one loner, in 2-D.
    const m: FloatTokens = {
      data: normalizeRows(Float32Array.from([1, 0, 0, 1, 0.99, 0.1, 0.1, 0.99, -1, 0]), 2),
      tokens: 5,
      dims: 2,
    };
    const pooled = poolTokens(m);
    expect(pooled.tokens).toBe(3);
    // Clusters {0,2}, {1,3}, {4}, listed by first token; each row re-normalized.
    const rows = [0, 1, 2].map((r) => [pooled.data[r * 2]!, pooled.data[r * 2 + 1]!]);
    // Each pooled vector names its cluster's first token, whose text the app stores for it.
    expect([...pooled.first]).toEqual([0, 1, 4]);
    // Fewer tokens than the target keeps them all, each its own first.
    expect([...poolTokens({ data: m.data.subarray(0, 2), tokens: 1, dims: 2 }).first]).toEqual([0]);
    expect(rows[0]![0]).toBeGreaterThan(0.99);
    expect(rows[1]![1]).toBeGreaterThan(0.99);
    expect(rows[2]![0]).toBeCloseTo(-1, 6);
    for (const [x, y] of rows) expect(Math.hypot(x!, y!)).toBeCloseTo(1, 5);
  });

  it('packs int6 four values to three bytes and unpacks them exactly', () => {
    const g = gaussian(3);
    const m: FloatTokens = { data: normalizeRows(Float32Array.from({ length: 7 * 5 }, g), 5), tokens: 7, dims: 5 };
    const packed = quantizeInt6(m);
    expect(packed.data.byteLength).toBe(Math.ceil((7 * 5 * 6) / 8));
    const q = unpackInt6(packed);
    for (const v of q.data) expect(Math.abs(v)).toBeLessThanOrEqual(31);
    // Every token's largest component maps to ±31, and values come back within half a step.
    for (let t = 0; t < 7; t++) {
      const row = [...q.data.subarray(t * 5, t * 5 + 5)];
      expect(Math.max(...row.map(Math.abs))).toBe(31);
      for (let j = 0; j < 5; j++) {
        expect(Math.abs(row[j]! * q.scales[t]! - m.data[t * 5 + j]!)).toBeLessThanOrEqual(q.scales[t]! / 2 + 1e-7);
      }
    }
    expect(() => unpackInt6({ ...packed, data: packed.data.subarray(1) })).toThrow(/too short/);
  });

  it('reads stored rows of either layout: int6 (bits: 6) and older int8 (no bits)', () => {
    const m: FloatTokens = {
      data: normalizeRows(Float32Array.from({ length: 4 * 8 }, gaussian(9)), 8),
      tokens: 4,
      dims: 8,
    };
    const six = quantizeInt6(m);
    const eight = quantizeInt8(m);
    const asStored = (data: Uint8Array | Int8Array, scales: Float32Array) => ({
      data: data.slice().buffer,
      scales: scales.slice().buffer,
      tokens: 4,
      dims: 8,
    });
    expect(storedToInt8({ ...asStored(six.data, six.scales), bits: 6 }).data).toEqual(unpackInt6(six).data);
    expect(storedToInt8(asStored(eight.data, eight.scales)).data).toEqual(eight.data);
  });

  it('measures top-k agreement', () => {
    expect(topKAgreement(['a', 'b', 'c'], ['c', 'x', 'a'], 3)).toBeCloseTo(2 / 3, 12);
    expect(topKAgreement(['a', 'b'], ['b', 'a'], 10)).toBe(1);
  });

  it('keeps ≥ 95% top-10 agreement with int8 and int6 (and reports 1-bit and pooling)', () => {
    const random = corpus(7, 0);
    const clustered = corpus(11, 30);
    const variants = {
      int8: quantizeInt8,
      int6: (d: FloatTokens) => unpackInt6(quantizeInt6(d)),
      '1-bit': binarize,
      pool2: (d: FloatTokens) => poolTokens(d),
      'pool2+int8': (d: FloatTokens) => quantizeInt8(poolTokens(d)),
    };
    const figures: Record<string, number> = {};
    for (const [name, c] of [
      ['random', random],
      ['clustered', clustered],
    ] as const) {
      for (const [v, a] of Object.entries(measureAgreement(c.queries, c.docs, variants))) figures[`${name} ${v}`] = a;
    }
    console.log(
      `top-10 agreement vs float32 MaxSim (${DOCS} docs × ${TOKENS} tokens × ${DIMS} d, ${QUERIES} queries):\n` +
        Object.entries(figures)
          .map(([k, v]) => `  ${k}: ${(v * 100).toFixed(1)}%`)
          .join('\n'),
    );
    expect(figures['random int8']).toBeGreaterThanOrEqual(0.95);
    expect(figures['clustered int8']).toBeGreaterThanOrEqual(0.95);
    // int6 is what the app stores (8 KB budget); it is measured here through the packed form.
    expect(figures['random int6']).toBeGreaterThanOrEqual(0.95);
    expect(figures['clustered int6']).toBeGreaterThanOrEqual(0.95);
    // Past the three planted matches the top 10 is near-random filler, so lossy variants reshuffle it; the
    // planted matches themselves must survive every variant.
    const top3 = measureAgreement(clustered.queries, clustered.docs, { '1-bit': binarize, pool2: variants.pool2 }, 3);
    console.log(
      `top-3 agreement, clustered: 1-bit ${(top3['1-bit'] * 100).toFixed(1)}%, pool2 ${(top3.pool2 * 100).toFixed(1)}%`,
    );
    expect(top3['1-bit']).toBe(1);
    expect(top3.pool2).toBe(1);
    // Pooling's O(n²) merges dominate; a generous limit so a loaded CI machine does not time out.
  }, 120_000);
});
