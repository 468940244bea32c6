// The "Evaluate my library" pipeline: the evaluation set and judged feedback through the app's retrieve per ablation
// configuration, then through the ask pipeline for the answer figures; one report, kept in the evalRuns store.
import { parseQueries } from '../answer/multi-query';
import { PROMPT_NAME, PROMPT_VERSION } from '../answer/prompt';
import { multiQueryV1, PROMPTS, renderPrompt } from '../answer/prompts';
import { AppError, causeOf, isAbortError } from '../errors';
import {
  availableConfigs,
  byPosition,
  evaluateAnswers,
  evaluateRetrieval,
  reportToCsv,
  reportToJson,
  type AnswerOutcome,
  type AnswerPort,
  type EvalQuestion,
  type EvaluationReport,
  type RetrievalConfig,
  type RunProgress,
  type SearchPort,
  type Stage,
  throwIfAborted,
} from '../evaluation';
import type { EvalQuestionRecord, EvalRunRecord } from '../persistence/eval-schema';
import type { FeedbackRecord } from '../persistence/feedback-schema';
import type { Retrieved, RetrieveRequest } from '../retrieval/search-types';
import { feedbackKey } from '../learn/mine';
import { docIdOf } from './records';
import { untilAborted } from './until-aborted';
import { isNoAnswer } from '../answer/refusal';
import { askQuestion, type AskPorts, type AskSettings, type SearchAccess } from './ask';

export type { EvaluationReport, RunProgress };
export type { AnswerFigures, ConfigFigures, RetrievalConfig } from '../evaluation';

/** The report's JSON and CSV forms (the panel's exports). */
export const reportJson = reportToJson;
export const reportCsv = reportToCsv;

/** How many passages each configuration ranks (Recall@100 needs 100). */
export const EVAL_DEPTH = 100;
/**
 * Passages ranked for a question judged by document: documents are read at their best passage's place, so more
 * passages than EVAL_DEPTH are fetched for 100 distinct documents (most short documents are one passage).
 */
export const DOCUMENT_EVAL_DEPTH = 300;

/** A kept evaluation run (EvalRunRecord's shape, owned here). */
export interface EvalRun extends EvalRunRecord {
  report: EvaluationReport;
  /** The search settings it ran with. */
  settings: { denseWeight: number; keywordWeight: number; rerankCandidates: number; topK: number };
}

export function isEvalRun(record: EvalRunRecord): record is EvalRun {
  const r = record as Partial<EvalRun>;
  return typeof r.report === 'object' && r.report !== null && r.report.format === 1;
}

/** The versions of the answer template a run can use, newest first. */
export function answerPromptVersions(): number[] {
  return PROMPTS.filter((p) => p.name === PROMPT_NAME)
    .map((p) => p.version)
    .sort((a, b) => b - a);
}

export const DEFAULT_ANSWER_VERSION = PROMPT_VERSION;

export interface EvaluateRequest {
  settings: AskSettings;
  /** Run the multi-query rows (loads the answer model to write the extra queries). */
  multiQuery: boolean;
  /** Answer every question with this answer template version for the answer figures; null: retrieval only. */
  answerVersion: number | null;
}

export interface EvaluatePorts {
  ask: AskPorts;
  questions(): Promise<EvalQuestionRecord[]>;
  /** Which of these documents are in the library (benchmark questions are judged by document). */
  documentsExist(ids: string[]): Promise<boolean[]>;
  /** Feedback with sources marked relevant. */
  feedback(): Promise<FeedbackRecord[]>;
  /**
   * The training queries' keys of the relevance adapter searches use now (AdapterRecord.trainedOn), or none when it
   * is off: those questions are left out, since the adapter learned their answers.
   */
  adapterTrainedOn?(): Promise<readonly string[]>;
  saveRun(run: EvalRun): Promise<void>;
  now(): number;
  newId(): string;
}

export interface EvaluationSet {
  questions: EvalQuestion[];
  /** Questions by where they came from: synthetic, user, feedback. */
  sources: Record<string, number>;
  /** Left out: every gold passage is gone from the library (its document deleted). */
  stale: number;
  /** Left out: the relevance adapter in use trained on them. */
  adapterTrained: number;
}

/** Checks which of these ids exist (passages, or documents), in order. */
type Exists = (ids: string[]) => Promise<boolean[]>;

/** Which of `ids` `exists` finds. */
async function alive(ids: string[], exists: Exists): Promise<Set<string>> {
  const all = [...new Set(ids)];
  const present = all.length ? await exists(all) : [];
  return new Set(all.filter((_, i) => present[i]));
}

