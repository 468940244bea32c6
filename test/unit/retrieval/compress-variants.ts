// Test helper: token-vector variants the app does not ship (1-bit, pooling) and their top-k agreement with float MaxSim.
import type { FloatTokens, Int8Tokens } from '../../../src/lib/retrieval/compress';
import { maxSimRerank, type DocTokens, type QueryTokens } from '../../../src/lib/retrieval/maxsim';

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

export interface PoolOptions {
  /** Keep about tokens / poolFactor vectors. Default 2. */
  poolFactor?: number;
}

/**
 * Token pooling (Clavié et al. 2024): greedily merges the two clusters whose centroids are most cosine-similar
 * until ⌈tokens / poolFactor⌉ remain; each cluster becomes its re-normalized mean. Output follows the position of
 * each cluster's first token. Near-duplicate tokens carry little extra MaxSim signal, so halving them is cheap.
 */
export function poolTokens(m: FloatTokens, options: PoolOptions = {}): FloatTokens {
  const { tokens: n, dims } = m;
  const target = Math.max(1, Math.ceil(n / (options.poolFactor ?? 2)));
  if (n <= target) return { data: m.data.slice(), tokens: n, dims };

  const sums = m.data.slice(); // per cluster, the sum of its member vectors (cluster index = its first token)
  const norms = new Float64Array(n);
  const alive = new Uint8Array(n).fill(1);
  const sim = new Float32Array(n * n);
  const best = new Int32Array(n);
  const bestSim = new Float64Array(n);

  const norm = (a: number): number => {
    let s = 0;
    for (let j = 0; j < dims; j++) s += sums[a * dims + j]! ** 2;
    return Math.sqrt(s) || 1;
  };
  const cosine = (a: number, b: number): number => {
    let s = 0;
    for (let j = 0; j < dims; j++) s += sums[a * dims + j]! * sums[b * dims + j]!;
    return s / (norms[a]! * norms[b]!);
  };
  const refreshBest = (a: number): void => {
    best[a] = -1;
    bestSim[a] = -Infinity;
    for (let b = 0; b < n; b++) {
      if (b !== a && alive[b] && sim[a * n + b]! > bestSim[a]!) {
        bestSim[a] = sim[a * n + b]!;
        best[a] = b;
      }
    }
  };

  for (let a = 0; a < n; a++) norms[a] = norm(a);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) sim[a * n + b] = sim[b * n + a] = cosine(a, b);
  }
  for (let a = 0; a < n; a++) refreshBest(a);

  for (let count = n; count > target; count--) {
    let a = -1;
    for (let i = 0; i < n; i++) if (alive[i] && (a < 0 || bestSim[i]! > bestSim[a]!)) a = i;
    let b = best[a]!;
    if (b < a) [a, b] = [b, a];
    for (let j = 0; j < dims; j++) sums[a * dims + j]! += sums[b * dims + j]!;
    alive[b] = 0;
    norms[a] = norm(a);
    for (let c = 0; c < n; c++) if (alive[c] && c !== a) sim[a * n + c] = sim[c * n + a] = cosine(a, c);
    for (let c = 0; c < n; c++) {
      if (!alive[c]) continue;
      if (c === a || best[c] === a || best[c] === b) refreshBest(c);
      else if (sim[c * n + a]! > bestSim[c]!) {
        bestSim[c] = sim[c * n + a]!;
        best[c] = a;
      }
    }
  }

  const out = new Float32Array(target * dims);
  let row = 0;
  for (let a = 0; a < n; a++) {
    if (!alive[a]) continue;
    for (let j = 0; j < dims; j++) out[row * dims + j] = sums[a * dims + j]! / norms[a]!;
    row++;
  }
  return { data: out, tokens: target, dims };
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
