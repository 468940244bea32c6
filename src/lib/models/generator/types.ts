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

export interface JudgeParams {
  messages: ChatMessage[];
  /** The reasoning stops here at the latest (or earlier, where the model writes the cue itself). */
  maxReasoningTokens: number;
  /** The text appended after the reasoning; the verdict is the token right after it. */
  cue: string;
  /** Each side's words (" yes", "Yes", … are tried); their token ids come from the model's tokenizer. */
  verdicts: { yes: string[]; no: string[] };
}

export interface JudgeResult {
  /** What the model wrote before the cue. */
  reasoning: string;
  /**
   * log P(token) over the whole vocabulary right after the cue, for each side's single-token variants (the ids
   * alongside); empty when no variant of a side is one token. Read from the logits, never from written text.
   */
  verdict: { yes: number[]; no: number[]; yesIds: number[]; noIds: number[] };
  /** Reasoning tokens written. */
  tokens: number;
  /** Milliseconds for the reasoning and the verdict's forward pass. */
  ms: number;
}

export type GeneratorMethods = {
  /** Pauses (keep) or cancels the model download under way; its `load` fails with MODEL_DOWNLOAD_PAUSED/CANCELLED. */
  stopDownload: { params: { model: string; keep: boolean }; result: void; progress: never };
  load: { params: GeneratorLoadParams; result: GeneratorLoadResult; progress: ModelProgress };
  /** Streams decoded text pieces as progress. */
  generate: { params: GenerateParams; result: GenerateResult; progress: { text: string } };
  /** Deep mode: streams the reasoning as progress, then reads the verdict tokens' probabilities after the cue. */
  judge: { params: JudgeParams; result: JudgeResult; progress: { text: string } };
  countTokens: { params: { messages: ChatMessage[] }; result: number; progress: never };
};
