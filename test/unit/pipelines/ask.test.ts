// The ask pipeline with in-thread fakes: preconditions, follow-up rewrite, the gate, the budget, streaming, grounding.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { ChatMessage } from '../../../src/lib/models/generator/types';
import { groundedAnswerV2 } from '../../../src/lib/answer/prompts';
import type { PromptUse } from '../../../src/lib/persistence';
import type { ChunkRecord } from '../../../src/lib/persistence/schema';
import {
  askQuestion,
  type AskEvents,
  type AskPorts,
  type AskRequest,
  type GeneratorAccess,
  type SearchAccess,
} from '../../../src/lib/pipelines/ask';
import type { RankedPassage, Retrieved, RetrieveRequest } from '../../../src/lib/retrieval/search-types';
import type { DeepRerankPorts, DeepStageEvents } from '../../../src/lib/pipelines/deep-rerank';
import type { JudgmentRecord } from '../../../src/lib/persistence/schema';

/** Deep mode's ports: P(yes) per chunk id (by the passage text it quotes), an in-memory cache, no measured pace. */
function deepPorts(p: Record<string, number>, judged: string[], onJudge: () => void = () => {}): DeepRerankPorts {
  const store = new Map<string, JudgmentRecord>();
  return {
    model: 'lm',
    judge: async (params, signal, onText) => {
      const id = Object.keys(p).find((k) => params.messages.at(-1)!.content.includes(PASSAGES[k]!))!;
      if (signal.aborted) throw new AppError('ABORTED');
      judged.push(id);
      onText(`About ${id}.`);
      onJudge();
      return {
        reasoning: `About ${id}.`,
        verdict: { yes: [Math.log(p[id]!)], no: [Math.log(1 - p[id]!)], yesIds: [1], noIds: [2] },
        tokens: 2,
        ms: 10,
      };
    },
    judgments: { get: async (k) => store.get(k), put: async (r) => void store.set(r.key, r) },
    pace: { get: async () => null, set: async () => {} },
  };
}

const deepLog = (events: string[]): DeepStageEvents => ({
  estimate: (e) => events.push(`estimate:${e.judge}`),
  start: (id) => events.push(`start:${id}`),
  text: () => {},
  judged: (id, j) => events.push(`judged:${id}=${j.probability?.toFixed(2)}`),
  done: (d) => events.push(`done:${d.judged}${d.stopped ? ' stopped' : ''}${d.failed ? ` failed: ${d.failed}` : ''}`),
});

const PASSAGES: Record<string, string> = {
  'd1:0': 'The Fresnel lens concentrates the lamp into a beam seen twenty miles out at sea.',
  'd1:1': 'Keepers trimmed the wick every night and wound the clockwork that turned the lens.',
  'd2:0': 'Sourdough needs a starter fed with flour and water for several days.',
};

const chunk = (id: string): ChunkRecord => ({
  id,
  docId: id.split(':')[0]!,
  ordinal: Number(id.split(':')[1]),
  text: PASSAGES[id]!,
  start: 0,
  end: PASSAGES[id]!.length,
  headingPath: [],
  pageStart: null,
  pageEnd: null,
  tokenCount: 10,
  hash: id,
});

const ranked = (id: string, relevance: number | null, bestDense: number | null = 0.7): RankedPassage => ({
  id,
  score: relevance ?? 0.03,
  relevance,
  bestDense,
  denseScore: bestDense,
  keywordScore: null,
  matches: [],
  docTokens: [],
});

const REQUEST: AskRequest = {
  question: 'How far is the beam seen?',
  history: [],
  settings: {
    multiQuery: false,
    searchInstructions: '',
    topK: 3,
    rerankCandidates: 20,
    denseWeight: 1,
    keywordWeight: 1,
    relevanceThreshold: null,
  },
  filters: {},
  filtersActive: false,
};

interface Log {
  events: string[];
  retrieves: RetrieveRequest[];
  prompts: ChatMessage[][];
  generatorLoads: number;
  answer: string;
}

