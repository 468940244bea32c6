// Deep mode's measurement: the app's deepRerank over a searcher's top N, nDCG@10 per combination rule, and its options.
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openJudgmentCache } from '../../eval/judgment-cache';
import { parseArgs } from '../../eval/eval';
import { runDeepCheck, sampleQuestions } from '../../eval/deep';
import { createSearcher, type EvalDoc } from '../../eval/searchers';
import type { EvalQuestion } from '../../../src/lib/evaluation';
import type { JudgeParams, JudgeResult } from '../../../src/lib/models/generator/types';

const corpus: EvalDoc[] = [
  { id: 'a', title: 'Coffee and sleep', text: 'Coffee and sleep. Sleep and coffee.' },
  {
    id: 'b',
    title: 'Adults',
    text: 'Caffeine delays sleep onset in adults; coffee is the main source of caffeine for most.',
  },
  { id: 'c', title: 'Tea', text: 'Tea has less caffeine than coffee.' },
];
const q: EvalQuestion = { id: 'q', text: 'coffee sleep', judgments: new Map([['b', 1]]), byDocument: true };

/** A judge that says yes to the passage holding `word`, no to the rest, from log-probabilities as the worker gives. */
const judgeYesFor =
  (word: string, calls: JudgeParams[]) =>
  async (params: JudgeParams): Promise<JudgeResult> => {
    calls.push(params);
    const yes = params.messages.at(-1)!.content.includes(word) ? 0.9 : 0.1;
    return {
      reasoning: 'Because.',
      verdict: { yes: [Math.log(yes)], no: [Math.log(1 - yes)], yesIds: [1], noIds: [2] },
      tokens: 2,
      ms: 50,
    };
  };

describe('runDeepCheck', () => {
  it('judges the top N with the app’s prompt and reads nDCG@10 before and under every rule', async () => {
    const searcher = createSearcher('bm25');
    await searcher.index(corpus);
    const calls: JudgeParams[] = [];
    const r = await runDeepCheck([q], corpus, searcher, { judge: judgeYesFor('onset', calls) }, 'lm', {
      candidates: 2,
    });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.messages.at(-1)!.content).toContain('coffee sleep');
    // BM25 ranks a (both words, twice over, in a short text) above b; the verdict lifts b to the top under every rule.
    expect(r['ndcg@10']).toBeLessThan(1);
    expect(r.rules).toEqual({ verdict: 1, fusion: expect.any(Number), blend: 1 });
    expect(r).toMatchObject({ queries: 1, candidates: 2, unreadable: 0, msPerJudgment: { p50: 50 } });
  });

  it('a verdict against the relevant passage lowers the score', async () => {
    const searcher = createSearcher('bm25');
    await searcher.index(corpus);
    const r = await runDeepCheck([q], corpus, searcher, { judge: judgeYesFor('Tea has', []) }, 'lm', {
      candidates: 3,
    });
    expect(r.rules.verdict).toBeLessThan(r['ndcg@10']);
  });

  it('with --judgments-cache, a second run reuses the first run’s judgments and their times; a cut-off line is judged again', async () => {
    const searcher = createSearcher('bm25');
    await searcher.index(corpus);
    const file = join(mkdtempSync(join(tmpdir(), 'judgments-')), 'deep.jsonl');
    const first: JudgeParams[] = [];
    const r1 = await runDeepCheck([q], corpus, searcher, { judge: judgeYesFor('onset', first) }, 'lm', {
      candidates: 2,
      cache: openJudgmentCache(file),
    });
    expect(first).toHaveLength(2);
    expect(r1.reused).toBe(0);
    const again: JudgeParams[] = [];
    const r2 = await runDeepCheck([q], corpus, searcher, { judge: judgeYesFor('onset', again) }, 'lm', {
      candidates: 2,
      cache: openJudgmentCache(file),
    });
    expect(again).toHaveLength(0);
    expect(r2).toMatchObject({ reused: 2, rules: r1.rules, msPerQuery: { p50: 100 }, msPerJudgment: { p50: 50 } });
    // The same judgments looked up twice in one resumed run count once, as judgments made in the run do.
    const twice = await runDeepCheck([q, q], corpus, searcher, { judge: judgeYesFor('onset', again) }, 'lm', {
      candidates: 2,
      cache: openJudgmentCache(file),
    });
    expect(twice.reused).toBe(2);
    // Another model judges again.
    const other: JudgeParams[] = [];
    await runDeepCheck([q], corpus, searcher, { judge: judgeYesFor('onset', other) }, 'lm2', {
      candidates: 2,
      cache: openJudgmentCache(file),
    });
    expect(other).toHaveLength(2);
    // A run killed mid-write leaves half a line: it is skipped, and the next line still parses.
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    appendFileSync(file, lines[0]!.slice(0, 20));
    const cache = openJudgmentCache(file);
    expect(cache.loaded).toBe(4);
    cache.put({ ...JSON.parse(lines[0]!), key: 'fresh' }, 7);
    expect(openJudgmentCache(file).get('fresh')).toMatchObject({ ms: 7 });
  });

  it('samples the same questions for the same seed', () => {
    const qs = ['1', '2', '3', '4', '5'].map((id) => ({ ...q, id }));
    expect(sampleQuestions(qs, 3).map((x) => x.id)).toEqual(sampleQuestions(qs, 3).map((x) => x.id));
    expect(sampleQuestions(qs, 3)).toHaveLength(3);
  });
});

