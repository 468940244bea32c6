// Small numeric helpers shared by the model implementations: pooling, normalization, cosine.

/** Any tensor-like output: transformers.js Tensor satisfies this. */
export interface TensorLike {
  dims: number[];
  type: string;
  data: ArrayLike<number | bigint>;
  to?(type: 'float32'): TensorLike;
}

export function asFloat32(t: TensorLike): Float32Array {
  if (t.data instanceof Float32Array) return t.data;
  if (t.type !== 'float32' && t.to) {
    const converted = t.to('float32');
    if (converted.data instanceof Float32Array) return converted.data;
  }
  return Float32Array.from(t.data as ArrayLike<number>, Number);
}

/** Pools [batch, seq, hidden] into [batch, hidden] with the attention mask. */
export function pool(
  hidden: Float32Array,
  mask: ArrayLike<number | bigint>,
  batch: number,
  seq: number,
  dims: number,
  mode: 'mean' | 'cls',
): Float32Array {
  const out = new Float32Array(batch * dims);
  for (let b = 0; b < batch; b++) {
    const o = b * dims;
    if (mode === 'cls') {
      out.set(hidden.subarray(b * seq * dims, b * seq * dims + dims), o);
      continue;
    }
    let count = 0;
    for (let s = 0; s < seq; s++) {
      if (Number(mask[b * seq + s]) === 0) continue;
      count++;
      const h = (b * seq + s) * dims;
      for (let d = 0; d < dims; d++) out[o + d]! += hidden[h + d]!;
    }
    if (count > 0) for (let d = 0; d < dims; d++) out[o + d]! /= count;
  }
  return out;
}

/** L2-normalizes each row of a row-major matrix in place. */
export function normalizeRows(m: Float32Array, dims: number): Float32Array {
  for (let r = 0; r < m.length; r += dims) {
    let s = 0;
    for (let d = 0; d < dims; d++) s += m[r + d]! * m[r + d]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < dims; d++) m[r + d]! *= inv;
  }
  return m;
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
