// MaxSim late-interaction scoring on tiny hand examples, for float32, int8 and 1-bit documents.
import { describe, expect, it } from 'vitest';
import { quantizeInt8 } from '../../../src/lib/retrieval/compress';
import { maxSim, maxSimRerank, type QueryTokens } from '../../../src/lib/retrieval/maxsim';
import { binarize } from './compress-variants';

const query: QueryTokens = { data: Float32Array.from([1, 0, 0, 1]), tokens: 2, dims: 2 };
const docA = { id: 'A', data: Float32Array.from([0.6, 0.8, 1, 0]), tokens: 2 };
const docB = { id: 'B', data: Float32Array.from([0, 1]), tokens: 1 };
const docC = { id: 'C', data: Float32Array.from([-1, 0, 0.8, -0.6]), tokens: 2 };

describe('maxSim', () => {
  it('sums the best dot product per query token and reports which doc token won', () => {
    const a = maxSim(query, docA);
    // q0=(1,0): dots 0.6, 1 → token 1; q1=(0,1): dots 0.8, 0 → token 0.
    expect(a.score).toBeCloseTo(1.8, 6);
    expect([...a.bestToken]).toEqual([1, 0]);
    expect(a.bestScore[0]).toBeCloseTo(1, 6);
    expect(a.bestScore[1]).toBeCloseTo(0.8, 6);
    const c = maxSim(query, docC);
    // q0: −1, 0.8 → token 1 (0.8); q1: 0, −0.6 → token 0 (0).
    expect(c.score).toBeCloseTo(0.8, 6);
    expect([...c.bestToken]).toEqual([1, 0]);
  });

  it('reranks candidates best first and cuts at topK', () => {
    const hits = maxSimRerank(query, [docB, docC, docA], 2);
    expect(hits.map((h) => h.id)).toEqual(['A', 'B']);
    expect(hits[1]!.score).toBeCloseTo(1, 6); // B: q0 0, q1 1
  });

  it('scores int8 documents close to float32', () => {
    const q8 = quantizeInt8({ data: docA.data, tokens: 2, dims: 2 });
    const r = maxSim(query, { id: 'A8', data: q8.data, tokens: 2, scales: q8.scales });
    expect(r.score).toBeCloseTo(1.8, 2);
    expect([...r.bestToken]).toEqual([1, 0]);
  });

  it('scores 1-bit documents as ±1/√d sign vectors', () => {
    const q: QueryTokens = {
      data: Float32Array.from([0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      tokens: 1,
      dims: 16,
    };
    const doc = Float32Array.from([1, 1, -1, 1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 1, 1, 1].map((x) => x / 4));
    const bits = binarize({ data: doc, tokens: 1, dims: 16 });
    expect([...bits.data]).toEqual([0b00001011, 0xff]);
    const r = maxSim(q, { id: 'b', data: bits.data, tokens: 1 });
    // Signs of the first four: +,+,−,+ → 0.5·(1+1−1+1)/4 = 0.25, the same as the float dot product here.
    expect(r.score).toBeCloseTo(0.25, 6);
  });

  it('rejects mismatched shapes and handles an empty document', () => {
    expect(() => maxSim(query, { id: 'bad', data: new Float32Array(3), tokens: 2 })).toThrow();
    const empty = maxSim(query, { id: 'e', data: new Float32Array(0), tokens: 0 });
    expect(empty.score).toBe(-Infinity);
    expect([...empty.bestToken]).toEqual([-1, -1]);
  });
});
