// MaxSim reranking on WebGPU: one compute pass finds each (document, query token) best dot product and its token.
import { AppError, causeOf } from '../errors';
import { dequantizeInt8 } from './compress';
import type { DocTokens, MaxSimHit, MaxSimResult, QueryTokens } from './maxsim';

/** How many first-stage candidates the app reranks by default. */
export const DEFAULT_RERANK_CANDIDATES = 50;

// Just the WebGPU surface used here: TypeScript's DOM lib does not ship WebGPU types.
interface GpuBuffer {
  readonly size: number;
  destroy(): void;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
}
interface GpuPipeline {
  getBindGroupLayout(index: number): unknown;
}
interface GpuPass {
  setPipeline(p: GpuPipeline): void;
  setBindGroup(index: number, group: unknown): void;
  dispatchWorkgroups(x: number, y?: number): void;
  end(): void;
}
interface GpuEncoder {
  beginComputePass(): GpuPass;
  copyBufferToBuffer(src: GpuBuffer, srcOffset: number, dst: GpuBuffer, dstOffset: number, size: number): void;
  finish(): unknown;
}
interface GpuDevice {
  readonly limits: { maxStorageBufferBindingSize: number; maxComputeWorkgroupsPerDimension: number };
  readonly lost: Promise<{ reason?: string; message: string }>;
  readonly queue: {
    writeBuffer(b: GpuBuffer, offset: number, data: ArrayBufferView): void;
    submit(c: unknown[]): void;
  };
  createBuffer(d: { size: number; usage: number }): GpuBuffer;
  createShaderModule(d: { code: string }): unknown;
  createComputePipelineAsync(d: {
    layout: 'auto';
    compute: { module: unknown; entryPoint: string };
  }): Promise<GpuPipeline>;
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBuffer } }[] }): unknown;
  createCommandEncoder(): GpuEncoder;
  pushErrorScope(filter: 'validation' | 'out-of-memory'): void;
  popErrorScope(): Promise<{ message: string } | null>;
  destroy(): void;
}
interface GpuAdapter {
  readonly limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  requestDevice(d?: { requiredLimits?: Record<string, number> }): Promise<GpuDevice>;
}
interface Gpu {
  requestAdapter(o?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<GpuAdapter | null>;
}

// GPUBufferUsage and GPUMapMode flag values, from the WebGPU spec.
const USAGE = { MAP_READ: 1, COPY_SRC: 4, COPY_DST: 8, UNIFORM: 64, STORAGE: 128 } as const;
const MAP_READ = 1;
const WORKGROUP = 64;

/** The kernel, specialized to `dims` so loops unroll; vec4 loads when dims is a multiple of 4. */
function shader(dims: number): string {
  const vec = dims % 4 === 0;
  const t = vec ? 'vec4<f32>' : 'f32';
  const n = vec ? dims / 4 : dims;
  return /* wgsl */ `
const N: u32 = ${n}u;
struct Params { nq: u32, pairs: u32, stride: u32, pad: u32 }
struct Best { score: f32, index: i32 }
@group(0) @binding(0) var<storage, read> q: array<${t}>;
@group(0) @binding(1) var<storage, read> d: array<${t}>;
@group(0) @binding(2) var<storage, read> offsets: array<u32>;
@group(0) @binding(3) var<storage, read_write> best: array<Best>;
@group(0) @binding(4) var<uniform> params: Params;

// One invocation per (document, query token); neighbours share a document, so its rows are read once per group.
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let pair = gid.y * params.stride + gid.x;
  if (pair >= params.pairs) { return; }
  let doc = pair / params.nq;
  let qo = (pair % params.nq) * N;
  let start = offsets[doc];
  let end = offsets[doc + 1u];
  var top = -3.0e38;
  var arg = -1;
  for (var tok = start; tok < end; tok++) {
    let o = tok * N;
    var s = 0.0;
    for (var j = 0u; j < N; j++) { s += ${vec ? 'dot(q[qo + j], d[o + j])' : 'q[qo + j] * d[o + j]'}; }
    // Strictly greater: the first of equal tokens wins, as on the CPU.
    if (s > top) { top = s; arg = i32(tok - start); }
  }
  best[pair] = Best(top, arg);
}`;
}

/** Writes a document's rows into `out` as float32, whatever its encoding (see DocTokens). */
function decodeInto(doc: DocTokens, dims: number, out: Float32Array, at: number): void {
  const { data, tokens } = doc;
  if (data instanceof Float32Array) {
    if (data.length !== tokens * dims) throw new Error(`maxSim: document ${doc.id} data length is not tokens × dims`);
    out.set(data, at);
  } else if (data instanceof Int8Array) {
    const scales = 'scales' in doc ? doc.scales : undefined;
    if (data.length !== tokens * dims || !scales || scales.length !== tokens) {
      throw new Error(`maxSim: document ${doc.id} int8 data or scales have the wrong length`);
    }
    out.set(dequantizeInt8({ data, scales, tokens, dims }).data, at);
  } else {
    const bytes = Math.ceil(dims / 8);
    if (data.length !== tokens * bytes)
      throw new Error(`maxSim: document ${doc.id} bit data length is not tokens × ⌈dims/8⌉`);
    const v = 1 / Math.sqrt(dims); // ±1/√dims, as maxsim.ts reads 1-bit documents
    for (let t = 0; t < tokens; t++) {
      for (let j = 0; j < dims; j++) out[at + t * dims + j] = (data[t * bytes + (j >> 3)]! >> (j & 7)) & 1 ? v : -v;
    }
  }
}

/**
 * A lazily created WebGPU device with cached pipelines and growable buffers. Every failure (no WebGPU, no adapter,
 * a lost device, a job too large for the GPU) throws an AppError with a WEBGPU_* code, so callers can fall
 * back to the CPU `maxSimRerank`; after a device loss the next call starts a new device.
 */
export class WebGpuMaxSim {
  private device: Promise<GpuDevice> | null = null;
  private readonly pipelines = new Map<number, Promise<GpuPipeline>>();
  private readonly buffers = new Map<string, GpuBuffer>();
  private queue: Promise<unknown> = Promise.resolve();

