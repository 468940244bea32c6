// Int8 rows with one scale each, in WebAssembly memory, scanned by the SIMD kernel (a JS loop where SIMD is missing).
import { DOT_I8_WASM } from './kernels/dot-i8.wasm';
import { quantizeRowInt8 } from './compress';
import { instantiate, loadKernel } from './wasm-kernel';

/** Rows are padded to this many bytes: one 128-bit SIMD lane group. */
const LANE = 16;

/** The compiled scan kernel, or null where WebAssembly SIMD is unavailable (then scans run in JS). */
export function int8Kernel(): WebAssembly.Module | null {
  return loadKernel(DOT_I8_WASM);
}

type Scan = (rows: number, n: number, stride: number, query: number, scales: number, scores: number) => void;

/**
 * A growable matrix of symmetric-int8 rows (value ≈ byte · scale), laid out for the kernel in one buffer:
 * query (stride bytes) | scales (capacity × f32) | scores (capacity × f32) | rows (capacity × stride bytes).
 * Row bytes past `dims` stay zero, so they add nothing to a dot product.
 */
/** Bytes per stored int8 row of `dims` values: padded to whole SIMD lanes (zero past dims). */
export function int8Stride(dims: number): number {
  return Math.ceil(dims / LANE) * LANE;
}

export class Int8Matrix {
  readonly stride: number;
  /** Whether scans run in WebAssembly SIMD. */
  readonly simd: boolean;
  private scan: Scan | null = null;
  private buffer: ArrayBuffer = new ArrayBuffer(0);
  private capacityRows = 0;
  /** capacity × stride bytes; row r at r · stride. */
  rows = new Int8Array(0);
  /** One scale per row. */
  scales = new Float32Array(0);
  private scores = new Float32Array(0);
  private query = new Int8Array(0);

  constructor(
    readonly dims: number,
    simd = true,
  ) {
    this.stride = int8Stride(dims);
    this.simd = simd && int8Kernel() !== null;
  }

  get capacity(): number {
    return this.capacityRows;
  }

  /** Bytes held (the whole buffer: query, scales, scores and rows). */
  get byteLength(): number {
    return this.buffer.byteLength;
  }

  /** Reallocates for `capacity` rows (a multiple of 4 is kept, for alignment), keeping the first `keep` rows. */
  resize(capacity: number, keep: number): void {
    const cap = Math.max(4, Math.ceil(capacity / 4) * 4);
    const stride = this.stride;
    const scalesAt = stride;
    const scoresAt = scalesAt + cap * 4;
    const rowsAt = scoresAt + cap * 4;
    const bytes = rowsAt + cap * stride;
    let buffer: ArrayBuffer;
    if (this.simd) {
      const { memory, exports } = instantiate(int8Kernel()!, bytes);
      this.scan = exports.scan as Scan;
      buffer = memory.buffer;
    } else buffer = new ArrayBuffer(bytes);
    const rows = new Int8Array(buffer, rowsAt, cap * stride);
    const scales = new Float32Array(buffer, scalesAt, cap);
    rows.set(this.rows.subarray(0, keep * stride));
    scales.set(this.scales.subarray(0, keep));
    this.buffer = buffer;
    this.rows = rows;
    this.scales = scales;
    this.scores = new Float32Array(buffer, scoresAt, cap);
    this.query = new Int8Array(buffer, 0, stride);
    this.capacityRows = cap;
  }

  /** Quantizes `src` (dims values) into row `row`: scale = max |x| / 127, byte = round(x / scale). */
  setRow(row: number, src: Float32Array): void {
    this.scales[row] = quantizeRowInt8(src, this.rows, row * this.stride);
  }

  /** Copies row `from` over row `to` (padding included). */
  moveRow(to: number, from: number): void {
    this.rows.copyWithin(to * this.stride, from * this.stride, (from + 1) * this.stride);
    this.scales[to] = this.scales[from]!;
  }

  /** Dot product of row `row` with a float32 query: the precise int8 score (no query rounding). */
  rowScore(query: Float32Array, row: number): number {
    const at = row * this.stride;
    let s = 0;
    for (let j = 0; j < this.dims; j++) s += query[j]! * this.rows[at + j]!;
    return s * this.scales[row]!;
  }

  /**
   * Approximate scores of rows [0, n) against `query`, in one pass: with SIMD the query is rounded to int8 too, so
   * the scores are those of the int8 query (ranking only: callers rescore their finalists with rowScore). The
   * returned view is reused by the next scan.
   */
  scoreAll(query: Float32Array, n: number): Float32Array {
    const scores = this.scores.subarray(0, n);
    if (!this.scan) {
      for (let r = 0; r < n; r++) scores[r] = this.rowScore(query, r);
      return scores;
    }
    quantizeRowInt8(query.subarray(0, this.dims), this.query, 0);
    this.scan(this.rows.byteOffset, n, this.stride, this.query.byteOffset, this.scales.byteOffset, scores.byteOffset);
    return scores;
  }
}