/** Ports over a fixed retrieval result and a scripted generator (rewrites first, then the answer). */
function setup(
  found: Retrieved,
  options: {
    late?: boolean;
    scripts?: string[];
    answer?: string[];
    contextLength?: number;
    search?: Partial<SearchAccess>;
  } = {},
): { ports: AskPorts; on: AskEvents; log: Log } {
  const log: Log = { events: [], retrieves: [], prompts: [], generatorLoads: 0, answer: '' };
  const scripts = [...(options.scripts ?? [])];
  const generator: GeneratorAccess = {
    contextLength: options.contextLength ?? 2048,
    maxNewTokens: 64,
    generate: async (messages, _max, signal, onText) => {
      log.prompts.push(messages);
      if (!onText) return { text: scripts.shift() ?? '', tokens: 1, firstTokenMs: 1, totalMs: 1 };
      const pieces = options.answer ?? ['The beam is seen ', 'twenty miles out at sea [1].'];
      for (const p of pieces) {
        if (signal.aborted) throw new AppError('ABORTED');
        onText(p);
      }
      return { text: pieces.join(''), tokens: pieces.length, firstTokenMs: 5, totalMs: 9 };
    },
    countTokens: async (messages) => messages.reduce((n, m) => n + m.content.split(/\s+/).length, 0),
  };
  const ports: AskPorts = {
    library: async () => ({ empty: false, importing: false }),
    search: async () => ({
      retrieve: async (req) => {
        log.retrieves.push(req);
        return found;
      },
      embedder: { instructions: false, relevanceThreshold: 0.5 },
      late: options.late === false ? null : { skiplist: ['?'], relevanceThreshold: 0.6, gpu: false },
      keywordOnlyReason: null,
      ...options.search,
    }),
    generator: async () => {
      log.generatorLoads++;
      return generator;
    },
    passages: async (ids) => ids.map((id) => (PASSAGES[id] ? chunk(id) : undefined)),
    docName: (docId) => ({ d1: 'lighthouses.md', d2: 'sourdough.txt' })[docId] ?? 'Unknown',
    libraryOf: (docId) => (docId === 'd2' ? 'Bakery handbook' : null),
  };
  const on: AskEvents = {
    phase: (p) => log.events.push(`phase:${p}`),
    info: () => {},
    query: (q) => log.events.push(`query:${q}`),
    note: (t) => log.events.push(`note:${t}`),
    sources: (s) =>
      log.events.push(
        `sources:${s.map((x) => `${x.n}=${x.chunkId}@${x.docName}${x.library ? ` (${x.library})` : ''}`).join(',')}`,
      ),
    fitted: (f) => log.events.push(`fitted:${f.used.join(',')}|${f.dropped.join(',')}|${f.prompt.name}`),
    text: (t) => (log.answer += t),
    grounded: (g) => log.events.push(`grounded:${g.grounding.length}|${g.stats.tokens}`),
  };
  return { ports, on, log };
}

const reranked = (passages: RankedPassage[], found = passages.length): Retrieved => ({
  found,
  passages,
  dense: true,
  reranked: 'cpu',
  gpuFailure: null,
});
const signal = () => new AbortController().signal;

