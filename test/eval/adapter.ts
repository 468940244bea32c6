// --adapter <qrels>: trains the app's query adapter on other judged queries, then evaluates with and without it.
import { readFileSync } from 'node:fs';
import { adaptQueries, type QueryAdapter } from '../../src/lib/learn/query-adapter';
import {
  DEFAULT_ADAPTER_OPTIONS,
  trainAdapter,
  type AdapterExample,
  type TrainedAdapter,
} from '../../src/lib/learn/train-adapter';
import { beirQuery, type Qrels } from '../../src/lib/evaluation/beir';
import { docText, type DenseBackend, type EvalDoc } from './searchers';

/** The dense backend with the adapter (when set) applied to every query it embeds; documents pass through. */
export function adaptingDense(dense: DenseBackend, current: () => QueryAdapter | null): DenseBackend {
  return {
    dims: dense.dims,
    async embed(texts, kind) {
      const vectors = await dense.embed(texts, kind);
      const adapter = kind === 'query' ? current() : null;
      return adapter ? adaptQueries(adapter, vectors) : vectors;
    },
  };
}

export interface AdapterTraining {
  trained: TrainedAdapter;
  /** Training queries left out because the evaluated split judges them too (they would leak the answer). */
  overlapping: number;
  /** Training queries without a text in the queries file, or whose relevant documents are not in the corpus. */
  unusable: number;
  ms: number;
}

/** Reads a BEIR queries.jsonl into id → text. */
export function readQueries(path: string): Map<string, string> {
  const out = new Map<string, string>();
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      const [id, text] = beirQuery(line, i + 1);
      out.set(id, text);
    });
  return out;
}

/**
 * Trains on `qrels` (queries judged in `evaluated` are dropped). Positives are the relevant documents; hard negatives
 * are the documents the unadapted dense search ranks highest that the qrels do not judge relevant.
 */
export async function trainOnQrels(
  dense: DenseBackend,
  corpus: readonly EvalDoc[],
  qrels: Qrels,
  queries: ReadonlyMap<string, string>,
  evaluated: ReadonlySet<string>,
  log: (line: string) => void,
): Promise<AdapterTraining> {
  const start = performance.now();
  const { dims } = dense;
  const row = new Map(corpus.map((d, i) => [d.id, i]));
  const docs = await dense.embed(corpus.map(docText), 'document');
  let overlapping = 0;
  let unusable = 0;
  const wanted: { id: string; text: string; positives: number[] }[] = [];
  for (const [id, judged] of qrels) {
    if (evaluated.has(id)) {
      overlapping++;
      continue;
    }
    const text = queries.get(id);
    const positives = [...judged].filter(([doc, rel]) => rel > 0 && row.has(doc)).map(([doc]) => row.get(doc)!);
    if (text === undefined || positives.length === 0) {
      unusable++;
      continue;
    }
    wanted.push({ id, text, positives });
  }
  const vectors = await dense.embed(
    wanted.map((q) => q.text),
    'query',
  );
  const k = DEFAULT_ADAPTER_OPTIONS.hardNegatives;
  const examples: AdapterExample[] = wanted.map((q, i) => {
    const query = vectors.subarray(i * dims, (i + 1) * dims);
    return { key: q.id, query, positives: q.positives, negatives: topNegatives(query, docs, dims, q.positives, k) };
  });
  const trained = await trainAdapter(
    { dims, docs, examples },
    {},
    {
      onProgress: (p) =>
        log(
          `adapter epoch ${p.epoch}/${p.epochs}: loss ${p.loss.toFixed(4)}, held-out nDCG@10 ${p.heldOut.toFixed(4)}`,
        ),
    },
  );
  return { trained, overlapping, unusable, ms: performance.now() - start };
}

/** The `k` rows ranked highest for `query` that are not positives. */
function topNegatives(
  query: Float32Array,
  docs: Float32Array,
  dims: number,
  positives: readonly number[],
  k: number,
): number[] {
  if (k === 0) return [];
  const skip = new Set(positives);
  const scored: { row: number; score: number }[] = [];
  for (let r = 0; r < docs.length / dims; r++) {
    if (skip.has(r)) continue;
    let dot = 0;
    for (let j = 0; j < dims; j++) dot += query[j]! * docs[r * dims + j]!;
    scored.push({ row: r, score: dot });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((s) => s.row);
}
