// The ask pipeline: rewrite a follow-up → retrieve and rerank → relevance gate → token budget → generate → ground.
import { fitContext } from '../answer/budget';
import { attributeUncited, contentWords, groundAnswer, type SentenceGrounding } from '../answer/grounding';
import { parseQueries, parseRewrite } from '../answer/multi-query';
import { buildMessages, PROMPT_NAME } from '../answer/prompt';
import {
  getPrompt,
  groundedAnswerV1,
  multiQueryV1,
  queryRewriteV1,
  renderPrompt,
  type PromptTemplate,
} from '../answer/prompts';
import { relevanceGate } from '../answer/refusal';
import { AppError } from '../errors';
import type { ChatMessage, GenerateResult, JudgeParams, JudgeResult } from '../models/generator/types';
import type { PassageRow, Retrieved, RetrieveRequest, SearchFilters } from '../retrieval/search-types';
import { DEFAULT_FINAL_ORDER } from '../retrieval/final-order';
import type { PromptUse } from '../persistence';
import { deepCandidates, deepStage, type DeepRerankPorts, type DeepStageEvents } from './deep-rerank';
import type { AskedSearch } from './feedback';
import { followInstruction, type InstructionEvents, type InstructionRequest } from './instruction-step';
import type { ChatPhase, Source } from './turn';
import { answerUse } from './prompts';

export interface AskSettings {
  multiQuery: boolean;
  searchInstructions: string;
  topK: number;
  rerankCandidates: number;
  denseWeight: number;
  keywordWeight: number;
  /** The rerank threshold chosen in Settings; null defers to the reranker's registry entry. */
  relevanceThreshold: number | null;
  /** Deep mode (off when absent), and how many of the top sources it judges. */
  deepMode?: boolean;
  deepCandidates?: number;
}

export interface AskRequest {
  question: string;
  /** Earlier answered turns as chat messages, oldest first. */
  history: ChatMessage[];
  settings: AskSettings;
  filters: SearchFilters;
  filtersActive: boolean;
  /** The search instruction this question follows (instruction-step.ts); absent or '' for none. */
  instruction?: InstructionRequest;
  /** The answer template's version (the evaluation runs a chosen one); default the newest. */
  promptVersion?: number;
  /** Deep mode's own Stop: ends its stage (what was judged counts) and the answer follows. */
  deepStop?: AbortSignal;
}

/** What search can use once the models have settled. */
export interface SearchAccess {
  /** Null when the search indexes could not open. */
  retrieve: ((req: RetrieveRequest, signal: AbortSignal) => Promise<Retrieved>) | null;
  /** The embedder in use, when it loaded: whether it follows instructions, and its calibrated cosine threshold. */
  embedder: { instructions: boolean; relevanceThreshold?: number } | null;
  /** The reranker in use, when it loaded. */
  late: { skiplist: string[]; relevanceThreshold?: number; gpu: boolean } | null;
  /** Why search runs on keywords only, when it does. */
  keywordOnlyReason: string | null;
}

export interface GeneratorAccess {
  contextLength: number;
  maxNewTokens: number;
  /** The device and dtype the model runs with, as "wasm/q4" (part of deep mode's judgment key and pace). */
  runsOn?: string;
  generate(
    messages: ChatMessage[],
    maxNewTokens: number,
    signal: AbortSignal,
    onText?: (t: string) => void,
  ): Promise<GenerateResult>;
  countTokens(messages: ChatMessage[], signal: AbortSignal): Promise<number>;
  /** Deep mode's judgment of one passage (reasoning streamed, then the verdict tokens' log-probabilities). */
  judge?(params: JudgeParams, signal: AbortSignal, onText: (t: string) => void): Promise<JudgeResult>;
}

export interface AskPorts {
  /** Once the library has opened (throws why it could not): is it empty, and are files still being added? */
  library(): Promise<{ empty: boolean; importing: boolean }>;
  /** Waits for the models to settle. */
  search(): Promise<SearchAccess>;
  /** Loads the answer model on first use. */
  generator(): Promise<GeneratorAccess>;
  passages(ids: string[]): Promise<(PassageRow | undefined)[]>;
  docName(docId: string): string;
  /** The library's documents (id and name), for the instruction step's prompt. */
  documents?(): { id: string; name: string }[];
  /** The published library a document belongs to (its name); null for the user's own. */
  libraryOf(docId: string): string | null;
  /** The answer template this question uses (Settings → Prompts: pinned, or A/B); absent: grounded-answer v1. */
  answerPrompt?(): Promise<PromptTemplate>;
  /** Counts a written answer in its template version's figures; must not throw. */
  promptUsed?(use: PromptUse): Promise<void>;
  /** Deep mode's judge (loads the answer model), cache and pace; absent where deep mode is not offered. */
  deep?(): Promise<DeepRerankPorts>;
}

