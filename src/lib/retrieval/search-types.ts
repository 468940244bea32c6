// The search worker's contract: its RPC method map, hits and filters, shared by callers and the service.
import type { WireError } from '../errors';
import type { DocumentKind } from '../ingest/types';
import type { Bm25DocPostings } from './bm25';
import type { DenseIndexKind, DenseIndexPreference } from './vector-index';

export interface SearchOpenParams {
  dbName: string;
  /**
   * The embedder in use, by model key (config/provenance.ts): only vectors stored under this key are searched. Null
   * when no embedding model could load: keyword search still works.
   */
  embedder: { key: string; dims: number } | null;
  voyWasmUrl: string;
  /** `auto` is the exact int8 scan; Voy only when chosen (see VOY_MEASURED in vector-index.ts). */
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
  /** One kind of search alone (the evaluation's BM25-only and dense-only rows); absent: both, as weighted. */
  only?: SearchOnly;
}

/** Which search runs alone when a request asks for one only. */
export type SearchOnly = 'keyword' | 'dense';

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

export interface RerankResult {
  hits: RerankHit[];
  device: 'webgpu' | 'cpu';
  /** Why the rerank ran on the CPU although WebGPU was asked for (the GPU path failed); null otherwise. */
  gpuFailure: string | null;
}

/** How `open` went: where the indexes came from, and how long keyword and dense search took to be ready. */
export interface SearchOpened {
  chunks: number;
  /** Until both indexes were ready. */
  ms: number;
  /** Until keyword search was ready. */
  keywordMs: number;
  dense: DenseIndexKind | null;
  /** 'snapshot': restored (plus `replayed` changed documents); 'rows': rebuilt; 'repaired': the check failed, rebuilt. */
  from: 'snapshot' | 'rows' | 'repaired';
  replayed: number;
}

/** A model as a published library names it: its vectors are searched only with the same id, revision and size. */
export interface PublishedModelRef {
  id: string;
  revision: string;
  dims: number;
  /** Its registry entry, whose vector-changing fields are compared with the library's fingerprint (published/format.ts). */
  spec?: Record<string, unknown>;
}

export interface OpenPublishedParams {
  /** The manifest's URL, absolute. */
  url: string;
  /** The models this app runs: a library made with others is searched by keywords (embedder) or not reranked. */
  embedder: PublishedModelRef | null;
  late: PublishedModelRef | null;
}

/** A published library once its manifest is read: what the library panel lists. */
export interface PublishedOpened {
  url: string;
  name: string;
  createdAt: string;
  documents: { id: string; name: string; title: string; kind: DocumentKind; chunks: number; file: string | null }[];
  passages: number;
  /** Its files' total size. */
  bytes: number;
  /** 'loading': loadPublished brings the vectors in; 'mismatch': another embedder (keywords only); 'none'. */
  dense: 'loading' | 'mismatch' | 'none';
  /** Why its vectors are not searched (another embedder), in plain words; null when they are or there are none. */
  mismatch: string | null;
  /** Whether its passages are reranked (same late-interaction model). */
  rerank: boolean;
}

/** A stored passage as the answer reads it (persistence's ChunkRecord, or a published library's passage). */
export interface PassageRow {
  id: string;
  docId: string;
  ordinal: number;
  text: string;
  start: number;
  end: number;
  headingPath: string[];
  pageStart: number | null;
  pageEnd: number | null;
  tokenCount: number;
  hash: string;
}

