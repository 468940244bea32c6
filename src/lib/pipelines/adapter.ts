// The relevance adapter in the app (#15): its training data from the user's judgments and the synthetic questions,
// training and storing it (run by the search worker, next to the stored vectors), and its RPC surface.
import { AppError } from '../errors';
import type { AdapterRecord, EvalQuestionRecord } from '../persistence';
import { feedbackKey, mineFeedback, type FeedbackSignals } from '../learn/mine';
import type { QueryAdapter } from '../learn/query-adapter';
import {
  MIN_ADAPTER_QUERIES,
  TooFewExamplesError,
  trainAdapter,
  type AdapterExample,
  type AdapterProgress,
  type AdapterTrainOptions,
  type AdapterTrainingSet,
} from '../learn/train-adapter';

export { MIN_ADAPTER_QUERIES, type AdapterProgress };

/** An adapter as the UI sees it: the stored record without its weights. */
export type AdapterSummary = Omit<AdapterRecord, 'weights'>;

export type AdapterMethods = {
  /**
   * Trains an adapter for the embedder in use on the stored feedback and synthetic questions, stores it and (when it
   * beat the identity on the held-out questions) uses it for every later search. Progress per epoch; abortable.
   */
  trainAdapter: { params: Record<string, never>; result: AdapterSummary; progress: AdapterProgress };
  /** Reads the stored adapter of the embedder in use again (after an import) and uses it when it is on. */
  loadAdapter: { params: Record<string, never>; result: AdapterSummary | null; progress: never };
  /** Switches the stored adapter on or off; null when there is none. */
  setAdapter: { params: { enabled: boolean }; result: AdapterSummary | null; progress: never };
  /** Deletes the stored adapter: searches use the embedder's query vectors as they are. */
  resetAdapter: { params: Record<string, never>; result: void; progress: never };
};

/** What assembling the training data needs: storage reads and the embedder. */
export interface AdapterDataPorts {
  /** Every feedback record. */
  feedback(): Promise<readonly FeedbackSignals[]>;
  /** The evaluation set's questions (synthetic ones are used). */
  questions(): Promise<readonly EvalQuestionRecord[]>;
  /** The embedder's stored document vectors: row i of `data` is chunk ids[i]. */
  vectors(): Promise<{ ids: string[]; dims: number; data: Float32Array }>;
  /** Query vectors (rows × dims, L2-normalized), as retrieval embeds a question. */
  embedQueries(texts: string[], signal: AbortSignal): Promise<Float32Array>;
}

export interface AdapterData {
  set: AdapterTrainingSet;
  /** Queries with at least one positive among the stored vectors, by where they came from. */
  sources: { feedback: number; synthetic: number };
}

/** Queries embedded per call (each call is a sign of life for the worker's watchdog). */
const EMBED_BATCH = 16;

/** Too few queries with a positive to train on (the same count trainAdapter checks, made before embedding any). */
function tooFew(queries: number): AppError {
  return new AppError('ADAPTER_TOO_FEW_QUERIES', undefined, { queries, needed: MIN_ADAPTER_QUERIES });
}

/**
 * The training set: judged feedback (mined positives and hard negatives, learn/mine.ts) and synthetic questions with
 * their gold passages, as rows of the embedder's stored vectors. Passages without a stored vector (deleted documents,
 * another embedder's) are left out, and so are queries left without a positive. Throws ADAPTER_TOO_FEW_QUERIES with
 * fewer than MIN_ADAPTER_QUERIES queries (before embedding any).
 */
export async function assembleAdapterData(ports: AdapterDataPorts, signal: AbortSignal): Promise<AdapterData> {
  const [records, questions, stored] = await Promise.all([ports.feedback(), ports.questions(), ports.vectors()]);
  const row = new Map(stored.ids.map((id, i) => [id, i]));
  const rows = (ids: readonly string[]) => ids.filter((id) => row.has(id)).map((id) => row.get(id)!);
  const wanted: { key: string; text: string; positives: number[]; negatives: number[] }[] = [];
  let feedback = 0;
  let synthetic = 0;
  for (const q of mineFeedback(records)) {
    const positives = rows(q.positives);
    if (!positives.length) continue;
    const negatives = rows(q.negatives.map((n) => n.id));
    wanted.push({ key: feedbackKey(q.query), text: q.query, positives, negatives });
    feedback++;
  }
  for (const q of questions) {
    if (q.origin !== 'synthetic') continue;
    const positives = rows(q.chunkIds);
    if (!positives.length || !q.text.trim()) continue;
    wanted.push({ key: `synthetic:${q.id}`, text: q.text, positives, negatives: [] });
    synthetic++;
  }
  if (wanted.length < MIN_ADAPTER_QUERIES) throw tooFew(wanted.length);
  const dims = stored.dims;
  const vectors = new Float32Array(wanted.length * dims);
  for (let at = 0; at < wanted.length; at += EMBED_BATCH) {
    signal.throwIfAborted();
    const batch = wanted.slice(at, at + EMBED_BATCH).map((q) => q.text);
    const out = await ports.embedQueries(batch, signal);
    if (out.length !== batch.length * dims)
      throw new AppError('EMBEDDING_DIMS_MISMATCH', undefined, { got: out.length / batch.length, dims });
    vectors.set(out, at * dims);
  }
  const examples: AdapterExample[] = wanted.map((q, i) => ({
    key: q.key,
    query: vectors.subarray(i * dims, (i + 1) * dims),
    positives: q.positives,
    negatives: q.negatives,
  }));
  return { set: { dims, docs: stored.data, examples }, sources: { feedback, synthetic } };
}

/**
 * Assembles the data, trains (learn/train-adapter.ts) and returns the record to store: on when it beat the identity on
 * the held-out questions. Aborting stops it with ABORTED; too few queries is ADAPTER_TOO_FEW_QUERIES.
 */
export async function trainAdapterRecord(
  embedderId: string,
  ports: AdapterDataPorts,
  hooks: {
    signal: AbortSignal;
    /** The data is assembled: training starts on `queries` queries over `rows` document rows. */
    onData?: (size: { rows: number; dims: number; queries: number }) => void;
    onProgress?: (p: AdapterProgress) => void;
    now?: () => number;
  },
  options: Partial<AdapterTrainOptions> = {},
): Promise<AdapterRecord> {
  const { set, sources } = await assembleAdapterData(ports, hooks.signal);
  hooks.onData?.({ rows: set.docs.length / set.dims, dims: set.dims, queries: set.examples.length });
  try {
    const trained = await trainAdapter(set, options, { signal: hooks.signal, onProgress: hooks.onProgress });
    return {
      embedderId,
      dims: set.dims,
      weights: trained.adapter.weights,
      enabled: trained.enabled,
      heldOut: trained.heldOut,
      trainQueries: trained.trainQueries,
      trainedOn: trained.trainKeys,
      trainPairs: trained.trainPairs,
      sources,
      trainedAt: (hooks.now ?? Date.now)(),
    };
  } catch (err) {
    if (err instanceof TooFewExamplesError) throw tooFew(err.queries);
    if (hooks.signal.aborted) throw new AppError('ABORTED');
    throw err;
  }
}

/** The adapter searches apply for this embedder: the stored one when it is on and fits its vectors; else none. */
export function activeAdapter(record: AdapterRecord | null, dims: number | null): QueryAdapter | null {
  if (!record?.enabled || record.dims !== dims || record.weights.length !== dims * dims) return null;
  return { dims: record.dims, weights: record.weights };
}

export function summarizeAdapter(record: AdapterRecord): AdapterSummary {
  const { weights: _weights, ...summary } = record;
  return summary;
}
