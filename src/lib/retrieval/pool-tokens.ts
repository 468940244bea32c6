// Token pooling: merges near-duplicate late-interaction token vectors so a chunk stores about half as many.
import type { FloatTokens } from './compress';

export interface PooledTokens extends FloatTokens {
  /** Per pooled vector, the index of its cluster's first input token (ascending): whose text stands for it. */
  first: Int32Array;
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
export function poolTokens(m: FloatTokens, options: PoolOptions = {}): PooledTokens {
  const { tokens: n, dims } = m;
  const target = Math.max(1, Math.ceil(n / (options.poolFactor ?? 2)));
  if (n <= target) return { data: m.data.slice(), tokens: n, dims, first: Int32Array.from({ length: n }, (_, i) => i) };

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
  const first = new Int32Array(target);
  let row = 0;
  for (let a = 0; a < n; a++) {
    if (!alive[a]) continue;
    for (let j = 0; j < dims; j++) out[row * dims + j] = sums[a * dims + j]! / norms[a]!;
    first[row] = a;
    row++;
  }
  return { data: out, tokens: target, dims, first };
}
