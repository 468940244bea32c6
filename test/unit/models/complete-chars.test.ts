// Streaming never shows a broken character: synthetic pieces, then the real SmolLM2 byte-level BPE tokenizer token by token.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, TextStreamer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { CompleteChars } from '../../../src/lib/models/generator/complete-chars';

const REAL = fileURLToPath(new URL('../../fixtures/real-models/models/', import.meta.url));
const LM = 'HuggingFaceTB/SmolLM2-135M-Instruct';

describe('CompleteChars', () => {
  it('holds a trailing replacement character until text follows it', () => {
    const c = new CompleteChars();
    expect(c.push('Hello \uFFFD')).toBe('Hello ');
    expect(c.push('\uFFFD')).toBe('');
    expect(c.push(' next')).toBe('\uFFFD\uFFFD next');
  });

  it('drops what never completed at the end of the stream', () => {
    const c = new CompleteChars();
    expect(c.push('東京\uFFFD')).toBe('東京');
    expect(c.end()).toBe('\uFFFD');
    expect(c.end()).toBe('');
  });
});

describe('streaming the real tokenizer token by token', () => {
  let tokenizer: PreTrainedTokenizer;
  beforeAll(async () => {
    if (!existsSync(`${REAL}${LM}/tokenizer.json`)) throw new Error('Real models are missing: run npm run models:real');
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = REAL;
    tokenizer = await AutoTokenizer.from_pretrained(LM);
  });

  /** Feeds `ids` one at a time through transformers.js's TextStreamer and the guard, as the generator does. */
  function stream(ids: number[]): string[] {
    const shown: string[] = [];
    const chars = new CompleteChars();
    const streamer = new TextStreamer(tokenizer, {
      skip_prompt: false,
      skip_special_tokens: true,
      callback_function: (piece: string) => {
        const s = chars.push(piece);
        if (s) shown.push(s);
      },
    });
    streamer.next_tokens_are_prompt = false;
    for (const id of ids) streamer.put([[BigInt(id)]]);
    streamer.end();
    chars.end();
    return shown;
  }

  it.each([
    'Emoji 🚀🔥👍🏽 and a family 👨‍👩‍👧‍👦 at the end',
    'Accents: Ǆemal ẞtraße Phở Nguyễn coöperate',
    '東京は日本の首都です。我喜欢学习机器学习。한국어 문장',
    'Mixed: GPT-4o は 2024 年に発表された 🌍 done',
  ])('no broken character in %s', (text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    // The case only means something if some character spans several tokens.
    expect(ids.some((id) => tokenizer.decode([id]).includes('\uFFFD'))).toBe(true);
    const shown = stream(ids);
    for (const piece of shown) expect(piece).not.toContain('\uFFFD');
    expect(shown.join('')).toBe(text);
  });

  it('a stream cut mid-character ends without the broken bytes', () => {
    const ids = tokenizer.encode('Rocket 🚀', { add_special_tokens: false });
    const shown = stream(ids.slice(0, -1));
    expect(shown.join('')).toBe('Rocket ');
  });
});
