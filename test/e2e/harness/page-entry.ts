// Browser entry of the e2e harness: puts retrieval functions and a late-interaction worker client on `window.lectern`.
import { connectWorker, type RpcClient } from '../../../src/lib/rpc';
import { quantizeInt8 } from '../../../src/lib/retrieval/compress';
import { maxSimRerank, type DocTokens, type QueryTokens } from '../../../src/lib/retrieval/maxsim';
import { maxSimRerankSimd } from '../../../src/lib/retrieval/maxsim-simd';
import { WebGpuMaxSim, maxSimRerankWebGpu } from '../../../src/lib/retrieval/maxsim-webgpu';
import type { LateInteractionMethods } from '../../../src/lib/models/late-interaction/types';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import type { GeneratorMethods } from '../../../src/lib/models/generator/types';
import { seededRandom as rng } from '../../../src/lib/evaluation/sample';

/** `tokens` random unit rows of `dims`. */
function unitRows(next: () => number, tokens: number, dims: number): Float32Array {
  const m = new Float32Array(tokens * dims);
  for (let t = 0; t < tokens; t++) {
    let s = 0;
    for (let j = 0; j < dims; j++) {
      const v = next() * 2 - 1;
      m[t * dims + j] = v;
      s += v * v;
    }
    for (let j = 0; j < dims; j++) m[t * dims + j]! /= Math.sqrt(s);
  }
  return m;
}

export interface RandomCaseOptions {
  seed: number;
  docs: number;
  /** Tokens per document; a function gives each document its own length. */
  tokens: number | ((doc: number, next: () => number) => number);
  dims: number;
  queryTokens: number;
  int8?: boolean;
}

/** A seeded query and candidate set for MaxSim comparisons. */
function randomCase(o: RandomCaseOptions): { query: QueryTokens; docs: DocTokens[] } {
  const next = rng(o.seed);
  const query = { data: unitRows(next, o.queryTokens, o.dims), tokens: o.queryTokens, dims: o.dims };
  const docs = Array.from({ length: o.docs }, (_, i): DocTokens => {
    const tokens = typeof o.tokens === 'number' ? o.tokens : o.tokens(i, next);
    const data = unitRows(next, tokens, o.dims);
    if (!o.int8) return { id: `d${i}`, data, tokens };
    const q = quantizeInt8({ data, tokens, dims: o.dims });
    return { id: `d${i}`, data: q.data, tokens, scales: q.scales };
  });
  return { query, docs };
}

/** Starts the real late-interaction worker entry, built as the app builds its workers. */
function lateInteraction(): RpcClient<LateInteractionMethods> {
  return connectWorker<LateInteractionMethods>(
    new Worker(new URL('../../../src/workers/late-interaction.worker.ts', import.meta.url), { type: 'module' }),
  );
}

/** Starts the real embedder worker entry. */
function embedder(): RpcClient<EmbedderMethods> {
  return connectWorker<EmbedderMethods>(
    new Worker(new URL('../../../src/workers/embedder.worker.ts', import.meta.url), { type: 'module' }),
  );
}

/** Starts the real generator worker entry. */
function generator(): RpcClient<GeneratorMethods> {
  return connectWorker<GeneratorMethods>(
    new Worker(new URL('../../../src/workers/generator.worker.ts', import.meta.url), { type: 'module' }),
  );
}

const harness = {
  randomCase,
  maxSimRerank,
  maxSimRerankSimd,
  WebGpuMaxSim,
  maxSimRerankWebGpu,
  lateInteraction,
  embedder,
  generator,
};
export type Harness = typeof harness;

(globalThis as unknown as { lectern: Harness }).lectern = harness;
