// The dense index interface: the rest of the app never talks to Voy directly.

/** Dense index engine: `auto` is the exact int8 scan at every size (see VOY_MEASURED for why). */
export type DenseIndexPreference = 'auto' | 'voy' | 'exact';

/**
 * Voy against the exact int8 scan (WebAssembly SIMD), per 384-d passage on 2 cores, from
 * `npx vitest bench --run test/bench/retrieval.bench.ts` (BENCH_SIZES=10000,100000): at 10k passages Voy holds
 * 18 KB per passage against 0.4 KB of int8 rows and scales (ids and their map come on top for both), builds in 1.0 s
 * against 0.05 s, and answers a top-10 in 4.6 ms against 0.3 ms; at 100k, 11.5 KB, 11.8 s and 124 ms against 0.4 KB,
 * 0.5 s and 2.8 ms. Both reach recall@10 1.0 against exact float32. Voy stays selectable; `auto` never picks it.
 * Shown in Settings.
 */
export const VOY_MEASURED = {
  passages: 10_000,
  voy: { bytesPerPassage: 18_149, buildMs: 1_043, queryMs: 4.6 },
  exact: { bytesPerPassage: 393, buildMs: 47, queryMs: 0.3 },
} as const;

export interface VectorHit {
  id: string;
  /** Cosine similarity of the normalized query and the stored vector. */
  score: number;
}

export interface VectorIndex {
  readonly dims: number;
  readonly size: number;
  /** Replaces the contents with these rows (row-major, L2-normalized). */
  build(ids: string[], vectors: Float32Array): void;
  add(ids: string[], vectors: Float32Array): void;
  remove(ids: string[]): void;
  search(query: Float32Array, k: number): VectorHit[];
  /** Exact cosine for chosen ids only: a filtered search ranks within the filter, not after the index's cut. */
  scoreIds(query: Float32Array, ids: Iterable<string>, k: number): VectorHit[];
}

/** Which dense index serves search: Voy (the default engine) or the exact scan. */
export type DenseIndexKind = 'voy' | 'exact';

/** `auto` is the exact scan: it beat Voy at every measured size on memory, build and query time (VOY_MEASURED). */
export function pickDenseIndex(preference: DenseIndexPreference): DenseIndexKind {
  return preference === 'voy' ? 'voy' : 'exact';
}
