// Token-id model inputs built by hand: a tokenizer's special-token template, truncation that keeps it, and padding.
//
// transformers.js truncates after adding special tokens, so a text longer than max_length loses its closing [SEP];
// Hugging Face tokenizers in Python (and so sentence-transformers) truncate the text and keep the template whole.
import { AppError } from '../errors';

export interface ModelInput {
  inputIds: number[];
  attentionMask: number[];
}

/** The ids a tokenizer puts around one sequence, e.g. BERT's [CLS] … [SEP]. */
export interface SpecialTemplate {
  head: number[];
  tail: number[];
}

/**
 * The template, found by where the bare ids of a probe text sit inside the same text encoded with special tokens.
 * Throws MODEL_INCOMPATIBLE, naming `model`, when they do not sit there contiguously (a template that interleaves
 * ids, which no encoder in use has).
 */
export function specialTemplate(
  withSpecials: readonly number[],
  bare: readonly number[],
  model: string,
): SpecialTemplate {
  for (let start = 0; start + bare.length <= withSpecials.length; start++) {
    if (bare.every((id, i) => withSpecials[start + i] === id)) {
      return { head: withSpecials.slice(0, start), tail: withSpecials.slice(start + bare.length) };
    }
  }
  throw new AppError('MODEL_INCOMPATIBLE', undefined, {
    model,
    why: 'its tokenizer’s special tokens do not wrap the text, so its inputs cannot be built',
  });
}

/** head + text + tail, with the text cut so the whole stays within `maxTokens`. */
export function wrapInput(textIds: readonly number[], template: SpecialTemplate, maxTokens: number): ModelInput {
  const budget = Math.max(0, Math.floor(maxTokens) - template.head.length - template.tail.length);
  const inputIds = [...template.head, ...textIds.slice(0, budget), ...template.tail];
  return { inputIds, attentionMask: new Array<number>(inputIds.length).fill(1) };
}

/** Row-major [batch × seq] int64 tensors data, right-padded to the longest input with `padId` and mask 0. */
export function padBatch(
  inputs: readonly ModelInput[],
  padId: number,
): { inputIds: BigInt64Array; attentionMask: BigInt64Array; seq: number } {
  const seq = Math.max(0, ...inputs.map((x) => x.inputIds.length));
  const inputIds = new BigInt64Array(inputs.length * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(inputs.length * seq);
  inputs.forEach((x, b) => {
    x.inputIds.forEach((id, s) => (inputIds[b * seq + s] = BigInt(id)));
    x.attentionMask.forEach((m, s) => (attentionMask[b * seq + s] = BigInt(m)));
  });
  return { inputIds, attentionMask, seq };
}
