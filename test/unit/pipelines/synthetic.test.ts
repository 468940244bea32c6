// The synthetic-question job with fake ports: sampling, generation, the filters' counts, saving per passage, cancel.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { GeneratorAccess, SearchAccess } from '../../../src/lib/pipelines/ask';
import {
  generateSyntheticQuestions,
  type SyntheticPorts,
  type SyntheticProgress,
} from '../../../src/lib/pipelines/synthetic';
import type { EvalQuestionRecord } from '../../../src/lib/persistence/eval-schema';
import type { PassageRow } from '../../../src/lib/retrieval/search-types';
import type { ChatMessage } from '../../../src/lib/models/generator/types';

const TEXTS: Record<string, string> = {
  'a:0': 'Lighthouses use a Fresnel lens to focus the lamp into a narrow beam seen far out at sea.',
  'a:1': 'Keepers wound the clockwork that turned the lens every few hours through the night.',
  'b:0': 'Sourdough starter is a culture of wild yeast and bacteria fed with flour and water.',
};
/** What the fake model writes for each passage (keyed by a word of it). */
const OUTPUTS: [string, string][] = [
  // One good question, one copy of the passage.
  ['fresnel', 'How do lighthouses make their beam narrow?\nLighthouses use a Fresnel lens to focus the lamp?'],
  // One question search cannot place on its passage, one good, one the other passage already gave.
  [
    'keepers',
    'What is the capital of France?\nWho turned the lighthouse lens at night?\nHow do lighthouses make their beam narrow?',
  ],
  // Not a question at all.
  ['sourdough', 'Sourdough is tasty.'],
];

const row = (id: string): PassageRow => ({
  id,
  docId: id.split(':')[0]!,
  ordinal: Number(id.split(':')[1]),
  text: TEXTS[id]!,
  start: 0,
  end: 1,
  headingPath: [],
  pageStart: null,
  pageEnd: null,
  tokenCount: 1,
  hash: id,
});

const words = (s: string) => new Set(s.toLowerCase().match(/[a-z]+/g) ?? []);

function fakes(opts: { generatorFails?: boolean; onGenerate?: (n: number) => void } = {}) {
  const saved: EvalQuestionRecord[][] = [];
  let generated = 0;
  let id = 0;
  const generator: GeneratorAccess = {
    contextLength: 2048,
    maxNewTokens: 256,
    countTokens: async () => 0,
    generate: async (messages: ChatMessage[], _max, signal) => {
      generated++;
      opts.onGenerate?.(generated);
      if (signal.aborted) throw new AppError('ABORTED');
      const user = messages[1]!.content.toLowerCase();
      const out = OUTPUTS.find(([k]) => user.includes(k))?.[1] ?? '';
      return { text: out, tokens: 1, firstTokenMs: 0, totalMs: 0 };
    },
  };
  const search: SearchAccess = {
    embedder: null,
    late: null,
    keywordOnlyReason: null,
    // Ranks the passages sharing a word with the query, most shared first; the others are not found.
    retrieve: async (req) => {
      const q = words(req.queries[0]!);
      const ranked = Object.keys(TEXTS)
        .map((k) => ({ k, n: [...words(TEXTS[k]!)].filter((w) => q.has(w) && w.length > 3).length }))
        .filter((x) => x.n > 0)
        .sort((x, y) => y.n - x.n);
      return {
        found: ranked.length,
        dense: false,
        reranked: null,
        gpuFailure: null,
        passages: ranked.map((x) => ({ id: x.k }) as never),
        trace: null as never,
      };
    },
  };
  const ports: SyntheticPorts = {
    documents: async () => [
      { docId: 'a', name: 'lighthouses.md', chunkIds: ['a:0', 'a:1'] },
      { docId: 'b', name: 'sourdough.txt', chunkIds: ['b:0'] },
    ],
    passages: async (ids) => ids.map(row),
    search: async () => search,
    generator: async () => {
      if (opts.generatorFails) throw new AppError('MODEL_NOT_LOADED', undefined, { role: 'answer' });
      return generator;
    },
    existing: async () => [],
    save: async (rows) => void saved.push(rows),
    newId: () => `q${++id}`,
    now: () => 1000,
  };
  return { ports, saved, generated: () => generated };
}

const REQ = {
  settings: {
    multiQuery: false,
    searchInstructions: '',
    topK: 5,
    rerankCandidates: 30,
    denseWeight: 1,
    keywordWeight: 1,
    relevanceThreshold: null,
  },
  perDocument: 3,
  max: 50,
  seed: 1,
};

describe('generateSyntheticQuestions', () => {
  it('writes, filters and saves per passage, reporting kept and dropped by reason', async () => {
    const { ports, saved } = fakes();
    const seen: SyntheticProgress[] = [];
    const result = await generateSyntheticQuestions(REQ, ports, (p) => seen.push(p), new AbortController().signal);
    expect(result).toEqual({
      done: 3,
      total: 3,
      kept: 2,
      // The seed samples a:1 first: its repeat of a:0's question does not find a:1, then a:0 keeps it.
      dropped: { unparsed: 1, notStandalone: 0, verbatim: 1, duplicate: 0, notRetrieved: 2 },
    });
    expect(seen.map((p) => p.done)).toEqual([0, 1, 2, 3]);
    const rows = saved.flat();
    expect(rows.map((r) => [r.text, r.chunkIds[0], r.docId])).toEqual(
      expect.arrayContaining([
        ['How do lighthouses make their beam narrow?', 'a:0', 'a'],
        ['Who turned the lighthouse lens at night?', 'a:1', 'a'],
      ]),
    );
    for (const r of rows) {
      expect(r.origin).toBe('synthetic');
      expect(r.prompt).toEqual({ name: 'synthetic-questions', version: 1 });
    }
    // One save per passage, so a cancel keeps every finished passage's questions.
    expect(saved).toHaveLength(3);
  });

  it('counts a question already in the evaluation set as a duplicate', async () => {
    const { ports } = fakes();
    ports.existing = async () => ['how do LIGHTHOUSES make their beam narrow'];
    const result = await generateSyntheticQuestions(REQ, ports, () => {}, new AbortController().signal);
    expect(result.kept).toBe(1);
    expect(result.dropped.duplicate).toBe(2);
  });

  it('stops when cancelled, keeping what earlier passages saved', async () => {
    const controller = new AbortController();
    const { ports, saved, generated } = fakes({ onGenerate: (n) => n === 2 && controller.abort() });
    await expect(generateSyntheticQuestions(REQ, ports, () => {}, controller.signal)).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(generated()).toBe(2);
    expect(saved).toHaveLength(1);
  });

  it('says why it cannot start: no documents, or no answer model', async () => {
    const empty = fakes();
    empty.ports.documents = async () => [];
    await expect(
      generateSyntheticQuestions(REQ, empty.ports, () => {}, new AbortController().signal),
    ).rejects.toMatchObject({ code: 'SYNTHETIC_NO_DOCUMENTS' });
    const noModel = fakes({ generatorFails: true });
    const err = await generateSyntheticQuestions(REQ, noModel.ports, () => {}, new AbortController().signal).catch(
      (e: unknown) => e as AppError,
    );
    expect(err).toMatchObject({ code: 'SYNTHETIC_NEEDS_ANSWER_MODEL' });
    expect((err as AppError).message).toContain('The answer model is not loaded yet.');
    expect(noModel.saved).toEqual([]);
  });
});
