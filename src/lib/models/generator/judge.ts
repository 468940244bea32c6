// Deep mode's judge, the parts without a model: verdict token ids from the tokenizer, the reasoning cut at the cue,
// and log-probabilities over the vocabulary at the last position of a forward pass.
import { AppError } from '../../errors';

/** Each verdict word as the model may write it after the cue: bare and after a space, as given and capitalised. */
export function verdictVariants(word: string): string[] {
  const cap = word.charAt(0).toUpperCase() + word.slice(1);
  const low = word.charAt(0).toLowerCase() + word.slice(1);
  return [...new Set([` ${low}`, low, ` ${cap}`, cap])];
}

/**
 * The token ids of each side's words: every variant that the tokenizer writes as one token (a word split into
 * pieces has no single next-token probability and is left out). An id on both sides counts for neither.
 */
export function verdictTokenIds(
  encode: (text: string) => readonly number[],
  words: { yes: readonly string[]; no: readonly string[] },
): { yes: number[]; no: number[] } {
  const ids = (list: readonly string[]) => {
    const out = new Set<number>();
    for (const word of list) {
      for (const variant of verdictVariants(word)) {
        const encoded = encode(variant);
        if (encoded.length === 1) out.add(encoded[0]!);
      }
    }
    return out;
  };
  const yes = ids(words.yes);
  const no = ids(words.no);
  return { yes: [...yes].filter((id) => !no.has(id)), no: [...no].filter((id) => !yes.has(id)) };
}

/** The ids, or the error that deep mode cannot judge with this model (one side has no single-token word). */
export function requireVerdictIds(
  ids: { yes: number[]; no: number[] },
  model: string,
): { yes: number[]; no: number[] } {
  if (ids.yes.length === 0 || ids.no.length === 0) throw new AppError('MODEL_NO_VERDICT_TOKENS', undefined, { model });
  return ids;
}

/** The reasoning written before the cue (all of it when the cue never came), and whether the cue came. */
export function cutAtCue(text: string, cue: string): { reasoning: string; reached: boolean } {
  const at = text.indexOf(cue);
  return at < 0 ? { reasoning: text.trim(), reached: false } : { reasoning: text.slice(0, at).trim(), reached: true };
}

/** The text whose next token is the verdict: the prompt, the reasoning, and the cue on its own line. */
export function verdictInput(prompt: string, reasoning: string, cue: string): string {
  return reasoning ? `${prompt}${reasoning}\n${cue}` : `${prompt}${cue}`;
}

/** A tensor of a forward pass's outputs, as read here (transformers.js's Tensor). */
export interface ForwardTensor {
  data: ArrayLike<number>;
  dims: number[];
  type?: string;
  dispose?: () => void;
  to?(type: 'float32'): ForwardTensor;
  slice?(...slices: (number | [number, number] | null)[]): ForwardTensor;
}

/**
 * The logits' last position only (a graph that ignores num_logits_to_keep gives every position), with float16 logits
 * (q4f16 on WebGPU, which may come as raw bits in a Uint16Array) as float32 values: one row converted, not all of them.
 */
export function lastRowAsFloat32(raw: ForwardTensor): ForwardTensor {
  const last = raw.dims.length === 3 && (raw.dims[1] ?? 0) > 1 && raw.slice ? raw.slice(null, -1, null) : raw;
  return last.type === 'float16' && last.to ? last.to('float32') : last;
}

/**
 * log softmax over the vocabulary at the last position of `[1, positions, vocab]` logits, read at `ids` only:
 * each is log P(that token next). A non-finite row gives NaN (the caller reports no verdict).
 */
export function lastPositionLogProbs(
  data: ArrayLike<number>,
  dims: readonly number[],
  ids: readonly number[],
): number[] {
  const vocab = dims.at(-1) ?? 0;
  const positions = dims.at(-2) ?? 0;
  if (vocab === 0 || positions === 0 || data.length < positions * vocab) throw new Error('logits: empty or short');
  const start = (positions - 1) * vocab;
  let max = -Infinity;
  for (let i = 0; i < vocab; i++) max = Math.max(max, Number(data[start + i]));
  let sum = 0;
  for (let i = 0; i < vocab; i++) sum += Math.exp(Number(data[start + i]) - max);
  const logZ = max + Math.log(sum);
  return ids.map((id) => (id >= 0 && id < vocab ? Number(data[start + id]) - logZ : NaN));
}

/**
 * The part of the reasoning written so far that can be shown: everything before the cue, less a tail that may be
 * the cue's beginning (so "Verd" is not shown and then taken back).
 */
export function visibleReasoning(written: string, cue: string): string {
  const at = written.indexOf(cue);
  if (at >= 0) return written.slice(0, at);
  for (let keep = Math.min(cue.length - 1, written.length); keep > 0; keep--) {
    if (written.endsWith(cue.slice(0, keep))) return written.slice(0, written.length - keep);
  }
  return written;
}
