// The search service: dense (Voy) and keyword (BM25) indexes with filters and fusion, MaxSim rerank, and retrieval.
import { connectPort, type Handlers, type RpcClient } from '../rpc';
import { AppError, fromWire, toAppError } from '../errors';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import { retrieve } from '../pipelines/retrieve';
import { forEachKeywordRow, getTokenVectors, listDocuments, loadAllVectors, openLecternDB } from '../persistence';
import type { LecternDatabase } from '../persistence';
import { Bm25Index } from '../retrieval/bm25';
import { reciprocalRankFusion } from '../retrieval/fusion';
import { SPECIAL_TOKEN } from '../retrieval/explain';
import type {
  ChunkMeta,
  RerankParams,
  SearchFilters,
  SearchMethods,
  SearchOpenParams,
  SearchParams,
} from '../retrieval/search-types';
import type { IndexSyncMethods } from '../pipelines/library-sync';
import { syncIndexes } from './index-sync';
import { maxSimRerank, type DocTokens, type MaxSimHit } from '../retrieval/maxsim';
import { storedToInt8 } from '../retrieval/compress';
import { maxSimRerankWebGpu } from '../retrieval/maxsim-webgpu';
import { ExactIndex } from '../retrieval/exact-index';
import { pickDenseIndex, type DenseIndexKind, type VectorIndex } from '../retrieval/vector-index';
import { initVoy, VoyIndex } from '../retrieval/voy-index';

const FIRST_STAGE = 100;

