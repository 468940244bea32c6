// Turns selected hidden-state rows into ColBERT token vectors: linear projection (x · Wᵀ) then L2 normalization.
import { normalizeRows } from '../tensors';

/** A bias-free linear layer stored as PyTorch does: weight [out × in], row-major. */
export interface Projection {
  weight: Float32Array;
  in: number;
  out: number;
}

/**
 * Rows `positions` of one sequence in `hidden` (row-major [seq × hiddenSize], starting at `offset`) projected
 * and L2-normalized into a new [positions.length × dims] matrix; with no projection the rows are copied as they are.
 */
export function tokenVectors(
  hidden: Float32Array,
  offset: number,
  hiddenSize: number,
  positions: readonly number[],
  projection: Projection | null,
): Float32Array {
  const dims = projection ? projection.out : hiddenSize;
  const out = new Float32Array(positions.length * dims);
  positions.forEach((p, r) => {
    const h = offset + p * hiddenSize;
    if (!projection) {
      out.set(hidden.subarray(h, h + hiddenSize), r * dims);
      return;
    }
    const w = projection.weight;
    for (let o = 0; o < dims; o++) {
      let s = 0;
      const wo = o * hiddenSize;
      for (let i = 0; i < hiddenSize; i++) s += w[wo + i]! * hidden[h + i]!;
      out[r * dims + o] = s;
    }
  });
  return normalizeRows(out, dims);
}
