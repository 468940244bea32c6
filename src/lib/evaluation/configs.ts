// The ablation configurations: BM25 only, dense only, hybrid, hybrid plus rerank, each with and without multi-query.

export const MODES = ['bm25', 'dense', 'hybrid', 'rerank'] as const;
/** bm25: keyword search only; dense: embeddings only; hybrid: both fused; rerank: hybrid, then late interaction. */
export type RetrievalMode = (typeof MODES)[number];

export interface RetrievalConfig {
  /** Stable key, e.g. `hybrid+mq`. */
  id: string;
  mode: RetrievalMode;
  /** The generator writes extra phrasings of the question, each searched, the lists fused. */
  multiQuery: boolean;
  /** Plain words for tables and charts. */
  label: string;
}

const MODE_LABELS: Record<RetrievalMode, string> = {
  bm25: 'BM25 only',
  dense: 'Dense only',
  hybrid: 'Hybrid',
  rerank: 'Hybrid + rerank',
};

export function configOf(mode: RetrievalMode, multiQuery: boolean): RetrievalConfig {
  return {
    id: multiQuery ? `${mode}+mq` : mode,
    mode,
    multiQuery,
    label: multiQuery ? `${MODE_LABELS[mode]}, multi-query` : MODE_LABELS[mode],
  };
}

/** All eight, single-query rows first, in MODES order. */
export const ABLATION: readonly RetrievalConfig[] = [false, true].flatMap((mq) => MODES.map((m) => configOf(m, mq)));

/** What this run can do: an embedder (dense, hybrid), a reranker (rerank), a generator (multi-query). */
export interface Available {
  dense: boolean;
  rerank: boolean;
  generator: boolean;
}

/** The ablation rows the available models allow; BM25 only always runs. */
export function availableConfigs(available: Available): RetrievalConfig[] {
  return ABLATION.filter(
    (c) =>
      (c.mode === 'bm25' || available.dense) &&
      (c.mode !== 'rerank' || available.rerank) &&
      (!c.multiQuery || available.generator),
  );
}
