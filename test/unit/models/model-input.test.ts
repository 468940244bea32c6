// Hand-built encoder inputs: the special-token template found from the tokenizer, and truncation that keeps it whole.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { specialTemplate, wrapInput } from '../../../src/lib/models/model-input';

const CLS = 101;
const SEP = 102;

let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
  tokenizer = await AutoTokenizer.from_pretrained('lectern-standin/bert-embedder');
});

describe('specialTemplate', () => {
  it("finds BERT's [CLS] … [SEP] from the tokenizer", () => {
    const probe = 'lighthouse keeper';
    const template = specialTemplate(
      tokenizer.encode(probe),
      tokenizer.encode(probe, { add_special_tokens: false }),
      'lectern-standin/bert-embedder',
    );
    expect(template).toEqual({ head: [CLS], tail: [SEP] });
  });

  it('handles templates with no special tokens and with several on each side', () => {
    expect(specialTemplate([5, 6], [5, 6], 'm')).toEqual({ head: [], tail: [] });
    expect(specialTemplate([0, 1, 5, 6, 2, 2], [5, 6], 'm')).toEqual({ head: [0, 1], tail: [2, 2] });
  });

  it('refuses a template that does not wrap the text', () => {
    expect(() => specialTemplate([5, 0, 6], [5, 6], 'm')).toThrow(/do not wrap/);
  });
});

describe('wrapInput', () => {
  const template = { head: [CLS], tail: [SEP] };

  it('keeps a short text whole between the special tokens, all attended', () => {
    expect(wrapInput([7, 8, 9], template, 16)).toEqual({
      inputIds: [CLS, 7, 8, 9, SEP],
      attentionMask: [1, 1, 1, 1, 1],
    });
  });

  it('cuts a long text, not the closing [SEP], to exactly maxTokens ids (as Python tokenizers do)', () => {
    const long = 'the keeper lit the lamp every night '.repeat(20);
    const text = tokenizer.encode(long, { add_special_tokens: false });
    expect(text.length).toBeGreaterThan(16);
    const input = wrapInput(text, template, 16);
    expect(input.inputIds).toEqual([CLS, ...text.slice(0, 14), SEP]);
    // What transformers.js's own truncation gives instead: the text's 15th id where [SEP] belongs.
    const library = tokenizer(long, { truncation: true, max_length: 16 }) as { input_ids: { data: BigInt64Array } };
    expect(Array.from(library.input_ids.data, Number)).toEqual([CLS, ...text.slice(0, 15)]);
  });
});
