// The order the sources end in after a rerank: the reranker's order alone, or fused with the first stage's by RRF.
import { reciprocalRankFusion } from './fusion';

/**
 * 'fusion' is the default: a reranker weak on the user's text (the stand-in on SciFact) costs far less fused than
 * alone, and one strong on exact phrases (the stand-in on the needle corpus) still lifts them. Measured in the
 * README, "Rerank or fusion".
 */
export type FinalOrder = 'rerank' | 'fusion';

export const DEFAULT_FINAL_ORDER: FinalOrder = 'fusion';

/** The reranker's weight in the fusion; the first stage's is 1 (see the README for 1 against 2). */
export const DEFAULT_RERANK_WEIGHT = 2;

export interface FinalOrderOptions {
  order?: FinalOrder;
  rerankWeight?: number;
  /** Keep only the best `limit` hits. Default: all. */
  limit?: number;
}

/**
 * The reranked candidates in final order. `firstStage` is the candidates in first-stage order, `reranked` the same
 * candidates (or a subset) by rerank score, best first. Fusion is weighted RRF (k = 60) of the two lists; ties keep
 * the reranker's order, since its list is given first. A hit the reranker could not score (a non-finite score: a
 * passage with no token vectors) gets only its first-stage share, not a made-up rerank rank.
 */
export function finalOrder<T extends { id: string; score: number }>(
  firstStage: readonly { id: string }[],
  reranked: readonly T[],
  {
    order = DEFAULT_FINAL_ORDER,
    rerankWeight = DEFAULT_RERANK_WEIGHT,
    limit = reranked.length,
  }: FinalOrderOptions = {},
): T[] {
  const scored = reranked.filter((h) => Number.isFinite(h.score));
  if (order === 'rerank') return [...scored, ...reranked.filter((h) => !Number.isFinite(h.score))].slice(0, limit);
  const byId = new Map(reranked.map((h) => [h.id, h]));
  const candidates = firstStage.filter((h) => byId.has(h.id));
  return reciprocalRankFusion([{ hits: scored, weight: rerankWeight }, candidates], { limit }).map((f) =>
    byId.get(f.id)!,
  );
}
