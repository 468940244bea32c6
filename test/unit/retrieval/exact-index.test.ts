// ExactIndex: top-k equals a full sort (int8 close to it), add/remove/build/scoreIds follow VoyIndex; when auto picks which.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { ExactIndex, type ExactPrecision } from '../../../src/lib/retrieval/exact-index';
import { pickDenseIndex } from '../../../src/lib/retrieval/vector-index';

/** Seeded rows of uniform noise, each L2-normalized. */
function unitRows(count: number, dims: number, seed: number): Float32Array {
  const out = new Float32Array(count * dims);
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  for (let r = 0; r < count; r++) {
    const row = out.subarray(r * dims, (r + 1) * dims);
    const n = Math.hypot(...row);
    for (let d = 0; d < dims; d++) row[d]! /= n;
  }
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The reference: score every row, sort all of them. */
function naiveTopK(ids: string[], data: Float32Array, dims: number, query: Float32Array, k: number) {
  return ids
    .map((id, r) => ({ id, score: dot(query, data.subarray(r * dims, (r + 1) * dims)) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

const DIMS = 64;
const N = 2000;
const data = unitRows(N, DIMS, 1);
const ids = Array.from({ length: N }, (_, i) => `c${i}`);
const queries = unitRows(40, DIMS, 2);
const query = (i: number) => queries.subarray(i * DIMS, (i + 1) * DIMS);

describe('ExactIndex search', () => {
  it('f32 returns exactly the naive top-10, with the cosines as scores', () => {
    const idx = new ExactIndex(DIMS);
    idx.build(ids, data);
    for (let i = 0; i < 40; i++) {
      const want = naiveTopK(ids, data, DIMS, query(i), 10);
      const got = idx.search(query(i), 10);
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      got.forEach((h, j) => expect(h.score).toBeCloseTo(want[j]!.score, 6));
    }
  });

  it('int8 agrees with the naive top-10 on at least 95% of hits and scores within 0.01', () => {
    const idx = new ExactIndex(DIMS, { precision: 'int8' });
    idx.build(ids, data);
    let same = 0;
    for (let i = 0; i < 40; i++) {
      const want = naiveTopK(ids, data, DIMS, query(i), 10);
      const got = idx.search(query(i), 10);
      const wanted = new Set(want.map((h) => h.id));
      same += got.filter((h) => wanted.has(h.id)).length;
      for (const h of got) {
        const r = Number(h.id.slice(1));
        expect(Math.abs(h.score - dot(query(i), data.subarray(r * DIMS, (r + 1) * DIMS)))).toBeLessThan(0.01);
      }
    }
    expect(same / 400).toBeGreaterThanOrEqual(0.95);
  });

  it.each<ExactPrecision>(['f32', 'int8'])('%s: a stored vector finds itself with cosine ≈ 1, best first', (p) => {
    const idx = new ExactIndex(DIMS, { precision: p });
    idx.build(ids, data);
    const hits = idx.search(data.subarray(7 * DIMS, 8 * DIMS), 5);
    expect(hits[0]!.id).toBe('c7');
    expect(hits[0]!.score).toBeCloseTo(1, 2);
    for (let j = 1; j < hits.length; j++) expect(hits[j]!.score).toBeLessThanOrEqual(hits[j - 1]!.score);
  });

  it('scores the cosine: orthogonal 0, opposite −1, and handles dims not divisible by 4', () => {
    const idx = new ExactIndex(3);
    idx.build(['x', 'y', '-x'], Float32Array.from([1, 0, 0, 0, 1, 0, -1, 0, 0]));
    expect(idx.search(Float32Array.from([1, 0, 0]), 3)).toEqual([
      { id: 'x', score: 1 },
      { id: 'y', score: 0 },
      { id: '-x', score: -1 },
    ]);
  });

  it('returns min(k, size) hits, none for k ≤ 0, and breaks score ties by id', () => {
    const idx = new ExactIndex(2);
    const same = Float32Array.from([0.6, 0.8]);
    idx.add(['b', 'a', 'c'], Float32Array.from([...same, ...same, ...same]));
    expect(idx.search(same, 10).map((h) => h.id)).toEqual(['a', 'b', 'c']);
    expect(idx.search(same, 2).map((h) => h.id)).toEqual(['a', 'b']);
    expect(idx.search(same, 0)).toEqual([]);
    expect(idx.search(same, -1)).toEqual([]);
  });
});

describe('ExactIndex contract (as VoyIndex)', () => {
  it.each<ExactPrecision>(['f32', 'int8'])('%s: ids are unique; the first vector of an id wins', (p) => {
    const idx = new ExactIndex(DIMS, { precision: p });
    idx.add(['a', 'a'], data.subarray(0, 2 * DIMS));
    idx.add(['a'], data.subarray(2 * DIMS, 3 * DIMS));
    expect(idx.size).toBe(1);
    expect(idx.search(data.subarray(0, DIMS), 1)[0]!.score).toBeCloseTo(1, 2);
  });

  it.each<ExactPrecision>(['f32', 'int8'])(
    '%s: remove keeps every other row findable; unknown ids are a no-op',
    (p) => {
      const idx = new ExactIndex(DIMS, { precision: p });
      idx.build(ids.slice(0, 50), data.subarray(0, 50 * DIMS));
      idx.remove(['c0', 'c49', 'c20', 'missing', 'c20']);
      expect(idx.size).toBe(47);
      for (let r = 0; r < 50; r++) {
        const top = idx.search(data.subarray(r * DIMS, (r + 1) * DIMS), 1)[0]!;
        if ([0, 49, 20].includes(r)) expect(top.id).not.toBe(`c${r}`);
        else expect(top.id).toBe(`c${r}`);
      }
      idx.remove(ids);
      expect(idx.size).toBe(0);
      expect(idx.search(query(0), 5)).toEqual([]);
      idx.add(['c3'], data.subarray(3 * DIMS, 4 * DIMS));
      expect(idx.search(query(0), 5).map((h) => h.id)).toEqual(['c3']);
    },
  );

  it('build replaces the contents; add grows past the initial capacity', () => {
    const idx = new ExactIndex(DIMS);
    idx.build(ids.slice(0, 10), data.subarray(0, 10 * DIMS));
    idx.build(ids.slice(10, 20), data.subarray(10 * DIMS, 20 * DIMS));
    expect(idx.size).toBe(10);
    expect(idx.search(data.subarray(0, DIMS), 20).some((h) => h.id === 'c0')).toBe(false);
    for (let r = 20; r < 300; r++) idx.add([ids[r]!], data.subarray(r * DIMS, (r + 1) * DIMS));
    expect(idx.size).toBe(290);
    expect(idx.search(data.subarray(150 * DIMS, 151 * DIMS), 1)[0]!.id).toBe('c150');
    expect(idx.search(data.subarray(12 * DIMS, 13 * DIMS), 1)[0]!.id).toBe('c12');
  });

  it('shrinks its storage after a large delete, and int8 stores about a quarter of f32', () => {
    const f32 = new ExactIndex(DIMS);
    const int8 = new ExactIndex(DIMS, { precision: 'int8' });
    f32.build(ids, data);
    int8.build(ids, data);
    // Rows and scales, the scan's scores and its int8 query, in whole 64 KiB WebAssembly pages.
    const int8Bytes = N * DIMS + N * 4 + N * 4 + DIMS;
    expect(int8.byteLength).toBeGreaterThanOrEqual(int8Bytes);
    expect(int8.byteLength).toBeLessThanOrEqual(Math.ceil(int8Bytes / 65_536) * 65_536);
    expect(f32.byteLength).toBe(N * DIMS * 4);
    f32.remove(ids.slice(100));
    expect(f32.byteLength).toBeLessThanOrEqual(200 * DIMS * 4);
    expect(f32.search(data.subarray(42 * DIMS, 43 * DIMS), 1)[0]!.id).toBe('c42');
  });

  it('guards dimensions like VoyIndex: bad lengths throw EMBEDDING_DIMS_MISMATCH', () => {
    expect(() => new ExactIndex(0)).toThrow(AppError);
    expect(() => new ExactIndex(2.5)).toThrow(AppError);
    expect(() => new ExactIndex(4, { precision: 'f16' as ExactPrecision })).toThrow(/precision/);
    const idx = new ExactIndex(8);
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        return err instanceof AppError ? err.code : 'other';
      }
      return 'none';
    };
    expect(code(() => idx.add(['a'], new Float32Array(7)))).toBe('EMBEDDING_DIMS_MISMATCH');
    expect(code(() => idx.build(['a', 'b'], new Float32Array(8)))).toBe('EMBEDDING_DIMS_MISMATCH');
    // An empty index answers nothing before it checks the query, as VoyIndex does.
    expect(idx.search(new Float32Array(4), 1)).toEqual([]);
    idx.add(['a'], unitRows(1, 8, 1));
    expect(code(() => idx.search(new Float32Array(4), 1))).toBe('EMBEDDING_DIMS_MISMATCH');
    // A failed build leaves the previous contents in place.
    expect(code(() => idx.build(['x'], new Float32Array(3)))).toBe('EMBEDDING_DIMS_MISMATCH');
    expect(idx.size).toBe(1);
  });
});

describe('ExactIndex int8 scan in WebAssembly SIMD', () => {
  it('runs in SIMD here, and ranks exactly as the JS scan of the same int8 rows', () => {
    for (const dims of [DIMS, 20]) {
      const rows = unitRows(500, dims, 7);
      const qs = unitRows(10, dims, 8);
      const simd = new ExactIndex(dims, { precision: 'int8' });
      const js = new ExactIndex(dims, { precision: 'int8', simd: false });
      expect(simd.simd).toBe(true);
      expect(js.simd).toBe(false);
      simd.build(ids.slice(0, 500), rows);
      js.build(ids.slice(0, 500), rows);
      for (let i = 0; i < 10; i++) {
        const q = qs.subarray(i * dims, (i + 1) * dims);
        const a = simd.search(q, 10);
        const b = js.search(q, 10);
        expect(a.map((h) => h.id)).toEqual(b.map((h) => h.id));
        a.forEach((h, j) => expect(h.score).toBeCloseTo(b[j]!.score, 6));
      }
    }
  });

  it('keeps its rows through growth and removal (each resize moves them into a new WebAssembly memory)', () => {
    const idx = new ExactIndex(DIMS, { precision: 'int8' });
    for (let at = 0; at < N; at += 37) {
      const end = Math.min(N, at + 37);
      idx.add(ids.slice(at, end), data.subarray(at * DIMS, end * DIMS));
    }
    idx.remove(ids.filter((_, i) => i % 3 === 0));
    for (const r of [1, 500, 1999]) expect(idx.search(data.subarray(r * DIMS, (r + 1) * DIMS), 1)[0]!.id).toBe(`c${r}`);
    expect(idx.search(data.subarray(3 * DIMS, 4 * DIMS), 1)[0]!.id).not.toBe('c3');
  });
});

describe('ExactIndex scoreIds (filtered search)', () => {
  it('ranks only the chosen ids, with the same scores a full search gives', () => {
    for (const precision of ['f32', 'int8'] as ExactPrecision[]) {
      const idx = new ExactIndex(DIMS, { precision });
      idx.build(ids, data);
      const chosen = ids.filter((_, i) => i % 7 === 3);
      const got = idx.scoreIds(query(0), [...chosen, 'unknown'], 5);
      const all = new Map(idx.search(query(0), N).map((h) => [h.id, h.score]));
      const want = [...chosen].sort((a, b) => all.get(b)! - all.get(a)!).slice(0, 5);
      expect(got.map((h) => h.id)).toEqual(want);
      for (const h of got) expect(h.score).toBeCloseTo(all.get(h.id)!, 5);
    }
  });
});

describe('pickDenseIndex', () => {
  it('picks the exact scan under auto (it beat Voy at every measured size), and honours an explicit choice', () => {
    expect(pickDenseIndex('auto')).toBe('exact');
    expect(pickDenseIndex('voy')).toBe('voy');
    expect(pickDenseIndex('exact')).toBe('exact');
  });
});

describe('ExactIndex int8 rows snapshot', () => {
  it('restores from its own rows with the same results, and keeps changing like the original', () => {
    const a = new ExactIndex(20, { precision: 'int8' });
    const rows = unitRows(300, 20, 11);
    a.build(ids.slice(0, 300), rows);
    a.remove(['c5', 'c17']);
    const snap = a.int8Rows();
    const b = ExactIndex.fromInt8Rows(20, {
      ...snap,
      ids: [...snap.ids],
      rows: snap.rows.slice(),
      scales: snap.scales.slice(),
    });
    const qs = unitRows(5, 20, 12);
    for (let i = 0; i < 5; i++) {
      const q = qs.subarray(i * 20, (i + 1) * 20);
      expect(b.search(q, 10)).toEqual(a.search(q, 10));
    }
    for (const idx of [a, b]) {
      idx.remove(['c0']);
      idx.add(['new'], rows.subarray(0, 20));
    }
    expect(b.search(rows.subarray(0, 20), 1)).toEqual(a.search(rows.subarray(0, 20), 1));
    expect(b.search(rows.subarray(0, 20), 1)[0]!.id).toBe('new');
  });

  it('refuses rows of another width (another model)', () => {
    const a = new ExactIndex(20, { precision: 'int8' });
    a.build(ids.slice(0, 3), unitRows(3, 20, 1));
    expect(() => ExactIndex.fromInt8Rows(40, a.int8Rows())).toThrow(AppError);
    expect(() => new ExactIndex(20).int8Rows()).toThrow(/int8/);
  });
});
