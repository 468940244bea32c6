// Deep mode's judge without a model run: verdict token ids, the reasoning cut at the cue, log-probabilities read
// at the last position; and the ids from the stand-in LM's own tokenizer.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env, Tensor } from '@huggingface/transformers';
import {
  cutAtCue,
  lastPositionLogProbs,
  lastRowAsFloat32,
  requireVerdictIds,
  verdictInput,
  verdictTokenIds,
  verdictVariants,
  visibleReasoning,
} from '../../../src/lib/models/generator/judge';

/** A tokenizer with one token per listed string and two tokens for anything else. */
const fakeEncode = (vocab: Record<string, number>) => (text: string) => (text in vocab ? [vocab[text]!] : [900, 901]);

describe('verdict token ids', () => {
  it('tries each word bare and after a space, as given and capitalised', () => {
    expect(verdictVariants('yes')).toEqual([' yes', 'yes', ' Yes', 'Yes']);
    expect(verdictVariants('No')).toEqual([' no', 'no', ' No', 'No']);
  });

  it('keeps only the variants the tokenizer writes as one token, each id once', () => {
    const encode = fakeEncode({ ' yes': 10, Yes: 11, yes: 10, ' no': 20, No: 21 });
    expect(verdictTokenIds(encode, { yes: ['yes'], no: ['no'] })).toEqual({ yes: [10, 11], no: [20, 21] });
  });

  it('drops an id claimed by both sides and leaves a side empty when no variant is one token', () => {
    const encode = fakeEncode({ ' yes': 10, ' no': 10, No: 21 });
    expect(verdictTokenIds(encode, { yes: ['yes'], no: ['no'] })).toEqual({ yes: [], no: [21] });
  });

  it('refuses a model with no single-token word on one side, naming it, before any reasoning is written', () => {
    expect(requireVerdictIds({ yes: [1], no: [2] }, 'lm')).toEqual({ yes: [1], no: [2] });
    expect(() => requireVerdictIds({ yes: [1], no: [] }, 'org/lm')).toThrow(
      expect.objectContaining({ code: 'MODEL_NO_VERDICT_TOKENS', message: expect.stringContaining('"org/lm"') }),
    );
    expect(() => requireVerdictIds({ yes: [], no: [2] }, 'lm')).toThrow(/single tokens/);
  });

  it('reads the ids from a real tokenizer (the stand-in LM) rather than hard-coding them', async () => {
    env.allowRemoteModels = false;
    env.localModelPath = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
    const tokenizer = await AutoTokenizer.from_pretrained('lectern-standin/lm');
    const encode = (t: string) => tokenizer.encode(t, { add_special_tokens: false });
    const ids = verdictTokenIds(encode, { yes: ['yes'], no: ['no'] });
    expect(ids.yes).toHaveLength(1);
    expect(ids.no).toHaveLength(1);
    expect(tokenizer.decode(ids.yes).trim()).toBe('yes');
    expect(tokenizer.decode(ids.no).trim()).toBe('no');
  });
});

describe('reasoning and cue', () => {
  it('cuts the written text at the cue, or keeps it all when the cue never came', () => {
    expect(cutAtCue('It says so.\nVerdict: yes', 'Verdict:')).toEqual({ reasoning: 'It says so.', reached: true });
    expect(cutAtCue(' It rambles on ', 'Verdict:')).toEqual({ reasoning: 'It rambles on', reached: false });
  });

  it('holds back a tail that may be the beginning of the cue while streaming', () => {
    expect(visibleReasoning('It fits. Verd', 'Verdict:')).toBe('It fits. ');
    expect(visibleReasoning('It fits. Vera', 'Verdict:')).toBe('It fits. Vera');
    expect(visibleReasoning('It fits. Verdict: yes', 'Verdict:')).toBe('It fits. ');
    expect(visibleReasoning('V', 'Verdict:')).toBe('');
  });

  it('puts the cue on its own line after the reasoning', () => {
    expect(verdictInput('<prompt>', 'It fits.', 'Verdict:')).toBe('<prompt>It fits.\nVerdict:');
    expect(verdictInput('<prompt>', '', 'Verdict:')).toBe('<prompt>Verdict:');
  });
});

describe('last position log-probabilities', () => {
  it('is the log softmax over the whole vocabulary of the last position only', () => {
    // Two positions, vocabulary of three; the first row must not count.
    const data = [100, -100, 50, Math.log(1), Math.log(2), Math.log(5)];
    const [a, b, c] = lastPositionLogProbs(data, [1, 2, 3], [0, 1, 2]);
    expect(Math.exp(a!)).toBeCloseTo(1 / 8, 12);
    expect(Math.exp(b!)).toBeCloseTo(2 / 8, 12);
    expect(Math.exp(c!)).toBeCloseTo(5 / 8, 12);
  });

  it('stays finite for large logits and gives NaN for an id outside the vocabulary', () => {
    const out = lastPositionLogProbs(new Float32Array([1000, 999]), [1, 1, 2], [0, 5]);
    expect(out[0]).toBeCloseTo(-Math.log(1 + Math.exp(-1)), 5);
    expect(out[1]).toBeNaN();
  });

  it('refuses logits shorter than their shape', () => {
    expect(() => lastPositionLogProbs([1, 2], [1, 2, 2], [0])).toThrow(/short/);
  });

  it('converts only the last row of float16 logits (raw bits in a Uint16Array), and leaves a one-row float32 as it is', () => {
    // float16 bits: 0x3c00 = 1, 0x4000 = 2, 0x4400 = 4, 0xbc00 = -1.
    const f16 = new Tensor('float16', new Uint16Array([0xbc00, 0xbc00, 0x3c00, 0x4000, 0x4400, 0x3c00]), [1, 2, 3]);
    const row = lastRowAsFloat32(f16);
    expect(row.type).toBe('float32');
    expect(row.dims).toEqual([1, 3]);
    expect([...(row.data as Float32Array)]).toEqual([2, 4, 1]);
    const [two] = lastPositionLogProbs(row.data, row.dims, [0]);
    expect(Math.exp(two!)).toBeCloseTo(Math.exp(2) / (Math.exp(2) + Math.exp(4) + Math.exp(1)), 6);
    const one = new Tensor('float32', new Float32Array([1, 2]), [1, 1, 2]);
    expect(lastRowAsFloat32(one)).toBe(one);
  });
});
