// ColBERT model inputs built from token ids, following PyLate: marker tokens, [MASK] query expansion, skiplist.
//
// PyLate (pylate/models/colbert.py, `preprocess` and `encode`) tokenizes with max_seq_length = length − 1, so the
// text keeps at most length − 3 tokens between [CLS] and [SEP], then inserts the marker right after [CLS]:
//   query:    [CLS] [Q] text… [SEP] [MASK]… exactly queryLength ids; every output row is kept (expansion rows too).
//   document: [CLS] [D] text… [SEP]         at most documentLength ids, no padding; skiplist rows are dropped.
// With attend_to_expansion_tokens = false (PyLate's default, the original ColBERT's attend_to_mask_tokens = false and
// answerai-colbert-small-v1's config) the [MASK] expansion tokens get attention_mask 0: real tokens never attend to
// them, while each [MASK] position still attends to the real tokens and yields a vector used in MaxSim.
import type { ModelInput } from '../model-input';

/** The token ids the construction needs, resolved from the model's tokenizer. */
export interface SpecialIds {
  /** First template token (BERT: [CLS]); the marker goes right after it. */
  cls: number;
  /** Last template token (BERT: [SEP]). */
  sep: number;
  /** Query expansion token (PyLate: the mask token, which it also uses as the pad token). */
  mask: number;
  /** The query marker (e.g. [unused0]) or document marker (e.g. [unused1]); null when the model uses none. */
  marker: number | null;
}

/** [CLS] [marker] text [SEP] with the text truncated to fit `length`. */
function wrap(textIds: readonly number[], ids: SpecialIds, length: number): number[] {
  const head = ids.marker === null ? [ids.cls] : [ids.cls, ids.marker];
  const budget = Math.max(0, Math.floor(length) - head.length - 1);
  return [...head, ...textIds.slice(0, budget), ids.sep];
}

/** `[CLS] [Q] text [SEP] [MASK]…`, exactly `queryLength` ids. */
export function buildQueryInput(
  textIds: readonly number[],
  ids: SpecialIds,
  queryLength: number,
  attendToExpansion = false,
): ModelInput {
  const real = wrap(textIds, ids, queryLength);
  const pad = Math.max(0, queryLength - real.length);
  return {
    inputIds: [...real, ...new Array<number>(pad).fill(ids.mask)],
    attentionMask: [
      ...new Array<number>(real.length).fill(1),
      ...new Array<number>(pad).fill(attendToExpansion ? 1 : 0),
    ],
  };
}

/** `[CLS] [D] text [SEP]`, at most `documentLength` ids and never padded. */
export function buildDocumentInput(textIds: readonly number[], ids: SpecialIds, documentLength: number): ModelInput {
  const inputIds = wrap(textIds, ids, documentLength);
  return { inputIds, attentionMask: new Array<number>(inputIds.length).fill(1) };
}

/** Positions whose vectors a document keeps: attended and not in the skiplist (PyLate skips for documents only). */
export function documentPositions(input: ModelInput, skip: ReadonlySet<number>): number[] {
  const keep: number[] = [];
  input.inputIds.forEach((id, p) => {
    if (input.attentionMask[p] === 1 && !skip.has(id)) keep.push(p);
  });
  return keep;
}

/** Every position of a query: PyLate keeps the expansion rows even though they are not attended to. */
export function queryPositions(input: ModelInput): number[] {
  return input.inputIds.map((_, p) => p);
}

/**
 * Skiplist words as token ids. Words missing from the vocabulary are ignored; PyLate would map them to [UNK] and so
 * drop unknown tokens too, which never happens with the punctuation lists the registry ships.
 */
export function skiplistIds(words: readonly string[], toId: (word: string) => number | undefined): Set<number> {
  const out = new Set<number>();
  for (const w of words) {
    const id = toId(w);
    if (id !== undefined && id !== null) out.add(id);
  }
  return out;
}