/**
 * The evaluation set as the runner reads it: each stored question with its gold chunks (relevance 1), or, for a
 * benchmark question, its judged documents (graded); then each judged feedback record (its stand-alone query; the
 * sources marked relevant are gold). Gold no longer in the library is dropped; a question left with none is counted
 * in `stale`. A feedback record already in the set (same query, same gold) is not counted twice. A question whose
 * key is in `trainedOn` (a synthetic question or a feedback query the adapter in use trained on) is left out and
 * counted in `adapterTrained`: the adapter learned its answer, so it would flatter the adapter.
 */
export async function evaluationSet(
  records: readonly EvalQuestionRecord[],
  feedback: readonly FeedbackRecord[],
  exists: Exists,
  documentsExist: Exists = async (ids) => ids.map(() => false),
  trainedOn: ReadonlySet<string> = new Set(),
): Promise<EvaluationSet> {
  interface Candidate {
    id: string;
    text: string;
    gold: Map<string, number>;
    origin: string;
    byDocument: boolean;
    ignore?: string[];
  }
  const ones = (ids: string[]) => new Map([...new Set(ids)].map((id) => [id, 1]));
  const candidates: Candidate[] = [
    ...records.map((r): Candidate => {
      if (!r.documents) return { id: r.id, text: r.text, gold: ones(r.chunkIds), origin: r.origin, byDocument: false };
      const judged = Object.entries(r.documents).filter(([, rel]) => rel > 0);
      return {
        id: r.id,
        text: r.text,
        gold: new Map(judged),
        origin: r.origin,
        byDocument: true,
        ...(r.ignore?.length && { ignore: r.ignore }),
      };
    }),
    ...feedback.map((f): Candidate => ({
      id: `feedback:${f.id}`,
      text: f.query || f.question,
      gold: ones(
        Object.entries(f.sources)
          .filter(([, mark]) => mark === 'relevant')
          .map(([id]) => id),
      ),
      origin: 'feedback',
      byDocument: false,
    })),
  ];
  const gold = (byDocument: boolean) =>
    candidates.filter((c) => c.byDocument === byDocument).flatMap((c) => [...c.gold.keys()]);
  const passagesAlive = await alive(gold(false), exists);
  const documentsAlive = await alive(gold(true), documentsExist);
  const seen = new Set<string>();
  const out: EvaluationSet = { questions: [], sources: {}, stale: 0, adapterTrained: 0 };
  // The adapter's keys (pipelines/adapter.ts): a synthetic question by its id, a feedback query by its text.
  const adapterKey = (c: Candidate) =>
    c.origin === 'synthetic' ? `synthetic:${c.id}` : c.origin === 'feedback' ? feedbackKey(c.text) : null;
  for (const c of candidates) {
    const trained = adapterKey(c);
    if (trained !== null && trainedOn.has(trained)) {
      out.adapterTrained++;
      continue;
    }
    const live = c.byDocument ? documentsAlive : passagesAlive;
    const judgments = new Map([...c.gold].filter(([id]) => live.has(id)));
    if (!c.text.trim() || judgments.size === 0) {
      out.stale++;
      continue;
    }
    const key = `${c.byDocument ? 'd' : 'p'}\u0000${c.text.trim().toLowerCase()}\u0000${[...judgments.keys()].sort().join(' ')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.questions.push({
      id: c.id,
      text: c.text,
      judgments,
      ...(c.byDocument && { byDocument: true }),
      ...(c.ignore && { ignore: c.ignore }),
    });
    out.sources[c.origin] = (out.sources[c.origin] ?? 0) + 1;
  }
  return out;
}

/** What `retrieve` is asked for one configuration (`only` leaves a search out; see search-service.ts). */
export function retrieveRequest(
  config: RetrievalConfig,
  queries: string[],
  settings: AskSettings,
  access: Pick<SearchAccess, 'embedder' | 'late'>,
  rerank: boolean,
  firstDepth = EVAL_DEPTH,
): RetrieveRequest {
  const weights = { dense: settings.denseWeight, keyword: settings.keywordWeight };
  const only = config.mode === 'bm25' ? 'keyword' : config.mode === 'dense' ? 'dense' : undefined;
  const late = rerank ? access.late : null;
  const depth = late ? settings.rerankCandidates : firstDepth;
  return {
    queries,
    instructions: access.embedder?.instructions ? settings.searchInstructions.trim() : '',
    candidates: depth,
    topK: depth,
    filters: {},
    weights,
    ...(only && { only }),
    rerank: late ? { gpu: late.gpu, skip: [...late.skiplist] } : null,
  };
}

const stageMs = (found: Retrieved): Partial<Record<Stage, number>> => {
  const ms = found.trace?.ms;
  // Embedding is a stage only where the query was embedded (not in the BM25-only rows).
  return ms
    ? { ...(found.dense && { embed: ms.embed }), search: ms.search, ...(found.reranked && { rerank: ms.rerank }) }
    : {};
};

/** Each question's multi-query phrasings (the question first), and how long writing them took (ms). */
export type Phrasings = Map<string, { queries: string[]; ms: number }>;

type Complete = (messages: ReturnType<typeof renderPrompt>, max: number, signal: AbortSignal) => Promise<string>;

/**
 * Writes every question's phrasings once, with the app's multi-query prompt and parser, before any search runs, so
 * the searches' latency never includes the generator (its time is the multiQuery stage).
 */
export async function writePhrasings(
  questions: readonly EvalQuestion[],
  complete: Complete,
  options: { signal: AbortSignal; progress?: (done: number) => void },
): Promise<Phrasings> {
  const out: Phrasings = new Map();
  for (const q of questions) {
    throwIfAborted(options.signal);
    options.progress?.(out.size);
    const t = performance.now();
    const text = await complete(renderPrompt(multiQueryV1, { question: q.text }), 96, options.signal);
    out.set(q.id, { queries: [q.text, ...parseQueries(text, { exclude: [q.text] })], ms: performance.now() - t });
  }
  return out;
}

/**
 * A passage ranking read by document: each document at its best passage's place (BEIR's MaxP), the `ignore`d left
 * out, cut to EVAL_DEPTH documents.
 */
export function byDocument(passageIds: readonly string[], ignore: readonly string[] = []): string[] {
  const seen = new Set(ignore);
  const out: string[] = [];
  for (const id of passageIds) {
    const doc = docIdOf(id);
    if (seen.has(doc)) continue;
    seen.add(doc);
    out.push(doc);
    if (out.length === EVAL_DEPTH) break;
  }
  return out;
}

/**
 * The app's retrieve as the runner's search port. Rankings are scored by position (the order shown). The rerank
 * row reranks the app's rerankCandidates as the chat does, and the first stage's order follows for the rest (as the
 * CLI's rerank mode does), so its Recall@100 is comparable. Multi-query rows search the phrasings written beforehand.
 */
export function appSearchPort(
  access: SearchAccess,
  settings: AskSettings,
  phrasings: Phrasings = new Map(),
): SearchPort {
  const retrieve = access.retrieve;
  if (!retrieve) throw new AppError('SEARCH_NOT_READY');
  return {
    async rank(question, config, signal) {
      let queries = [question.text];
      const ms: Partial<Record<Stage, number>> = {};
      const written = config.multiQuery ? phrasings.get(question.id) : undefined;
      if (written) {
        queries = written.queries;
        ms.multiQuery = written.ms;
      }
      const depth = question.byDocument ? DOCUMENT_EVAL_DEPTH : EVAL_DEPTH;
      const ranked = (ids: string[]) => byPosition(question.byDocument ? byDocument(ids, question.ignore) : ids);
      const first = await retrieve(retrieveRequest(config, queries, settings, access, false, depth), signal);
      if (config.mode !== 'rerank' || !access.late) {
        return { ranked: ranked(first.passages.map((p) => p.id)), ms: { ...ms, ...stageMs(first) } };
      }
      const head = await retrieve(retrieveRequest(config, queries, settings, access, true, depth), signal);
      const top = head.passages.map((p) => p.id);
      const shown = new Set(top);
      const ids = [...top, ...first.passages.map((p) => p.id).filter((id) => !shown.has(id))];
      return { ranked: ranked(ids), ms: { ...ms, ...stageMs(head) } };
    },
  };
}

/** The ask pipeline as the runner's answer port: one fresh question (no history, no filters) per call. */
export function appAnswerPort(ports: AskPorts, settings: AskSettings, promptVersion: number): AnswerPort {
  return {
    async answer(question, signal): Promise<AnswerOutcome> {
      let shown: string[] = [];
      let text = '';
      const quiet = () => {};
      const outcome = await askQuestion(
        { question: question.text, history: [], settings, filters: {}, filtersActive: false, promptVersion },
        ports,
        {
          phase: quiet,
          info: quiet,
          query: quiet,
          note: quiet,
          fitted: quiet,
          text: (piece) => (text += piece),
          grounded: quiet,
          // A question judged by document reads its answer's sources as documents too (answer relevance).
          sources: (sources) => (shown = sources.map((s) => (question.byDocument ? s.docId : s.chunkId))),
        },
        signal,
      );
      if (outcome.phase === 'refused') return { outcome: 'refused', grounding: [], shown, ms: {} };
      return {
        outcome: 'done',
        grounding: outcome.grounding,
        shown,
        declined: isNoAnswer(text),
        ms: { generate: outcome.stats.totalMs, firstToken: outcome.stats.firstTokenMs },
      };
    },
  };
}

export interface EvaluateOptions {
  signal: AbortSignal;
  progress?: (p: RunProgress) => void;
}

/**
 * Runs the evaluation: every configuration the loaded models allow (multi-query ones when asked), then the answers
 * with the chosen template version; keeps the run and returns it. Throws EVAL_SET_EMPTY with nothing to evaluate.
 */
export async function runEvaluation(
  req: EvaluateRequest,
  ports: EvaluatePorts,
  options: EvaluateOptions,
): Promise<EvalRun> {
  const { signal } = options;
  const at = ports.now();
  const library = await ports.ask.library();
  if (library.empty) throw new AppError(library.importing ? 'INDEX_STILL_BUILDING' : 'INDEX_EMPTY');
  const passages = ports.ask.passages;
  const [records, feedback] = [await ports.questions(), await ports.feedback()];
  const build = (trainedOn?: ReadonlySet<string>) =>
    evaluationSet(
      records,
      feedback,
      async (ids) => (await passages(ids)).map((p) => p !== undefined),
      (ids) => ports.documentsExist(ids),
      trainedOn,
    );
  let set = await build();
  if (set.questions.length === 0) throw new AppError('EVAL_SET_EMPTY');
  // Waiting for the models (a download) must not outlast a Cancel.
  const access = await untilAborted(ports.ask.search(), signal);
  // Once search is open, its adapter is known: the questions it trained on are left out.
  const trainedOn = new Set((await ports.adapterTrainedOn?.()) ?? []);
  if (trainedOn.size > 0) {
    set = await build(trainedOn);
    if (set.questions.length === 0) throw new AppError('EVAL_SET_ALL_TRAINED');
  }
  const notes: string[] = [];
  // The answer model is loaded up front when it is needed: if it cannot run, its rows and the answers are left out
  // (and said so), rather than failing the whole run.
  let generatorFailure: string | null = null;
  if (req.multiQuery || req.answerVersion !== null) {
    try {
      await untilAborted(ports.ask.generator(), signal);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) throw err;
      generatorFailure = causeOf(err);
      notes.push(
        `The answer model could not be used (${generatorFailure}): multi-query rows and answers were left out.`,
      );
    }
  }
  const configs = availableConfigs({
    dense: access.embedder !== null,
    rerank: access.late !== null,
    generator: req.multiQuery && generatorFailure === null,
  });
  const complete: Complete = async (messages, max, s) =>
    (await (await ports.ask.generator()).generate(messages, max, s)).text;
  const n = set.questions.length;
  const mq = configs.some((c) => c.multiQuery) ? n : 0;
  const answerVersion = generatorFailure === null ? req.answerVersion : null;
  const total = mq + n * configs.length + (answerVersion === null ? 0 : n);
  const phrasings = mq
    ? await writePhrasings(set.questions, complete, {
        signal,
        progress: (done) => options.progress?.({ done, total, label: 'Writing the multi-query phrasings' }),
      })
    : new Map();
  const retrieval = await evaluateRetrieval(set.questions, configs, appSearchPort(access, req.settings, phrasings), {
    signal,
    progress: (p) => options.progress?.({ ...p, done: mq + p.done, total }),
  });
  let answers = null;
  if (answerVersion !== null) {
    try {
      answers = await evaluateAnswers(
        set.questions,
        appAnswerPort(ports.ask, req.settings, answerVersion),
        { name: PROMPT_NAME, version: answerVersion },
        { signal, progress: (p) => options.progress?.({ ...p, done: mq + n * configs.length + p.done, total }) },
      );
    } catch (err) {
      // A late failure keeps the search figures already measured.
      if (isAbortError(err) || signal.aborted) throw err;
      notes.push(`Answers were not evaluated: ${causeOf(err)}`);
    }
  }
  options.progress?.({ done: total, total, label: '' });
  const { denseWeight, keywordWeight, rerankCandidates, topK } = req.settings;
  const run: EvalRun = {
    id: ports.newId(),
    at,
    report: {
      format: 1,
      at,
      sources: {
        ...set.sources,
        ...(set.stale && { stale: set.stale }),
        ...(set.adapterTrained && { adapterTrained: set.adapterTrained }),
      },
      retrieval,
      answers,
      ...(notes.length && { notes }),
    },
    settings: { denseWeight, keywordWeight, rerankCandidates, topK },
  };
  await ports.saveRun(run);
  return run;
}
