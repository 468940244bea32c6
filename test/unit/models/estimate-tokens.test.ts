// The offline token estimate never counts fewer tokens than the embedder's real WordPiece tokenizer, so chunks fit.
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { estimateTokens } from '../../../src/lib/models/tokenizer';

let tokenizer: PreTrainedTokenizer;

beforeAll(async () => {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = fileURLToPath(new URL('../../fixtures/models/', import.meta.url));
  // The stand-in embedder ships BERT's own 30,522-entry WordPiece vocabulary.
  tokenizer = await AutoTokenizer.from_pretrained('lectern-standin/bert-embedder');
});

const TEXTS = {
  prose:
    'A Fresnel lens focuses the lamp light into a beam that sailors can see from twenty nautical miles away, even in haze.',
  rare: 'Pneumonoultramicroscopicsilicovolcanoconiosis, floccinaucinihilipilification and antidisestablishmentarianism.',
  code: 'const x = await fetch(`${base}/api/v2?id=${encodeURIComponent(id)}&page=${n + 1}`); if (!x.ok) throw x;',
  numbers: 'Call +1 (555) 010-9999 on 2026-12-02 at 07:27:03, or 3.14159e-10, 0xDEADBEEF, 1,234,567.89.',
  url: 'https://example.com/a/b/c.html#section-2.3?utm_source=newsletter&utm_medium=email',
  cjk: '灯台のフレネルレンズは光を集めて遠くまで届ける。北京大学图书馆藏有古籍。',
  arabic: 'تركز عدسة فرينل ضوء المصباح في شعاع يمكن رؤيته من بعيد.',
  accents: 'Crème brûlée, façade, naïve coöperation, Ångström, Straße, Dvořák, São Paulo.',
  emoji: 'Light 🔦 beam 🌊 and 👩‍👩‍👧 family ⛵ on the 🌍.',
  punctuation: '!!! ??? ... --- ;;; ::: ((( ))) [[[ ]]] {{{ }}} <<< >>> /// \\\\\\ |||',
  mixed: 'Ünïcödé “quotes” — dashes – and … ellipses; ½ ¼ ¾ fractions; ™ © ® marks.',
};

describe('estimateTokens', () => {
  for (const [kind, text] of Object.entries(TEXTS)) {
    it(`counts at least as many tokens as WordPiece: ${kind}`, () => {
      const real = tokenizer.encode(text, { add_special_tokens: false }).length;
      expect(estimateTokens(text)).toBeGreaterThanOrEqual(real);
    });
  }

  it('stays within about 2× of WordPiece on prose, so offline chunks are not needlessly small', () => {
    const text = Object.values(TEXTS).slice(0, 2).join(' ').repeat(10);
    const real = tokenizer.encode(text, { add_special_tokens: false }).length;
    expect(estimateTokens(text)).toBeLessThan(2 * real);
  });

  it('counts nothing for an empty or blank text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens(' \n\t\u00a0 ')).toBe(0);
  });
});
