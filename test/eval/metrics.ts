// IR metrics computed the way BEIR reports them (pytrec_eval's ndcg_cut/recall, BEIR's own MRR).

/** Graded judgments of one query: doc id → relevance (> 0 means relevant). */
export type Judgments = ReadonlyMap<string, number>;

export interface ScoredDoc {
  id: string;
  score: number;
}

/** trec_eval's ordering: score descending, ties by doc id descending; it ignores the order the run was written in. */
export function trecOrder(run: readonly ScoredDoc[]): ScoredDoc[] {
  return [...run].sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** nDCG@k with linear gain (trec_eval's default, not 2^rel − 1), log2(rank + 1) discount, ideal from the judgments. */
export function ndcgAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const rel = judgments.get(ranked[i]!.id) ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  }
  const ideal = [...judgments.values()].filter((r) => r > 0).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return idcg > 0 ? dcg / idcg : 0;
}

/** Fraction of the relevant documents found in the top k. */
export function recallAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number {
  let relevant = 0;
  for (const r of judgments.values()) if (r > 0) relevant++;
  if (relevant === 0) return 0;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!.id) ?? 0) > 0) found++;
  return found / relevant;
}

/** Reciprocal rank of the first relevant document within the top k, else 0. */
export function mrrAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number {
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!.id) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}
