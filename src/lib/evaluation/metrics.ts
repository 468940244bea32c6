// Retrieval metrics as BEIR reports them (pytrec_eval's ndcg_cut and recall, BEIR's MRR): nDCG@k, Recall@k, MRR@k.

/** Graded judgments of one query: passage id → relevance (> 0 means relevant). */
export type Judgments = ReadonlyMap<string, number>;

export interface ScoredDoc {
  id: string;
  score: number;
}

/**
 * The order every metric reads a run in (trec_eval's): score descending, and equal scores by id descending. A run's
 * own order of tied hits is ignored, so the figures never depend on how a searcher happened to list a tie. Rankings
 * whose order is not their score (the app's final order mixes score kinds) are scored by position (n, n − 1, …, 1)
 * before they get here: see `byPosition`.
 */
export function trecOrder(run: readonly ScoredDoc[]): ScoredDoc[] {
  return [...run].sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Ids best first, scored by position so that trecOrder keeps exactly this order (positions never tie). */
export function byPosition(ids: readonly string[]): ScoredDoc[] {
  return ids.map((id, i) => ({ id, score: ids.length - i }));
}

function relevantCount(judgments: Judgments): number {
  let n = 0;
  for (const r of judgments.values()) if (r > 0) n++;
  return n;
}

/**
 * nDCG@k with linear gain (trec_eval's default, not 2^rel − 1), log2(rank + 1) discount, the ideal ranking from the
 * judgments. `ranked` must already be in trecOrder. Null for a query with no relevant passage: its nDCG is undefined
 * (0 / 0), and the runner leaves such a query out of the means instead of counting it as a miss or a hit.
 */
export function ndcgAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number | null {
  const ideal = [...judgments.values()].filter((r) => r > 0).sort((a, b) => b - a);
  if (ideal.length === 0) return null;
  let dcg = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) {
    const rel = judgments.get(ranked[i]!.id) ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  }
  let idcg = 0;
  for (let i = 0; i < Math.min(k, ideal.length); i++) idcg += ideal[i]! / Math.log2(i + 2);
  return dcg / idcg;
}

/** Share of the relevant passages found in the top k; null when the query has none (see ndcgAt). */
export function recallAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number | null {
  const relevant = relevantCount(judgments);
  if (relevant === 0) return null;
  let found = 0;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!.id) ?? 0) > 0) found++;
  return found / relevant;
}

/** Reciprocal rank of the first relevant passage within the top k, else 0; null when the query has none. */
export function mrrAt(ranked: readonly ScoredDoc[], judgments: Judgments, k: number): number | null {
  if (relevantCount(judgments) === 0) return null;
  for (let i = 0; i < Math.min(k, ranked.length); i++) if ((judgments.get(ranked[i]!.id) ?? 0) > 0) return 1 / (i + 1);
  return 0;
}
