// The embedder's contract: its RPC method map, shared by the in-thread and worker implementations.
import type { Device, Dtype, EmbedderSpec } from '../../config/registry-types';
import type { RuntimeConfig } from '../runtime';
import type { ModelProgress } from '../progress';

export interface EmbedderLoadParams {
  spec: EmbedderSpec;
  device: Device;
  dtype: Dtype;
  runtime: RuntimeConfig;
  /** On webgpu, compare against wasm on a fixed input and fall back if they disagree. */
  selfTest: boolean;
}

export interface EmbedderLoadResult {
  device: Device;
  dtype: Dtype;
  /** Cosine between the webgpu and wasm embeddings of the self-test input, when run. */
  selfTestCosine: number | null;
  /** Why this device was used, in plain words. */
  reason: string;
}

export type EmbedKind = 'query' | 'document';

export type EmbedderMethods = {
  /** Pauses (keep) or cancels the model download under way; its `load` fails with MODEL_DOWNLOAD_PAUSED/CANCELLED. */
  stopDownload: { params: { model: string; keep: boolean }; result: void; progress: never };
  load: { params: EmbedderLoadParams; result: EmbedderLoadResult; progress: ModelProgress };
  /** Returns row-major L2-normalized vectors, texts.length × dims. */
  embed: {
    params: { texts: string[]; kind: EmbedKind };
    result: Float32Array;
    progress: { done: number; total: number };
  };
  countTokens: { params: { texts: string[] }; result: number[]; progress: never };
};
