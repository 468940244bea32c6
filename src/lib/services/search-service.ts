// The search service: dense (Voy) and keyword (BM25) indexes with filters and fusion, MaxSim rerank, and retrieval.
import { connectPort, type Caller, type HandlerContext, type Handlers, type MethodMap, type RpcClient } from '../rpc';
import { AppError, fromWire, toAppError } from '../errors';
import { assumedPace, budgets, type Pace } from '../models/budgets';
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
  RetrieveRequest,
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
/** Keyword rows read between two signs of life while opening (a page of storage reads is 2,048). */
const ROWS_PER_BEAT = 4_096;

type Expect = (ms: number) => void;

/**
 * A line to a model worker whose calls keep the search call that waits on them alive: the model's own owner watches
 * the model (and fails this line when it is stuck), so while waiting this call reports the longest silence a model
 * may keep, again on each progress, and `after` (what the call has left to do) once the reply comes.
 */
function waiting<M extends MethodMap>(caller: Caller<M> | null, expect: Expect, wait: number, after: () => number) {
  if (!caller) return null;
  const watched: Caller<M> = {
    call: (method, params, options = {}) => {
      expect(wait);
      const onProgress = (p: Parameters<NonNullable<typeof options.onProgress>>[0]) => {
        expect(wait);
        options.onProgress?.(p);
      };
      return caller.call(method, params, { ...options, onProgress }).finally(() => expect(after()));
    },
  };
  return watched;
}

export interface SearchServiceOptions {
  /** The speed the indexes are built and searched at (the CPU's); tests give their own. */
  pace?: Pace;
}

/**
 * The search worker's handlers. Each reports how long it may take before its next sign of life (HandlerContext.expect,
 * from models/budgets.ts): the owner's watchdog ends a worker that overruns one (see state/search-worker.ts).
 */
export function searchHandlers(options: SearchServiceOptions = {}): Handlers<SearchMethods & IndexSyncMethods> {
  const pace = options.pace ?? assumedPace('wasm');
  /** The GPU MaxSim may run on a software GPU: the slowest pace, like a model before it has loaded. */
  const gpuPace = { ...pace, device: 'webgpu', softwareGpu: true } satisfies Pace;
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
  const openDense = async ({ embedder, voyWasmUrl, denseIndex }: Omit<SearchOpenParams, 'dbName'>, expect: Expect) => {
    dense = null;
    denseKind = null;
    embedderId = embedder?.key ?? null;
    if (!embedder) return;
    const stored = await loadAllVectors(need(), embedder.key);
    // The build runs in one go, in proportion to the rows.
    expect(budgets.index(pace, stored.ids.length));
    const kind = pickDenseIndex(denseIndex);
    if (kind === 'voy') await initVoy(voyWasmUrl);
    const index = kind === 'voy' ? new VoyIndex(embedder.dims) : new ExactIndex(embedder.dims, { precision: 'int8' });
    if (stored.ids.length && stored.dims === embedder.dims) index.build(stored.ids, stored.data);
    [dense, denseKind] = [index, kind];
  };

  /** Adding or removing rows: Voy may rebuild its tree, so as much as building the whole index again. */
  const changeBudget = (rows: number) => budgets.index(pace, keyword.size + rows);
  /** What a search of `k` candidates may take here: the filters and the exact index scan every row. */
  const searchBudget = (k: number) => budgets.search(pace, keyword.size, Math.max(k, FIRST_STAGE));
  const rerankBudget = (p: RerankParams) => budgets.search(p.gpu ? gpuPace : pace, 0, p.ids.length);

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
    open: async ({ dbName, embedder, voyWasmUrl, denseIndex }, ctx) => {
      const started = performance.now();
      // Storage reads come in pages: a base for each stretch of rows, then the dense build's own share.
      ctx.expect(budgets.index(pace, ROWS_PER_BEAT));
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
        if (keyword.size % ROWS_PER_BEAT === 0) ctx.expect(budgets.index(pace, ROWS_PER_BEAT));
      });
      await openDense({ embedder, voyWasmUrl, denseIndex }, ctx.expect);
      return { chunks: keyword.size, ms: performance.now() - started, dense: denseKind };
    },

    useEmbedder: async (params, ctx) => {
      ctx.expect(budgets.index(pace, 0));
      await openDense(params, ctx.expect);
      return { dense: denseKind };
    },

    add: async ({ ids, meta: m, vectors, keywords }, ctx) => {
      ctx.expect(changeBudget(ids.length));
      for (const id of ids) meta.set(id, m);
      for (const row of keywords) keyword.importDoc(row);
      if (vectors && dense) dense.add(ids, vectors);
      return { chunks: keyword.size };
    },

    addVectors: async ({ ids, vectors }, ctx) => {
      ctx.expect(changeBudget(ids.length));
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

    remove: async ({ ids }, ctx) => {
      ctx.expect(changeBudget(ids.length));
      for (const id of ids) {
        meta.delete(id);
        keyword.remove(id);
      }
      dense?.remove(ids);
      return { chunks: keyword.size };
    },

    // Another tab changed the library: read its rows here, from storage (see index-sync.ts).
    sync: async (change, ctx) => {
      ctx.expect(budgets.index(pace, 0));
      return syncIndexes(need(), embedderId, change, () => ({ meta, keyword, dense }));
    },

    search: async (params, ctx) => {
      ctx.expect(searchBudget(params.k));
      return search(params);
    },

    rerank: async (params, ctx) => {
      ctx.expect(rerankBudget(params));
      return rerank(params);
    },

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

    retrieve: async (req, ctx) => retrieveHere(req, ctx),
  };

  /**
   * Retrieval here, its deadline following its steps: each search and rerank its own budget; while a query waits on
   * the embedder or reranker (their workers are watched by their own owners), the longest silence a model may keep.
   */
  function retrieveHere(req: RetrieveRequest, ctx: HandlerContext<never>) {
    const next = () => searchBudget(req.candidates);
    ctx.expect(next());
    const wait = budgets.peerWait(pace.cores);
    const ports = {
      embedder: waiting<EmbedderMethods>(embedder, ctx.expect, wait, next),
      late: waiting<LateInteractionMethods>(late, ctx.expect, wait, next),
      search: async (p: SearchParams) => {
        ctx.expect(searchBudget(p.k));
        return search(p);
      },
      rerank: (p: RerankParams) => {
        ctx.expect(rerankBudget(p));
        return rerank(p);
      },
    };
    return retrieve(req, ports, ctx.signal);
  }
}
