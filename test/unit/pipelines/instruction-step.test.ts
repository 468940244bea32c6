// The instruction step: inline instructions split off, the model's filters as chips (valid, malformed, failing), chips removed, negative terms dropped; and the ask pipeline through it.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { ChatMessage } from '../../../src/lib/models/generator/types';
import { askQuestion, type AskEvents, type AskPorts, type AskRequest } from '../../../src/lib/pipelines/ask';
import {
  chipKey,
  FILTERS_FAILED_NOTE,
  followInstruction,
  narrowFilters,
  NO_DOCUMENT,
  readInstruction,
  splitQuestion,
  type InstructionChip,
  type InstructionPorts,
  type TurnInstruction,
} from '../../../src/lib/pipelines/instruction-step';
import type {
  PassageRow,
  RankedPassage,
  Retrieved,
  RetrieveRequest,
  SearchFilters,
} from '../../../src/lib/retrieval/search-types';

const DOCUMENTS = [
  { id: 'd1', name: 'lighthouses.md' },
  { id: 'd2', name: 'mice-study.pdf' },
];

const TEXTS: Record<string, string> = {
  'd1:0': 'The Fresnel lens concentrates the lamp into a beam seen twenty miles out at sea.',
  'd2:0': 'Trials in mice showed the lens effect on the retina.',
  'd1:1': 'Keepers trimmed the wick every night.',
  'd3:0': 'More trials in mice, on the lens again.',
};

const row = (id: string): PassageRow => ({
  id,
  docId: id.split(':')[0]!,
  ordinal: 0,
  text: TEXTS[id]!,
  start: 0,
  end: 1,
  headingPath: [],
  pageStart: null,
  pageEnd: null,
  tokenCount: 1,
  hash: id,
});

const ranked = (id: string): RankedPassage => ({
  id,
  score: 0.5,
  relevance: 0.8,
  bestDense: 0.7,
  denseScore: 0.7,
  keywordScore: null,
  matches: [],
  docTokens: [],
});

const retrieved = (ids: string[]): Retrieved => ({
  found: ids.length,
  passages: ids.map(ranked),
  dense: true,
  reranked: null,
  gpuFailure: null,
});

/** Ports whose model writes `output` (or throws it), recording the prompts it was given. */
function ports(output: string | Error) {
  const prompts: ChatMessage[][] = [];
  const p: InstructionPorts = {
    documents: () => DOCUMENTS,
    complete: async (messages) => {
      prompts.push(messages);
      if (output instanceof Error) throw output;
      return output;
    },
    passages: async (ids) => ids.map((id) => (TEXTS[id] ? row(id) : undefined)),
    now: () => new Date(2026, 11, 3),
  };
  return { ports: p, prompts };
}

function retriever(result: Retrieved) {
  const calls: RetrieveRequest[] = [];
  const retrieve = async (req: RetrieveRequest) => {
    calls.push(req);
    return result;
  };
  return { retrieve, calls };
}

const REQ: RetrieveRequest = {
  queries: ['how far is the beam seen'],
  instructions: '',
  candidates: 20,
  topK: 2,
  filters: {},
  weights: { dense: 1, keyword: 1 },
  rerank: null,
};

const signal = () => new AbortController().signal;
const localDay = (y: number, m: number, d: number, end = false) =>
  (end ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d)).getTime();

async function follow(instruction: string, output: string | Error, extra: { chips?: InstructionChip[] } = {}) {
  const { ports: p, prompts } = ports(output);
  const views: TurnInstruction[] = [];
  const r = retriever(retrieved(['d1:0', 'd2:0', 'd1:1']));
  const guided = await followInstruction(
    {
      instruction: { text: instruction, ...extra },
      question: 'how far is the beam seen',
      filters: {},
      filtersActive: false,
    },
    r.retrieve,
    p,
    { instruction: (v) => views.push(v) },
    signal(),
  );
  return { guided, prompts, views, calls: r.calls };
}

describe('splitQuestion', () => {
  it("searches the question part and joins the inline instruction to the conversation's", () => {
    expect(splitQuestion('How far is the beam seen, only the 2023 reports', 'nothing about mice')).toEqual({
      question: 'How far is the beam seen',
      instruction: 'nothing about mice; only the 2023 reports',
    });
    expect(splitQuestion('How far is the beam seen?', '')).toEqual({
      question: 'How far is the beam seen?',
      instruction: '',
    });
  });
});

