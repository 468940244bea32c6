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
  const { embedder } = ports;
  const lists: SearchHit[][] = [];
  for (const q of req.queries) {
    const text = req.instructions ? `${q} ${req.instructions}` : q;
    const vector = embedder ? await embedder.call('embed', { texts: [text], kind: 'query' }, { signal }) : null;
    lists.push(await ports.search({ vector, text: q, k: req.candidates, filters: req.filters, weights: req.weights }));
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
  const base = { found: fused.length, dense: embedder !== null };
  if (!req.rerank || !ports.late || fused.length === 0) {
    return {
      ...base,
      reranked: null,
      gpuFailure: null,
      passages: fused.slice(0, req.topK).map((h) => passage(h.id, h.score, null, [], [])),
    };
  }
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
  // Every candidate is reranked, then ordered with the first stage (finalOrder), so a reranker weak on this text
  // cannot bury what both searches found.
  return {
    ...base,
    reranked: rr.device,
    gpuFailure: rr.gpuFailure,
    passages: finalOrder(fused, rr.hits, { limit: req.topK }).map((h) =>
      passage(h.id, h.meanScore, h.relevance, h.matches, h.docTokens),
    ),
  };
}
