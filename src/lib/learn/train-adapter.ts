// Trains the query adapter with an in-batch-negatives contrastive loss (InfoNCE), gated on a held-out split.
//
// Each training pair is (query, one of its positives). Its candidates are its own positive, the other pairs' positives
// in the batch (unless they are positives of this query too) and its hard negatives. The loss is the cross-entropy of
// softmax(cos(normalize(W q), d) / temperature) at its positive; W starts at the identity, is pulled back towards it
// (`identityPull`, an L2 penalty on W − I, inside Adam's gradient, so Adam rescales it per weight) and moves with Adam
// for a fixed number of epochs. The held-out split is whole queries (one query's pairs never straddle it), scored by
// nDCG@10 over every document row. It decides only whether the adapter is used: the last epoch's weights are kept,
// not the best-scoring epoch's, so the gate compares two numbers the split did not choose (picking the best of many
// epochs on the same queries would make "after ≥ before" hold by construction).
import { ndcgAt, type ScoredDoc } from '../evaluation/metrics';
import { seededRandom } from '../evaluation/sample';
import { identityAdapter, projectQuery, type QueryAdapter } from './query-adapter';

export interface AdapterExample {
  /** The query's identity: examples with the same key are one query (and land on one side of the split). */
  key: string;
  /** The embedder's query vector (L2-normalized). */
  query: Float32Array;
  /** Rows of `docs` judged relevant. */
  positives: readonly number[];
  /** Rows of `docs` judged not relevant although the search ranked them high. */
  negatives: readonly number[];
}

export interface AdapterTrainingSet {
  dims: number;
  /** Document vectors, rows × dims, L2-normalized: the candidates the held-out split is ranked over. */
  docs: Float32Array;
  examples: readonly AdapterExample[];
}

export interface AdapterTrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  temperature: number;
  /** Weight of the L2 penalty on W − I. */
  identityPull: number;
  /** Hard negatives used per pair (the first ones listed). */
  hardNegatives: number;
  /** Share of the queries held out for validation. */
  heldOut: number;
  /** The held-out nDCG@10 must rise by more than this for the adapter to be enabled. */
  minGain: number;
  seed: number;
}

/**
 * First choices, not tuned: on SciFact's train split (`npm run eval -- --adapter qrels/train.tsv`) its held-out nDCG@10
 * still rose at the last epoch. The held-out split, not these values, decides whether the adapter is used.
 */
export const DEFAULT_ADAPTER_OPTIONS: AdapterTrainOptions = {
  epochs: 20,
  batchSize: 32,
  learningRate: 5e-4,
  temperature: 0.05,
  identityPull: 1e-3,
  hardNegatives: 4,
  heldOut: 0.2,
  minGain: 0,
  seed: 1,
};

/** Fewer queries than this cannot be split into a training and a held-out part worth trusting. */
export const MIN_ADAPTER_QUERIES = 8;

export interface AdapterEpoch {
  epoch: number;
  loss: number;
  heldOut: number;
}

export type AdapterProgress = AdapterEpoch & { epochs: number };

export interface TrainedAdapter {
  /** The weights after the last epoch. */
  adapter: QueryAdapter;
  /** Whether those weights beat the identity on the held-out split by more than `minGain`. */
  enabled: boolean;
  /** Held-out nDCG@10 with the identity, and with the last epoch's weights. */
  heldOut: { before: number; after: number; queries: number };
  trainQueries: number;
  /** The training split's query keys, sorted (an evaluation leaves these queries out: they would flatter it). */
  trainKeys: string[];
  trainPairs: number;
  epochs: AdapterEpoch[];
}

export class TooFewExamplesError extends Error {
  constructor(readonly queries: number) {
    super(`the adapter needs at least ${MIN_ADAPTER_QUERIES} judged queries; there are ${queries}`);
    this.name = 'TooFewExamplesError';
  }
}

/** Splits examples by query key: about `share` of the keys (at least 2) held out, chosen by a seeded shuffle. */
export function splitByQuery(
  examples: readonly AdapterExample[],
  share: number,
  seed: number,
): { train: AdapterExample[]; heldOut: AdapterExample[] } {
  const keys = [...new Set(examples.map((e) => e.key))];
  const random = seededRandom(seed);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [keys[i], keys[j]] = [keys[j]!, keys[i]!];
  }
  const held = new Set(keys.slice(0, Math.max(2, Math.round(keys.length * share))));
  return {
    train: examples.filter((e) => !held.has(e.key)),
    heldOut: examples.filter((e) => held.has(e.key)),
  };
}

/** Mean nDCG@10 of `examples` ranking every document row with the adapted query (binary relevance). */
export function heldOutNdcg(adapter: QueryAdapter, docs: Float32Array, examples: readonly AdapterExample[]): number {
  const { dims } = adapter;
  const rows = docs.length / dims;
  const u = new Float32Array(dims);
  let sum = 0;
  let n = 0;
  for (const e of examples) {
    projectQuery(adapter, e.query, u);
    // The ten best rows, kept sorted (a full sort per query would dominate on a large library).
    const top: ScoredDoc[] = [];
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      for (let j = 0; j < dims; j++) dot += u[j]! * docs[r * dims + j]!;
      if (top.length === 10 && dot <= top[9]!.score) continue;
      let at = top.length;
      while (at > 0 && top[at - 1]!.score < dot) at--;
      top.splice(at, 0, { id: String(r), score: dot });
      if (top.length > 10) top.pop();
    }
    const score = ndcgAt(top, new Map(e.positives.map((p) => [String(p), 1])), 10);
    if (score !== null) {
      sum += score;
      n++;
    }
  }
  return n ? sum / n : 0;
}