describe('followInstruction', () => {
  it('without an instruction asks no model and leaves the search as the user set it', async () => {
    const { ports: p, prompts } = ports('{}');
    const r = retriever(retrieved(['d1:0']));
    const views: TurnInstruction[] = [];
    const filters: SearchFilters = { kinds: ['pdf'] };
    const guided = await followInstruction(
      { question: 'q', filters, filtersActive: true },
      r.retrieve,
      p,
      { instruction: (v) => views.push(v) },
      signal(),
    );
    expect(prompts).toEqual([]);
    expect(views).toEqual([]);
    expect(guided.filters).toEqual(filters);
    expect(guided.filtered).toBe(true);
    expect(guided.queryInstruction('  Represent the query  ')).toBe('Represent the query');
    expect(guided.retrieve).toBe(r.retrieve);
  });

  it('turns valid model output into chips, narrows the filters and drops hits holding a negative term', async () => {
    const output =
      'Here you are: {"documents": ["lighthouses.md"], "kinds": ["PDFs"], "from": null, "to": "2019", "exclude": ["mice"]}';
    const { guided, prompts, views, calls } = await follow('only lighthouses.md PDFs before 2020, not mice', output);
    // The versioned prompt, with the library's documents, today's date and the instruction.
    const user = prompts[0]!.at(-1)!.content;
    expect(user).toContain('- lighthouses.md');
    expect(user).toContain('Today: 2026-12-03');
    expect(user).toContain('only lighthouses.md PDFs before 2020, not mice');
    expect(views).toEqual([
      {
        text: 'only lighthouses.md PDFs before 2020, not mice',
        note: null,
        chips: [
          { field: 'document', value: 'd1', label: 'Only lighthouses.md' },
          { field: 'kind', value: 'pdf', label: 'Only pdf' },
          { field: 'to', value: '2019-12-31', label: 'Added until 2019-12-31' },
          { field: 'exclude', value: 'mice', label: 'Not “mice”' },
        ],
      },
    ]);
    expect(guided.filters).toEqual({ docIds: ['d1'], kinds: ['pdf'], addedTo: localDay(2019, 12, 31, true) });
    expect(guided.filtered).toBe(true);
    expect(guided.queryInstruction('Represent the query')).toBe(
      'Represent the query; only lighthouses.md PDFs before 2020, not mice',
    );

    const found = await guided.retrieve(REQ, signal());
    // Twice as many asked for, so the count holds once the hits with "mice" are gone.
    expect(calls[0]).toMatchObject({ topK: 4, candidates: 20 });
    expect(found.passages.map((p) => p.id)).toEqual(['d1:0', 'd1:1']);
  });

  it('malformed output gives no filters and a plain note, never an error', async () => {
    for (const output of [
      'Sorry, I cannot help with that.',
      '{"documents": ["lighthouses.md"], "kinds": [',
      '{"kinds": "pdf"}',
      "{'to': '2019-12-31'}",
    ]) {
      const { guided, views } = await follow('only PDFs before 2020', output);
      expect(views, output).toEqual([{ text: 'only PDFs before 2020', chips: [], note: FILTERS_FAILED_NOTE }]);
      expect(guided.filters, output).toEqual({});
      expect(guided.filtered, output).toBe(false);
    }
  });

  it('a model that fails to run is a note too; an abort is not swallowed', async () => {
    const failed = await follow(
      'only PDFs',
      new AppError('MODEL_STALLED', undefined, { model: 'answer model', method: 'generate', seconds: 30 }),
    );
    expect(failed.views[0]!.note).toBe(FILTERS_FAILED_NOTE);
    await expect(follow('only PDFs', new AppError('ABORTED'))).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('values the model invents are dropped; an instruction with no constraint gives no chips and no note', async () => {
    const { views, guided } = await follow(
      'prefer clear answers',
      '{"documents": ["no-such.pdf"], "kinds": ["video"], "from": "2021-02-30", "exclude": []}',
    );
    expect(views).toEqual([{ text: 'prefer clear answers', chips: [], note: null }]);
    expect(guided.filters).toEqual({});
  });

  it('after a chip is removed, the remaining chips are used as they are and the model is not asked again', async () => {
    const chips: InstructionChip[] = [
      { field: 'kind', value: 'pdf', label: 'Only pdf' },
      { field: 'to', value: '2019-12-31', label: 'Added until 2019-12-31' },
    ];
    const removed = chips.filter((c) => chipKey(c) !== 'to:2019-12-31');
    const { guided, prompts, views } = await follow('only PDFs before 2020', '{}', { chips: removed });
    expect(prompts).toEqual([]);
    expect(views).toEqual([{ text: 'only PDFs before 2020', chips: removed, note: null }]);
    expect(guided.filters).toEqual({ kinds: ['pdf'] });

    const none = await follow('only PDFs before 2020', '{}', { chips: [] });
    expect(none.guided.filters).toEqual({});
    expect(none.guided.filtered).toBe(false);
  });
});

describe('narrowFilters', () => {
  const chip = (field: InstructionChip['field'], value: string): InstructionChip => ({ field, value, label: value });

  it("narrows the user's filters: sets intersect, the later start and the earlier end win", () => {
    const base: SearchFilters = {
      docIds: ['d1', 'd2'],
      kinds: ['pdf', 'docx'],
      addedFrom: localDay(2020, 1, 1),
      addedTo: localDay(2025, 1, 1, true),
    };
    const chips = [chip('document', 'd2'), chip('kind', 'pdf'), chip('from', '2021-06-01'), chip('to', '2030-01-01')];
    expect(narrowFilters(base, chips)).toEqual({
      docIds: ['d2'],
      kinds: ['pdf'],
      addedFrom: localDay(2021, 6, 1),
      addedTo: localDay(2025, 1, 1, true),
    });
    expect(base.docIds).toEqual(['d1', 'd2']);
  });

  it('keeps nothing when the two sets share nothing (an empty list would keep everything)', () => {
    expect(narrowFilters({ kinds: ['docx'] }, [chip('kind', 'pdf')]).docIds).toEqual([NO_DOCUMENT]);
    expect(narrowFilters({ docIds: ['d1'] }, [chip('document', 'd2')]).docIds).toEqual([NO_DOCUMENT]);
    expect(narrowFilters({}, [chip('exclude', 'mice')])).toEqual({});
  });
});

describe('readInstruction', () => {
  it('reads a stored instruction and rejects malformed ones (an imported archive is not trusted)', () => {
    const good = { text: 'only PDFs', chips: [{ field: 'kind', value: 'pdf', label: 'Only pdf' }], note: null };
    expect(readInstruction(good)).toEqual(good);
    expect(readInstruction(undefined)).toBeUndefined();
    expect(readInstruction({ text: 'x', chips: 'pdf' })).toBeUndefined();
    expect(readInstruction({ text: 'x', chips: [{ field: 'script', value: 'x', label: 'x' }] })).toBeUndefined();
    expect(readInstruction({ text: 'x', chips: [{ field: 'kind', value: 1, label: 'x' }] })).toBeUndefined();
  });

  it('rejects chip values its filter cannot use: a date that is not a day (NaN would hide every hit), an unknown type', () => {
    const chips = (field: string, value: string) => ({ text: 'x', chips: [{ field, value, label: 'x' }], note: null });
    expect(readInstruction(chips('from', '2020-01-01'))).toEqual(chips('from', '2020-01-01'));
    expect(readInstruction(chips('from', 'yesterday'))).toBeUndefined();
    expect(readInstruction(chips('to', '2020-13-45'))).toBeUndefined();
    expect(readInstruction(chips('kind', 'exe'))).toBeUndefined();
    expect(readInstruction(chips('exclude', 'mice'))).toEqual(chips('exclude', 'mice'));
  });
});

describe('the ask pipeline with an instruction', () => {
  function setup(found: Retrieved, output: string, instructions = true) {
    const retrieves: RetrieveRequest[] = [];
    const prompts: ChatMessage[][] = [];
    const events: string[] = [];
    const askPorts: AskPorts = {
      library: async () => ({ empty: false, importing: false }),
      search: async () => ({
        retrieve: async (req) => {
          retrieves.push(req);
          return found;
        },
        embedder: { instructions },
        late: null,
        keywordOnlyReason: null,
      }),
      generator: async () => ({
        contextLength: 2048,
        maxNewTokens: 32,
        generate: async (messages, _max, _signal, onText) => {
          prompts.push(messages);
          const text = onText ? 'The beam is seen twenty miles out [1].' : output;
          onText?.(text);
          return { text, tokens: 1, firstTokenMs: 1, totalMs: 1 };
        },
        countTokens: async (messages) => messages.reduce((n, m) => n + m.content.length, 0) / 10,
      }),
      passages: async (ids) => ids.map((id) => (TEXTS[id] ? row(id) : undefined)),
      docName: (docId) => DOCUMENTS.find((d) => d.id === docId)?.name ?? 'Unknown',
      libraryOf: () => null,
      documents: () => DOCUMENTS,
    };
    const on: AskEvents = {
      phase: () => {},
      info: () => {},
      query: () => {},
      note: (t) => events.push(`note:${t}`),
      instruction: (v) => events.push(`instruction:${v.chips.map(chipKey).join(',')}|${v.note ?? ''}`),
      sources: (s) => events.push(`sources:${s.map((x) => x.chunkId).join(',')}`),
      fitted: () => {},
      text: () => {},
      grounded: () => {},
    };
    return { askPorts, on, retrieves, prompts, events };
  }

  const request = (instruction: string): AskRequest => ({
    question: 'How far is the beam seen?',
    history: [],
    settings: {
      multiQuery: false,
      searchInstructions: 'Represent the query',
      topK: 3,
      rerankCandidates: 20,
      denseWeight: 1,
      keywordWeight: 1,
      relevanceThreshold: null,
    },
    filters: {},
    filtersActive: false,
    instruction: { text: instruction },
  });

  it('searches with the derived filters and the combined query instruction, and says when they match nothing', async () => {
    const { askPorts, on, retrieves, prompts, events } = setup({ ...retrieved([]), found: 0 }, '{"to": "2019-12-31"}');
    const out = await askQuestion(request('only documents added before 2020'), askPorts, on, signal());
    expect(out.phase).toBe('refused');
    expect(prompts).toHaveLength(1);
    expect(retrieves[0]).toMatchObject({
      instructions: 'Represent the query; only documents added before 2020',
      filters: { addedTo: localDay(2019, 12, 31, true) },
      topK: 3,
    });
    expect(events).toEqual([
      'instruction:to:2019-12-31|',
      'sources:',
      'note:No passage matches the current filters. Clear them to search everything.',
    ]);
  });

  it('an embedder that follows no instructions gets none; negative terms drop passages before they are shown', async () => {
    const { askPorts, on, retrieves, events } = setup(retrieved(['d2:0', 'd1:0']), '{"exclude": ["mice"]}', false);
    const out = await askQuestion(request('nothing about mice in the reports'), askPorts, on, signal());
    expect(out.phase).toBe('done');
    expect(retrieves[0]).toMatchObject({ instructions: '', filters: {}, topK: 6 });
    expect(events.slice(0, 2)).toEqual(['instruction:exclude:mice|', 'sources:d1:0']);
    expect(events).toContain(
      'note:Dense and keyword results fused. 1 passage holding a term your instructions exclude left out.',
    );
  });

  it('counts only the left-out passages that would have been shown, not those below the last one shown', async () => {
    const { askPorts, on, events } = setup(retrieved(['d1:0', 'd2:0']), '{"exclude": ["mice"]}');
    const req = request('nothing about mice');
    await askQuestion({ ...req, settings: { ...req.settings, topK: 1 } }, askPorts, on, signal());
    expect(events).toContain('note:Dense and keyword results fused.');
    // Without the terms d1:0 and d2:0 would be shown: one passage left out, though d3:0 (third) holds the term too.
    const more = setup(retrieved(['d1:0', 'd2:0', 'd3:0', 'd1:1']), '{"exclude": ["mice"]}');
    await askQuestion({ ...req, settings: { ...req.settings, topK: 2 } }, more.askPorts, more.on, signal());
    expect(more.events).toContain(
      'note:Dense and keyword results fused. 1 passage holding a term your instructions exclude left out.',
    );
  });

  it('says so when the negative terms left out every passage found, not how the search ran', async () => {
    const { askPorts, on, events } = setup(retrieved(['d2:0']), '{"exclude": ["mice"]}');
    const out = await askQuestion(request('nothing about mice'), askPorts, on, signal());
    expect(out.phase).toBe('refused');
    expect(events).toEqual([
      'instruction:exclude:mice|',
      'sources:',
      'note:Every passage found holds a term your instructions exclude. Remove that filter to see them.',
    ]);
  });
});
