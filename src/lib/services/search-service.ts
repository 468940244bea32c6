// The search service: dense (Voy) and keyword (BM25) indexes with filters and fusion, MaxSim rerank, and retrieval.
import { connectPort, type Caller, type HandlerContext, type Handlers, type MethodMap, type RpcClient } from '../rpc';
import { AppError, fromWire, toAppError } from '../errors';
import { assumedPace, budgets, type Pace } from '../models/budgets';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import { retrieve } from '../pipelines/retrieve';
import {
  activeAdapter,
  summarizeAdapter,
  trainAdapterRecord,
  type AdapterMethods,
  type AdapterSummary,
} from '../pipelines/adapter';
import { adaptQueries, type QueryAdapter } from '../learn/query-adapter';
import {
  deleteAdapter,
  getAdapter,
  listEvalQuestions,
  listFeedback,
  putAdapter,
  setAdapterEnabled,
  forEachKeywordRow,
  getTokenVectors,
  journalSince,
  listDocuments,
  loadAllVectors,
  openLecternDB,
  readSnapshot,
  writeSnapshot,
  type StoredSnapshot,
} from '../persistence';
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
  SearchOpened,
  SearchParams,
} from '../retrieval/search-types';
import type { IndexSyncMethods } from '../pipelines/library-sync';
import { syncIndexes } from './index-sync';
import { captureSnapshot, restoreSnapshot } from './index-snapshot';
import { maxSimRerank, type MaxSimHit, type QueryTokens } from '../retrieval/maxsim';
import { maxSimRerankSimd, maxSimSimdAvailable, type Int8DocTokens } from '../retrieval/maxsim-simd';
import { storedToInt8 } from '../retrieval/compress';
import { maxSimRerankWebGpu } from '../retrieval/maxsim-webgpu';
import { ExactIndex } from '../retrieval/exact-index';
import { pickDenseIndex, type DenseIndexKind, type VectorIndex } from '../retrieval/vector-index';
import { initVoy, VoyIndex } from '../retrieval/voy-index';
import { PublishedLibrary } from '../published/library';
import { modelFingerprint, type FingerprintSpec } from '../published/format';
import { fetchManifest, libraryUrl, shardLoader, type FetchCounts } from './published-fetch';

const FIRST_STAGE = 100;
/** The longest a call may wait on a published library's files before the watchdog ends it (a slow network). */
const NETWORK_WAIT_MS = 120_000;
/**
 * How long a question waits on the published library's files (its keyword buckets, its token vectors) before it goes
 * on without them, so a slow or stuck host never holds up the user's own documents. The reads go on, and are kept.
 */
const PUBLISHED_DEADLINE_MS = 15_000;

/** The fingerprint of a registry entry the app sent (null when it lacks the fields: then it matches no library's). */
async function fingerprintOf(spec: Record<string, unknown>): Promise<string | null> {
  try {
    return await modelFingerprint(spec as unknown as FingerprintSpec);
  } catch {
    return null;
  }
}

/** `p`, or PUBLISHED_UNREACHABLE once `ms` have passed. */
function withDeadline<T>(p: Promise<T>, ms: number, url: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new AppError('PUBLISHED_UNREACHABLE', undefined, { url, reason: `no answer within ${ms / 1000} s` })),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}
/**
 * Published candidates reranked per question, best fused first: each may need its own token shard from the network,
 * so the rest keep their first-stage place (unscored, as passages without token vectors) rather than cost a shard each.
 */
const PUBLISHED_RERANK_MAX = 20;
/** The background read of a published library's index waits this long, or for the first question to be searched. */
const BACKGROUND_AFTER_MS = 3_000;
/**
 * A published library's keyword buckets are all read in the background (after its vectors) when they weigh no more
 * than this: later questions then fetch nothing chosen by their words, and it is searchable offline. A larger one
 * (a 100k-passage library's are about 60 MB) reads each question's buckets as it comes.
 */
const PREFETCH_KEYWORDS_MAX = 16 * 1024 * 1024;
/** Keyword rows read between two signs of life while opening (a page of storage reads is 2,048). */
const ROWS_PER_BEAT = 4_096;

type Expect = (ms: number) => void;