describe('ask pipeline', () => {
  it('retrieves, gates, fits the prompt, streams a cited answer and grounds it', async () => {
    const { ports, on, log } = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.5), ranked('gone:0', 0.4)]));
    const out = await askQuestion(REQUEST, ports, on, signal());
    expect(log.events).toEqual([
      'phase:searching',
      'phase:searching',
      // A passage deleted since it was indexed is left out; the rest are numbered from 1.
      'sources:1=d1:0@lighthouses.md,2=d1:1@lighthouses.md',
      'note:Dense and keyword results, reranked by late interaction on the CPU and fused with the search order.',
      'phase:loading-model',
      'fitted:1,2||grounded-answer',
      'phase:generating',
      'grounded:1|2',
      'phase:done',
    ]);
    expect(log.retrieves[0]).toMatchObject({
      queries: ['How far is the beam seen?'],
      instructions: '',
      candidates: 20,
      topK: 3,
      rerank: { gpu: false, skip: ['?'] },
    });
    expect(log.answer).toBe('The beam is seen twenty miles out at sea [1].');
    expect(log.prompts[0]!.map((m) => m.content).join('\n')).toContain(PASSAGES['d1:0']);
    if (out.phase !== 'done') throw new Error(out.phase);
    expect(out.stats).toEqual({ tokens: 2, firstTokenMs: 5, totalMs: 9 });
    expect(out.grounding).toHaveLength(1);
    expect(out.grounding[0]).toMatchObject({ cites: [1], supported: true, flagged: false });
  });

  it("writes with the template the assignment gives and counts the answer in that version's figures", async () => {
    const { ports, on, log } = setup(reranked([ranked('d1:0', 0.8)]));
    const uses: PromptUse[] = [];
    const fitted: { name: string; version: number }[] = [];
    ports.answerPrompt = async () => groundedAnswerV2;
    ports.promptUsed = async (use) => void uses.push(use);
    await askQuestion(REQUEST, ports, { ...on, fitted: (f) => fitted.push(f.prompt) }, signal());
    expect(log.prompts[0]![0]!.content).toBe(groundedAnswerV2.system);
    expect(fitted).toEqual([{ name: 'grounded-answer', version: 2 }]);
    const sent = log.prompts[0]!.reduce((n, m) => n + m.content.split(/\s+/).length, 0);
    expect(uses).toEqual([
      {
        name: 'grounded-answer',
        version: 2,
        firstTokenMs: 5,
        totalMs: 9,
        tokensIn: sent,
        tokensOut: 2,
        grounding: 1,
        refused: false,
      },
    ]);
  });

  it('counts a refusal written by the model, but takes and counts nothing for one the relevance gate made', async () => {
    const model = setup(reranked([ranked('d1:0', 0.8)]), { answer: ['Your documents do not say.'] });
    const uses: PromptUse[] = [];
    model.ports.promptUsed = async (use) => void uses.push(use);
    await askQuestion(REQUEST, model.ports, model.on, signal());
    expect(uses).toMatchObject([{ version: 1, refused: true, grounding: null }]);
    const gate = setup(reranked([ranked('d1:0', 0.1)]));
    gate.ports.promptUsed = async (use) => void uses.push(use);
    // No template is taken either: A/B alternates over written answers, not over questions the gate refused.
    let taken = 0;
    gate.ports.answerPrompt = async () => (taken++, groundedAnswerV2);
    expect(await askQuestion(REQUEST, gate.ports, gate.on, signal())).toEqual({ phase: 'refused' });
    expect(uses).toHaveLength(1);
    expect(taken).toBe(0);
  });

  it('says in the search note when WebGPU failed and the CPU reranked', async () => {
    const found = {
      ...reranked([ranked('d1:0', 0.8)]),
      gpuFailure: 'WebGPU failed while scoring; MaxSim runs on the CPU.',
    };
    const { ports, on, log } = setup(found);
    await askQuestion(REQUEST, ports, on, signal());
    expect(log.events).toContain(
      'note:Dense and keyword results, reranked by late interaction on the CPU and fused with the search order. WebGPU failed while scoring; MaxSim runs on the CPU.',
    );
  });

  it('refuses below the reranker threshold without loading the answer model', async () => {
    const { ports, on, log } = setup(reranked([ranked('d2:0', 0.3), ranked('d1:1', 0.2)]));
    expect(await askQuestion(REQUEST, ports, on, signal())).toEqual({ phase: 'refused' });
    expect(log.events).toContain('phase:refused');
    expect(log.generatorLoads).toBe(0);
    // Settings' threshold overrides the registry's.
    const lower = { ...REQUEST, settings: { ...REQUEST.settings, relevanceThreshold: 0.25 } };
    expect((await askQuestion(lower, setup(reranked([ranked('d2:0', 0.3)])).ports, on, signal())).phase).toBe('done');
  });

  it('without a reranker gates on the best dense cosine, and says when filters hid everything', async () => {
    const fused = (bestDense: number | null): Retrieved => ({
      found: 1,
      passages: [ranked('d1:0', null, bestDense)],
      dense: true,
      reranked: null,
      gpuFailure: null,
    });
    const low = setup(fused(0.3), { late: false });
    expect((await askQuestion(REQUEST, low.ports, low.on, signal())).phase).toBe('refused');
    expect(low.log.events).toContain('note:Dense and keyword results fused.');
    const high = setup(fused(0.6), { late: false });
    expect((await askQuestion(REQUEST, high.ports, high.on, signal())).phase).toBe('done');

    const none = setup({ found: 0, passages: [], dense: true, reranked: null, gpuFailure: null });
    const filtered = { ...REQUEST, filtersActive: true };
    expect((await askQuestion(filtered, none.ports, none.on, signal())).phase).toBe('refused');
    expect(none.log.events).toContain('note:No passage matches the current filters. Clear them to search everything.');
  });

  it('rewrites a follow-up into a stand-alone query, unless the rewrite drifted off the conversation', async () => {
    const history: ChatMessage[] = [
      { role: 'user', content: 'What does the Fresnel lens do?' },
      { role: 'assistant', content: 'It concentrates the lamp into a beam [1].' },
    ];
    const follow = { ...REQUEST, question: 'And how far is it seen?', history };
    const good = setup(reranked([ranked('d1:0', 0.8)]), { scripts: ['How far is the Fresnel lens beam seen?'] });
    await askQuestion(follow, good.ports, good.on, signal());
    expect(good.log.events.slice(0, 3)).toEqual([
      'phase:searching',
      'phase:rewriting',
      'query:How far is the Fresnel lens beam seen?',
    ]);
    expect(good.log.retrieves[0]!.queries).toEqual(['How far is the Fresnel lens beam seen?']);

    const drifted = setup(reranked([ranked('d1:0', 0.8)]), { scripts: ['Best sourdough starter recipe'] });
    await askQuestion(follow, drifted.ports, drifted.on, signal());
    expect(drifted.log.retrieves[0]!.queries).toEqual(['And how far is it seen?']);
  });

  it('searches extra phrasings with multi-query, and appends instructions only for embedders that take them', async () => {
    const t = setup(reranked([ranked('d1:0', 0.8)]), {
      scripts: ['1. lighthouse beam range\n2. visibility of the lamp'],
      search: { embedder: { instructions: true } },
    });
    const req = {
      ...REQUEST,
      settings: { ...REQUEST.settings, multiQuery: true, searchInstructions: ' Be literal. ' },
    };
    await askQuestion(req, t.ports, t.on, signal());
    expect(t.log.retrieves[0]!.queries[0]).toBe(REQUEST.question);
    expect(t.log.retrieves[0]!.queries.length).toBeGreaterThan(1);
    expect(t.log.retrieves[0]!.instructions).toBe('Be literal.');
  });

  it('fails with its own code when the library is empty, search is not ready, or the question cannot fit', async () => {
    const t = setup(reranked([ranked('d1:0', 0.8)]));
    const empty = { ...t.ports, library: async () => ({ empty: true, importing: true }) };
    await expect(askQuestion(REQUEST, empty, t.on, signal())).rejects.toMatchObject({
      code: 'INDEX_STILL_BUILDING',
      message: expect.stringContaining('still being added'),
    });
    const none = { ...t.ports, library: async () => ({ empty: true, importing: false }) };
    await expect(askQuestion(REQUEST, none, t.on, signal())).rejects.toMatchObject({ code: 'INDEX_EMPTY' });
    const noSearch = setup(reranked([]), { search: { retrieve: null } });
    await expect(askQuestion(REQUEST, noSearch.ports, noSearch.on, signal())).rejects.toMatchObject({
      code: 'SEARCH_NOT_READY',
    });
    const tiny = setup(reranked([ranked('d1:0', 0.8)]), { contextLength: 70 });
    await expect(askQuestion(REQUEST, tiny.ports, tiny.on, signal())).rejects.toMatchObject({
      code: 'QUESTION_TOO_LONG',
    });
  });

  it('fails with the storage error when the library could not open, before anything else', async () => {
    const t = setup(reranked([ranked('d1:0', 0.8)]));
    const broken = {
      ...t.ports,
      library: async () => {
        throw new AppError('STORAGE_FAILED');
      },
    };
    await expect(askQuestion(REQUEST, broken, t.on, signal())).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(t.log.events).toEqual([]);
  });

  it('does not generate when stopped while the answer model loads', async () => {
    const controller = new AbortController();
    const t = setup(reranked([ranked('d1:0', 0.8)]));
    const generator = t.ports.generator;
    t.ports.generator = async () => {
      const g = await generator();
      controller.abort();
      return g;
    };
    await expect(askQuestion(REQUEST, t.ports, t.on, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(t.log.prompts).toEqual([]);
    expect(t.log.events).not.toContain('phase:generating');
  });

  it('stops generating when aborted', async () => {
    const controller = new AbortController();
    const t = setup(reranked([ranked('d1:0', 0.8)]), { answer: ['The beam ', 'is seen ', 'far.'] });
    const text = t.on.text;
    t.on.text = (piece) => {
      text(piece);
      controller.abort();
    };
    await expect(askQuestion(REQUEST, t.ports, t.on, controller.signal)).rejects.toMatchObject({ code: 'ABORTED' });
    expect(t.log.answer).toBe('The beam ');
  });

  it('deep mode judges the top N retrieved, reorders the sources by the verdicts and keeps topK', async () => {
    const settings = { ...REQUEST.settings, topK: 2, deepMode: true, deepCandidates: 3 };
    const t = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.7), ranked('d2:0', 0.6)]));
    const judged: string[] = [];
    t.ports.deep = async () => deepPorts({ 'd1:0': 0.05, 'd1:1': 0.3, 'd2:0': 0.99 }, judged);
    const deep: string[] = [];
    await askQuestion({ ...REQUEST, settings }, t.ports, { ...t.on, deep: deepLog(deep) }, signal());
    expect(t.log.retrieves[0]).toMatchObject({ topK: 3, candidates: 20 });
    expect(judged).toEqual(['d1:0', 'd1:1', 'd2:0']);
    expect(deep).toEqual([
      'estimate:3',
      'start:d1:0',
      'judged:d1:0=0.05',
      'start:d1:1',
      'judged:d1:1=0.30',
      'start:d2:0',
      'judged:d2:0=0.99',
      'done:3',
    ]);
    const shown = t.log.events.filter((e) => e.startsWith('sources:'));
    expect(shown).toEqual([
      'sources:1=d1:0@lighthouses.md,2=d1:1@lighthouses.md,3=d2:0@sourdough.txt (Bakery handbook)',
      // blend: d2:0 0.495 + 0.167 beats d1:0 0.025 + 0.5 and d1:1 0.15 + 0.25; two are kept.
      'sources:1=d2:0@sourdough.txt (Bakery handbook),2=d1:0@lighthouses.md',
    ]);
    expect(
      t.log.prompts
        .at(-1)!
        .map((m) => m.content)
        .join('\n'),
    ).toContain(PASSAGES['d2:0']);
  });

  it("deep mode's own Stop keeps what was judged and the answer follows; off, it never runs", async () => {
    const stop = new AbortController();
    const settings = { ...REQUEST.settings, topK: 3, deepMode: true, deepCandidates: 3 };
    const t = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.7), ranked('d2:0', 0.6)]));
    const judged: string[] = [];
    t.ports.deep = async () =>
      deepPorts({ 'd1:0': 0.05, 'd1:1': 0.9, 'd2:0': 0.99 }, judged, () => judged.length === 2 && stop.abort());
    const deep: string[] = [];
    const req = { ...REQUEST, settings, deepStop: stop.signal };
    const out = await askQuestion(req, t.ports, { ...t.on, deep: deepLog(deep) }, signal());
    expect(out.phase).toBe('done');
    expect(judged).toEqual(['d1:0', 'd1:1']);
    expect(deep.at(-1)).toBe('done:2 stopped');
    expect(t.log.events.filter((e) => e.startsWith('sources:')).at(-1)).toBe(
      'sources:1=d1:1@lighthouses.md,2=d1:0@lighthouses.md,3=d2:0@sourdough.txt (Bakery handbook)',
    );
    const off = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.7)]));
    off.ports.deep = async () => deepPorts({}, judged);
    await askQuestion(REQUEST, off.ports, { ...off.on, deep: deepLog(deep) }, signal());
    expect(judged).toHaveLength(2);
    expect(off.log.retrieves[0]).toMatchObject({ topK: 3, candidates: 20 });
  });
  it('deep mode: the feedback record gets the order shown in the end; a refused question is not judged', async () => {
    const settings = { ...REQUEST.settings, topK: 2, deepMode: true, deepCandidates: 3 };
    const t = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.7), ranked('d2:0', 0.6)]));
    const searched: string[][] = [];
    t.on.searched = (x) => searched.push(x.final.ids);
    t.ports.deep = async () => deepPorts({ 'd1:0': 0.05, 'd1:1': 0.3, 'd2:0': 0.99 }, []);
    await askQuestion({ ...REQUEST, settings }, t.ports, { ...t.on, deep: deepLog([]) }, signal());
    expect(searched).toEqual([
      ['d1:0', 'd1:1', 'd2:0'],
      ['d2:0', 'd1:0'],
    ]);
    // Below the gate on the first topK (0.1, 0.2 < 0.6), although the third (0.9) is above it: refused, not judged.
    const low = setup(reranked([ranked('d1:0', 0.1), ranked('d1:1', 0.2), ranked('d2:0', 0.9)]));
    const judged: string[] = [];
    low.ports.deep = async () => deepPorts({ 'd1:0': 0.5, 'd1:1': 0.5, 'd2:0': 0.5 }, judged);
    const deep: string[] = [];
    const out = await askQuestion({ ...REQUEST, settings }, low.ports, { ...low.on, deep: deepLog(deep) }, signal());
    expect(out.phase).toBe('refused');
    expect(judged).toEqual([]);
    expect(deep).toEqual([]);
    expect(low.log.events.filter((e) => e.startsWith('sources:'))).toEqual([
      'sources:1=d1:0@lighthouses.md,2=d1:1@lighthouses.md',
    ]);
  });

  it('deep mode whose model cannot load says why and the answer follows from the search order', async () => {
    const settings = { ...REQUEST.settings, topK: 2, deepMode: true, deepCandidates: 3 };
    const t = setup(reranked([ranked('d1:0', 0.8), ranked('d1:1', 0.7), ranked('d2:0', 0.6)]));
    t.ports.deep = async () => {
      throw new AppError('MODEL_RUN_FAILED');
    };
    const deep: string[] = [];
    const out = await askQuestion({ ...REQUEST, settings }, t.ports, { ...t.on, deep: deepLog(deep) }, signal());
    expect(out.phase).toBe('done');
    expect(deep).toEqual(['estimate:0', `done:0 failed: ${new AppError('MODEL_RUN_FAILED').message}`]);
    expect(t.log.events.filter((e) => e.startsWith('sources:')).at(-1)).toBe(
      'sources:1=d1:0@lighthouses.md,2=d1:1@lighthouses.md',
    );
  });
});
