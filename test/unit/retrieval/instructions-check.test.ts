// The instruction-following check: the rule that picks the excluded word, FollowIR's p-MRR, and each path's figures.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../eval/eval';
import { buildInstructionCases, pmrr, queryPmrr, runInstructionCheck } from '../../eval/instructions-check';
import { createSearcher, type EvalDoc, type GeneratorBackend } from '../../eval/searchers';
import { rankingJudge } from '../../eval/deep';
import type { JudgeParams } from '../../../src/lib/models/generator/types';
import type { EvalQuestion } from '../../../src/lib/evaluation';

const corpus: EvalDoc[] = [
  { id: 'd1', title: 'Vitamin trial', text: 'Vitamin supplements reduced fractures in elderly mice and humans.' },
  { id: 'd2', title: 'Mouse study', text: 'Elderly mice given vitamin supplements lived longer.' },
  { id: 'd3', title: 'Fracture risk', text: 'Fractures in elderly patients after falls, without supplements.' },
  { id: 'd4', title: 'Unrelated', text: 'Quantum dots emit light of tunable colour.' },
  { id: 'd5', title: 'Elderly care', text: 'Elderly people in care homes and their diets.' },
];
const question = (id: string, text: string, relevant: string[]): EvalQuestion => ({
  id,
  text,
  judgments: new Map(relevant.map((d) => [d, 1])),
  byDocument: true,
});

describe('buildInstructionCases', () => {
  it('takes the most common word of the first relevant document that the query lacks, within the df bounds', () => {
    const [c] = buildInstructionCases(corpus, [question('q1', 'do vitamin supplements prevent fractures', ['d1'])], 5);
    // d1's words of 5+ letters not in the query: "trial" (df 1), "reduced" (1), "elderly" (4), "humans" (1);
    // "fractures" is in the query. df must be at least 2: "elderly".
    expect(c).toMatchObject({ id: 'q1', term: 'elderly', changed: ['d1'], kept: [] });
    expect(c!.instruction).toBe('exclude documents that mention "elderly"');
  });

  it('splits the relevant documents into those the instruction removes and those it keeps', () => {
    const [c] = buildInstructionCases(corpus, [question('q', 'vitamin supplements', ['d1', 'd4'])], 1);
    expect(c!.changed).toEqual(['d1']);
    expect(c!.kept).toEqual(['d4']);
  });

  it('passes over a question whose relevant document has no usable word, and stops at n', () => {
    const qs = [question('a', 'quantum dots emit light of tunable colour', ['d4']), question('b', 'vitamin', ['d1'])];
    expect(buildInstructionCases(corpus, qs, 5).map((c) => c.id)).toEqual(['b']);
    const many = [question('b', 'vitamin', ['d1']), question('c', 'vitamin', ['d2'])];
    expect(buildInstructionCases(corpus, many, 1)).toHaveLength(1);
  });
});

describe('p-MRR', () => {
  it('is FollowIR’s: positive when a changed document falls, negative when it rises, 0 when it stays', () => {
    expect(pmrr(1, 1)).toBe(0);
    expect(pmrr(1, 4)).toBeCloseTo(0.75);
    expect(pmrr(4, 1)).toBeCloseTo(-0.75);
    expect(pmrr(2, 1001)).toBeCloseTo(1 - 2 / 1001);
  });

  it('averages over the changed documents; a document missing from a ranking ranks below the depth', () => {
    expect(queryPmrr(['a', 'b'], ['a', 'b', 'c'], ['c', 'b'])).toBeCloseTo((1 - 1 / 1001 + 0) / 2);
    expect(queryPmrr([], ['a'], ['a'])).toBe(0);
  });
});

describe('runInstructionCheck', () => {
  const cases = () => buildInstructionCases(corpus, [question('q1', 'vitamin supplements fractures', ['d1'])], 1);
  const run = async (reply: string) => {
    const searcher = createSearcher('bm25');
    await searcher.index(corpus);
    const prompts: string[] = [];
    const generator: GeneratorBackend = {
      complete: async (messages) => {
        prompts.push(messages.map((m) => m.content).join('\n'));
        return reply;
      },
    };
    return { result: await runInstructionCheck(cases(), corpus, searcher, generator), prompts };
  };

  it('the filters path removes the changed document when the model names the word', async () => {
    const { result, prompts } = await run(
      '{"documents": [], "kinds": [], "from": null, "to": null, "exclude": ["elderly"]}',
    );
    expect(prompts[0]).toContain('exclude documents that mention "elderly"');
    expect(result.baselineChangedInTop10).toBe(1);
    expect(result.filters).toMatchObject({ invalid: 0, termFound: 1, changedInTop10: 0 });
    expect(result.filters.pMrr).toBeCloseTo(1 - 1 / 1001);
    expect(result.combined.pMrr).toBeCloseTo(1 - 1 / 1001);
  });

  it('counts output the parser refuses, and then the filters path changes nothing', async () => {
    const { result } = await run('I cannot help with that.');
    expect(result.filters).toMatchObject({ invalid: 1, termFound: 0, pMrr: 0, changedInTop10: 1 });
    expect(result.filters.invalidWhy).toEqual({ 'the model wrote no JSON object': 1 });
  });

  it('the query path searches the instruction as text: BM25 keeps the changed document first (it holds the word)', async () => {
    const { result } = await run('{}');
    // No relevant document lacks the word: the kept share is unknown, not 0.
    expect(result.query).toEqual({ pMrr: 0, changedInTop10: 1, keptInTop10: null });
  });
  it('shows a model that excludes more than asked: the kept relevant documents leave the top 10', async () => {
    const docs: EvalDoc[] = [
      { id: 'e1', title: 'Alpha report', text: 'zinc intake and colds, noted by nurses' },
      { id: 'e2', title: 'Beta report', text: 'zinc intake and colds in adults' },
      { id: 'e3', title: 'Gamma', text: 'nurses rota' },
    ];
    const [c] = buildInstructionCases(docs, [question('z', 'zinc intake colds', ['e1', 'e2'])], 1);
    // "nurses" and "report" both appear in two documents: the tie goes to the first alphabetically.
    expect(c).toMatchObject({ term: 'nurses', changed: ['e1'], kept: ['e2'] });
    const searcher = createSearcher('bm25');
    await searcher.index(docs);
    const greedy: GeneratorBackend = {
      complete: async () => '{"documents": [], "kinds": [], "from": null, "to": null, "exclude": ["nurses", "adults"]}',
    };
    const result = await runInstructionCheck([c!], docs, searcher, greedy);
    expect(result.baselineKeptInTop10).toBe(1);
    expect(result.filters).toMatchObject({ termFound: 1, changedInTop10: 0, keptInTop10: 0 });
  });
});

