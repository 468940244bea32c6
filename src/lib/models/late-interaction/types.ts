// The late-interaction (ColBERT) encoder's contract: its RPC method map, shared by in-thread and worker use.
import type { Device, Dtype, LateInteractionSpec } from '../../config/registry-types';
import type { RuntimeConfig } from '../runtime';
import type { ModelProgress } from '../progress';

export interface LateInteractionLoadParams {
  spec: LateInteractionSpec;
  device: Device;
  dtype: Dtype;
  runtime: RuntimeConfig;
}

export interface LateInteractionLoadResult {
  device: Device;
  dtype: Dtype;
  /** Dims of each token vector (after the projection). */
  dims: number;
}

/**
 * One text's token vectors: row-major [tokens × dims], each row L2-normalized. Structurally a `QueryTokens` for
 * `maxsim.ts`. `tokenIds` and `tokenTexts` name the token behind each row, so a MaxSim match can be explained.
 */
export interface TokenVectors {
  data: Float32Array;
  tokens: number;
  dims: number;
  tokenIds: Int32Array;
  /** Vocabulary strings, e.g. "[CLS]", "[unused0]", "light", "##house", "[MASK]". */
  tokenTexts: string[];
}

export type LateInteractionMethods = {
  /** Pauses (keep) or cancels the model download under way; its `load` fails with MODEL_DOWNLOAD_PAUSED/CANCELLED. */
  stopDownload: { params: { model: string; keep: boolean }; result: void; progress: never };
  load: { params: LateInteractionLoadParams; result: LateInteractionLoadResult; progress: ModelProgress };
  /** Exactly `queryLength` rows: [CLS] [Q] text [SEP], then [MASK] expansion rows. */
  encodeQuery: { params: { text: string }; result: TokenVectors; progress: never };
  /** One entry per text, in order: [CLS] [D] text [SEP] truncated to `documentLength`, skiplist rows removed. */
  encodeDocuments: {
    params: { texts: string[] };
    result: TokenVectors[];
    progress: { done: number; total: number };
  };
};
