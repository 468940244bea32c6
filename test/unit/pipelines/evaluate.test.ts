// The evaluate pipeline: the evaluation set, the app's retrieve per configuration, answers, the kept run; and that
// the CLI (test/eval) and the app produce identical figures from the same ranked lists (one implementation).
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  configOf,
  evaluateRetrieval,
  type ConfigFigures,
  type EvalQuestion,
  type RetrievalConfig,
} from '../../../src/lib/evaluation';
import type { EvalQuestionRecord } from '../../../src/lib/persistence/eval-schema';
import type { FeedbackRecord } from '../../../src/lib/persistence/feedback-schema';
import type { ChunkRecord } from '../../../src/lib/persistence/schema';
import type { AskPorts, AskSettings, SearchAccess } from '../../../src/lib/pipelines/ask';
import {
  appSearchPort,
  byDocument,
  DOCUMENT_EVAL_DEPTH,
  evaluationSet,
  runEvaluation,
  writePhrasings,
  type EvalRun,
  type EvaluatePorts,
} from '../../../src/lib/pipelines/evaluate';
import type { RankedPassage, Retrieved, RetrieveRequest } from '../../../src/lib/retrieval/search-types';
import { searcherPort } from '../../eval/eval';
import type { Searcher } from '../../eval/searchers';

const SETTINGS: AskSettings = {
  multiQuery: false,
  searchInstructions: '',
  topK: 3,
  rerankCandidates: 2,
  denseWeight: 1,
  keywordWeight: 1,
  relevanceThreshold: null,
};

const passage = (id: string): RankedPassage => ({
  id,
  score: 0.5,
  relevance: 0.9,
  bestDense: 0.9,
  denseScore: 0.9,
  keywordScore: null,
  matches: [],
  docTokens: [],
});

const found = (ids: string[], reranked = false): Retrieved => ({
  found: ids.length,
  passages: ids.map(passage),
  dense: true,
  reranked: reranked ? 'cpu' : null,
  gpuFailure: null,
  trace: {
    dense: null,
    keyword: null,
    fused: { ids, scores: ids.map(() => 0) },
    reranked: null,
    ms: { embed: 2, search: 3, rerank: reranked ? 7 : 0 },
  },
});

/** Which ranked list each (mode, question text) gets: the same lists feed the CLI's searcher and the app's retrieve. */
const LISTS: Record<string, Record<string, string[]>> = {
  bm25: { lens: ['d1:0', 'd1:1', 'd2:0'], wick: ['d2:0', 'd1:1'], starter: [] },
  dense: { lens: ['d1:1', 'd1:0'], wick: ['d1:1'], starter: ['d2:0'] },
  hybrid: { lens: ['d1:1', 'd1:0', 'd2:0'], wick: ['d1:1', 'd2:0'], starter: ['d2:0'] },
};
const modeOf = (req: RetrieveRequest) => (req.only === 'dense' ? 'dense' : req.only === 'keyword' ? 'bm25' : 'hybrid');

function access(log: RetrieveRequest[] = [], reranker = false): SearchAccess {
  return {
    retrieve: async (req) => {
      log.push(req);
      const list = LISTS[modeOf(req)]![req.queries[0]!]!;
      // The reranker swaps the first two of the head it is given.
      if (req.rerank) {
        const head = list.slice(0, req.candidates);
        return found([...head.slice(0, 2).reverse(), ...head.slice(2)], true);
      }
      return found(list.slice(0, req.candidates));
    },
    embedder: { instructions: false },
    late: reranker ? { skiplist: [], gpu: false } : null,
    keywordOnlyReason: null,
  };
}

const QUESTIONS: EvalQuestion[] = [
  { id: 'q1', text: 'lens', judgments: new Map([['d1:0', 1]]) },
  { id: 'q2', text: 'wick', judgments: new Map([['d1:1', 1]]) },
  { id: 'q3', text: 'starter', judgments: new Map([['d2:0', 1]]) },
];

const withoutLatency = ({ latency: _, ...f }: ConfigFigures) => f;

