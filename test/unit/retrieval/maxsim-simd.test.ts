// MaxSim in WebAssembly SIMD against the JS kernel on the same int8 documents: hand cases, then seeded random ones.
import { describe, expect, it } from 'vitest';
import { quantizeInt8 } from '../../../src/lib/retrieval/compress';
import { maxSimRerank, type QueryTokens } from '../../../src/lib/retrieval/maxsim';
import { maxSimRerankSimd, maxSimSimdAvailable, type Int8DocTokens } from '../../../src/lib/retrieval/maxsim-simd';

/** Seeded unit rows, row-major. */
function rows(count: number, dims: number, seed: number): Float32Array {
  const out = new Float32Array(count * dims);
  let s = seed >>> 0;
  for (let r = 0; r < count; r++) {
    let n = 0;
    for (let j = 0; j < dims; j++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[r * dims + j] = s / 4294967296 - 0.5;
      n += out[r * dims + j]! ** 2;
    }
    for (let j = 0; j < dims; j++) out[r * dims + j]! /= Math.sqrt(n);
  }
  return out;
}

const doc = (id: string, tokens: number, dims: number, seed: number): Int8DocTokens => ({
  id,
  ...quantizeInt8({ data: rows(tokens, dims, seed), tokens, dims }),
});

describe('maxSimRerankSimd', () => {
  it('runs here (Node has WebAssembly SIMD)', () => {
    expect(maxSimSimdAvailable()).toBe(true);
  });

  it('matches the JS kernel on a hand case, padding dims that are not a multiple of 16, and empty documents', () => {
    const query: QueryTokens = { data: Float32Array.from([1, 0, 0, 1]), tokens: 2, dims: 2 };
    const a = quantizeInt8({ data: Float32Array.from([0.6, 0.8, 1, 0]), tokens: 2, dims: 2 });
    const c = quantizeInt8({ data: Float32Array.from([-1, 0, 0.8, -0.6]), tokens: 2, dims: 2 });
    const docs = [
      { id: 'C', ...c },
      { id: 'E', tokens: 0, data: new Int8Array(0), scales: new Float32Array(0) },
      { id: 'A', ...a },
    ];
    const simd = maxSimRerankSimd(query, docs, 3);
    const js = maxSimRerank(query, docs, 3);
    expect(simd.map((h) => h.id)).toEqual(['A', 'C', 'E']);
    expect(simd.map((h) => h.id)).toEqual(js.map((h) => h.id));
    simd.forEach((h, i) => {
      expect([...h.bestToken]).toEqual([...js[i]!.bestToken]);
      if (Number.isFinite(js[i]!.score)) expect(h.score).toBeCloseTo(js[i]!.score, 5);
      else expect(h.score).toBe(-Infinity);
    });
  });

  it('agrees with the JS kernel on 50 random documents of 20–120 tokens at 96 and 40 dims', () => {
    for (const dims of [96, 40]) {
      const query: QueryTokens = { data: rows(32, dims, 5), tokens: 32, dims };
      const docs = Array.from({ length: 50 }, (_, i) => doc(`d${i}`, 20 + ((i * 37) % 101), dims, 100 + i));
      const simd = maxSimRerankSimd(query, docs, 50);
      const js = new Map(maxSimRerank(query, docs, 50).map((h) => [h.id, h]));
      let same = 0;
      for (const h of simd) {
        const j = js.get(h.id)!;
        // Only near-ties may pick another token, so scores stay within the int8 rounding of the query.
        expect(Math.abs(h.score - j.score)).toBeLessThan(0.02);
        h.bestToken.forEach((t, i) => (same += t === j.bestToken[i] ? 1 : 0));
      }
      expect(same / (50 * 32)).toBeGreaterThan(0.95);
      const order = [...js.values()].sort((a, b) => b.score - a.score).map((h) => h.id);
      expect(new Set(simd.slice(0, 10).map((h) => h.id))).toEqual(new Set(order.slice(0, 10)));
    }
  });
});
