// The BEIR evaluator: metric arithmetic, an end-to-end run on a tiny dataset, and pluggable model-backed modes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../eval/eval';
import { mrrAt, ndcgAt, recallAt, trecOrder } from '../../eval/metrics';
import {
  createSearcher,
  ModeUnavailableError,
  type DenseBackend,
  type LateInteractionBackend,
} from '../../eval/searchers';
import { tokenize } from '../../../src/lib/retrieval/tokenize';

describe('metrics', () => {
  const judged = new Map([
    ['d2', 2],
    ['d3', 1],
    ['d4', 3],
    ['d9', 0],
  ]);
  const run = [
    { id: 'd1', score: 3 },
    { id: 'd2', score: 2 },
    { id: 'd3', score: 1 },
  ];

  it('computes nDCG@k with linear gains and the ideal ranking from the judgments', () => {
    const dcg = 2 / Math.log2(3) + 1 / Math.log2(4);
    const idcg = 3 / Math.log2(2) + 2 / Math.log2(3) + 1 / Math.log2(4);
    expect(ndcgAt(run, judged, 10)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAt(run, judged, 1)).toBe(0);
    expect(ndcgAt(run, new Map(), 10)).toBe(0);
  });

  it('computes recall@k and MRR@k', () => {
    expect(recallAt(run, judged, 100)).toBeCloseTo(2 / 3, 12);
    expect(recallAt(run, judged, 2)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(run, judged, 10)).toBe(0.5);
    expect(mrrAt(run, judged, 1)).toBe(0);
  });

  it('orders like trec_eval: score descending, ties by id descending', () => {
    const ordered = trecOrder([
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
      { id: 'b', score: 1 },
    ]);
    expect(ordered.map((h) => h.id)).toEqual(['c', 'b', 'a']);
  });
});

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tinyBeir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-beir-'));
  made.push(dir);
  mkdirSync(join(dir, 'qrels'));
  const corpus = [
    { _id: 'a', title: 'Aspirin', text: 'Aspirin reduces the risk of heart attacks.' },
    { _id: 'b', title: 'Statins', text: 'Statins lower cholesterol levels in the blood.' },
    { _id: 'c', title: '', text: 'Vitamin D deficiency is common in winter.' },
    { _id: 'q3', title: 'Winter', text: 'Vitamin D levels in winter.' }, // same id as a query: must be ignored
  ];
  writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((d) => JSON.stringify(d)).join('\n'));
  const queries = [
    { _id: 'q1', text: 'does aspirin prevent heart attack' },
    { _id: 'q2', text: 'cholesterol statin' },
    { _id: 'q3', text: 'vitamin D in winter' },
    { _id: 'q4', text: 'not judged' },
  ];
  writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n'));
  writeFileSync(join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\ta\t1\nq2\tb\t1\nq3\tc\t1\n');
  return dir;
}

describe('evaluate', () => {
  it('runs BM25 over a BEIR folder and scores only judged queries', async () => {
    const result = await evaluate({ dataset: tinyBeir(), mode: 'bm25', split: 'test' });
    expect(result).toMatchObject({ mode: 'bm25', 'ndcg@10': 1, 'recall@100': 1, 'mrr@10': 1, queries: 3 });
  });

  it('refuses model-backed modes without a backend', async () => {
    expect(() => createSearcher('dense')).toThrow(ModeUnavailableError);
    expect(() => createSearcher('hybrid')).toThrow('needs the browser runtime; not available in Node');
    await expect(evaluate({ dataset: tinyBeir(), mode: 'rerank', split: 'test' })).rejects.toThrow(
      ModeUnavailableError,
    );
  });

  // Stand-in models: hashed bags of words, enough to exercise the plumbing.
  const hashDims = 64;
  const hashVector = (words: string[]): Float32Array => {
    const v = new Float32Array(hashDims);
    for (const w of words) v[[...w].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % hashDims, 7)]! += 1;
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  const dense: DenseBackend = {
    dims: hashDims,
    embed: async (texts) => {
      const out = new Float32Array(texts.length * hashDims);
      texts.forEach((t, i) => out.set(hashVector(tokenize(t)), i * hashDims));
      return out;
    },
  };
  const late: LateInteractionBackend = {
    embedTokens: async (texts) =>
      texts.map((t) => {
        const words = tokenize(t);
        const data = new Float32Array(Math.max(words.length, 1) * hashDims);
        words.forEach((w, i) => data.set(hashVector([w]), i * hashDims));
        return { data, tokens: Math.max(words.length, 1), dims: hashDims };
      }),
  };

  it('plugs in model backends for dense, hybrid and rerank', async () => {
    for (const mode of ['dense', 'hybrid', 'rerank'] as const) {
      const result = await evaluate({ dataset: tinyBeir(), mode, split: 'test' }, { dense, lateInteraction: late });
      expect(result.queries).toBe(3);
      expect(result['mrr@10']).toBe(1);
    }
  });

  it('orders rerank results as the app does by default, and reports how', async () => {
    const result = await evaluate(
      { dataset: tinyBeir(), mode: 'rerank', split: 'test' },
      { dense, lateInteraction: late },
    );
    expect(result).toMatchObject({ final: 'fusion', rerankCandidates: 50, rerankWeight: 2 });
  });

  it('with one rerank candidate keeps the first stage order (the rest never reach the reranker)', async () => {
    const backends = { dense, lateInteraction: late };
    const hybrid = await evaluate({ dataset: tinyBeir(), mode: 'hybrid', split: 'test' }, backends);
    for (const final of ['rerank', 'fusion'] as const) {
      const one = await evaluate(
        { dataset: tinyBeir(), mode: 'rerank', split: 'test', final, rerankCandidates: 1 },
        backends,
      );
      expect(one).toMatchObject({ final, rerankCandidates: 1 });
      expect(one['ndcg@10']).toBe(hybrid['ndcg@10']);
      expect(one['recall@100']).toBe(hybrid['recall@100']);
    }
  });

  it('scores rerank hits by their final position, so metrics (which sort by score) keep the fused order', async () => {
    // A reranker with a fixed taste, whatever the query: statins first, aspirin last.
    const taste = (t: string) => (/Statins/.test(t) ? 0.9 : /Aspirin/.test(t) ? 0.1 : 0.5);
    const misled: LateInteractionBackend = {
      embedTokens: async (texts, kind) =>
        texts.map((t) => ({ data: Float32Array.of(kind === 'query' ? 1 : taste(t)), tokens: 1, dims: 1 })),
    };
    const backends = { dense, lateInteraction: misled };
    const run = (final: 'rerank' | 'fusion') =>
      evaluate({ dataset: tinyBeir(), mode: 'rerank', split: 'test', final }, backends);
    const [alone, fused] = [await run('rerank'), await run('fusion')];
    expect(alone['mrr@10']).toBeLessThan(1);
    expect(fused['mrr@10']).toBeGreaterThan(alone['mrr@10']);
  });
});