describe('--deep', () => {
  it('--deep-skip leaves out the first sampled queries, for a run split across processes', () => {
    const base = ['--dataset', 'd', '--deep', '100', '--models', 'real', '--mode', 'hybrid'];
    expect(parseArgs([...base, '--deep-skip', '65'])).toMatchObject({ deep: 100, deepSkip: 65 });
    expect(parseArgs(base)).not.toHaveProperty('deepSkip');
    expect(() => parseArgs([...base, '--deep-skip', '100'])).toThrow(/below --deep/);
    expect(() => parseArgs([...base, '--deep-skip', '-1'])).toThrow(/below --deep/);
    expect(() => parseArgs(['--dataset', 'd', '--models', 'real', '--mode', 'hybrid', '--deep-skip', '5'])).toThrow(
      /applies to --deep only/,
    );
  });

  it('--instructions-skip leaves out the first cases of --instructions-check, for a run split across processes', () => {
    const base = ['--dataset', 'd', '--instructions-check', '20', '--models', 'real', '--mode', 'hybrid'];
    expect(parseArgs([...base, '--instructions-skip', '10'])).toMatchObject({
      instructionsCheck: 20,
      instructionsSkip: 10,
    });
    expect(parseArgs(base)).not.toHaveProperty('instructionsSkip');
    expect(() => parseArgs([...base, '--instructions-skip', '20'])).toThrow(/below --instructions-check/);
    expect(() => parseArgs([...base, '--instructions-skip', '1.5'])).toThrow(/below --instructions-check/);
    expect(() =>
      parseArgs(['--dataset', 'd', '--deep', '10', '--models', 'real', '--mode', 'hybrid', '--instructions-skip', '5']),
    ).toThrow(/applies to --instructions-check only/);
  });

  it('needs models and a first-stage mode; --deep-candidates needs --deep', () => {
    expect(
      parseArgs(['--dataset', 'd', '--deep', '100', '--deep-candidates', '5', '--models', 'real', '--mode', 'hybrid']),
    ).toMatchObject({ deep: 100, deepCandidates: 5, mode: 'hybrid' });
    expect(() => parseArgs(['--dataset', 'd', '--deep', '10'])).toThrow(/needs --models/);
    expect(() => parseArgs(['--dataset', 'd', '--deep-candidates', '5', '--models', 'real'])).toThrow(
      /--deep and --instructions-check only/,
    );
    expect(() => parseArgs(['--dataset', 'd', '--deep', '0', '--models', 'real'])).toThrow(/positive/);
    expect(
      parseArgs([
        '--dataset',
        'd',
        '--deep',
        '3',
        '--judgments-cache',
        'j.jsonl',
        '--models',
        'real',
        '--mode',
        'bm25',
      ]),
    ).toMatchObject({ judgmentsCache: 'j.jsonl' });
    expect(() => parseArgs(['--dataset', 'd', '--judgments-cache', 'j', '--mode', 'bm25'])).toThrow(
      /--deep and --instructions-check only/,
    );
  });
});
