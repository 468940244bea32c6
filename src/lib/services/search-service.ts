// The search service: dense (Voy) and keyword (BM25) indexes with filters and fusion, plus MaxSim rerank.
import type { Handlers } from '../rpc';
import { AppError } from '../errors';
import type { DocumentKind } from '../ingest/types';
import { forEachKeywordRow, getTokenVectors, listDocuments, loadAllVectors, openLecternDB } from '../persistence';
import type { LecternDatabase } from '../persistence';
import { Bm25Index, type Bm25DocPostings } from '../retrieval/bm25';
import { reciprocalRankFusion } from '../retrieval/fusion';
import { maxSimRerank, type DocTokens, type MaxSimHit } from '../retrieval/maxsim';
import { storedToInt8 } from '../retrieval/compress';
import { maxSimRerankWebGpu } from '../retrieval/maxsim-webgpu';
import { ExactIndex } from '../retrieval/exact-index';
import type { DenseIndexPreference } from '../config/defaults';
import { pickDenseIndex, type DenseIndexKind, type VectorIndex } from '../retrieval/vector-index';
import { initVoy, VoyIndex } from '../retrieval/voy-index';

export interface SearchOpenParams {
  dbName: string;
  /** Null when no embedding model could load: keyword search still works. */
  embedder: { id: string; dims: number } | null;
  voyWasmUrl: string;
  /** `auto` uses Voy up to VOY_AUTO_MAX_CHUNKS stored vectors, the exact scan above (see vector-index.ts). */
  denseIndex: DenseIndexPreference;
}

export interface ChunkMeta {
  docId: string;
  kind: DocumentKind;
  addedAt: number;
}

export interface SearchFilters {
  docIds?: string[];
  kinds?: DocumentKind[];
  /** Inclusive range on the date a document was added (ms since epoch). */
  addedFrom?: number;
  addedTo?: number;
}

export interface SearchParams {
  /** Query embedding, or null for keyword-only search. */
  vector: Float32Array | null;
  text: string;
  /** How many fused candidates to return. */
  k: number;
  filters: SearchFilters;
  weights: { dense: number; keyword: number };
}

export interface SearchHit {
  id: string;
  /** Reciprocal-rank-fusion score. */
  score: number;
  dense: { rank: number; score: number } | null;
  keyword: { rank: number; score: number } | null;
}

export interface QueryTokenVectors {
  data: Float32Array;
  tokens: number;
  dims: number;
  tokenTexts: string[];
}

export interface TokenMatch {
  queryIndex: number;
  queryToken: string;
  /** -1 when the document had no tokens. */
  docIndex: number;
  docToken: string;
  score: number;
}

export interface RerankHit {
  id: string;
  /** Σ best dot products over query tokens. */
  score: number;
  /** score / query tokens: a cosine-like value in [-1, 1], shown to people. */
  meanScore: number;
  /** Mean best match over the query's own words (markers and [MASK] expansions left out): what the threshold reads. */
  relevance: number;
  matches: TokenMatch[];
  /** The document's token strings, to map matches back onto its text. */
  docTokens: string[];
}

export interface RerankParams {
  query: QueryTokenVectors;
  /** Query tokens the relevance score ignores (the model's punctuation skiplist: documents never keep them). */
  skip: string[];
  ids: string[];
  topK: number;
  gpu: boolean;
}

export interface AddParams {
  ids: string[];
  meta: ChunkMeta;
  /** Row-major dense vectors for `ids`, or null when added without an embedder. */
  vectors: Float32Array | null;
  keywords: Bm25DocPostings[];
}

export type SearchMethods = {
  /** Cold start: reads every stored vector and keyword row and builds both indexes. */
  open: {
    params: SearchOpenParams;
    result: { chunks: number; ms: number; dense: DenseIndexKind | null };
    progress: never;
  };
  add: { params: AddParams; result: { chunks: number }; progress: never };
  remove: { params: { ids: string[] }; result: { chunks: number }; progress: never };
  search: { params: SearchParams; result: SearchHit[]; progress: never };
  rerank: { params: RerankParams; result: { hits: RerankHit[]; device: 'webgpu' | 'cpu' }; progress: never };
};

const FIRST_STAGE = 100;
const SPECIAL_TOKEN = /^\[(CLS|SEP|MASK|PAD|UNK|unused\d+)\]$/;

export function searchHandlers(): Handlers<SearchMethods> {
  let db: LecternDatabase | null = null;
  let dense: VectorIndex | null = null;
  let denseKind: DenseIndexKind | null = null;
  let keyword = new Bm25Index();
  const meta = new Map<string, ChunkMeta>();

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
      dense = null;
      denseKind = null;
      if (embedder) {
        const stored = await loadAllVectors(db, embedder.id);
        denseKind = pickDenseIndex(denseIndex, stored.ids.length);
        if (denseKind === 'voy') await initVoy(voyWasmUrl);
        dense = denseKind === 'voy' ? new VoyIndex(embedder.dims) : new ExactIndex(embedder.dims);
        if (stored.ids.length && stored.dims === embedder.dims) dense.build(stored.ids, stored.data);
      }
      return { chunks: keyword.size, ms: performance.now() - started, dense: denseKind };
    },

    add: async ({ ids, meta: m, vectors, keywords }) => {
      for (const id of ids) meta.set(id, m);
      for (const row of keywords) keyword.importDoc(row);
      if (vectors && dense) dense.add(ids, vectors);
      return { chunks: keyword.size };
    },

    remove: async ({ ids }) => {
      for (const id of ids) {
        meta.delete(id);
        keyword.remove(id);
      }
      dense?.remove(ids);
      return { chunks: keyword.size };
    },

    search: async ({ vector, text, k, filters, weights }) => {
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
    },

    rerank: async ({ query, ids, topK, gpu, skip }) => {
      const skipped = new Set(skip);
      const rows = await getTokenVectors(need(), ids);
      const docs: DocTokens[] = [];
      const texts = new Map<string, string[]>();
      rows.forEach((row, i) => {
        if (!row || row.dims !== query.dims) return;
        texts.set(ids[i]!, row.tokenTexts);
        const q8 = storedToInt8(row);
        docs.push({ id: ids[i]!, data: q8.data, tokens: row.tokens, scales: q8.scales });
      });
      const q = { data: query.data, tokens: query.tokens, dims: query.dims };
      let hits: MaxSimHit[];
      let device: 'webgpu' | 'cpu' = 'cpu';
      if (gpu) {
        try {
          hits = await maxSimRerankWebGpu(q, docs, topK);
          device = 'webgpu';
        } catch {
          hits = maxSimRerank(q, docs, topK);
        }
      } else {
        hits = maxSimRerank(q, docs, topK);
      }
      // Chunks without token vectors (indexed while no reranker was available) follow the rest in fused order, scored
      // -Infinity; finalOrder gives them only their first-stage share.
      const unscored = ids.filter((id) => !texts.has(id));
      for (const id of unscored) {
        if (hits.length >= topK) break;
        hits.push({ id, score: -Infinity, bestToken: new Int32Array(0), bestScore: new Float32Array(0) });
      }
      return {
        device,
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
    },
  };
}