/**
 * One pair's loss, −log softmax(cos(normalize(W q), d_c) / τ) at candidate 0 (its positive), and its gradient with
 * respect to W, times `scale`, added into `grad`. `u` and `du` are scratch rows of `dims`. Returns null for a query
 * the adapter maps to zero (no direction to score).
 */
export function addPairGradient(
  adapter: QueryAdapter,
  query: Float32Array,
  docs: Float32Array,
  candidates: readonly number[],
  temperature: number,
  scale: number,
  grad: Float32Array,
  u: Float32Array = new Float32Array(adapter.dims),
  du: Float32Array = new Float32Array(adapter.dims),
): number | null {
  const { dims } = adapter;
  const norm = projectQuery(adapter, query, u);
  if (norm === 0) return null;
  for (let i = 0; i < dims; i++) u[i]! /= norm;
  const logits = candidates.map((row) => {
    let dot = 0;
    for (let j = 0; j < dims; j++) dot += u[j]! * docs[row * dims + j]!;
    return dot / temperature;
  });
  const max = Math.max(...logits);
  const exps = logits.map((l) => Math.exp(l - max));
  const z = exps.reduce((a, b) => a + b, 0);
  // dL/dû = Σ_c (p_c − y_c) d_c / τ, then through the normalization: dL/du = (dL/dû − û (û·dL/dû)) / |u|.
  du.fill(0);
  candidates.forEach((row, c) => {
    const coef = (exps[c]! / z - (c === 0 ? 1 : 0)) / temperature;
    for (let j = 0; j < dims; j++) du[j]! += coef * docs[row * dims + j]!;
  });
  let along = 0;
  for (let j = 0; j < dims; j++) along += u[j]! * du[j]!;
  for (let i = 0; i < dims; i++) {
    const g = ((du[i]! - u[i]! * along) / norm) * scale;
    const row = i * dims;
    for (let j = 0; j < dims; j++) grad[row + j]! += g * query[j]!;
  }
  return -(logits[0]! - max - Math.log(z));
}

/** Lets the worker's message loop run (an abort arrives as a message) without yielding after every batch. */
function yielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < 50) return;
    await new Promise((r) => setTimeout(r, 0));
    last = performance.now();
  };
}

/**
 * Trains an adapter on `set`; `onProgress` hears each epoch. Throws TooFewExamplesError below MIN_ADAPTER_QUERIES
 * queries, and the signal's reason when aborted.
 */
export async function trainAdapter(
  set: AdapterTrainingSet,
  options: Partial<AdapterTrainOptions> = {},
  hooks: { signal?: AbortSignal; onProgress?: (p: AdapterProgress) => void } = {},
): Promise<TrainedAdapter> {
  const o = { ...DEFAULT_ADAPTER_OPTIONS, ...options };
  const { dims, docs } = set;
  const usable = set.examples.filter((e) => e.positives.length > 0);
  const queries = new Set(usable.map((e) => e.key)).size;
  if (queries < MIN_ADAPTER_QUERIES) throw new TooFewExamplesError(queries);
  const { train, heldOut } = splitByQuery(usable, o.heldOut, o.seed);
  const pairs = train.flatMap((e) => e.positives.map((p) => ({ e, p })));
  const random = seededRandom(o.seed + 1);
  const pause = yielder();

  const adapter = identityAdapter(dims);
  const W = adapter.weights;
  const before = heldOutNdcg(adapter, docs, heldOut);
  const m = new Float32Array(W.length);
  const v = new Float32Array(W.length);
  const grad = new Float32Array(W.length);
  const u = new Float32Array(dims);
  const du = new Float32Array(dims);
  const history: AdapterEpoch[] = [];
  let step = 0;

  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (let i = pairs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
    }
    let lossSum = 0;
    for (let start = 0; start < pairs.length; start += o.batchSize) {
      hooks.signal?.throwIfAborted();
      const batch = pairs.slice(start, start + o.batchSize);
      grad.fill(0);
      for (const { e, p } of batch) {
        const own = new Set(e.positives);
        const candidates = [p];
        const seen = new Set([p]);
        const offer = (row: number) => {
          if (own.has(row) || seen.has(row)) return;
          candidates.push(row);
          seen.add(row);
        };
        for (const other of batch) offer(other.p);
        for (const neg of e.negatives.slice(0, o.hardNegatives)) offer(neg);
        lossSum +=
          addPairGradient(adapter, e.query, docs, candidates, o.temperature, 1 / batch.length, grad, u, du) ?? 0;
      }
      // The pull towards the identity, then one Adam step.
      step++;
      const c1 = 1 - 0.9 ** step;
      const c2 = 1 - 0.999 ** step;
      for (let k = 0; k < W.length; k++) {
        const g = grad[k]! + 2 * o.identityPull * (W[k]! - (k % (dims + 1) === 0 ? 1 : 0));
        m[k] = 0.9 * m[k]! + 0.1 * g;
        v[k] = 0.999 * v[k]! + 0.001 * g * g;
        W[k]! -= (o.learningRate * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + 1e-8);
      }
      await pause();
    }
    const score = heldOutNdcg(adapter, docs, heldOut);
    const figures = { epoch, loss: pairs.length ? lossSum / pairs.length : 0, heldOut: score };
    history.push(figures);
    hooks.onProgress?.({ ...figures, epochs: o.epochs });
  }
  const after = history.at(-1)?.heldOut ?? before;
  return {
    adapter,
    enabled: after > before + o.minGain,
    heldOut: { before, after, queries: new Set(heldOut.map((e) => e.key)).size },
    trainQueries: new Set(train.map((e) => e.key)).size,
    trainKeys: [...new Set(train.map((e) => e.key))].sort(),
    trainPairs: pairs.length,
    epochs: history,
  };
}