  static isSupported(): boolean {
    return typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as { gpu?: unknown }).gpu;
  }

  /** Scores every document, in input order; results match `maxSim` from maxsim.ts. */
  scoreAll(query: QueryTokens, docs: readonly DocTokens[]): Promise<MaxSimResult[]> {
    // One job at a time: jobs share the buffers.
    const job = this.queue.then(() => this.run(query, docs));
    this.queue = job.catch(() => {});
    return job;
  }

  /** Scores every candidate and returns the best `topK`, best first (ties keep input order), like `maxSimRerank`. */
  async rerank(query: QueryTokens, docs: readonly DocTokens[], topK = docs.length): Promise<MaxSimHit[]> {
    const results = await this.scoreAll(query, docs);
    const hits = results.map((r, order) => ({ id: docs[order]!.id, order, ...r }));
    hits.sort((a, b) => b.score - a.score || a.order - b.order);
    return hits
      .slice(0, Math.max(0, topK))
      .map(({ id, score, bestToken, bestScore }) => ({ id, score, bestToken, bestScore }));
  }

  /** Frees the device and buffers; a later call creates them again. */
  destroy(): void {
    const device = this.device;
    this.reset();
    void device?.then((d) => d.destroy()).catch(() => {});
  }

  private reset(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    this.pipelines.clear();
    this.device = null;
  }

  private getDevice(): Promise<GpuDevice> {
    if (!this.device) {
      const created = this.createDevice();
      this.device = created;
      created.catch(() => {
        if (this.device === created) this.device = null;
      });
    }
    return this.device;
  }

  private async createDevice(): Promise<GpuDevice> {
    const gpu = (globalThis.navigator as (Navigator & { gpu?: Gpu }) | undefined)?.gpu;
    if (!gpu) throw new AppError('WEBGPU_UNAVAILABLE');
    let adapter: GpuAdapter | null;
    try {
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    } catch (err) {
      throw new AppError('WEBGPU_NO_ADAPTER', undefined, { cause: causeOf(err) });
    }
    if (!adapter) throw new AppError('WEBGPU_NO_ADAPTER');
    let device: GpuDevice;
    try {
      device = await adapter.requestDevice({
        requiredLimits: {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
        },
      });
    } catch (err) {
      throw new AppError('WEBGPU_DEVICE_FAILED', undefined, { cause: causeOf(err) });
    }
    const current = this.device;
    void device.lost.then(() => {
      // Only forget the device this promise belongs to; the next call makes a fresh one.
      if (this.device === current) this.reset();
    });
    return device;
  }

  private pipeline(device: GpuDevice, dims: number): Promise<GpuPipeline> {
    let p = this.pipelines.get(dims);
    if (!p) {
      p = device.createComputePipelineAsync({
        layout: 'auto',
        compute: { module: device.createShaderModule({ code: shader(dims) }), entryPoint: 'main' },
      });
      this.pipelines.set(dims, p);
      p.catch(() => this.pipelines.delete(dims));
    }
    return p;
  }