describe('runInstructionCheck, the deep path', () => {
  const docs: EvalDoc[] = [
    { id: 'e1', title: 'Alpha', text: 'zinc intake colds, zinc intake, noted by nurses' },
    { id: 'e2', title: 'Beta', text: 'zinc intake and colds in adults' },
    { id: 'e3', title: 'Gamma', text: 'nurses rota' },
  ];
  /** Yes to every passage, except no to one holding the word an instruction in the prompt excludes. */
  const obeys = (calls: JudgeParams[]) => ({
    judge: async (params: JudgeParams) => {
      calls.push(params);
      const prompt = params.messages.map((m) => m.content).join('\n');
      const p = prompt.includes('mention "nurses"') && prompt.includes('noted by nurses') ? 0.05 : 0.9;
      return {
        reasoning: '',
        verdict: { yes: [Math.log(p)], no: [Math.log(1 - p)], yesIds: [1], noIds: [2] },
        tokens: 1,
        ms: 10,
      };
    },
  });

  it('judges with and without the instruction, and the row compares the two', async () => {
    const [c] = buildInstructionCases(docs, [question('z', 'zinc intake colds', ['e1', 'e2'])], 1);
    expect(c).toMatchObject({ term: 'nurses', changed: ['e1'], kept: ['e2'] });
    const searcher = createSearcher('bm25');
    await searcher.index(docs);
    const calls: JudgeParams[] = [];
    const none: GeneratorBackend = { complete: async () => '{}' };
    const judge = rankingJudge(docs, obeys(calls), 'lm');
    const result = await runInstructionCheck([c!], docs, searcher, none, () => {}, { judge, candidates: 2 });
    // Without the instruction e1 stays first; with it, e1's "no" puts e2 above it under the app's rule.
    expect(result.deep).toMatchObject({ candidates: 2, baselineChangedInTop10: 1, msPerJudgmentP50: 10 });
    expect(result.deep!.pMrr).toBeCloseTo(1 - 1 / 2);
    expect(result.all!.pMrr).toBeCloseTo(1 - 1 / 2);
    // The baseline's two, the instructed two; the combined ranking's first two are the same passages and
    // instruction, so they come from the cache.
    expect(calls).toHaveLength(4);
    expect(judge.unreadable).toBe(0);
  });

  it('without --deep-candidates there are no deep rows', async () => {
    const [c] = buildInstructionCases(docs, [question('z', 'zinc intake colds', ['e1', 'e2'])], 1);
    const searcher = createSearcher('bm25');
    await searcher.index(docs);
    const result = await runInstructionCheck([c!], docs, searcher, { complete: async () => '{}' });
    expect(result.deep).toBeUndefined();
    expect(result.all).toBeUndefined();
  });
});

describe('--instructions-check', () => {
  it('needs models and a first-stage mode, and excludes the other runs', () => {
    expect(
      parseArgs(['--dataset', 'd', '--instructions-check', '50', '--models', 'real', '--mode', 'hybrid']),
    ).toMatchObject({ instructionsCheck: 50, mode: 'hybrid' });
    expect(() => parseArgs(['--dataset', 'd', '--instructions-check', '50'])).toThrow(/needs --models/);
    expect(() =>
      parseArgs(['--dataset', 'd', '--instructions-check', '5', '--models', 'real', '--mode', 'rerank']),
    ).toThrow(/needs --models/);
    expect(() => parseArgs(['--dataset', 'd', '--instructions-check', '0', '--models', 'real'])).toThrow(/positive/);
    expect(
      parseArgs(['--dataset', 'd', '--instructions-check', '5', '--deep-candidates', '3', '--models', 'real']),
    ).toMatchObject({ instructionsCheck: 5, deepCandidates: 3 });
    expect(() =>
      parseArgs(['--dataset', 'd', '--instructions-check', '5', '--deep-candidates', '0', '--models', 'real']),
    ).toThrow(/positive/);
    expect(() =>
      parseArgs(['--dataset', 'd', '--instructions-check', '5', '--judgments-cache', 'j', '--models', 'real']),
    ).toThrow(/needs --deep-candidates/);
  });
});
