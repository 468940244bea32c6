// The evaluation runner, percentiles, answer figures and the JSON/CSV serializers, against hand-computed figures.
import { describe, expect, it } from 'vitest';
import {
  ABLATION,
  availableConfigs,
  byPosition,
  configOf,
  evaluateAnswers,
  evaluateRetrieval,
  percentile,
  reportToCsv,
  reportToJson,
  scoreAnswers,
  scoreConfig,
  spread,
  type AnswerOutcome,
  type EvalQuestion,
  type EvaluationReport,
  type SearchPort,
} from '../../../src/lib/evaluation';
import { AppError } from '../../../src/lib/errors';

const q = (id: string, text: string, gold: string[]): EvalQuestion => ({
  id,
  text,
  judgments: new Map(gold.map((g) => [g, 1])),
});

describe('percentile', () => {
  it('interpolates linearly between the closest ranks', () => {
    expect(percentile([5], 50)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    // 95th of 1..10: rank 0.95 × 9 = 8.55 → 9 + 0.55 × (10 − 9).
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).toBeCloseTo(9.55, 12);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], 100)).toBe(3);
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(spread([10, 20, 30])).toEqual({ p50: 20, p95: 29, n: 3 });
  });
});

describe('configurations', () => {
  it('lists eight ablation rows and keeps only what the models allow', () => {
    expect(ABLATION.map((c) => c.id)).toEqual([
      'bm25',
      'dense',
      'hybrid',
      'rerank',
      'bm25+mq',
      'dense+mq',
      'hybrid+mq',
      'rerank+mq',
    ]);
    expect(availableConfigs({ dense: false, rerank: false, generator: false }).map((c) => c.id)).toEqual(['bm25']);
    expect(availableConfigs({ dense: true, rerank: false, generator: true }).map((c) => c.id)).toEqual([
      'bm25',
      'dense',
      'hybrid',
      'bm25+mq',
      'dense+mq',
      'hybrid+mq',
    ]);
    expect(configOf('rerank', true).label).toBe('Hybrid + rerank, multi-query');
  });
});

