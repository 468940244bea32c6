// The dense index interface: the rest of the app never talks to Voy directly.

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
}
