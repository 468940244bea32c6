// The generator's contract: its RPC method map, shared by the in-thread and worker implementations.
import type { Device, Dtype, GeneratorSpec } from '../../config/registry-types';
import type { RuntimeConfig } from '../runtime';
import type { ModelProgress } from '../progress';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GeneratorLoadParams {
  spec: GeneratorSpec;
  device: Device;
  dtype: Dtype;
  runtime: RuntimeConfig;
}

export interface GeneratorLoadResult {
  device: Device;
  dtype: Dtype;
}

export interface GenerateParams {
  messages: ChatMessage[];
  maxNewTokens: number;
}

export interface GenerateResult {
  text: string;
  tokens: number;
  /** Milliseconds to the first streamed token and in total. */
  firstTokenMs: number;
  totalMs: number;
}

export type GeneratorMethods = {
  /** Pauses (keep) or cancels the model download under way; its `load` fails with MODEL_DOWNLOAD_PAUSED/CANCELLED. */
  stopDownload: { params: { model: string; keep: boolean }; result: void; progress: never };
  load: { params: GeneratorLoadParams; result: GeneratorLoadResult; progress: ModelProgress };
  /** Streams decoded text pieces as progress. */
  generate: { params: GenerateParams; result: GenerateResult; progress: { text: string } };
  countTokens: { params: { messages: ChatMessage[] }; result: number; progress: never };
};