/**
 * MaxSim on the CPU: WebAssembly SIMD where the engine has it (50 stored int6 candidates in 2.5 ms against 11.5 ms
 * for the JS kernel, same top 10: npx vitest bench --run test/bench/retrieval.bench.ts), else JS.
 */
function cpuRerank(q: QueryTokens, docs: Int8DocTokens[], topK: number): MaxSimHit[] {
  return maxSimSimdAvailable() ? maxSimRerankSimd(q, docs, topK) : maxSimRerank(q, docs, topK);
}

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
  /**
   * How long the indexes stay unchanged before a snapshot of them is stored (ms); default SNAPSHOT_IDLE_MS. A
   * snapshot is also stored at once after SNAPSHOT_EVERY changes, and after an open that rebuilt or replayed.
   */
  snapshotIdleMs?: number;
}

/** See SearchServiceOptions.snapshotIdleMs. */
export const SNAPSHOT_IDLE_MS = 5_000;
/** Changed documents after which a snapshot is stored even while changes keep coming (a long import). */
export const SNAPSHOT_EVERY = 1_000;

/**
 * The search worker's handlers. Each reports how long it may take before its next sign of life (HandlerContext.expect,
 * from models/budgets.ts): the owner's watchdog ends a worker that overruns one (see state/search-worker.ts).
 */
