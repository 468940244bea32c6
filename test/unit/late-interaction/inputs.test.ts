// ColBERT input construction (markers, [MASK] expansion, truncation, skiplist) with the stand-in's real tokenizer.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import type { LateInteractionSpec, Registry } from '../../../src/lib/config/registry-types';
import {
  buildDocumentInput,
  buildQueryInput,
  documentPositions,
  queryPositions,
  skiplistIds,
  type SpecialIds,
} from '../../../src/lib/models/late-interaction/inputs';
import { padBatch } from '../../../src/lib/models/model-input';
import { specialIds } from '../../../src/lib/models/late-interaction/transformers-late-interaction';

const registry = JSON.parse(
  readFileSync(new URL('../../fixtures/standin/registry.json', import.meta.url), 'utf8'),
) as Registry;
const spec = registry.models.find((m): m is LateInteractionSpec => m.role === 'late-interaction')!;

// BERT uncased ids in the stand-in vocabulary.
const CLS = 101;
const SEP = 102;
const MASK = 103;
const Q = 1; // [unused0]
const D = 2; // [unused1]

let tokenizer: PreTrainedTokenizer;
let query: SpecialIds;
let document: SpecialIds;
const words = (text: string) => tokenizer.encode(text, { add_special_tokens: false });

beforeAll(async () => {
  // Tokenizer files only: no ONNX session is created, so onnxruntime-node's binaries are never needed.
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
  tokenizer = await AutoTokenizer.from_pretrained(spec.id);
  ({ query, document } = specialIds(tokenizer, spec));
});

describe('special ids', () => {
  it('come from the tokenizer: template [CLS]/[SEP], the [MASK] token and the registry markers', () => {
    expect(query).toEqual({ cls: CLS, sep: SEP, mask: MASK, marker: Q });
    expect(document).toEqual({ cls: CLS, sep: SEP, mask: MASK, marker: D });
  });

  it('refuse a marker the vocabulary lacks', () => {
    expect(() => specialIds(tokenizer, { ...spec, queryMarker: '[no-such-token]' })).toThrow(/not in the vocabulary/);
  });
});

describe('buildQueryInput', () => {
  it('is [CLS] [Q] text [SEP] then [MASK] up to queryLength, with the expansion not attended to', () => {
    const text = words('Lighthouse lens');
    expect(text.length).toBe(2);
    const input = buildQueryInput(text, query, spec.queryLength);
    expect(input.inputIds).toEqual([CLS, Q, ...text, SEP, ...new Array<number>(27).fill(MASK)]);
    expect(input.inputIds.length).toBe(spec.queryLength);
    expect(input.attentionMask).toEqual([1, 1, 1, 1, 1, ...new Array<number>(27).fill(0)]);
    expect(queryPositions(input)).toHaveLength(spec.queryLength);
  });

  it('attends to the expansion when asked (attend_to_expansion_tokens = true)', () => {
    const input = buildQueryInput(words('lens'), query, 8, true);
    expect(input.inputIds).toEqual([CLS, Q, words('lens')[0], SEP, MASK, MASK, MASK, MASK]);
    expect(input.attentionMask).toEqual(new Array<number>(8).fill(1));
  });

  it('truncates long queries to queryLength − 3 text tokens, keeping [SEP] last and adding no [MASK]', () => {
    const text = words(Array.from({ length: 40 }, (_, i) => `lighthouse${i}`).join(' '));
    const input = buildQueryInput(text, query, spec.queryLength);
    expect(input.inputIds).toEqual([CLS, Q, ...text.slice(0, spec.queryLength - 3), SEP]);
    expect(input.attentionMask.every((m) => m === 1)).toBe(true);
  });

  it('works without a marker (an empty prefix in PyLate)', () => {
    const input = buildQueryInput([7, 8, 9], { ...query, marker: null }, 5);
    expect(input.inputIds).toEqual([CLS, 7, 8, 9, SEP]);
  });
});

describe('buildDocumentInput and documentPositions', () => {
  it('is [CLS] [D] text [SEP] without padding; punctuation rows are dropped, markers and specials kept', () => {
    const text = words('The lighthouse lens, polished.');
    const input = buildDocumentInput(text, document, spec.documentLength);
    expect(input.inputIds).toEqual([CLS, D, ...text, SEP]);
    expect(input.attentionMask).toEqual(new Array<number>(input.inputIds.length).fill(1));
    const skip = skiplistIds(spec.skiplist, (w) => tokenizer.convert_tokens_to_ids(w) as number | undefined);
    const kept = documentPositions(input, skip).map((p) => input.inputIds[p]!);
    expect(kept).toEqual([CLS, D, ...words('The lighthouse lens polished'), SEP]);
  });

  it('truncates to documentLength ids in all', () => {
    const text = words(Array.from({ length: 400 }, () => 'lens').join(' '));
    const input = buildDocumentInput(text, document, spec.documentLength);
    expect(input.inputIds).toHaveLength(spec.documentLength);
    expect(input.inputIds.at(-1)).toBe(SEP);
  });

  it('ignores padded positions when choosing rows', () => {
    const input = { inputIds: [CLS, D, 5, SEP, MASK], attentionMask: [1, 1, 1, 1, 0] };
    expect(documentPositions(input, new Set([5]))).toEqual([0, 1, 3]);
  });
});

describe('skiplistIds', () => {
  it('maps the registry punctuation to token ids and skips words the vocabulary lacks', () => {
    const ids = skiplistIds([...spec.skiplist, 'not-a-token'], (w) => tokenizer.convert_tokens_to_ids(w) as number);
    expect(ids.size).toBe(spec.skiplist.length);
    expect(ids.has(tokenizer.convert_tokens_to_ids(',') as number)).toBe(true);
    expect(ids.has(tokenizer.convert_tokens_to_ids('.') as number)).toBe(true);
    expect(ids.has(100)).toBe(false); // [UNK]
  });
});

describe('padBatch', () => {
  it('right-pads to the longest input with the pad id and attention 0', () => {
    const a = buildDocumentInput([7, 8, 9], document, 300);
    const b = buildDocumentInput([7], document, 300);
    const batch = padBatch([a, b], MASK);
    expect(batch.seq).toBe(6);
    expect([...batch.inputIds].map(Number)).toEqual([CLS, D, 7, 8, 9, SEP, CLS, D, 7, SEP, MASK, MASK]);
    expect([...batch.attentionMask].map(Number)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });
});
