// Quantizes late-interaction token vectors (stored as bit-packed int6) and reads stored rows back as int8 for MaxSim.

/** Row-major [tokens × dims] float vectors, L2-normalized per token. */
export interface FloatTokens {
  data: Float32Array;
  tokens: number;
  dims: number;
}

export interface Int8Tokens {
  data: Int8Array;
  /** Per token: value ≈ data · scale (scale = max |component| / 127, or / 31 when unpacked from int6). */
  scales: Float32Array;
  tokens: number;
  dims: number;
}

/** Int6 values (−31…31) packed four to three bytes, with the same per-token scales as int8. */
export interface Int6Tokens {
  data: Uint8Array;
  scales: Float32Array;
  tokens: number;
  dims: number;
}

/** Symmetric int8 with one scale per token: 4× smaller, error ≈ scale/2 per component. */
export function quantizeInt8(m: FloatTokens): Int8Tokens {
  return quantizeSymmetric(m, 127);
}

/** Rounds each token to integers in −levels…levels times one per-token scale. */
function quantizeSymmetric(m: FloatTokens, levels: number): Int8Tokens {
  const { data, tokens, dims } = m;
  const out = new Int8Array(tokens * dims);
  const scales = new Float32Array(tokens);
  for (let t = 0; t < tokens; t++) {
    const off = t * dims;
    let max = 0;
    for (let j = 0; j < dims; j++) max = Math.max(max, Math.abs(data[off + j]!));
    const scale = max > 0 ? max / levels : 1;
    scales[t] = scale;
    for (let j = 0; j < dims; j++) out[off + j] = Math.round(data[off + j]! / scale);
  }
  return { data: out, scales, tokens, dims };
}

/**
 * One row, symmetric int8, written into `out` at `offset`: returns the scale (max |x| / 127; 0 for an all-zero row,
 * which stays zero). The dense index, its SIMD query and the SIMD MaxSim query share it.
 */
export function quantizeRowInt8(src: ArrayLike<number>, out: Int8Array, offset: number): number {
  let max = 0;
  for (let j = 0; j < src.length; j++) max = Math.max(max, Math.abs(src[j]!));
  const inv = max > 0 ? 127 / max : 0;
  for (let j = 0; j < src.length; j++) out[offset + j] = Math.round(src[j]! * inv);
  return max / 127;
}

export function dequantizeInt8(m: Int8Tokens): FloatTokens {
  const out = new Float32Array(m.tokens * m.dims);
  for (let t = 0; t < m.tokens; t++) {
    const scale = m.scales[t]!;
    for (let j = 0; j < m.dims; j++) out[t * m.dims + j] = m.data[t * m.dims + j]! * scale;
  }
  return { data: out, tokens: m.tokens, dims: m.dims };
}

/**
 * Symmetric int6 with per-token scales, bit-packed: 5.3× smaller than float32, so 100 tokens × 96 d fit in 8 KB
 * (int8 needs 10 KB). Stored packed; `unpackInt6` restores an Int8Tokens that the int8 MaxSim paths score as is.
 */
export function quantizeInt6(m: FloatTokens): Int6Tokens {
  const q = quantizeSymmetric(m, 31);
  const n = q.data.length;
  const out = new Uint8Array(Math.ceil((n * 6) / 8));
  for (let i = 0; i < n; i++) {
    const v = q.data[i]! + 32; // 1…63 fits six bits unsigned
    const bit = i * 6;
    const byte = bit >> 3;
    const shift = bit & 7;
    out[byte]! |= (v << shift) & 0xff;
    if (shift > 2) out[byte + 1]! |= v >> (8 - shift);
  }
  return { data: out, scales: q.scales, tokens: m.tokens, dims: m.dims };
}

export function unpackInt6(m: Int6Tokens): Int8Tokens {
  const n = m.tokens * m.dims;
  if (m.data.length < Math.ceil((n * 6) / 8)) throw new Error('unpackInt6: packed data is too short');
  const out = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const bit = i * 6;
    const byte = bit >> 3;
    const shift = bit & 7;
    let v = m.data[byte]! >> shift;
    if (shift > 2) v |= m.data[byte + 1]! << (8 - shift);
    out[i] = (v & 63) - 32;
  }
  return { data: out, scales: m.scales, tokens: m.tokens, dims: m.dims };
}

/** A stored token-vector row (the persistence layout) as int8 for MaxSim: int6 rows are unpacked, older int8 rows used as is. */
export function storedToInt8(row: {
  bits?: 6 | 8;
  data: ArrayBuffer;
  scales: ArrayBuffer;
  tokens: number;
  dims: number;
}): Int8Tokens {
  const base = { tokens: row.tokens, dims: row.dims, scales: new Float32Array(row.scales) };
  return row.bits === 6
    ? unpackInt6({ ...base, data: new Uint8Array(row.data) })
    : { ...base, data: new Int8Array(row.data) };
}
