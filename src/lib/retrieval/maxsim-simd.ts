// MaxSim over int8 token vectors in WebAssembly SIMD: the best document token per query token, then scored exactly.
import { quantizeRowInt8 } from './compress';
import { MAXSIM_I8_WASM } from './kernels/maxsim-i8.wasm';
import type { MaxSimHit, QueryTokens } from './maxsim';
import { instantiate, loadKernel } from './wasm-kernel';

/** A candidate's int8 token vectors (value ≈ int8 · scale), row-major, tokens × dims. */
export interface Int8DocTokens {
  id: string;
  data: Int8Array;
  tokens: number;
  scales: Float32Array;
}

type Kernel = (q: number, nq: number, d: number, nd: number, stride: number, s: number, b: number, a: number) => void;

/** Whether this engine runs the kernel (WebAssembly SIMD). */
export function maxSimSimdAvailable(): boolean {
  return loadKernel(MAXSIM_I8_WASM) !== null;
}

/** Reused between calls: grown (a new memory) when a call needs more. */
let state: { memory: WebAssembly.Memory; kernel: Kernel; bytes: number } | null = null;

function memoryFor(bytes: number): { memory: WebAssembly.Memory; kernel: Kernel } {
  if (!state || state.bytes < bytes) {
    const module = loadKernel(MAXSIM_I8_WASM);
    if (!module) throw new Error('maxSimRerankSimd: WebAssembly SIMD is unavailable');
    const { memory, exports } = instantiate(module, bytes);
    state = { memory, kernel: exports.maxsim as Kernel, bytes: memory.buffer.byteLength };
  }
  return state;
}

/**
 * Same contract as maxSimRerank for int8 documents. The kernel compares int8 query tokens (rounded per token) with
 * the document tokens to pick each query token's best match; that match's score is then computed from the float32
 * query, so scores equal the JS path's wherever the same token wins (rounding can only flip near-ties).
 */
export function maxSimRerankSimd(query: QueryTokens, docs: readonly Int8DocTokens[], topK: number): MaxSimHit[] {
  const { data: q, tokens: nq, dims } = query;
  if (q.length !== nq * dims) throw new Error('maxSim: query data length is not tokens × dims');
  const stride = Math.ceil(dims / 16) * 16;
  let most = 0;
  for (const d of docs) {
    if (d.data.length !== d.tokens * dims || d.scales.length !== d.tokens)
      throw new Error(`maxSim: document ${d.id} int8 data or scales have the wrong length`);
    most = Math.max(most, d.tokens);
  }
  // Layout: query rows | best (f32 per query token) | arg (i32 per query token) | scales | document rows.
  const bestAt = nq * stride;
  const argAt = bestAt + nq * 4;
  const scalesAt = argAt + nq * 4;
  const docAt = scalesAt + most * 4 + ((16 - ((scalesAt + most * 4) % 16)) % 16);
  const { memory, kernel } = memoryFor(docAt + most * stride);
  const buffer = memory.buffer;
  const qi8 = new Int8Array(buffer, 0, nq * stride);
  qi8.fill(0);
  for (let i = 0; i < nq; i++) quantizeRowInt8(q.subarray(i * dims, (i + 1) * dims), qi8, i * stride);
  const arg = new Int32Array(buffer, argAt, nq);
  const scales = new Float32Array(buffer, scalesAt, most);
  const rows = new Int8Array(buffer, docAt, most * stride);
  const hits = docs.map((doc, order) => {
    const nd = doc.tokens;
    if (stride === dims) rows.set(doc.data);
    else
      for (let t = 0; t < nd; t++) {
        rows.set(doc.data.subarray(t * dims, (t + 1) * dims), t * stride);
        rows.fill(0, t * stride + dims, (t + 1) * stride);
      }
    scales.set(doc.scales);
    kernel(0, nq, docAt, nd, stride, scalesAt, bestAt, argAt);
    const bestToken = Int32Array.from(arg);
    const bestScore = new Float32Array(nq);
    let score = nd === 0 ? -Infinity : 0;
    for (let i = 0; i < nq; i++) {
      const t = bestToken[i]!;
      if (t < 0) {
        bestScore[i] = -Infinity;
        continue;
      }
      let dot = 0;
      for (let j = 0, o = t * dims, p = i * dims; j < dims; j++) dot += q[p + j]! * doc.data[o + j]!;
      const exact = dot * doc.scales[t]!;
      bestScore[i] = exact;
      score += exact;
    }
    return { id: doc.id, order, score, bestToken, bestScore };
  });
  hits.sort((a, b) => b.score - a.score || a.order - b.order);
  return hits
    .slice(0, Math.max(0, topK))
    .map(({ id, score, bestToken, bestScore }) => ({ id, score, bestToken, bestScore }));
}
