// Deep mode's judge without a model run: verdict token ids, the reasoning cut at the cue, log-probabilities read
// at the last position; and the ids from the stand-in LM's own tokenizer.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env } from '@huggingface/transformers';
import {
  cutAtCue,
  lastPositionLogProbs,
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
});