describe('one implementation: CLI and app', () => {
  it('give identical figures from the same ranked lists', async () => {
    const configs: RetrievalConfig[] = ['bm25', 'dense', 'hybrid'].map((m) => configOf(m as 'bm25', false));
    const app = await evaluateRetrieval(QUESTIONS, configs, appSearchPort(access(), SETTINGS));
    for (const [i, config] of configs.entries()) {
      // The CLI's searchers return BM25 / cosine scores, best first: scores unlike the app's positions, same order.
      const searcher: Searcher = {
        index: async () => {},
        search: async (text) => LISTS[config.mode]![text]!.map((id, r) => ({ id, score: 10 / (r + 1) })),
      };
      const cli = await evaluateRetrieval(QUESTIONS, [config], searcherPort(searcher));
      expect(withoutLatency(app.configs[i]!)).toEqual(withoutLatency(cli.configs[0]!));
    }
    // And the figures are the hand-computed ones: BM25 finds q1 first, q2 second, q3 never.
    expect(app.configs[0]!['mrr@10']).toBeCloseTo((1 + 1 / 2 + 0) / 3, 12);
    expect(app.configs[1]!['recall@5']).toBeCloseTo(1, 12);
  });
});

describe('one implementation: judged by document', () => {
  it("reads the app's passages by document (best passage's place) and matches the CLI's flat document ranking", async () => {
    // The app ranks passages; the CLI (BEIR's flat baselines) ranks whole documents.
    const passages = ['d1:1', 'd2:0', 'd1:0', 'q7:0', 'd3:0', 'd2:1'];
    const docs = ['d1', 'd2', 'q7', 'd3'];
    const q: EvalQuestion = {
      id: 'q7',
      text: 'lens',
      judgments: new Map([
        ['d2', 2],
        ['d3', 1],
        ['q7', 1],
      ]),
      byDocument: true,
      ignore: ['q7'],
    };
    const log: RetrieveRequest[] = [];
    const app = await evaluateRetrieval([q], [configOf('hybrid', false)], {
      rank: (question, config, signal) =>
        appSearchPort(
          {
            ...access(),
            retrieve: async (req) => (log.push(req), found(passages)),
          },
          SETTINGS,
        ).rank(question, config, signal),
    });
    const searcher: Searcher = {
      index: async () => {},
      search: async () => docs.map((id, r) => ({ id, score: 9 - r })),
    };
    // The CLI drops the hit named as the query (ignore_identical_ids) by its query id, as BEIR does.
    const cli = await evaluateRetrieval(
      [{ ...q, byDocument: undefined, ignore: undefined }],
      [configOf('hybrid', false)],
      searcherPort(searcher),
    );
    expect(withoutLatency(app.configs[0]!)).toEqual(withoutLatency(cli.configs[0]!));
    expect(log[0]!.candidates).toBe(DOCUMENT_EVAL_DEPTH);
    // d2 (rel 2) at rank 2, d3 (rel 1) at rank 3; q7 is ignored although judged.
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(4);
    const idcg = 2 + 1 / Math.log2(3) + 1 / Math.log2(4);
    expect(app.configs[0]!['ndcg@10']).toBeCloseTo(dcg / idcg, 12);
    expect(app.configs[0]!['recall@10']).toBeCloseTo(2 / 3, 12);
  });

  it('byDocument keeps each document once, at its first passage, without the ignored, at most 100', () => {
    expect(byDocument(['a:2', 'b:0', 'a:0', 'x:y:1', 'c:0'], ['b'])).toEqual(['a', 'x:y', 'c']);
    const many = Array.from({ length: 150 }, (_, i) => `d${i}:0`);
    expect(byDocument(many)).toHaveLength(100);
  });
});

describe('app search port', () => {
  it('turns a configuration into a request: `only` leaves a search out; rerank keeps the first stage after its head', async () => {
    const log: RetrieveRequest[] = [];
    const port = appSearchPort(access(log, true), SETTINGS);
    const signal = new AbortController().signal;
    await port.rank(QUESTIONS[0]!, configOf('bm25', false), signal);
    await port.rank(QUESTIONS[0]!, configOf('dense', false), signal);
    expect(log.map((r) => [r.only, r.candidates, r.rerank])).toEqual([
      ['keyword', 100, null],
      ['dense', 100, null],
    ]);
    const r = await port.rank(QUESTIONS[0]!, configOf('rerank', false), signal);
    // hybrid: d1:1, d1:0, d2:0; the head of 2 reranked (swapped), then the rest in first-stage order.
    expect(r.ranked.map((h) => h.id)).toEqual(['d1:0', 'd1:1', 'd2:0']);
    expect(r.ms).toEqual({ embed: 2, search: 3, rerank: 7 });
    expect(log.at(-1)).toMatchObject({ candidates: 2, topK: 2, rerank: { gpu: false, skip: [] } });
  });

  it('writes the multi-query phrasings once per question, up front, and searches them all', async () => {
    const log: RetrieveRequest[] = [];
    const prompts: string[] = [];
    const signal = new AbortController().signal;
    const phrasings = await writePhrasings(
      QUESTIONS.slice(0, 2),
      async (messages) => (prompts.push(messages.at(-1)!.content), '1. lens glass\n2. lamp optics\n3. lens'),
      { signal },
    );
    expect(prompts).toHaveLength(2);
    expect(prompts[0]).toContain('lens');
    const port = appSearchPort(access(log), SETTINGS, phrasings);
    await port.rank(QUESTIONS[0]!, configOf('bm25', true), signal);
    const r = await port.rank(QUESTIONS[0]!, configOf('hybrid', true), signal);
    await port.rank(QUESTIONS[0]!, configOf('hybrid', false), signal);
    // The question first, its own repeat dropped; the single-query row searches the question alone.
    expect(log.map((x) => x.queries)).toEqual([
      ['lens', 'lens glass', 'lamp optics'],
      ['lens', 'lens glass', 'lamp optics'],
      ['lens'],
    ]);
    expect(r.ms.multiQuery).toBe(phrasings.get('q1')!.ms);
  });
});