export type SearchMethods = {
  /**
   * Cold start: restores the stored index snapshot and replays the documents changed since; without a usable one
   * (or when the check finds it disagrees with the rows) rebuilds both indexes from every stored row.
   */
  open: {
    params: SearchOpenParams;
    result: SearchOpened;
    progress: never;
  };
  /** An embedder loaded after `open` (a retry): builds the dense index from its stored vectors; keywords stay. */
  useEmbedder: {
    params: Omit<SearchOpenParams, 'dbName'>;
    result: { dense: DenseIndexKind | null };
    progress: never;
  };
  /**
   * Stores a snapshot of the indexes now (a pending idle write included); true when one was written. The worker also
   * does this by itself once changes settle.
   */
  saveSnapshot: { params: Record<string, never>; result: boolean; progress: never };
  add: { params: AddParams; result: { chunks: number }; progress: never };
  /** Dense vectors for chunks already indexed by keywords (the backfill), row-major, ids.length × dims. */
  addVectors: { params: { ids: string[]; vectors: Float32Array }; result: void; progress: never };
  remove: { params: { ids: string[] }; result: { chunks: number }; progress: never };
  search: { params: SearchParams; result: SearchHit[]; progress: never };
  rerank: { params: RerankParams; result: RerankResult; progress: never };
  /** A model worker died: fail the calls on its line (a port does not notice its worker dying). */
  peerFailed: { params: { peer: 'embedder' | 'late'; error: WireError }; result: void; progress: never };
  /**
   * Direct lines to the model workers (RpcClient.openPort), for `retrieve`; the reranker's with its model key, so
   * only token vectors it made are scored.
   */
  attach: {
    params: { embedder: MessagePort | null; late: { port: MessagePort; modelId: string } | null };
    result: void;
    progress: never;
  };
  /** Embeds the queries, searches, fuses and reranks here, next to the indexes (see pipelines/retrieve.ts). */
  retrieve: { params: RetrieveRequest; result: Retrieved; progress: never };
  /**
   * Opens a published library beside the private one (read-only; reads its manifest only): from then on every search
   * covers both. A second call replaces the first library.
   */
  openPublished: { params: OpenPublishedParams; result: PublishedOpened; progress: never };
  /**
   * Reads the rest of the published library's index in the background (progress per file): its dense shards when
   * its embedder is this app's (dense search covers it once they are all in), then every keyword bucket when they are
   * small enough (search-service.ts PREFETCH_KEYWORDS_MAX), so later questions fetch nothing chosen by their words.
   */
  loadPublished: {
    params: Record<string, never>;
    result: { passages: number };
    progress: { done: number; total: number };
  };
  /** The published passages behind `ids` (undefined for an id not in it). */
  publishedPassages: { params: { ids: string[] }; result: (PassageRow | undefined)[]; progress: never };
  /** Bytes of the published library read so far, from the network and from the cache (progress, benchmarks). */
  publishedFetched: {
    params: Record<string, never>;
    result: { network: number; cached: number; shards: number };
    progress: never;
  };
};

/** What `retrieve` is asked: see pipelines/retrieve.ts. */
export interface RetrieveRequest {
  /** The query, then any extra phrasings of it (multi-query); the first is the one reranked. */
  queries: string[];
  /** Appended to each query the embedder sees (instruction-following embedders only); empty for none. */
  instructions: string;
  /** First-stage candidates per query, and passages kept in the end. */
  candidates: number;
  topK: number;
  filters: SearchFilters;
  weights: { dense: number; keyword: number };
  /** One kind of search alone ('keyword': no query embedding at all); absent: both. */
  only?: SearchOnly;
  /** Rerank with the late-interaction model (null: fused order only); `skip` is its punctuation skiplist. */
  rerank: { gpu: boolean; skip: string[] } | null;
}

export interface RankedPassage {
  id: string;
  /** The score shown: mean MaxSim when reranked, else the fusion score. */
  score: number;
  /** What the rerank threshold reads; null when not reranked (or not scored: no token vectors). */
  relevance: number | null;
  /** The passage's best cosine over every query: what the dense threshold reads. */
  bestDense: number | null;
  denseScore: number | null;
  keywordScore: number | null;
  matches: TokenMatch[];
  docTokens: string[];
}

/** One stage's ranking: chunk ids best first, with the stage's own scores (feedback and evaluation keep these). */
export interface StageRanking {
  ids: string[];
  scores: number[];
}

/** What each stage ranked, and how long it took (ms), for feedback records and per-stage latency. */
export interface RetrieveTrace {
  /** Dense and keyword candidates by their own score (every query's lists merged by best score); null when absent. */
  dense: StageRanking | null;
  keyword: StageRanking | null;
  /** The first stage's fused order (every candidate, before the cut to topK). */
  fused: StageRanking;
  /** The late-interaction order (mean MaxSim) of every reranked candidate; null when nothing was reranked. */
  reranked: StageRanking | null;
  /** Embedding the queries, first-stage search and fusion, encoding the query for the rerank, and the rerank. */
  ms: { embed: number; search: number; rerank: number };
}

export interface Retrieved {
  /** First-stage candidates found (before the cut to topK). */
  found: number;
  /** Per-stage rankings and timings. */
  trace?: RetrieveTrace;
  passages: RankedPassage[];
  /** Whether the dense index took part (false: keyword search only). */
  dense: boolean;
  /** Where the rerank ran, or null when nothing was reranked. */
  reranked: 'webgpu' | 'cpu' | null;
  /** Why WebGPU was asked for but the CPU reranked, in plain words; null otherwise. */
  gpuFailure: string | null;
  /** Why the published library took no part (a damaged shard, the network), in plain words; null otherwise. */
  publishedFailure?: string | null;
  /** Passages left out because they hold a term the question's instructions exclude (absent: none were). */
  excluded?: number;
}
