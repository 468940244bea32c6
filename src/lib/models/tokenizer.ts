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
