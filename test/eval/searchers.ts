// Retrieval modes the evaluator can run; model-backed modes take their embedding backends from the caller.
import { Bm25Index, type Bm25Options } from '../../src/lib/retrieval/bm25';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import {
  DEFAULT_FINAL_ORDER,
  DEFAULT_RERANK_WEIGHT,
  finalOrder,
  type FinalOrder,
} from '../../src/lib/retrieval/final-order';
import { reciprocalRankFusion } from '../../src/lib/retrieval/fusion';
import { maxSimRerank, type QueryTokens } from '../../src/lib/retrieval/maxsim';
import type { ScoredDoc } from '../../src/lib/evaluation';
import type { ChatMessage, JudgeParams, JudgeResult } from '../../src/lib/models/generator/types';

export const MODES = ['bm25', 'dense', 'hybrid', 'rerank'] as const;
export type Mode = (typeof MODES)[number];

export interface EvalDoc {
  id: string;
  title: string;
  text: string;
}

export interface Searcher {
  index(docs: readonly EvalDoc[]): Promise<void>;
  /** Embeds all queries up front (one backend call, so a browser backend can batch its round trips); optional. */
  prepareQueries?(queries: readonly string[]): Promise<void>;
  search(query: string, k: number): Promise<ScoredDoc[]>;
}

/** Single-vector embedder, e.g. the app's transformers.js embedder; rows are L2-normalized. */
export interface DenseBackend {
  dims: number;
  embed(texts: string[], kind: 'query' | 'document'): Promise<Float32Array>;
}

/** Multi-vector (ColBERT-style) embedder; one L2-normalized token matrix per text. */
export interface LateInteractionBackend {
  embedTokens(texts: string[], kind: 'query' | 'document'): Promise<QueryTokens[]>;
}

/** The answer model, for the multi-query rows: one completion of chat messages. */
export interface GeneratorBackend {
  complete(messages: ChatMessage[], maxNewTokens: number): Promise<string>;
  /** Deep mode's judgment (--deep); absent where the backend has none. */
  judge?(params: JudgeParams): Promise<JudgeResult>;
}

export interface Backends {
  dense?: DenseBackend;
  lateInteraction?: LateInteractionBackend;
  generator?: GeneratorBackend;
}

export class ModeUnavailableError extends Error {}

/** How many candidates each first stage hands to fusion or reranking. */
const CANDIDATES = 100;

/** Splits `items` into runs of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new RangeError('chunk size must be at least 1');
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** What gets indexed: title and body together, as BEIR's flat baselines do. */
export function docText(doc: EvalDoc): string {
  return doc.title ? `${doc.title} ${doc.text}` : doc.text;
}

/** How the rerank mode orders: as the app does by default unless told otherwise. */
export interface RerankOptions {
  /** The reranker's order alone, or fused with the first stage's. */
  order: FinalOrder;
  /** How many first-stage candidates are reranked; the rest follow in first-stage order. */
  candidates: number;
  /** The reranker's weight in the fusion. */
  weight: number;
}

/** Builds the searcher for `mode`; throws ModeUnavailableError before any work when a backend is missing. */
export function createSearcher(
  mode: Mode,
  backends: Backends = {},
  bm25?: Bm25Options,
  rerank: RerankOptions = {
    order: DEFAULT_FINAL_ORDER,
    candidates: DEFAULT_SETTINGS.rerankCandidates,
    weight: DEFAULT_RERANK_WEIGHT,
  },
  /** Multi-query: the query followed by its phrasings (the query alone when it has none). */
  expand?: (query: string) => string[],
): Searcher {
  const need = <T>(backend: T | undefined): T => {
    if (backend === undefined)
      throw new ModeUnavailableError(`mode "${mode}" needs the browser runtime; not available in Node`);
    return backend;
  };
  const multi = (first: Searcher) => (expand ? new MultiQuerySearcher(first, expand) : first);
  switch (mode) {
    case 'bm25':
      return multi(new Bm25Searcher(bm25));
    case 'dense':
      return multi(new DenseSearcher(need(backends.dense)));
    case 'hybrid':
      return multi(new HybridSearcher(new Bm25Searcher(bm25), new DenseSearcher(need(backends.dense))));
    case 'rerank': {
      const late = need(backends.lateInteraction);
      const first = backends.dense
        ? new HybridSearcher(new Bm25Searcher(bm25), new DenseSearcher(backends.dense))
        : new Bm25Searcher(bm25);
      return new RerankSearcher(multi(first), late, rerank);
    }
  }
}

/**
 * Multi-query, as the app's retrieve does it: the query and its phrasings (`expand`) each searched, the lists fused
 * by reciprocal rank; a reranker above it reranks with the query as asked.
 */
class MultiQuerySearcher implements Searcher {
  constructor(
    private readonly inner: Searcher,
    private readonly expand: (query: string) => string[],
  ) {}
  async index(docs: readonly EvalDoc[]): Promise<void> {
    await this.inner.index(docs);
  }
  async prepareQueries(queries: readonly string[]): Promise<void> {
    await this.inner.prepareQueries?.(queries.flatMap((q) => this.expand(q)));
  }
  async search(query: string, k: number): Promise<ScoredDoc[]> {
    const queries = this.expand(query);
    if (queries.length === 1) return this.inner.search(query, k);
    const lists: ScoredDoc[][] = [];
    for (const q of queries) lists.push(await this.inner.search(q, k));
    return reciprocalRankFusion(lists, { limit: k }).map(({ id, score }) => ({ id, score }));
  }
}

