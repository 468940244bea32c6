// The dense index interface: the rest of the app never talks to Voy directly.

/** Dense index engine: `auto` picks by library size (see VOY_AUTO_MAX_CHUNKS). */
export type DenseIndexPreference = 'auto' | 'voy' | 'exact';

/**
 * Largest library (chunks) that `auto` serves with Voy. `npm run bench` measured Voy's cold start (load + build)
 * at 1.6 s for 10k chunks and 15.5 s for 100k, against a 2 s target; the exact f32 scan took 0.1 s and 1.4 s and
 * also queried faster. Above this size Voy is unfit, so `auto` switches.
 */
export const VOY_AUTO_MAX_CHUNKS = 10_000;

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

/** `auto` keeps Voy while it meets the cold-start target (see VOY_AUTO_MAX_CHUNKS). */
export function pickDenseIndex(preference: DenseIndexPreference, chunks: number): DenseIndexKind {
  if (preference === 'voy' || preference === 'exact') return preference;
  return chunks <= VOY_AUTO_MAX_CHUNKS ? 'voy' : 'exact';
}
