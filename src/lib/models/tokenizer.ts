// Loads a model's own tokenizer to count tokens, e.g. for chunk budgets outside the model worker.
import { AutoTokenizer } from '@huggingface/transformers';
import type { ModelSpec } from '../config/registry-types';
import { configureRuntime, loadError, type RuntimeConfig } from './runtime';

export type TokenCounter = (text: string) => number;

const cache = new Map<string, Promise<TokenCounter>>();

export function loadTokenCounter(spec: ModelSpec, runtime: RuntimeConfig): Promise<TokenCounter> {
  const key = `${spec.id}|${spec.revision}|${runtime.modelBaseUrl}`;
  let found = cache.get(key);
  if (!found) {
    found = (async () => {
      const mark = configureRuntime(runtime);
      try {
        const tokenizer = await AutoTokenizer.from_pretrained(spec.id, { revision: spec.revision });
        return (text: string) => tokenizer.encode(text, { add_special_tokens: false }).length;
      } catch (err) {
        cache.delete(key);
        throw loadError(err, spec.id, runtime.modelBaseUrl, mark);
      }
    })();
    cache.set(key, found);
  }
  return found;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

/**
 * A token count that no subword tokenizer exceeds in practice, for sizing chunks when the real tokenizer cannot load
 * (offline): ASCII letters count one token per 3 (English WordPiece averages over 4 a token), digits one per 2, and
 * every other non-space character one (punctuation; CJK and other scripts split about per character). Linear, no
 * regex; test/unit/models/estimate-tokens.test.ts holds it against BERT's WordPiece.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let letters = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 32;
    if (isLetter(c)) letters++;
    else if (isDigit(c)) digits++;
    else {
      tokens += Math.ceil(letters / 3) + Math.ceil(digits / 2);
      letters = digits = 0;
      // Spaces and the low half of a surrogate pair add nothing; anything else is its own token.
      if (c > 32 && c !== 160 && !(c >= 0xdc00 && c <= 0xdfff) && !(c >= 0x2000 && c <= 0x200b)) tokens++;
    }
  }
  return tokens;
}
