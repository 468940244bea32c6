import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { initVoy, VoyIndex } from '../../../src/lib/retrieval/voy-index';

const require = createRequire(import.meta.url);

function unit(dims: number, seed: number): Float32Array {
  const v = new Float32Array(dims);
  let s = seed;
  for (let i = 0; i < dims; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    v[i] = s / 2147483648 - 0.5;
  }
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function rows(list: Float32Array[]): Float32Array {
  const out = new Float32Array(list.length * (list[0]?.length ?? 0));
  list.forEach((r, i) => out.set(r, i * r.length));
  return out;
}

beforeAll(async () => {
  await initVoy(readFileSync(require.resolve('voy-search/voy_search_bg.wasm')));
});

describe('VoyIndex', () => {
  it('finds the nearest vector and reports its cosine', () => {
    const idx = new VoyIndex(16);
    const vs = [1, 2, 3, 4, 5].map((s) => unit(16, s));
    idx.build(['a', 'b', 'c', 'd', 'e'], rows(vs));
    const hits = idx.search(vs[2]!, 3);
    expect(hits[0]!.id).toBe('c');
    expect(hits[0]!.score).toBeCloseTo(1, 5);
    expect(hits).toHaveLength(3);
    expect(hits[1]!.score).toBeLessThan(hits[0]!.score);
  });

  it('rejects vectors longer than Voy stores and mismatched lengths', () => {
    expect(() => new VoyIndex(769)).toThrow(/768/);
    const idx = new VoyIndex(8);
    expect(() => idx.add(['a'], new Float32Array(7))).toThrow();
    expect(() => idx.search(new Float32Array(4), 1)).not.toThrow();
    idx.add(['a'], unit(8, 1));
    expect(() => idx.search(new Float32Array(4), 1)).toThrow(/dimensions/);
  });

  it('survives many identical vectors (Voy panics past 32 in one bucket)', () => {
    const idx = new VoyIndex(8);
    const same = unit(8, 7);
    const ids = Array.from({ length: 100 }, (_, i) => `dup${i}`);
    idx.add(ids, rows(ids.map(() => same)));
    idx.add(['other'], unit(8, 9));
    const hits = idx.search(same, 200);
    expect(hits.filter((h) => h.id.startsWith('dup'))).toHaveLength(100);
    expect(idx.size).toBe(101);
  });

  it('removes vectors, keeping identical twins findable', () => {
    const idx = new VoyIndex(8);
    const same = unit(8, 3);
    idx.add(['x', 'y', 'z'], rows([same, same, unit(8, 4)]));
    idx.remove(['x']);
    expect(idx.search(same, 1)[0]!.id).toBe('y');
    idx.remove(['y']);
    expect(idx.search(same, 3).map((h) => h.id)).toEqual(['z']);
    expect(idx.size).toBe(1);
  });
});
