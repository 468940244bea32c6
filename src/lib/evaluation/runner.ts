// The retrieval evaluation: asks a search port for each (question, configuration) ranking and aggregates the figures.
import { AppError } from '../errors';
import type { RetrievalConfig } from './configs';
import { mrrAt, ndcgAt, recallAt, trecOrder, type Judgments, type ScoredDoc } from './metrics';
import { spread, type Spread } from './percentile';

/** One question of an evaluation set: its text and which passages answer it. */
export interface EvalQuestion {
  id: string;
  text: string;
  /** Passage ids, or document ids when `byDocument`. */
  judgments: Judgments;
  /** Judged by document (a benchmark's qrels): the ranking is read by document, each at its best passage's place. */
  byDocument?: boolean;
  /** Ids never counted in this question's ranking (BEIR's ignore_identical_ids). */
  ignore?: readonly string[];
}

/** The timed stages of one search: writing the extra queries, embedding them, searching and fusing, reranking. */
export const STAGES = ['multiQuery', 'embed', 'search', 'rerank'] as const;
export type Stage = (typeof STAGES)[number];

/** What the port found for one question under one configuration, and how long each stage took (ms). */
export interface Ranking {
  ranked: ScoredDoc[];
  ms: Partial<Record<Stage, number>>;
}

/** The narrow port the runner searches through: the app's retrieve, or the CLI's searchers. */
export interface SearchPort {
  rank(question: EvalQuestion, config: RetrievalConfig, signal: AbortSignal): Promise<Ranking>;
}

export interface RunProgress {
  done: number;
  total: number;
  /** The configuration being run. */
  label: string;
}

export interface RunOptions {
  signal?: AbortSignal;
  progress?: (p: RunProgress) => void;
}

/** The cut-offs reported. */
export const RECALL_KS = [5, 10, 100] as const;

/** One configuration's figures: means over the judged questions, latency spreads over every question. */
export interface ConfigFigures {
  config: RetrievalConfig;
  /** Questions scored (with at least one relevant passage). */
  queries: number;
  /** Questions left out of the means: none of their passages is relevant (see metrics.ts). */
  unjudged: number;
  'recall@5': number | null;
  'recall@10': number | null;
  'recall@100': number | null;
  'mrr@10': number | null;
  'ndcg@10': number | null;
  /** Per stage that ran, and `total`: the wall time of the whole search as the runner saw it. */
  latency: Partial<Record<Stage | 'total', Spread>>;
}

export interface RetrievalReport {
  questions: number;
  configs: ConfigFigures[];
}

function mean(values: readonly (number | null)[]): number | null {
  const judged = values.filter((v): v is number => v !== null);
  return judged.length ? judged.reduce((a, b) => a + b, 0) / judged.length : null;
}

/**
 * One configuration's figures from its rankings (parallel to `questions`; `totals` the wall ms of each). Every
 * ranking is read in trecOrder; a question with no relevant passage is counted in `unjudged`, not in the means.
 */
export function scoreConfig(
  config: RetrievalConfig,
  questions: readonly EvalQuestion[],
  rankings: readonly Ranking[],
  totals: readonly number[] = [],
): ConfigFigures {
  if (rankings.length !== questions.length) throw new RangeError('one ranking per question');
  const per = questions.map((q, i) => {
    const ranked = trecOrder(rankings[i]!.ranked);
    return {
      recall: RECALL_KS.map((k) => recallAt(ranked, q.judgments, k)),
      mrr: mrrAt(ranked, q.judgments, 10),
      ndcg: ndcgAt(ranked, q.judgments, 10),
    };
  });
  const latency: ConfigFigures['latency'] = {};
  for (const stage of STAGES) {
    const values = rankings.map((r) => r.ms[stage]).filter((v): v is number => v !== undefined);
    if (values.length) latency[stage] = spread(values);
  }
  if (totals.length) latency.total = spread(totals);
  const queries = per.filter((p) => p.mrr !== null).length;
  return {
    config,
    queries,
    unjudged: questions.length - queries,
    'recall@5': mean(per.map((p) => p.recall[0]!)),
    'recall@10': mean(per.map((p) => p.recall[1]!)),
    'recall@100': mean(per.map((p) => p.recall[2]!)),
    'mrr@10': mean(per.map((p) => p.mrr)),
    'ndcg@10': mean(per.map((p) => p.ndcg)),
    latency,
  };
}

/** Throws the abort as the app's ABORTED error once the signal fires. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('ABORTED');
}

/**
 * Runs every question under every configuration through the port, one at a time (the figures include latency, so
 * searches must not overlap), and scores each configuration with scoreConfig. Cancellable between searches.
 */
export async function evaluateRetrieval(
  questions: readonly EvalQuestion[],
  configs: readonly RetrievalConfig[],
  port: SearchPort,
  options: RunOptions = {},
): Promise<RetrievalReport> {
  const signal = options.signal ?? new AbortController().signal;
  const total = questions.length * configs.length;
  let done = 0;
  const figures: ConfigFigures[] = [];
  for (const config of configs) {
    const rankings: Ranking[] = [];
    const totals: number[] = [];
    for (const q of questions) {
      throwIfAborted(signal);
      options.progress?.({ done, total, label: config.label });
      const t = performance.now();
      rankings.push(await port.rank(q, config, signal));
      totals.push(performance.now() - t);
      done++;
    }
    figures.push(scoreConfig(config, questions, rankings, totals));
  }
  throwIfAborted(signal);
  options.progress?.({ done, total, label: '' });
  return { questions: questions.length, configs: figures };
}