/** What the pipeline reports as it goes, for the state to show. */
export interface AskEvents extends InstructionEvents {
  phase(phase: ChatPhase): void;
  info(text: string): void;
  query(query: string): void;
  note(text: string): void;
  /** What the search ranked, each stage's order and the queries (for the feedback record); just before `sources`. */
  searched?(search: AskedSearch): void;
  sources(sources: Source[]): void;
  fitted(fit: { used: number[]; dropped: number[]; prompt: { name: string; version: number } }): void;
  text(piece: string): void;
  /** Deep mode's stage: the estimate, each source's streamed reasoning and verdict, the time it took. */
  deep?: DeepStageEvents;
  /** The answer's sentences checked against the passages, and the generation figures; just before 'done'. */
  grounded(result: { grounding: SentenceGrounding[]; stats: AskStats }): void;
}

export interface AskStats {
  tokens: number;
  firstTokenMs: number;
  totalMs: number;
}

export type AskOutcome = { phase: 'refused' } | { phase: 'done'; grounding: SentenceGrounding[]; stats: AskStats };

export async function askQuestion(
  req: AskRequest,
  ports: AskPorts,
  on: AskEvents,
  signal: AbortSignal,
): Promise<AskOutcome> {
  const { question, history, settings } = req;
  const library = await ports.library();
  if (library.empty) {
    throw new AppError(library.importing ? 'INDEX_STILL_BUILDING' : 'INDEX_EMPTY');
  }
  on.phase('searching');
  const search = await ports.search();
  if (!search.retrieve) throw new AppError('SEARCH_NOT_READY');
  const complete = async (messages: ChatMessage[], max: number) =>
    (await (await ports.generator()).generate(messages, max, signal)).text;
  let query = question;
  if (history.length) {
    // A follow-up is rewritten into a stand-alone query before retrieval.
    on.phase('rewriting');
    on.info('Rewriting your follow-up as a stand-alone question…');
    const rewrite = parseRewrite(await complete(renderPrompt(queryRewriteV1, { history, question }), 64), question);
    // A rewrite sharing no word with the user's questions has drifted: search the question as asked.
    const asked = [question, ...history.filter((m) => m.role === 'user').map((m) => m.content)];
    const known = new Set(contentWords(asked.join(' ')));
    query = contentWords(rewrite).some((w) => known.has(w)) ? rewrite : question;
    on.query(query);
  }
  let queries = [query];
  if (settings.multiQuery) {
    const out = await complete(renderPrompt(multiQueryV1, { question: query }), 96);
    queries = [query, ...parseQueries(out, { exclude: [query] })];
  }
  const guided = await followInstruction(
    { ...req, question: query },
    search.retrieve,
    { ...ports, complete },
    on,
    signal,
  );
  on.phase('searching');
  on.info('Searching your documents…');
  const { embedder, late } = search;
  // Deep mode judges its top N: they are all shown while it works, then the first topK are kept.
  const deepN = settings.deepMode && ports.deep && on.deep ? deepCandidates(settings.deepCandidates) : 0;
  const shown = Math.max(settings.topK, deepN);
  const found = await guided.retrieve(
    {
      queries,
      instructions: embedder?.instructions ? guided.queryInstruction(settings.searchInstructions) : '',
      candidates: late ? Math.max(settings.rerankCandidates, deepN) : shown,
      topK: shown,
      filters: guided.filters,
      weights: { dense: settings.denseWeight, keyword: settings.keywordWeight },
      rerank: late ? { gpu: late.gpu, skip: [...late.skiplist] } : null,
    },
    signal,
  );
  // The gate reads the passages a search without deep mode would show (deep mode's extra candidates cannot let a
  // question through), and a refused question is not judged.
  const gate = relevanceGate({
    found: found.found,
    shown: found.passages.slice(0, settings.topK).map((p) => ({
      relevance: p.relevance,
      dense: p.bestDense === null ? null : { score: p.bestDense },
    })),
    ...(late && {
      rerank: { settingsThreshold: settings.relevanceThreshold, registryThreshold: late.relevanceThreshold },
    }),
    ...(found.dense && embedder?.relevanceThreshold !== undefined
      ? { denseThreshold: embedder.relevanceThreshold }
      : {}),
  });
  const deepRuns = deepN > 0 && gate.relevant && found.passages.length > 0;
  const listed = deepRuns ? found.passages : found.passages.slice(0, settings.topK);
  let sources = await loadSources({ ...found, passages: listed }, ports);
  on.searched?.({
    queries,
    trace: found.trace ?? null,
    final: { ids: listed.map((p) => p.id), scores: listed.map((p) => p.score) },
  });
  on.sources(sources);
  if (deepRuns && ports.deep && on.deep && sources.length > 0) {
    on.info('Deep mode: the answer model judges the top passages…');
    const judge = {
      question: query,
      instructions: guided.queryInstruction(settings.searchInstructions),
      topN: deepN,
      stop: req.deepStop,
    };
    sources = (await deepStage(judge, sources, ports.deep, on.deep, signal)).slice(0, settings.topK);
    // The feedback record keeps the order the user was shown in the end (its mining reads ranks from it).
    on.searched?.({
      queries,
      trace: found.trace ?? null,
      final: { ids: sources.map((x) => x.chunkId), scores: sources.map((x) => x.score) },
    });
    on.sources(sources);
  }
  if (!gate.relevant) {
    // Below the threshold the generator is not called: say so and show the nearest passages.
    on.note(
      found.found === 0 && guided.filtered
        ? 'No passage matches the current filters. Clear them to search everything.'
        : searchNote(found, queries.length, search.keywordOnlyReason),
    );
    on.phase('refused');
    on.info('Nothing relevant found.');
    return { phase: 'refused' };
  }
  on.note(searchNote(found, queries.length, search.keywordOnlyReason));
  on.phase('loading-model');
  on.info('Loading the answer model…');
  const generator = await ports.generator();
  if (signal.aborted) throw new AppError('ABORTED');
  // A version asked for (an evaluation run) is used as is; otherwise the user's pin or A/B assignment decides.
  const template =
    req.promptVersion !== undefined
      ? getPrompt(PROMPT_NAME, req.promptVersion)
      : ((await ports.answerPrompt?.()) ?? groundedAnswerV1);
  const prompt = { name: template.name, version: template.version };
  const fit = await fitContext({
    countTokens: (messages) => generator.countTokens(messages, signal),
    contextLength: generator.contextLength,
    answerBudget: generator.maxNewTokens,
    question,
    passages: sources.map((s) => ({ n: s.n, source: s.docName, text: s.text })),
    history,
    build: (q, passages, h) => buildMessages(q, passages, h, template),
  });
  if (!fit.fits) throw new AppError('QUESTION_TOO_LONG');
  on.fitted({ used: fit.used, dropped: fit.dropped, prompt });
  on.phase('generating');
  on.info(`Writing the answer from ${fit.used.length} of ${sources.length} passages…`);
  let answer = '';
  const result = await generator.generate(fit.messages, generator.maxNewTokens, signal, (t) => {
    answer += t;
    on.text(t);
  });
  const grounding = attributeUncited(
    await groundAnswer(
      answer,
      sources.filter((s) => fit.used.includes(s.n)).map((s) => ({ n: s.n, text: s.text })),
    ),
  );
  const flagged = grounding.filter((g) => g.flagged).length;
  const stats = { tokens: result.tokens, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs };
  on.grounded({ grounding, stats });
  await ports.promptUsed?.(answerUse({ prompt, answer, grounding, stats, promptTokens: fit.promptTokens }));
  on.phase('done');
  on.info(
    `Answered from ${fit.used.length} passages${flagged ? `; ${flagged} sentence(s) not supported by your documents` : ''}.`,
  );
  return { phase: 'done', grounding, stats };
}