const chunk = (id: string): ChunkRecord => ({
  id,
  docId: id.split(':')[0]!,
  ordinal: 0,
  text: { 'd1:0': 'The lens turns the lamp into a beam.', 'd1:1': 'Keepers trimmed the wick.' }[id] ?? 'Starter.',
  start: 0,
  end: 10,
  headingPath: [],
  pageStart: null,
  pageEnd: null,
  tokenCount: 5,
  hash: id,
});

const question = (id: string, text: string, chunkIds: string[]): EvalQuestionRecord => ({
  id,
  text,
  docId: chunkIds[0]?.split(':')[0] ?? '',
  chunkIds,
  origin: 'synthetic',
  createdAt: Number(id.slice(1)),
});

const feedback = (id: string, query: string, sources: FeedbackRecord['sources']): FeedbackRecord => ({
  id,
  at: 1,
  question: query,
  query,
  queries: [query],
  stages: {
    dense: null,
    keyword: null,
    fused: { ids: [], scores: [] },
    reranked: null,
    final: { ids: [], scores: [] },
  },
  shown: [],
  cited: [],
  models: [],
  prompt: null,
  outcome: 'done',
  thumbs: null,
  reason: '',
  sources,
  opened: [],
  expanded: [],
  copied: false,
});

describe('evaluation set', () => {
  it('joins stored questions and judged feedback, drops gold passages gone from the library and repeats', async () => {
    const live = new Set(['d1:0', 'd1:1']);
    const set = await evaluationSet(
      [question('q1', 'lens', ['d1:0']), question('q2', 'gone', ['d9:0'])],
      [
        feedback('f1', 'wick', { 'd1:1': 'relevant', 'd1:0': 'not-relevant' }),
        feedback('f2', 'lens', { 'd1:0': 'relevant' }),
      ],
      async (ids) => ids.map((id) => live.has(id)),
    );
    expect(set.questions.map((q) => [q.id, q.text, [...q.judgments.keys()]])).toEqual([
      ['q1', 'lens', ['d1:0']],
      ['feedback:f1', 'wick', ['d1:1']],
    ]);
    expect(set.sources).toEqual({ synthetic: 1, feedback: 1 });
    expect(set.stale).toBe(1);
  });

  it('leaves out the synthetic questions and feedback queries the adapter in use trained on, and counts them', async () => {
    const set = await evaluationSet(
      [question('q1', 'lens', ['d1:0']), question('q2', 'beam', ['d1:1'])],
      [feedback('f1', 'Wick  oil ', { 'd1:1': 'relevant' }), feedback('f2', 'lamp', { 'd1:0': 'relevant' })],
      async () => [true, true],
      undefined,
      new Set(['synthetic:q2', 'feedback:wick oil', 'synthetic:f2']),
    );
    expect(set.questions.map((q) => q.id)).toEqual(['q1', 'feedback:f2']);
    expect(set).toMatchObject({ adapterTrained: 2, stale: 0, sources: { synthetic: 1, feedback: 1 } });
  });

  it('reads benchmark questions by document, graded, without documents gone from the library', async () => {
    const bench = (id: string, documents: Record<string, number>): EvalQuestionRecord => ({
      id,
      text: `question ${id}`,
      docId: Object.keys(documents)[0]!,
      chunkIds: [],
      documents,
      ignore: ['d5'],
      origin: 'benchmark',
      createdAt: 1,
    });
    const docs = new Set(['d1', 'd2']);
    const set = await evaluationSet(
      [bench('b1', { d1: 2, d2: 1, d3: 1, d4: 0 }), bench('b2', { d3: 1 }), question('q1', 'lens', ['d1:0'])],
      [],
      async (ids) => ids.map((id) => id === 'd1:0'),
      async (ids) => ids.map((id) => docs.has(id)),
    );
    expect(set.questions.map((q) => [q.id, [...q.judgments], q.byDocument, q.ignore])).toEqual([
      [
        'b1',
        [
          ['d1', 2],
          ['d2', 1],
        ],
        true,
        ['d5'],
      ],
      ['q1', [['d1:0', 1]], undefined, undefined],
    ]);
    expect(set.sources).toEqual({ benchmark: 1, synthetic: 1 });
    expect(set.stale).toBe(1);
  });
});