export function searchHandlers(
  options: SearchServiceOptions = {},
): Handlers<SearchMethods & IndexSyncMethods & AdapterMethods> {
  const pace = options.pace ?? assumedPace('wasm');
  /** The GPU MaxSim may run on a software GPU: the slowest pace, like a model before it has loaded. */
  const gpuPace = { ...pace, device: 'webgpu', softwareGpu: true } satisfies Pace;
  let db: LecternDatabase | null = null;
  let embedderId: string | null = null;
  /** The embedder's dimensions (null: no embedder), which the query adapter must have. */
  let embedderDims: number | null = null;
  /** The query adapter searches apply (persistence/adapter-schema.ts): the stored one for the embedder when it is on. */
  let adapter: QueryAdapter | null = null;
  /** The adapter's training in progress: one at a time. */
  let training = false;
  let dense: VectorIndex | null = null;
  let denseKind: DenseIndexKind | null = null;
  let keyword = new Bm25Index();
  let meta = new Map<string, ChunkMeta>();
  // The model workers' direct lines (attach), so query vectors never pass through the main thread.
  let embedder: RpcClient<EmbedderMethods> | null = null;
  let late: RpcClient<LateInteractionMethods> | null = null;
  /** The reranker's model key: token vectors stored under another key (another model or host) are not scored. */
  let lateModelId: string | null = null;
  /** The journal entry the live indexes are known to include (see persistence/snapshot-repo.ts). */
  let snapshotSeq = 0;
  let changesSinceSnapshot = 0;
  let snapshotTimer: ReturnType<typeof setTimeout> | null = null;
  let writing: Promise<boolean> | null = null;
  /** The open in progress: no snapshot is written from half-built indexes. */
  let opening: Promise<unknown> | null = null;
  /** The live indexes hold something the stored snapshot lacks (a rebuild, a replay, a change, another embedder). */
  let dirty = false;
  /** Another tab stored a snapshot past this worker's journal position: this one stores none until it reopens. */
  let superseded = false;
  const snapshotIdleMs = options.snapshotIdleMs ?? SNAPSHOT_IDLE_MS;
  /** The published library searched beside the private one (read-only), and what of it may be used. */
  let published: { library: PublishedLibrary; url: string; denseOk: boolean; lateOk: boolean } | null = null;
  const fetched: FetchCounts = { network: 0, cached: 0, shards: 0 };
  /** Why the last search could not use the published library (said in the search note); null when it could. */
  let publishedFailure: string | null = null;
  /** Resolves once a question has searched the published library: its background read starts after that. */
  let firstPublishedSearch: () => void = () => {};
  let searchedPublished = new Promise<void>((resolve) => (firstPublishedSearch = resolve));

  const need = (): LecternDatabase => {
    if (!db) throw new AppError('INDEX_NOT_OPEN');
    return db;
  };

  /**
   * Reads the stored adapter of the embedder in use and applies it when it is on and fits the embedder (none: queries
   * as the embedder writes them). Returns it without its weights.
   */
  const readAdapter = async (): Promise<AdapterSummary | null> => {
    const id = embedderId;
    const record = id ? await getAdapter(need(), id) : null;
    // The embedder changed during the read: the newer read decides which adapter applies.
    if (embedderId === id) adapter = activeAdapter(record, embedderDims);
    return record ? summarizeAdapter(record) : null;
  };

  /** readAdapter while opening: an adapter that cannot be read leaves search as the embedder has it, and is said. */
  const readAdapterQuietly = () =>
    readAdapter().catch((err: unknown) => {
      adapter = null;
      console.warn('Lectern: the relevance adapter was not read:', toAppError(err).message);
    });

  const filterFor = (f: SearchFilters): ((id: string) => boolean) | null => {
    const docs = f.docIds?.length ? new Set(f.docIds) : null;
    const kinds = f.kinds?.length ? new Set(f.kinds) : null;
    if (!docs && !kinds && f.addedFrom == null && f.addedTo == null) return null;
    return (id) => {
      const m = meta.get(id) ?? published?.library.metaOf(id);
      if (!m) return false;
      if (docs && !docs.has(m.docId)) return false;
      if (kinds && !kinds.has(m.kind)) return false;
      if (f.addedFrom != null && m.addedAt < f.addedFrom) return false;
      if (f.addedTo != null && m.addedAt > f.addedTo) return false;
      return true;
    };
  };

  /**
   * Builds the dense index from the vectors stored under the embedder's key (none: keyword search only). The adapter
   * goes with the old embedder: a search before the new one's adapter is read (readAdapterQuietly) runs without one,
   * not with weights of the old dimensions.
   */
  const openDense = async ({ embedder, voyWasmUrl, denseIndex }: Omit<SearchOpenParams, 'dbName'>, expect: Expect) => {
    dense = null;
    denseKind = null;
    adapter = null;
    embedderId = embedder?.key ?? null;
    embedderDims = embedder?.dims ?? null;
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

  /**
   * Both libraries' hits, fused: dense and keyword lists of the private library and of the published one, each
   * ranked within its own library (BM25 scores of two corpora do not compare; ranks do). A published library that
   * fails (a damaged shard, the network) is left out of this search, and the failure said in the search note.
   */
  const search = async ({ vector: raw, text, k, filters, weights, only }: SearchParams, expect: Expect) => {
    const filter = filterFor(filters);
    // The query adapter moves the query only; the stored document vectors stay as they are.
    const vector = raw && adapter ? adaptQueries(adapter, raw) : raw;
    // `only` leaves the other kind of search out (BM25-only and dense-only runs of the evaluation); a weight of 0 does
    // not: its hits still come as candidates, ranked last by the fusion.
    const useKeyword = only !== 'dense';
    const keywordHits = useKeyword ? keyword.search(text, { k: FIRST_STAGE, filter: filter ?? undefined }) : [];
    let denseHits: { id: string; score: number }[] = [];
    if (vector && dense && only !== 'keyword') {
      denseHits = filter
        ? dense.scoreIds(vector, [...meta.keys()].filter(filter), FIRST_STAGE)
        : dense.search(vector, FIRST_STAGE);
    }
    let pubKeyword: { id: string; score: number }[] = [];
    let pubDense: { id: string; score: number }[] = [];
    if (published) {
      const { library, denseOk, url } = published;
      try {
        expect(PUBLISHED_DEADLINE_MS + searchBudget(k));
        if (useKeyword) {
          const keywordHits = library
            .keywordSearch(text, FIRST_STAGE, filter ?? undefined)
            .finally(firstPublishedSearch);
          pubKeyword = await withDeadline(keywordHits, PUBLISHED_DEADLINE_MS, url);
        }
        const index = denseOk && only !== 'keyword' ? library.denseIndex : null;
        if (vector && index)
          pubDense = filter
            ? index.scoreIds(vector, library.ids.filter(filter), FIRST_STAGE)
            : index.search(vector, FIRST_STAGE);
      } catch (err) {
        publishedFailure = toAppError(err).message;
      } finally {
        expect(searchBudget(k));
      }
    }
    const lists = [denseHits, keywordHits, pubDense, pubKeyword];
    const fused = reciprocalRankFusion(
      lists.map((hits, i) => ({ hits, weight: i % 2 === 0 ? weights.dense : weights.keyword })),
      { limit: k },
    );
    const at = (list: number, rank: number | null | undefined) =>
      rank ? { rank, score: lists[list]![rank - 1]!.score } : null;
    return fused.map((f) => {
      const [d, kw, pd, pk] = f.ranks;
      return {
        id: f.id,
        score: f.score,
        dense: at(0, d) ?? at(2, pd),
        keyword: at(1, kw) ?? at(3, pk),
      };
    });
  };

  const rerank = async ({ query, ids, topK, gpu, skip }: RerankParams, expect: Expect) => {
    const skipped = new Set(skip);
    const pub = published;
    const own = pub ? ids.filter((id) => !pub.library.has(id)) : ids;
    const rows = await getTokenVectors(need(), own);
    const docs: Int8DocTokens[] = [];
    const texts = new Map<string, string[]>();
    rows.forEach((row, i) => {
      if (!row || row.dims !== query.dims || row.modelId !== lateModelId) return;
      texts.set(own[i]!, row.tokenTexts);
      const q8 = storedToInt8(row);
      docs.push({ id: own[i]!, data: q8.data, tokens: row.tokens, scales: q8.scales });
    });
    if (pub?.lateOk && pub.library.manifest.models.late?.dims === query.dims) {
      try {
        expect(PUBLISHED_DEADLINE_MS + rerankBudget({ query, ids, topK, gpu, skip }));
        const theirs = ids.filter((id) => pub.library.has(id)).slice(0, PUBLISHED_RERANK_MAX);
        for (const row of await withDeadline(pub.library.tokenRows(theirs), PUBLISHED_DEADLINE_MS, pub.url)) {
          texts.set(row.doc.id, row.texts);
          docs.push(row.doc);
        }
      } catch (err) {
        // Its passages stay in the fused order, unscored, like chunks without token vectors.
        publishedFailure = toAppError(err).message;
      } finally {
        expect(rerankBudget({ query, ids, topK, gpu, skip }));
      }
    }
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
        hits = cpuRerank(q, docs, topK);
      }
    } else {
      hits = cpuRerank(q, docs, topK);
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

  /** Rebuilds both indexes from every stored row: the path without a usable snapshot. */
  const rebuild = async (params: SearchOpenParams, expect: Expect): Promise<number> => {
    const d = need();
    meta.clear();
    const docs = new Map((await listDocuments(d)).map((doc) => [doc.id, doc]));
    keyword = new Bm25Index();
    await forEachKeywordRow(d, (row) => {
      const doc = docs.get(row.docId);
      if (!doc) return;
      meta.set(row.chunkId, { docId: row.docId, kind: doc.kind, addedAt: doc.addedAt });
      keyword.importDoc({ id: row.chunkId, length: row.length, terms: row.terms, freqs: row.freqs });
      if (keyword.size % ROWS_PER_BEAT === 0) expect(budgets.index(pace, ROWS_PER_BEAT));
    });
    const keywordAt = performance.now();
    await openDense(params, expect);
    return keywordAt;
  };

  /**
   * Opens from the snapshot when one is stored: restore, replay the documents journaled after it, then check the
   * counts against the rows (keyword rows; the embedder's vector rows). A damaged snapshot, a failed check or a
   * journal that says every row changed rebuilds from the rows (a dense count alone rebuilds only the dense index).
   */
  const openIndexes = async (params: SearchOpenParams, expect: Expect): Promise<SearchOpened> => {
    const started = performance.now();
    db?.close();
    db = await openLecternDB(params.dbName);
    const stored = await readSnapshot(db, params.embedder?.key ?? null);
    let from: SearchOpened['from'] = 'rows';
    let replayed = 0;
    let keywordAt = 0;
    let rebuildAll = !stored.snapshot || stored.changed.includes('*');
    if (!rebuildAll) {
      try {
        ({ keywordAt, replayed } = await restoreAndReplay(stored, params, expect));
        from = 'snapshot';
        if (keyword.size !== stored.counts.keywords) [from, rebuildAll] = ['repaired', true];
        else if (dense && denseKind === 'exact' && dense.size !== stored.counts.vectors) {
          // Keywords agree, the dense rows do not: only the dense index is built again.
          await openDense(params, expect);
          from = 'repaired';
        }
      } catch {
        // A snapshot that does not restore (damaged parts, another layout) is rebuilt from the rows, and replaced.
        [from, rebuildAll] = ['repaired', true];
      }
    }
    if (rebuildAll) keywordAt = await rebuild(params, expect);
    await readAdapterQuietly();
    snapshotSeq = stored.latest;
    changesSinceSnapshot = 0;
    dirty = from !== 'snapshot' || replayed > 0;
    const now = performance.now();
    return {
      chunks: keyword.size,
      ms: now - started,
      keywordMs: keywordAt - started,
      dense: denseKind,
      from,
      replayed,
    };
  };

  /** The indexes from the snapshot, and the documents journaled after it replayed from their rows. */
  const restoreAndReplay = async (stored: StoredSnapshot, params: SearchOpenParams, expect: Expect) => {
    expect(budgets.index(pace, stored.snapshot!.chunks.ids.length));
    const live = restoreSnapshot(stored.snapshot!, params.embedder, pickDenseIndex(params.denseIndex));
    ({ meta, keyword } = live);
    const keywordAt = performance.now();
    // As in openDense: the old embedder's adapter is not applied until the new one's is read.
    adapter = null;
    embedderId = params.embedder?.key ?? null;
    embedderDims = params.embedder?.dims ?? null;
    if (live.dense) [dense, denseKind] = [live.dense, 'exact'];
    else await openDense(params, expect);
    const ids = stored.changed;
    if (ids.length)
      await syncIndexes(need(), embedderId, { added: ids, removed: ids }, () => ({ meta, keyword, dense }));
    return { keywordAt, replayed: ids.length };
  };

  /** Stores a snapshot after `delayMs` of no further changes (a change in between starts the wait again). */
  const scheduleSnapshot = (delayMs: number) => {
    if (snapshotTimer) clearTimeout(snapshotTimer);
    snapshotTimer = setTimeout(() => void storeSnapshot(), delayMs);
  };

  /**
   * Writes one snapshot at a time, never while the indexes open (they are half built): a call meanwhile waits for
   * the open and for a write in progress, then writes its own if anything changed since the last.
   */
  const storeSnapshot = async (): Promise<boolean> => {
    if (snapshotTimer) clearTimeout(snapshotTimer);
    snapshotTimer = null;
    while (opening || writing) await (opening ?? writing);
    writing = saveSnapshot().finally(() => (writing = null));
    return writing;
  };

  const changed = (docs: number) => {
    changesSinceSnapshot += docs;
    dirty = true;
    scheduleSnapshot(changesSinceSnapshot >= SNAPSHOT_EVERY ? 0 : snapshotIdleMs);
  };

  /**
   * Brings the live indexes up to the newest journal entry (replaying the documents changed since the last snapshot,
   * whose add may not have reached this worker yet), then stores them. A snapshot only saves time: any failure
   * (quota, a closed database) leaves the journal, which the next open replays. Once another tab has stored a newer
   * snapshot, this worker stops storing any (see writeSnapshot): its indexes may lack changes whose journal entries
   * that write dropped, and the next start restores the newer one.
   */
  const saveSnapshot = async (): Promise<boolean> => {
    const d = db;
    if (!d || superseded) return false;
    try {
      const since = await journalSince(d, snapshotSeq);
      if (since.changed.includes('*')) return false;
      if (!dirty && since.changed.length === 0) return false;
      if (since.changed.length)
        await syncIndexes(d, embedderId, { added: since.changed, removed: since.changed }, () => ({
          meta,
          keyword,
          dense,
        }));
      if (d !== db || opening) return false;
      const snapshot = captureSnapshot({ meta, keyword, dense }, embedderId);
      if (!(await writeSnapshot(d, snapshot, since.latest, snapshotSeq))) {
        superseded = true;
        return false;
      }
      snapshotSeq = since.latest;
      changesSinceSnapshot = 0;
      dirty = false;
      return true;
    } catch (err) {
      // See above: the journal still covers every change. Said in the console, for whoever diagnoses a slow start.
      const e = toAppError(err);
      console.warn('Lectern: the search index snapshot was not stored:', e.message, JSON.stringify(e.details));
      return false;
    }
  };

  return {
    open: async (params, ctx) => {
      // Storage reads come in pages: a base for each stretch of rows, then the dense build's own share.
      ctx.expect(budgets.index(pace, ROWS_PER_BEAT));
      const run = openIndexes(params, ctx.expect);
      opening = run;
      try {
        const opened = await run;
        superseded = false;
        if (dirty) scheduleSnapshot(0);
        return opened;
      } finally {
        if (opening === run) opening = null;
      }
    },

    saveSnapshot: async (_params, ctx) => {
      ctx.expect(budgets.index(pace, keyword.size));
      return storeSnapshot();
    },

    useEmbedder: async (params, ctx) => {
      ctx.expect(budgets.index(pace, 0));
      await openDense(params, ctx.expect);
      await readAdapterQuietly();
      // The stored snapshot holds another embedder's rows (or none): store this one's, so the next start restores it.
      dirty = true;
      scheduleSnapshot(snapshotIdleMs);
      return { dense: denseKind };
    },

    add: async ({ ids, meta: m, vectors, keywords }, ctx) => {
      ctx.expect(changeBudget(ids.length));
      for (const id of ids) meta.set(id, m);
      for (const row of keywords) keyword.importDoc(row);
      if (vectors && dense) dense.add(ids, vectors);
      changed(1);
      return { chunks: keyword.size };
    },

    addVectors: async ({ ids, vectors }, ctx) => {
      ctx.expect(changeBudget(ids.length));
      // Chunks deleted while their vectors were being made are not brought back.
      const live = ids.filter((id) => meta.has(id));
      if (!dense || live.length === 0) return;
      changed(1);
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
      changed(1);
      return { chunks: keyword.size };
    },

    // Another tab changed the library: read its rows here, from storage (see index-sync.ts).
    sync: async (change, ctx) => {
      ctx.expect(budgets.index(pace, 0));
      const docs = await syncIndexes(need(), embedderId, change, () => ({ meta, keyword, dense }));
      changed(change.added.length + change.removed.length);
      return docs;
    },

    search: async (params, ctx) => {
      ctx.expect(searchBudget(params.k));
      return search(params, ctx.expect);
    },

    rerank: async (params, ctx) => {
      ctx.expect(rerankBudget(params));
      return rerank(params, ctx.expect);
    },

    openPublished: async ({ url, embedder: mine, late: myLate }, ctx) => {
      ctx.expect(NETWORK_WAIT_MS);
      const at = libraryUrl(url);
      const manifest = await fetchManifest(at);
      const library = new PublishedLibrary(manifest, shardLoader(at, fetched));
      const sameModel = (a: typeof mine, b: typeof manifest.models.embedder) =>
        a !== null && b !== null && a.id === b.id && a.revision === b.revision && a.dims === b.dims;
      // Same model but other settings (pooling, prefixes, …) make other vectors: compared where the library says.
      const sameSettings = async (a: typeof mine, b: typeof manifest.models.embedder) =>
        !b?.fingerprint || (a?.spec !== undefined && (await fingerprintOf(a.spec)) === b.fingerprint);
      const theirs = manifest.models.embedder;
      const denseNamed = sameModel(mine, theirs);
      const denseOk = denseNamed && (await sameSettings(mine, theirs));
      const lateOk = sameModel(myLate, manifest.models.late) && (await sameSettings(myLate, manifest.models.late));
      published = { library, url: at.href, denseOk, lateOk };
      searchedPublished = new Promise<void>((resolve) => (firstPublishedSearch = resolve));
      const runs = denseNamed
        ? 'the same model with other settings (pooling, prefixes or length)'
        : mine
          ? `${mine.id}@${mine.revision} (${mine.dims})`
          : 'none';
      const mismatch =
        theirs && !denseOk
          ? `It was built with the embedding model ${theirs.id}@${theirs.revision} (${theirs.dims} dimensions), and this app runs ${runs}: its passages are searched by keywords only, so the two models' vectors are never mixed.`
          : null;
      return {
        url: at.href,
        name: manifest.name,
        createdAt: manifest.createdAt,
        documents: manifest.documents.map((d) => ({
          id: d.id,
          name: d.name,
          title: d.title,
          kind: d.kind,
          chunks: d.chunks,
          file: d.file ? new URL(d.file, at).href : null,
        })),
        passages: manifest.counts.passages,
        bytes: manifest.counts.bytes,
        dense: !theirs ? 'none' : denseOk ? 'loading' : 'mismatch',
        mismatch,
        rerank: lateOk,
      };
    },

    loadPublished: async (_params, ctx) => {
      if (!published) throw new AppError('INDEX_NOT_OPEN');
      const { library, denseOk } = published;
      const { keywords, dense } = library.manifest;
      const denseFiles = denseOk ? (dense?.length ?? 0) : 0;
      const keywordBytes = keywords.shards.reduce((n, s) => n + s.bytes, 0);
      const allKeywords = keywordBytes <= PREFETCH_KEYWORDS_MAX;
      const total = denseFiles + (allKeywords ? keywords.shards.length : 0);
      const progress = (done: number) => {
        ctx.expect(NETWORK_WAIT_MS);
        ctx.progress({ done, total });
      };
      progress(0);
      // The first question's own buckets come first: the rest would compete with them for the network.
      await Promise.race([searchedPublished, new Promise((resolve) => setTimeout(resolve, BACKGROUND_AFTER_MS))]);
      if (denseOk) await library.loadDense(progress);
      if (allKeywords) await library.loadKeywords((done) => progress(denseFiles + done));
      return { passages: library.ids.length };
    },

    publishedPassages: async ({ ids }, ctx) => {
      ctx.expect(NETWORK_WAIT_MS);
      return published ? published.library.passages(ids) : ids.map(() => undefined);
    },

    publishedFetched: async () => ({ ...fetched }),

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

    trainAdapter: async (_params, ctx) => {
      ctx.expect(budgets.index(pace, keyword.size));
      const d = need();
      const id = embedderId;
      if (!id || !embedder || !dense) throw new AppError('ADAPTER_NEEDS_EMBEDDER');
      if (training) throw new AppError('ADAPTER_RUNNING');
      training = true;
      try {
        let epochBudget = budgets.index(pace, keyword.size);
        const line = waiting<EmbedderMethods>(embedder, ctx.expect, budgets.peerWait(pace.cores), () => epochBudget)!;
        const record = await trainAdapterRecord(
          id,
          {
            feedback: () => listFeedback(d),
            questions: () => listEvalQuestions(d),
            vectors: () => loadAllVectors(d, id),
            embedQueries: (texts, signal) => line.call('embed', { texts, kind: 'query' }, { signal }),
          },
          {
            signal: ctx.signal,
            onData: ({ rows, dims, queries }) => {
              epochBudget = budgets.adapterEpoch(pace, rows, dims, queries);
              ctx.expect(epochBudget);
            },
            onProgress: (p) => {
              ctx.expect(epochBudget);
              ctx.progress(p);
            },
          },
        );
        await putAdapter(d, record);
        // Another embedder may have come meanwhile: then its own adapter (read with it) stays.
        if (embedderId === id) adapter = activeAdapter(record, embedderDims);
        return summarizeAdapter(record);
      } finally {
        training = false;
      }
    },

    loadAdapter: async (_params, ctx) => {
      ctx.expect(budgets.call(pace));
      return readAdapter();
    },

    setAdapter: async ({ enabled }, ctx) => {
      ctx.expect(budgets.call(pace));
      const record = embedderId ? await setAdapterEnabled(need(), embedderId, enabled) : null;
      adapter = activeAdapter(record, embedderDims);
      return record ? summarizeAdapter(record) : null;
    },

    resetAdapter: async (_params, ctx) => {
      ctx.expect(budgets.call(pace));
      if (embedderId) await deleteAdapter(need(), embedderId);
      adapter = null;
    },
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
        return search(p, ctx.expect);
      },
      rerank: (p: RerankParams) => {
        ctx.expect(rerankBudget(p));
        return rerank(p, ctx.expect);
      },
    };
    publishedFailure = null;
    return retrieve(req, ports, ctx.signal).then((found) => ({ ...found, publishedFailure }));
  }
}