  /** A buffer of at least `size` bytes, reused across calls and grown in powers of two. */
  private buffer(device: GpuDevice, name: string, size: number, usage: number): GpuBuffer {
    const need = Math.max(16, Math.ceil(size / 4) * 4);
    const have = this.buffers.get(name);
    if (have && have.size >= need) return have;
    have?.destroy();
    const b = device.createBuffer({ size: 2 ** Math.ceil(Math.log2(need)), usage });
    this.buffers.set(name, b);
    return b;
  }

  private async run(query: QueryTokens, docs: readonly DocTokens[]): Promise<MaxSimResult[]> {
    const { data: q, tokens: nq, dims } = query;
    if (q.length !== nq * dims) throw new Error('maxSim: query data length is not tokens × dims');
    const offsets = new Uint32Array(docs.length + 1);
    docs.forEach((doc, i) => (offsets[i + 1] = offsets[i]! + doc.tokens));
    const total = offsets[docs.length]!;
    const flat = new Float32Array(total * dims);
    docs.forEach((doc, i) => decodeInto(doc, dims, flat, offsets[i]! * dims));
    const pairs = docs.length * nq;
    if (pairs === 0) {
      return docs.map(() => ({ score: 0, bestToken: new Int32Array(0), bestScore: new Float32Array(0) }));
    }

    const device = await this.getDevice();
    const limit = device.limits.maxStorageBufferBindingSize;
    if (flat.byteLength > limit || pairs * 8 > limit) {
      throw new AppError('WEBGPU_JOB_TOO_LARGE', undefined, { candidates: docs.length });
    }
    let out: ArrayBuffer;
    try {
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      const pipeline = await this.pipeline(device, dims);
      const storage = USAGE.STORAGE | USAGE.COPY_DST;
      const qBuf = this.buffer(device, 'query', q.byteLength, storage);
      const dBuf = this.buffer(device, 'docs', flat.byteLength, storage);
      const oBuf = this.buffer(device, 'offsets', offsets.byteLength, storage);
      const bestBuf = this.buffer(device, 'best', pairs * 8, USAGE.STORAGE | USAGE.COPY_SRC);
      const readBuf = this.buffer(device, 'read', pairs * 8, USAGE.MAP_READ | USAGE.COPY_DST);
      const pBuf = this.buffer(device, 'params', 16, USAGE.UNIFORM | USAGE.COPY_DST);
      const groups = Math.ceil(pairs / WORKGROUP);
      const x = Math.min(groups, device.limits.maxComputeWorkgroupsPerDimension);
      const y = Math.ceil(groups / x);
      device.queue.writeBuffer(qBuf, 0, q);
      device.queue.writeBuffer(dBuf, 0, flat);
      device.queue.writeBuffer(oBuf, 0, offsets);
      device.queue.writeBuffer(pBuf, 0, Uint32Array.from([nq, pairs, x * WORKGROUP, 0]));
      const bind = device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: [qBuf, dBuf, oBuf, bestBuf, pBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(x, y);
      pass.end();
      encoder.copyBufferToBuffer(bestBuf, 0, readBuf, 0, pairs * 8);
      device.queue.submit([encoder.finish()]);
      const [validation, oom] = [await device.popErrorScope(), await device.popErrorScope()];
      const error = validation ?? oom;
      if (error) throw new Error(error.message);
      await readBuf.mapAsync(MAP_READ);
      out = readBuf.getMappedRange().slice(0, pairs * 8);
      readBuf.unmap();
    } catch (err) {
      if (err instanceof AppError) throw err;
      // A lost device rejects mapAsync; forget it either way so the next call starts clean.
      this.destroy();
      throw new AppError('WEBGPU_RUN_FAILED', undefined, { cause: causeOf(err) });
    }

    const scores = new Float32Array(out);
    const index = new Int32Array(out);
    return docs.map((_, doc) => {
      const bestToken = new Int32Array(nq);
      const bestScore = new Float32Array(nq);
      let score = 0;
      for (let i = 0; i < nq; i++) {
        const k = (doc * nq + i) * 2;
        bestToken[i] = index[k + 1]!;
        // An empty document has no best token: −Infinity, as on the CPU.
        bestScore[i] = bestToken[i]! < 0 ? -Infinity : scores[k]!;
        score += bestScore[i]!;
      }
      return { score, bestToken, bestScore };
    });
  }
}

let shared: WebGpuMaxSim | null = null;

/** `maxSimRerank` on a shared WebGPU device; throws an AppError with a WEBGPU_* code when the CPU should be used. */
export function maxSimRerankWebGpu(
  query: QueryTokens,
  docs: readonly DocTokens[],
  topK = docs.length,
): Promise<MaxSimHit[]> {
  shared ??= new WebGpuMaxSim();
  return shared.rerank(query, docs, topK);
}