describe('runEvaluation', () => {
  function ports(records: EvalQuestionRecord[], saved: EvalRun[]): EvaluatePorts {
    const ask: AskPorts = {
      library: async () => ({ empty: false, importing: false }),
      search: async () => access(),
      generator: async () => ({
        contextLength: 2048,
        maxNewTokens: 32,
        generate: async (_m, _max, _signal, onText) => {
          const text = 'The lens makes a beam [1].';
          onText?.(text);
          return { text, tokens: 6, firstTokenMs: 4, totalMs: 8 };
        },
        countTokens: async () => 10,
      }),
      passages: async (ids) => ids.map((id) => (id.startsWith('d') && !id.startsWith('d9') ? chunk(id) : undefined)),
      docName: () => 'doc.md',
      libraryOf: () => null,
    };
    return {
      ask,
      questions: async () => records,
      documentsExist: async (ids) => ids.map((id) => id.startsWith('d') && !id.startsWith('d9')),
      feedback: async () => [],
      saveRun: async (run) => void saved.push(run),
      now: () => 1234,
      newId: () => 'run-1',
    };
  }

  it('runs the rows the loaded models allow, answers with the chosen version, and keeps the run', async () => {
    const saved: EvalRun[] = [];
    const progress: string[] = [];
    const run = await runEvaluation(
      { settings: { ...SETTINGS, topK: 3 }, multiQuery: false, answerVersion: 1 },
      ports([question('q1', 'lens', ['d1:0']), question('q2', 'wick', ['d1:1'])], saved),
      { signal: new AbortController().signal, progress: (p) => progress.push(`${p.done}/${p.total}`) },
    );
    expect(saved).toEqual([run]);
    expect(run).toMatchObject({ id: 'run-1', at: 1234, report: { format: 1, sources: { synthetic: 2 } } });
    // An embedder and no reranker, no generator asked for: BM25, dense, hybrid.
    expect(run.report.retrieval.configs.map((c) => c.config.id)).toEqual(['bm25', 'dense', 'hybrid']);
    expect(run.report.retrieval.configs[0]!['mrr@10']).toBeCloseTo((1 + 1 / 2) / 2, 12);
    // Each answer cites [1]: lens's first source is d1:1 in hybrid order (not gold), wick's is d1:1 (gold).
    expect(run.report.answers).toMatchObject({ prompt: { name: 'grounded-answer', version: 1 }, answered: 2 });
    expect(run.report.answers!.answerRelevance).toBe(1 / 2);
    expect(run.report.answers!.citationValidity).toBe(1);
    expect(progress.at(-1)).toBe('8/8');
  });

  it('with the adapter on, a run leaves out what it trained on, says so, and refuses when nothing else is left', async () => {
    const records = [question('q1', 'lens', ['d1:0']), question('q2', 'wick', ['d1:1'])];
    const asked: string[] = [];
    const p = ports(records, []);
    const search = p.ask.search;
    p.ask.search = async () => (asked.push('search'), search());
    p.adapterTrainedOn = async () => (asked.push('adapter'), ['synthetic:q2']);
    const run = await runEvaluation({ settings: SETTINGS, multiQuery: false, answerVersion: null }, p, {
      signal: new AbortController().signal,
    });
    // The adapter is read once search is open (opening it loads the adapter).
    expect(asked.slice(0, 2)).toEqual(['search', 'adapter']);
    expect(run.report.sources).toEqual({ synthetic: 1, adapterTrained: 1 });
    expect(run.report.retrieval.questions).toBe(1);
    p.adapterTrainedOn = async () => ['synthetic:q1', 'synthetic:q2'];
    await expect(
      runEvaluation({ settings: SETTINGS, multiQuery: false, answerVersion: null }, p, {
        signal: new AbortController().signal,
      }),
    ).rejects.toMatchObject({ code: 'EVAL_SET_ALL_TRAINED' });
  });

  it('a benchmark question judged by document counts an answer citing any passage of a gold document', async () => {
    const saved: EvalRun[] = [];
    const bench: EvalQuestionRecord = {
      id: 'b1',
      text: 'lens',
      docId: 'd1',
      chunkIds: [],
      documents: { d1: 1 },
      origin: 'benchmark',
      createdAt: 1,
    };
    const run = await runEvaluation(
      { settings: { ...SETTINGS, topK: 3 }, multiQuery: false, answerVersion: 1 },
      ports([bench], saved),
      { signal: new AbortController().signal },
    );
    expect(run.report.sources).toEqual({ benchmark: 1 });
    // The answer cites [1], d1:1, a passage of d1: the gold document.
    expect(run.report.answers!.answerRelevance).toBe(1);
    // By document: hybrid ranks d1 first.
    expect(run.report.retrieval.configs.find((c) => c.config.id === 'hybrid')!['mrr@10']).toBe(1);
  });

  it('with multi-query writes the phrasings first, then runs the multi-query rows too', async () => {
    const progress: string[] = [];
    const run = await runEvaluation(
      { settings: SETTINGS, multiQuery: true, answerVersion: null },
      ports([question('q1', 'lens', ['d1:0'])], []),
      { signal: new AbortController().signal, progress: (p) => progress.push(`${p.done}/${p.total} ${p.label}`) },
    );
    expect(run.report.retrieval.configs.map((c) => c.config.id)).toEqual([
      'bm25',
      'dense',
      'hybrid',
      'bm25+mq',
      'dense+mq',
      'hybrid+mq',
    ]);
    expect(run.report.retrieval.configs[3]!.latency.multiQuery?.n).toBe(1);
    expect(run.report.answers).toBeNull();
    expect(progress[0]).toBe('0/7 Writing the multi-query phrasings');
    expect(progress.at(-1)).toBe('7/7 ');
  });

  it('without an answer model leaves the multi-query rows and the answers out, says why, and keeps the run', async () => {
    const saved: EvalRun[] = [];
    const p = ports([question('q1', 'lens', ['d1:0'])], saved);
    p.ask.generator = async () => {
      throw new Error('the model host cannot be reached');
    };
    const run = await runEvaluation({ settings: SETTINGS, multiQuery: true, answerVersion: 1 }, p, {
      signal: new AbortController().signal,
    });
    expect(run.report.retrieval.configs.map((c) => c.config.id)).toEqual(['bm25', 'dense', 'hybrid']);
    expect(run.report.answers).toBeNull();
    expect(run.report.notes).toEqual([
      'The answer model could not be used (the model host cannot be reached): multi-query rows and answers were left out.',
    ]);
    expect(saved).toEqual([run]);
  });

  it('an answer phase that fails keeps the search figures', async () => {
    const saved: EvalRun[] = [];
    const p = ports([question('q1', 'lens', ['d1:0'])], saved);
    const loaded = await p.ask.generator();
    p.ask.generator = async () => ({
      ...loaded,
      generate: async () => {
        throw new Error('out of memory');
      },
    });
    const run = await runEvaluation({ settings: SETTINGS, multiQuery: false, answerVersion: 1 }, p, {
      signal: new AbortController().signal,
    });
    expect(run.report.retrieval.configs).toHaveLength(3);
    expect(run.report.answers).toBeNull();
    expect(run.report.notes?.[0]).toMatch(/^Answers were not evaluated: .*out of memory/);
    expect(saved).toHaveLength(1);
  });

  it('a cancel while the models still load ends the run at once', async () => {
    const p = ports([question('q1', 'lens', ['d1:0'])], []);
    p.ask.search = () => new Promise(() => {}); // a download that never ends
    const stop = new AbortController();
    const running = runEvaluation({ settings: SETTINGS, multiQuery: false, answerVersion: null }, p, {
      signal: stop.signal,
    });
    stop.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('says so when the evaluation set is empty', async () => {
    await expect(
      runEvaluation({ settings: SETTINGS, multiQuery: false, answerVersion: null }, ports([], []), {
        signal: new AbortController().signal,
      }),
    ).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'EVAL_SET_EMPTY');
  });
});
