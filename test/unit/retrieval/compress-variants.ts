// Test helper: token-vector variants the app does not ship (1-bit) and their top-k agreement with float MaxSim.
import type { FloatTokens, Int8Tokens } from '../../../src/lib/retrieval/compress';
import { maxSimRerank, type DocTokens, type QueryTokens } from '../../../src/lib/retrieval/maxsim';
export { poolTokens } from '../../../src/lib/retrieval/pool-tokens';

export interface BinaryTokens {
  /** Sign bits, ceil(dims/8) bytes per token; bit j&7 of byte j>>3 is set when component j ≥ 0. */
  data: Uint8Array;
  tokens: number;
  dims: number;
}

/** 1-bit sign quantization: 32× smaller; scored asymmetrically against float queries by `maxSim`. */
export function binarize(m: FloatTokens): BinaryTokens {
  const { data, tokens, dims } = m;
  const bytes = Math.ceil(dims / 8);
  const out = new Uint8Array(tokens * bytes);
  for (let t = 0; t < tokens; t++) {
    for (let j = 0; j < dims; j++) if (data[t * dims + j]! >= 0) out[t * bytes + (j >> 3)]! |= 1 << (j & 7);
  }
  return { data: out, tokens, dims };
}

/** |top-k(a) ∩ top-k(b)| / k for two rankings of ids, best first. */
export function topKAgreement(reference: readonly string[], candidate: readonly string[], k = 10): number {
  const ref = new Set(reference.slice(0, k));
  let same = 0;
  for (const id of candidate.slice(0, k)) if (ref.has(id)) same++;
  return k > 0 ? same / Math.min(k, Math.max(ref.size, 1)) : 1;
}

export type Compressor = (doc: FloatTokens) => FloatTokens | Int8Tokens | BinaryTokens;

/**
 * Mean top-k agreement between float32 MaxSim and MaxSim over each variant's compressed documents, per variant name.
 * A variant is e.g. `quantizeInt8`, `binarize`, `poolTokens` or a composition such as `(d) => quantizeInt8(poolTokens(d))`.
 */
export function measureAgreement<V extends string>(
  queries: readonly QueryTokens[],
  docs: readonly { id: string; data: Float32Array; tokens: number }[],
  variants: Record<V, Compressor>,
  k = 10,
): Record<V, number> {
  const names = Object.keys(variants) as V[];
  const result = {} as Record<V, number>;
  const dims = queries[0]?.dims ?? 0;
  const compressed = names.map((name) =>
    docs.map((d) => toDocTokens(d.id, variants[name]({ data: d.data, tokens: d.tokens, dims }))),
  );
  const totals = new Array<number>(names.length).fill(0);
  for (const q of queries) {
    const ref = maxSimRerank(q, docs, k).map((h) => h.id);
    compressed.forEach((variantDocs, v) => {
      totals[v]! += topKAgreement(
        ref,
        maxSimRerank(q, variantDocs, k).map((h) => h.id),
        k,
      );
    });
  }
  names.forEach((name, v) => (result[name] = queries.length > 0 ? totals[v]! / queries.length : 1));
  return result;
}

function toDocTokens(id: string, c: FloatTokens | Int8Tokens | BinaryTokens): DocTokens {
  if ('scales' in c) return { id, data: c.data, tokens: c.tokens, scales: c.scales };
  // Same shape either way; the branches only narrow the union for the compiler.
  return c.data instanceof Float32Array
    ? { id, data: c.data, tokens: c.tokens }
    : { id, data: c.data, tokens: c.tokens };
}