describe('evaluateRetrieval', () => {
  const questions = [q('q1', 'one', ['a']), q('q2', 'two', ['b', 'c']), q('q3', 'three', [])];
  const lists: Record<string, Record<string, string[]>> = {
    bm25: { q1: ['a', 'x'], q2: ['x', 'b'], q3: ['a'] },
    dense: { q1: ['x', 'y', 'a'], q2: ['c', 'b'], q3: [] },
  };
  const port: SearchPort = {
    rank: async (question, config) => ({
      ranked: byPosition(lists[config.mode]![question.id]!),
      ms: { search: question.id === 'q1' ? 10 : 20, ...(config.mode === 'dense' && { embed: 5 }) },
    }),
  };

  it('averages over the judged questions and counts the unjudged one apart', async () => {
    const progress: number[] = [];
    const report = await evaluateRetrieval(questions, [configOf('bm25', false), configOf('dense', false)], port, {
      progress: (p) => progress.push(p.done),
    });
    expect(report.questions).toBe(3);
    const [bm25, dense] = report.configs;
    // q1: hit at 1 (RR 1, recall 1); q2: b at 2 of {b, c} (RR 1/2, recall 1/2).
    expect(bm25).toMatchObject({ queries: 2, unjudged: 1, 'recall@5': 0.75, 'mrr@10': 0.75 });
    // nDCG: q1 = 1; q2 = (1/log2 3) / (1 + 1/log2 3).
    const q2 = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    expect(bm25!['ndcg@10']).toBeCloseTo((1 + q2) / 2, 12);
    // q1: a at 3 (RR 1/3); q2: c, b at 1, 2 (RR 1, recall 1).
    expect(dense).toMatchObject({ 'recall@10': 1, 'recall@100': 1 });
    expect(dense!['mrr@10']).toBeCloseTo(2 / 3, 12);
    expect(bm25!.latency.search).toEqual({ p50: 20, p95: 20, n: 3 });
    expect(bm25!.latency.embed).toBeUndefined();
    expect(dense!.latency.embed).toEqual({ p50: 5, p95: 5, n: 3 });
    expect(dense!.latency.total?.n).toBe(3);
    expect(progress).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('gives the figures scoreConfig gives for the same rankings (one implementation)', async () => {
    const report = await evaluateRetrieval(questions, [configOf('bm25', false)], port);
    const rankings = questions.map((x) => ({ ranked: byPosition(lists['bm25']![x.id]!), ms: {} }));
    const direct = scoreConfig(configOf('bm25', false), questions, rankings);
    const { latency: _a, ...figures } = report.configs[0]!;
    const { latency: _b, ...expected } = direct;
    expect(figures).toEqual(expected);
  });

  it('stops with ABORTED once cancelled', async () => {
    const ctl = new AbortController();
    const slow: SearchPort = {
      rank: async (question, config, signal) => {
        ctl.abort();
        return port.rank(question, config, signal);
      },
    };
    await expect(
      evaluateRetrieval(questions, [configOf('bm25', false)], slow, { signal: ctl.signal }),
    ).rejects.toSatisfy((e) => e instanceof AppError && e.code === 'ABORTED');
  });
});

describe('answer figures', () => {
  const s = (reason: string, supported: boolean, cites: number[], invalidCites: number[] = []) => ({
    reason: reason as AnswerOutcome['grounding'][number]['reason'],
    supported,
    cites,
    invalidCites,
  });
  const questions = [q('q1', 'one', ['a']), q('q2', 'two', ['b']), q('q3', 'three', ['c'])];
  const outcomes: AnswerOutcome[] = [
    {
      outcome: 'done',
      // 3 checked sentences (2 supported), 1 refusal sentence; citations [1], [2], [7]: 2 of 3 valid.
      grounding: [
        s('supported', true, [1]),
        s('unsupported', false, [2], [7]),
        s('attributed', true, []),
        s('refusal', false, []),
      ],
      shown: ['x', 'a'],
      ms: { generate: 100, firstToken: 10 },
    },
    {
      outcome: 'done',
      grounding: [s('supported', true, [1]), s('no-content', false, [])],
      shown: ['y', 'b'],
      declined: true,
      ms: { generate: 300, firstToken: 30 },
    },
    { outcome: 'refused', grounding: [], shown: ['c'], ms: {} },
  ];

  it('pools groundedness over checked sentences, citation validity over citations, relevance over answers', () => {
    const f = scoreAnswers(questions, outcomes, { name: 'grounded-answer', version: 1 });
    expect(f).toMatchObject({ questions: 3, answered: 2, refused: 1, declined: 1, sentences: 4, citations: 4 });
    expect(f.groundedness).toBe(3 / 4);
    expect(f.citationValidity).toBe(3 / 4);
    // q1 cites [2] = a (gold); q2 cites [1] = y, not b.
    expect(f.answerRelevance).toBe(1 / 2);
    expect(f.latency.generate).toEqual({ p50: 200, p95: 290, n: 2 });
  });

  it('reports null, not 0, when nothing could be measured', () => {
    const f = scoreAnswers([questions[2]!], [outcomes[2]!], { name: 'grounded-answer', version: 1 });
    expect(f).toMatchObject({ groundedness: null, citationValidity: null, answerRelevance: null, answered: 0 });
  });

  it('evaluateAnswers runs the port once per question', async () => {
    let i = 0;
    const f = await evaluateAnswers(
      questions,
      { answer: async () => outcomes[i++]! },
      { name: 'grounded-answer', version: 2 },
    );
    expect(f.prompt.version).toBe(2);
    expect(f.answerRelevance).toBe(1 / 2);
  });
});

describe('serializers', () => {
  const report: EvaluationReport = {
    format: 1,
    at: 1_700_000_000_000,
    sources: { synthetic: 2 },
    retrieval: {
      questions: 2,
      configs: [
        {
          config: configOf('hybrid', true),
          queries: 2,
          unjudged: 0,
          'recall@5': 0.5,
          'recall@10': 1,
          'recall@100': 1,
          'mrr@10': 0.75,
          'ndcg@10': null,
          latency: { search: { p50: 1.5, p95: 2, n: 2 } },
        },
      ],
    },
    answers: {
      prompt: { name: 'grounded-answer', version: 1 },
      questions: 2,
      answered: 1,
      refused: 1,
      declined: 0,
      sentences: 2,
      groundedness: 0.5,
      citations: 0,
      citationValidity: null,
      answerRelevance: 1,
      latency: { generate: { p50: 10, p95: 10, n: 1 }, firstToken: { p50: null, p95: null, n: 0 } },
    },
  };

  it('writes JSON that reads back to the same report', () => {
    expect(JSON.parse(reportToJson(report))).toEqual(report);
  });

  it('writes CSV in long format, one figure per row, empty for not computed', () => {
    const lines = reportToCsv(report).split('\r\n');
    expect(lines[0]).toBe('section,configuration,mode,multi_query,metric,value');
    expect(lines).toContain('retrieval,hybrid+mq,hybrid,true,recall@5,0.5');
    expect(lines).toContain('retrieval,hybrid+mq,hybrid,true,ndcg@10,');
    expect(lines).toContain('retrieval,hybrid+mq,hybrid,true,search_p95_ms,2');
    expect(lines).toContain('answers,grounded-answer@1,,,groundedness,0.5');
    expect(lines).toContain('answers,grounded-answer@1,,,citation_validity,');
    expect(lines).toContain('answers,grounded-answer@1,,,declined,0');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(1 + 9 + 13 + 1);
  });

  it('quotes fields with commas or quotes, and defuses spreadsheet formulas', () => {
    const odd: EvaluationReport = {
      ...report,
      answers: { ...report.answers!, prompt: { name: '=cmd,"x"', version: 1 } },
    };
    expect(reportToCsv(odd)).toContain(`"'=cmd,""x""@1",,,questions,2`);
  });
});
