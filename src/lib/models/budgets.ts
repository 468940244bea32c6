// How long a model worker may go without a sign of life, per kind of work, scaled to the device it runs on.
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
};

/** The pace before a model has loaded: assume the slowest (a software GPU) when asked for WebGPU. */
export function assumedPace(device: Device, cores = globalThis.navigator?.hardwareConcurrency ?? 2): Pace {
  return { device, softwareGpu: device === 'webgpu', cores };
}
