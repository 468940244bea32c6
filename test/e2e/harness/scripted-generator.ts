// A scripted generator worker, for e2e tests only: same RPC contract as the real one, fixed cited text.
import { serve, type Endpoint, type Handlers } from '../../../src/lib/rpc';
import type { GeneratorMethods } from '../../../src/lib/models/generator/types';

/** One supported sentence citing [1], one sentence no passage supports. */
export const SCRIPTED_ANSWER =
  "A Fresnel lens focuses the lamp's light into a narrow beam [1]. The moon is made of green cheese [1].";

const handlers: Handlers<GeneratorMethods> = {
  load: async ({ device, dtype }) => ({ device, dtype }),
  stopDownload: async () => {},
  countTokens: async ({ messages }) => messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0),
  generate: async (_params, ctx) => {
    // The test counts these lines to prove whether the generator was called at all.
    console.log('scripted-generator: generate');
    const started = performance.now();
    const pieces = SCRIPTED_ANSWER.match(/\S+\s*/g) ?? [];
    for (const piece of pieces) {
      if (ctx.signal.aborted) break;
      ctx.progress({ text: piece });
      await new Promise((r) => setTimeout(r, 5));
    }
    const total = performance.now() - started;
    return { text: SCRIPTED_ANSWER, tokens: pieces.length, firstTokenMs: 0, totalMs: total };
  },
};

serve(self as unknown as Endpoint, handlers);