export function searchHandlers(): Handlers<SearchMethods & IndexSyncMethods> {
  let db: LecternDatabase | null = null;
  let embedderId: string | null = null;
  let dense: VectorIndex | null = null;
  let denseKind: DenseIndexKind | null = null;
  let keyword = new Bm25Index();
  const meta = new Map<string, ChunkMeta>();
  // The model workers' direct lines (attach), so query vectors never pass through the main thread.
  let embedder: RpcClient<EmbedderMethods> | null = null;
  let late: RpcClient<LateInteractionMethods> | null = null;
  /** The reranker's model key: token vectors stored under another key (another model or host) are not scored. */
  let lateModelId: string | null = null;

  const need = (): LecternDatabase => {
    if (!db) throw new AppError('INDEX_NOT_OPEN');
    return db;
  };

  const filterFor = (f: SearchFilters): ((id: string) => boolean) | null => {
    const docs = f.docIds?.length ? new Set(f.docIds) : null;
    const kinds = f.kinds?.length ? new Set(f.kinds) : null;
    if (!docs && !kinds && f.addedFrom == null && f.addedTo == null) return null;
    return (id) => {
      const m = meta.get(id);
      if (!m) return false;
      if (docs && !docs.has(m.docId)) return false;
      if (kinds && !kinds.has(m.kind)) return false;
      if (f.addedFrom != null && m.addedAt < f.addedFrom) return false;
      if (f.addedTo != null && m.addedAt > f.addedTo) return false;
      return true;
    };
  };

  /** Builds the dense index from the vectors stored under the embedder's key (none: keyword search only). */
  const openDense = async ({ embedder, voyWasmUrl, denseIndex }: Omit<SearchOpenParams, 'dbName'>) => {
    dense = null;
    denseKind = null;
    embedderId = embedder?.key ?? null;
    if (!embedder) return;
    const stored = await loadAllVectors(need(), embedder.key);
    const kind = pickDenseIndex(denseIndex, stored.ids.length);
    if (kind === 'voy') await initVoy(voyWasmUrl);
    const index = kind === 'voy' ? new VoyIndex(embedder.dims) : new ExactIndex(embedder.dims);
    if (stored.ids.length && stored.dims === embedder.dims) index.build(stored.ids, stored.data);
    [dense, denseKind] = [index, kind];
  };

  const search = ({ vector, text, k, filters, weights }: SearchParams) => {
    const filter = filterFor(filters);
    const keywordHits = keyword.search(text, { k: FIRST_STAGE, filter: filter ?? undefined });
    let denseHits: { id: string; score: number }[] = [];
    if (vector && dense) {
      denseHits = filter
        ? dense.scoreIds(vector, [...meta.keys()].filter(filter), FIRST_STAGE)
        : dense.search(vector, FIRST_STAGE);
    }
    const fused = reciprocalRankFusion(
      [
        { hits: denseHits, weight: weights.dense },
        { hits: keywordHits, weight: weights.keyword },
      ],
      { limit: k },
    );
    return fused.map((f) => {
      const [d, kw] = f.ranks;
      return {
        id: f.id,
        score: f.score,
        dense: d ? { rank: d, score: denseHits[d - 1]!.score } : null,
        keyword: kw ? { rank: kw, score: keywordHits[kw - 1]!.score } : null,
      };
    });
  };

  const rerank = async ({ query, ids, topK, gpu, skip }: RerankParams) => {
    const skipped = new Set(skip);
    const rows = await getTokenVectors(need(), ids);
    const docs: DocTokens[] = [];
    const texts = new Map<string, string[]>();
    rows.forEach((row, i) => {
      if (!row || row.dims !== query.dims || row.modelId !== lateModelId) return;
      texts.set(ids[i]!, row.tokenTexts);
      const q8 = storedToInt8(row);
      docs.push({ id: ids[i]!, data: q8.data, tokens: row.tokens, scales: q8.scales });
    });
    const q = { data: query.data, tokens: query.tokens, dims: query.dims };
    let hits: MaxSimHit[];
    let device: 'webgpu' | 'cpu' = 'cpu';
    let gpuFailure: string | null = null;
    if (gpu) {
      try {
        hits = await maxSimRerankWebGpu(q, docs, topK);
        device = 'webgpu';
      } catch (err) {
        // The CPU gives the same ranking; the search note says why it ran there.
        gpuFailure = toAppError(err, 'WEBGPU_RUN_FAILED').message;
        hits = maxSimRerank(q, docs, topK);
      }
    } else {
      hits = maxSimRerank(q, docs, topK);
    }
    // Chunks without token vectors of this reranker (indexed while none was available, or by another) follow the rest in fused order, scored
    // -Infinity; finalOrder gives them only their first-stage share.
    const unscored = ids.filter((id) => !texts.has(id));
    for (const id of unscored) {
      if (hits.length >= topK) break;
      hits.push({ id, score: -Infinity, bestToken: new Int32Array(0), bestScore: new Float32Array(0) });
    }
    return {
      device,
      gpuFailure,
      hits: hits.map((h) => {
        const docTokens = texts.get(h.id) ?? [];
        let sum = 0;
        let words = 0;
        h.bestScore.forEach((v, qi) => {
          const tok = query.tokenTexts[qi] ?? '';
          if (SPECIAL_TOKEN.test(tok) || skipped.has(tok)) return;
          sum += v;
          words++;
        });
        return {
          relevance: words ? sum / words : h.score / Math.max(1, query.tokens),
          id: h.id,
          score: h.score,
          meanScore: h.score / Math.max(1, query.tokens),
          docTokens,
          matches: Array.from(h.bestToken, (docIndex, qi) => ({
            queryIndex: qi,
            queryToken: query.tokenTexts[qi] ?? '',
            docIndex,
            docToken: docTokens[docIndex] ?? '',
            score: h.bestScore[qi]!,
          })),
        };
      }),
    };
  };

  return {
    open: async ({ dbName, embedder, voyWasmUrl, denseIndex }) => {
      const started = performance.now();
      db?.close();
      db = await openLecternDB(dbName);
      meta.clear();
      const docs = new Map((await listDocuments(db)).map((d) => [d.id, d]));
      keyword = new Bm25Index();
      await forEachKeywordRow(db, (row) => {
        const doc = docs.get(row.docId);
        if (!doc) return;
        meta.set(row.chunkId, { docId: row.docId, kind: doc.kind, addedAt: doc.addedAt });
        keyword.importDoc({ id: row.chunkId, length: row.length, terms: row.terms, freqs: row.freqs });
      });
      await openDense({ embedder, voyWasmUrl, denseIndex });
      return { chunks: keyword.size, ms: performance.now() - started, dense: denseKind };
    },

    useEmbedder: async (params) => {
      await openDense(params);
      return { dense: denseKind };
    },

    add: async ({ ids, meta: m, vectors, keywords }) => {
      for (const id of ids) meta.set(id, m);
      for (const row of keywords) keyword.importDoc(row);
      if (vectors && dense) dense.add(ids, vectors);
      return { chunks: keyword.size };
    },

    addVectors: async ({ ids, vectors }) => {
      // Chunks deleted while their vectors were being made are not brought back.
      const live = ids.filter((id) => meta.has(id));
      if (!dense || live.length === 0) return;
      // Replace, never duplicate, a chunk's row.
      dense.remove(live);
      if (live.length === ids.length) return dense.add(ids, vectors);
      const dims = vectors.length / ids.length;
      const rows = new Float32Array(live.length * dims);
      let at = 0;
      ids.forEach((id, i) => {
        if (meta.has(id)) rows.set(vectors.subarray(i * dims, (i + 1) * dims), dims * at++);
      });
      dense.add(live, rows);
    },

    remove: async ({ ids }) => {
      for (const id of ids) {
        meta.delete(id);
        keyword.remove(id);
      }
      dense?.remove(ids);
      return { chunks: keyword.size };
    },

    // Another tab changed the library: read its rows here, from storage (see index-sync.ts).
    sync: async (change) => syncIndexes(need(), embedderId, change, () => ({ meta, keyword, dense })),

    search: async (params) => search(params),

    rerank: async (params) => rerank(params),

    peerFailed: async ({ peer, error }) => {
      (peer === 'embedder' ? embedder : late)?.fail(fromWire(error));
    },

    attach: async (ports) => {
      if (ports.embedder) embedder = connectPort(ports.embedder);
      if (ports.late) {
        late = connectPort(ports.late.port);
        lateModelId = ports.late.modelId;
      }
    },

    retrieve: async (req, ctx) =>
      retrieve(req, { embedder, late, search: async (p) => search(p), rerank: (p) => rerank(p) }, ctx.signal),
  };
}