class Bm25Searcher implements Searcher {
  private readonly bm25: Bm25Index;
  constructor(options?: Bm25Options) {
    this.bm25 = new Bm25Index(options);
  }
  async index(docs: readonly EvalDoc[]): Promise<void> {
    for (const doc of docs) this.bm25.add(doc.id, docText(doc));
  }
  async search(query: string, k: number): Promise<ScoredDoc[]> {
    return this.bm25.search(query, { k });
  }
}

/** Exact (brute-force) cosine search: the evaluation reference, not the app's index. */
class DenseSearcher implements Searcher {
  private ids: string[] = [];
  private vectors: Float32Array = new Float32Array(0);
  private readonly queryVectors = new Map<string, Float32Array>();
  constructor(private readonly backend: DenseBackend) {}
  async index(docs: readonly EvalDoc[]): Promise<void> {
    this.ids = docs.map((d) => d.id);
    this.vectors = await this.backend.embed(docs.map(docText), 'document');
  }
  async prepareQueries(queries: readonly string[]): Promise<void> {
    const todo = [...new Set(queries)].filter((q) => !this.queryVectors.has(q));
    if (todo.length === 0) return;
    const dims = this.backend.dims;
    const v = await this.backend.embed(todo, 'query');
    todo.forEach((q, i) => this.queryVectors.set(q, v.subarray(i * dims, (i + 1) * dims)));
  }
  async search(query: string, k: number): Promise<ScoredDoc[]> {
    const q = this.queryVectors.get(query) ?? (await this.backend.embed([query], 'query'));
    const dims = this.backend.dims;
    const hits = this.ids.map((id, row) => {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += q[j]! * this.vectors[row * dims + j]!;
      return { id, score: dot };
    });
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
  }
}

class HybridSearcher implements Searcher {
  constructor(
    private readonly sparse: Searcher,
    private readonly dense: Searcher,
  ) {}
  async index(docs: readonly EvalDoc[]): Promise<void> {
    await this.sparse.index(docs);
    await this.dense.index(docs);
  }
  async prepareQueries(queries: readonly string[]): Promise<void> {
    await this.sparse.prepareQueries?.(queries);
    await this.dense.prepareQueries?.(queries);
  }
  async search(query: string, k: number): Promise<ScoredDoc[]> {
    const n = Math.max(k, CANDIDATES);
    const [s, d] = await Promise.all([this.sparse.search(query, n), this.dense.search(query, n)]);
    return reciprocalRankFusion([s, d], { limit: k }).map(({ id, score }) => ({ id, score }));
  }
}

/**
 * First stage, then MaxSim over the top candidates' token vectors (embedded lazily, cached), ordered as the app orders
 * them (finalOrder); candidates past the reranked ones follow in first-stage order, as they never reach the app.
 */
class RerankSearcher implements Searcher {
  private texts = new Map<string, string>();
  private tokens = new Map<string, QueryTokens>();
  private readonly queryTokens = new Map<string, QueryTokens>();
  constructor(
    private readonly first: Searcher,
    private readonly backend: LateInteractionBackend,
    private readonly options: RerankOptions,
  ) {}
  async index(docs: readonly EvalDoc[]): Promise<void> {
    for (const d of docs) this.texts.set(d.id, docText(d));
    await this.first.index(docs);
  }
  async prepareQueries(queries: readonly string[]): Promise<void> {
    await this.first.prepareQueries?.(queries);
    const todo = [...new Set(queries)].filter((q) => !this.queryTokens.has(q));
    if (todo.length === 0) return;
    const embedded = await this.backend.embedTokens(todo, 'query');
    todo.forEach((q, i) => this.queryTokens.set(q, embedded[i]!));
  }
  async search(query: string, k: number): Promise<ScoredDoc[]> {
    const candidates = await this.first.search(query, Math.max(k, CANDIDATES));
    const head = candidates.slice(0, this.options.candidates);
    const missing = head.map((c) => c.id).filter((id) => !this.tokens.has(id));
    if (missing.length > 0) {
      const embedded = await this.backend.embedTokens(
        missing.map((id) => this.texts.get(id) ?? ''),
        'document',
      );
      missing.forEach((id, i) => this.tokens.set(id, embedded[i]!));
    }
    const q = this.queryTokens.get(query) ?? (await this.backend.embedTokens([query], 'query'))[0];
    const docs = head.map((c) => ({
      id: c.id,
      data: this.tokens.get(c.id)!.data,
      tokens: this.tokens.get(c.id)!.tokens,
    }));
    const reranked = finalOrder(head, maxSimRerank(q!, docs, docs.length), {
      order: this.options.order,
      rerankWeight: this.options.weight,
    });
    // Scored by position: the metrics sort by score (trec_eval's order), and MaxSim and fusion scores do not mix.
    const ordered = [...reranked, ...candidates.slice(head.length)].slice(0, k);
    return ordered.map(({ id }, i) => ({ id, score: ordered.length - i }));
  }
}
