// The dense index interface: the rest of the app never talks to Voy directly.
import { VOY_AUTO_MAX_CHUNKS, type DenseIndexPreference } from '../config/defaults';

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