/** How the search ran, in plain words (keyword-only, reranked on WebGPU, …). */
function searchNote(found: Retrieved, queries: number, keywordOnlyReason: string | null): string {
  const excluded = found.excluded ?? 0;
  // Every hit held an excluded term: how the search ran is beside the point.
  let note =
    excluded > 0 && found.passages.length === 0
      ? 'Every passage found holds a term your instructions exclude. Remove that filter to see them.'
      : howSearched(found, queries, keywordOnlyReason);
  if (excluded > 0 && found.passages.length > 0)
    note += ` ${excluded === 1 ? '1 passage' : `${excluded} passages`} holding a term your instructions exclude left out.`;
  return found.publishedFailure ? `${note} The published library was left out: ${found.publishedFailure}` : note;
}

function howSearched(found: Retrieved, queries: number, keywordOnlyReason: string | null): string {
  if (found.reranked) {
    return `${found.dense ? 'Dense and keyword' : 'Keyword'} results${queries > 1 ? ` for ${queries} queries` : ''}, reranked by late interaction on ${found.reranked === 'webgpu' ? 'WebGPU' : 'the CPU'}${DEFAULT_FINAL_ORDER === 'fusion' ? ' and fused with the search order' : ''}.${found.gpuFailure ? ` ${found.gpuFailure}` : ''}`;
  }
  return found.dense ? 'Dense and keyword results fused.' : (keywordOnlyReason ?? 'Keyword search only.');
}

/** The passages shown, numbered from 1, with their text and document name. */
async function loadSources(found: Retrieved, ports: AskPorts): Promise<Source[]> {
  const chunks = await ports.passages(found.passages.map((p) => p.id));
  const sources: Source[] = [];
  found.passages.forEach((p, i) => {
    const c = chunks[i];
    if (!c) return;
    sources.push({
      n: sources.length + 1,
      chunkId: c.id,
      docId: c.docId,
      docName: ports.docName(c.docId),
      library: ports.libraryOf(c.docId),
      text: c.text,
      start: c.start,
      end: c.end,
      score: p.score,
      scoreKind: found.reranked ? 'rerank' : 'fusion',
      denseScore: p.denseScore,
      keywordScore: p.keywordScore,
      headingPath: c.headingPath,
      pageStart: c.pageStart,
      matches: p.matches,
      docTokens: p.docTokens,
    });
  });
  return sources;
}
