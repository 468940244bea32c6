// How long a model or search worker may go without a sign of life, per kind of work, scaled to the device it runs on.
import type { Device } from '../config/registry-types';

/** What sets a model's speed: its device, whether the GPU is a software one (SwiftShader), and the CPU cores. */
export interface Pace {
  device: Device;
  softwareGpu: boolean;
  cores: number;
}

/**
 * Base budgets, for WASM on a 4-core machine. They catch a stuck worker, not a slow one, so each is many times what
 * the work takes. Measured here (2 shared cores, WASM): SmolLM2-135M reaches its first token of a 1,500-token prompt in
 * about 25 s and then writes about 2.5 tokens/s (0.4 s a token); a batch of 16 passages through the small encoders
 * takes 1–3 s. Qwen2.5-0.5B is about 4× slower than SmolLM2.
 */
export const BASE_MS = {
  /** Silence allowed while loading: each download progress event re-arms it; compiling sends none. */
  loadQuiet: 120_000,
  /** Any call before its handler says more. */
  call: 30_000,
  /** One batch of texts through an encoder: a base plus a share per text. */
  batch: 15_000,
  perText: 2_000,
  /** The first generated token: a base plus a share per prompt token (Qwen's 1,500 tokens: 170 s against ~100 s). */
  firstToken: 20_000,
  perPromptToken: 100,
  /** Each next token (Qwen on WASM ~1.6 s). */
  perToken: 10_000,
  /**
   * Building an index from stored rows (the search worker's open): a base plus a share per row. Voy builds 100,000
   * passages in about 15 s on 2 cores (0.15 ms a row); 1 ms a row at the 4-core base is 2 ms on 2 cores, 13× that.
   */
  index: 30_000,
  perIndexRow: 1,
  /** One search or rerank: a base, a share per candidate scored (MaxSim) and per row the filters scan. */
  search: 15_000,
  perCandidate: 100,
  perScannedRow: 0.1,
  /**
   * One epoch of the query adapter's training, per multiply-add (a W·q per pair and its gradient, dims² each, and the
   * held-out ranking over every row): plain JS does about 10⁸ a second here, so this is 10× that.
   */
  perAdapterOp: 1e-4,
} as const;

/**
 * How much slower than the base a device is allowed to be: a software GPU (SwiftShader decodes SmolLM2 at about 12 s
 * a token, 30× WASM) gets 30×, a hardware GPU 1×; fewer than 4 cores scale up in proportion (2 cores: 2×).
 */
export function paceFactor(pace: Pace): number {
  const device = pace.device === 'webgpu' && pace.softwareGpu ? 30 : 1;
  return device * Math.max(1, 4 / Math.max(1, pace.cores));
}

const scaled = (pace: Pace, ms: number) => Math.round(ms * paceFactor(pace));

export const budgets = {
  load: (pace: Pace) => scaled(pace, BASE_MS.loadQuiet),
  call: (pace: Pace) => scaled(pace, BASE_MS.call),
  /** One batch of `texts` texts (embed, encodeDocuments, encodeQuery). */
  batch: (pace: Pace, texts: number) => scaled(pace, BASE_MS.batch + BASE_MS.perText * texts),
  firstToken: (pace: Pace, promptTokens: number) =>
    scaled(pace, BASE_MS.firstToken + BASE_MS.perPromptToken * promptTokens),
  token: (pace: Pace) => scaled(pace, BASE_MS.perToken),
  /** Opening, or changing, an index of `rows` rows. */
  index: (pace: Pace, rows: number) => scaled(pace, BASE_MS.index + BASE_MS.perIndexRow * rows),
  /** A search over an index of `rows` rows, or a rerank, of `candidates` candidates. */
  search: (pace: Pace, rows: number, candidates: number) =>
    scaled(pace, BASE_MS.search + BASE_MS.perScannedRow * rows + BASE_MS.perCandidate * candidates),
  /**
   * One epoch of the query adapter (learn/train-adapter.ts) on `queries` queries over `rows` rows of `dims`: each
   * query's pairs (a few positives each) cost dims² twice, and its held-out ranking rows × dims.
   */
  adapterEpoch: (pace: Pace, rows: number, dims: number, queries: number) =>
    scaled(pace, BASE_MS.call + BASE_MS.perAdapterOp * queries * dims * (8 * dims + rows)),
  /**
   * The search worker waiting on a model worker's call (a query's vectors): that worker's own watch catches a stuck
   * model, so this only backstops it, and covers the longest silence a model may keep (a reload on WASM, or one text
   * on the slowest GPU).
   */
  peerWait: (cores: number) =>
    Math.max(
      scaled(assumedPace('wasm', cores), BASE_MS.loadQuiet),
      scaled(assumedPace('webgpu', cores), BASE_MS.batch + BASE_MS.perText),
    ),
};

/** The pace before a model has loaded: assume the slowest (a software GPU) when asked for WebGPU. */
export function assumedPace(device: Device, cores = globalThis.navigator?.hardwareConcurrency ?? 2): Pace {
  return { device, softwareGpu: device === 'webgpu', cores };
}
