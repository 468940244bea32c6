// The retrieve pipeline (run by the search worker): embed the queries, search, fuse, rerank by MaxSim, final order.
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import { DEFAULT_FINAL_ORDER, finalOrder } from '../retrieval/final-order';
import { reciprocalRankFusion } from '../retrieval/fusion';
import type {
  RankedPassage,
  RerankParams,
  RerankResult,
  Retrieved,
  RetrieveRequest,
  SearchHit,
  SearchParams,
  StageRanking,
  TokenMatch,
} from '../retrieval/search-types';
import type { Caller } from '../rpc';

export interface RetrievePorts {
  embedder: Caller<Pick<EmbedderMethods, 'embed'>> | null;
  late: Caller<Pick<LateInteractionMethods, 'encodeQuery'>> | null;
  search(params: SearchParams): Promise<SearchHit[]>;
  rerank(params: RerankParams, signal: AbortSignal): Promise<RerankResult>;
}

export { DEFAULT_FINAL_ORDER };
export type { RankedPassage, Retrieved, RetrieveRequest };

export async function retrieve(req: RetrieveRequest, ports: RetrievePorts, signal: AbortSignal): Promise<Retrieved> {
  // A keyword-only request embeds nothing.
  const embedder = req.only === 'keyword' ? null : ports.embedder;
  const lists: SearchHit[][] = [];
  const ms = { embed: 0, search: 0, rerank: 0 };
  for (const q of req.queries) {
    const text = req.instructions ? `${q} ${req.instructions}` : q;
    let t = performance.now();
    const vector = embedder ? await embedder.call('embed', { texts: [text], kind: 'query' }, { signal }) : null;
    if (embedder) ms.embed += performance.now() - t;
    t = performance.now();
    const params = { vector, text: q, k: req.candidates, filters: req.filters, weights: req.weights };
    lists.push(await ports.search(req.only ? { ...params, only: req.only } : params));
    ms.search += performance.now() - t;
  }
  const fused =
    lists.length === 1
      ? lists[0]!
      : reciprocalRankFusion(
          lists.map((hits) => ({ hits })),
          { limit: req.candidates },
        );
  // The scores shown are a passage's from the last list it appears in; the dense gate reads its best cosine.
  const byId = new Map(lists.flat().map((h) => [h.id, h]));
  const bestDense = new Map<string, number>();
  for (const h of lists.flat()) {
    const seen = bestDense.get(h.id);
    if (h.dense && (seen === undefined || h.dense.score > seen)) bestDense.set(h.id, h.dense.score);
  }
  const passage = (
    id: string,
    score: number,
    relevance: number | null,
    matches: TokenMatch[],
    docTokens: string[],
  ): RankedPassage => ({
    id,
    score,
    relevance,
    bestDense: bestDense.get(id) ?? null,
    denseScore: byId.get(id)?.dense?.score ?? null,
    keywordScore: byId.get(id)?.keyword?.score ?? null,
    matches,
    docTokens,
  });
  const stages = {
    dense: byOwnScore(lists.flat(), (h) => h.dense?.score),
    keyword: byOwnScore(lists.flat(), (h) => h.keyword?.score),
    fused: { ids: fused.map((h) => h.id), scores: fused.map((h) => h.score) },
  };
  const base = { found: fused.length, dense: embedder !== null };
  if (!req.rerank || !ports.late || fused.length === 0) {
    return {
      ...base,
      trace: { ...stages, reranked: null, ms },
      reranked: null,
      gpuFailure: null,
      passages: fused.slice(0, req.topK).map((h) => passage(h.id, h.score, null, [], [])),
    };
  }
  const t = performance.now();
  const q = await ports.late.call('encodeQuery', { text: req.queries[0]! }, { signal });
  const rr = await ports.rerank(
    {
      query: { data: q.data, tokens: q.tokens, dims: q.dims, tokenTexts: q.tokenTexts },
      ids: fused.map((h) => h.id),
      topK: fused.length,
      gpu: req.rerank.gpu,
      skip: req.rerank.skip,
    },
    signal,
  );
  ms.rerank = performance.now() - t;
  const reranked = [...rr.hits].sort((a, b) => b.meanScore - a.meanScore);
  // Every candidate is reranked, then ordered with the first stage (finalOrder), so a reranker weak on this text
  // cannot bury what both searches found.
  return {
    ...base,
    reranked: rr.device,
    gpuFailure: rr.gpuFailure,
    trace: { ...stages, reranked: { ids: reranked.map((h) => h.id), scores: reranked.map((h) => h.meanScore) }, ms },
    passages: finalOrder(fused, rr.hits, { limit: req.topK }).map((h) =>
      passage(h.id, h.meanScore, h.relevance, h.matches, h.docTokens),
    ),
  };
}

/** The hits that have a score of this kind, best first, each once (its best score over the queries' lists). */
function byOwnScore(hits: readonly SearchHit[], score: (h: SearchHit) => number | undefined): StageRanking | null {
  const best = new Map<string, number>();
  for (const h of hits) {
    const s = score(h);
    if (s !== undefined && s > (best.get(h.id) ?? -Infinity)) best.set(h.id, s);
  }
  if (best.size === 0) return null;
  const ranked = [...best].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { ids: ranked.map(([id]) => id), scores: ranked.map(([, s]) => s) };
}
