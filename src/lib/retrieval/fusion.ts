// Weighted reciprocal rank fusion of any number of ranked result lists (e.g. BM25 + dense).

export interface RankedList {
  /** Best first; only `id` and the position matter. */
  hits: readonly { id: string }[];
  /** Multiplies this list's contributions. Default 1. */
  weight?: number;
}

export interface RrfOptions {
  /** Rank offset; larger values flatten the head of each list. Default 60 (Cormack et al.). */
  k?: number;
  /** Keep only the best `limit` fused hits. Default: all. */
  limit?: number;
}

export interface FusedHit {
  id: string;
  /** Σ weight / (k + rank) over the lists that contain the id. */
  score: number;
  /** 1-based rank in each input list, parallel to the input; null where the list lacks the id. */
  ranks: (number | null)[];
}

/**
 * Fuses ranked lists by RRF. A list may repeat an id; only its best rank counts. Ties go to the hit with the
 * better best rank, then to the one seen first (earlier lists first), so the output is deterministic.
 */
export function reciprocalRankFusion(
  lists: readonly (RankedList | readonly { id: string }[])[],
  options: RrfOptions = {},
): FusedHit[] {
  const k = options.k ?? 60;
  const fused = new Map<string, FusedHit & { best: number; order: number }>();
  lists.forEach((entry, li) => {
    const { hits, weight = 1 } = isRankedList(entry) ? entry : { hits: entry };
    hits.forEach((hit, i) => {
      const rank = i + 1;
      let f = fused.get(hit.id);
      if (f === undefined) {
        f = {
          id: hit.id,
          score: 0,
          ranks: new Array<number | null>(lists.length).fill(null),
          best: rank,
          order: fused.size,
        };
        fused.set(hit.id, f);
      }
      if (f.ranks[li] !== null) return;
      f.ranks[li] = rank;
      f.score += weight / (k + rank);
      if (rank < f.best) f.best = rank;
    });
  });
  const out = [...fused.values()].sort((a, b) => b.score - a.score || a.best - b.best || a.order - b.order);
  return out.slice(0, options.limit ?? out.length).map(({ id, score, ranks }) => ({ id, score, ranks }));
}

function isRankedList(entry: RankedList | readonly { id: string }[]): entry is RankedList {
  return !Array.isArray(entry);
}
