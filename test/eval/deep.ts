// Deep mode measured (#15): the app's deepRerank judges each query's top N, and nDCG@10 is read for every combination rule against the order without it.
import { ndcgAt, byPosition } from '../../src/lib/evaluation/metrics';
import type { EvalQuestion } from '../../src/lib/evaluation';
import { seededRandom } from '../../src/lib/evaluation/sample';
import type { JudgeParams, JudgeResult } from '../../src/lib/models/generator/types';
import type { JudgmentRecord } from '../../src/lib/persistence/schema';
import { deepRerank, DEEP_CANDIDATES } from '../../src/lib/pipelines/deep-rerank';
import { orderByVerdict, VERDICT_RULES, type VerdictRule } from '../../src/lib/retrieval/verdict';
import type { JudgmentCache } from './judgment-cache';
import type { EvalDoc, Searcher } from './searchers';

/** The generator's judge, as the app's worker runs it. */
export interface JudgeBackend {
  judge(params: JudgeParams): Promise<JudgeResult>;
}

export interface DeepCheckResult {
  queries: number;
  candidates: number;
  /** nDCG@10 without deep mode, and with it under each rule. */
  'ndcg@10': number;
  rules: Record<VerdictRule, number>;
  /** Judgments whose verdict tokens could not be read (they keep their earlier place). */
  unreadable: number;
  /** Judgments read from --judgments-cache (made by an earlier run with the same model and prompt) rather than made now. */
  reused: number;
  /**
   * Per query: the model's milliseconds for its N judgments (each judgment's own time, kept in the cache with it, so a
   * resumed run reports the time the judgments took when they were made), p50 and p95; per judgment, p50.
   */
  msPerQuery: { p50: number; p95: number };
  msPerJudgment: { p50: number };
}

const quantile = (xs: readonly number[], q: number) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** `n` questions in a seeded order (the same subset every run). */
export function sampleQuestions(questions: readonly EvalQuestion[], n: number, seed = 1): EvalQuestion[] {
  const order = [...questions];
  const random = seededRandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, n);
}

/** Judges a ranking's first N documents as the app's deep stage does, through the in-memory and the disk cache. */
export interface RankingJudge {
  /** Verdicts for the first `n` of `ranked` under `instructions` ('' for none), and the model time per judgment. */
  judge(
    question: string,
    instructions: string,
    ranked: readonly string[],
    n: number,
  ): Promise<{ verdicts: Map<string, number>; spent: number[] }>;
  /** Judgments with no readable verdict, and those read from the disk cache rather than made, so far. */
  readonly unreadable: number;
  readonly reused: number;
}

/**
 * The app's deepRerank over a corpus (title and text as the passage). Each judgment is the model's own work for that
 * question, instruction and passage; with `cache` (--judgments-cache) a stopped run resumes where it was.
 */
export function rankingJudge(
  corpus: readonly EvalDoc[],
  backend: JudgeBackend,
  model: string,
  cache?: JudgmentCache,
): RankingJudge {
  const docs = new Map(corpus.map((d) => [d.id, d]));
  const store = new Map<string, JudgmentRecord>();
  let unreadable = 0;
  let reused = 0;
  return {
    get unreadable() {
      return unreadable;
    },
    get reused() {
      return reused;
    },
    async judge(question, instructions, ranked, n) {
      const spent: number[] = [];
      // deepRerank judges one passage at a time: the judgment it stores next is the one just timed.
      let lastMs = 0;
      const candidates = ranked.slice(0, n).map((id) => {
        const d = docs.get(id)!;
        return { chunkId: id, docId: id, docName: d.title || id, text: d.text };
      });
      const out = await deepRerank(
        { question, instructions, candidates, topN: n },
        {
          model,
          judge: async (params) => {
            const r = await backend.judge(params);
            spent.push(r.ms);
            lastMs = r.ms;
            return r;
          },
          judgments: {
            get: async (k) => {
              if (store.has(k)) return store.get(k);
              const hit = cache?.get(k);
              if (hit) {
                // Counted once: later lookups in this run find it in `store`, as a judgment made now would be.
                store.set(k, hit);
                reused++;
                spent.push(hit.ms);
              }
              return hit;
            },
            put: async (r) => {
              store.set(r.key, r);
              cache?.put(r, lastMs);
            },
          },
          pace: { get: async () => null, set: async () => {} },
        },
        {
          estimate: () => {},
          start: () => {},
          text: () => {},
          judged: (_id, j) => {
            if (j.probability === null) unreadable++;
          },
        },
        new AbortController().signal,
      );
      if (out.failed) throw out.failed;
      return { verdicts: out.verdicts, spent };
    },
  };
}

/**
 * For each question: the searcher's ranking (the query's own id left out), its first `candidates` documents judged by
 * the app's deepRerank (rankingJudge), and that ranking reordered by each rule.
 */
export async function runDeepCheck(
  questions: readonly EvalQuestion[],
  corpus: readonly EvalDoc[],
  searcher: Searcher,
  backend: JudgeBackend,
  model: string,
  options: { candidates?: number; log?: (line: string) => void; cache?: JudgmentCache } = {},
): Promise<DeepCheckResult> {
  const n = options.candidates ?? DEEP_CANDIDATES;
  const judge = rankingJudge(corpus, backend, model, options.cache);
  const base: number[] = [];
  const byRule = Object.fromEntries(VERDICT_RULES.map((r) => [r, [] as number[]])) as Record<VerdictRule, number[]>;
  const perQuery: number[] = [];
  const perJudgment: number[] = [];
  for (const [i, q] of questions.entries()) {
    const ranked = (await searcher.search(q.text, 100)).map((h) => h.id).filter((id) => id !== q.id);
    const { verdicts, spent } = await judge.judge(q.text, '', ranked, n);
    perQuery.push(spent.reduce((a, b) => a + b, 0));
    perJudgment.push(...spent);
    const score = (ids: string[]) => ndcgAt(byPosition(ids), q.judgments, 10) ?? 0;
    base.push(score(ranked));
    for (const rule of VERDICT_RULES) byRule[rule].push(score(orderByVerdict(ranked, verdicts, rule)));
    options.log?.(
      `deep: ${i + 1}/${questions.length} nDCG@10 ${base.at(-1)!.toFixed(3)} → ` +
        VERDICT_RULES.map((r) => `${r} ${byRule[r].at(-1)!.toFixed(3)}`).join(', ') +
        ` (${Math.round(perQuery.at(-1)!)} ms)`,
    );
  }
  const { unreadable, reused } = judge;
  return {
    queries: questions.length,
    candidates: n,
    'ndcg@10': mean(base),
    rules: Object.fromEntries(VERDICT_RULES.map((r) => [r, mean(byRule[r])])) as Record<VerdictRule, number>,
    unreadable,
    reused,
    msPerQuery: { p50: quantile(perQuery, 0.5), p95: quantile(perQuery, 0.95) },
    msPerJudgment: { p50: quantile(perJudgment, 0.5) },
  };
}
