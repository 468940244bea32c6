// The evaluator's CLI options, query batching, round-trip chunking, corpus-embedding cache and refusal-calibration statistics.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { calibrate, loadOffTopicQuestions, parseQuestions, percentile } from '../../eval/calibration';
import { cacheKey, withEmbeddingCache } from '../../eval/embedding-cache';
import { evaluate, parseArgs } from '../../eval/eval';
import { chunks, type DenseBackend } from '../../eval/searchers';

describe('parseArgs', () => {
  it('reads the model set, device, batch and calibration flag, in both --k v and --k=v forms', () => {
    expect(
      parseArgs(['--dataset', 'd', '--mode', 'dense', '--models=real', '--device', 'webgpu', '--refusal-calibration']),
    ).toEqual({
      dataset: 'd',
      mode: 'dense',
      split: 'test',
      k1: undefined,
      b: undefined,
      models: 'real',
      device: 'webgpu',
      refusalCalibration: true,
    });
    const a = parseArgs(['--dataset=d', '--mode', 'rerank', '--models', 'standin', '--batch', '16', '--k1', '1.2']);
    expect(a).toMatchObject({ mode: 'rerank', models: 'standin', device: 'wasm', batch: 16, k1: 1.2 });
    expect(a.refusalCalibration).toBeUndefined();
    expect(a.dtype).toBeUndefined();
    expect(
      parseArgs([
        '--dataset',
        'd',
        '--mode',
        'dense',
        '--models',
        'real',
        '--dtype',
        'fp32',
        '--embeddings-cache',
        'c',
      ]),
    ).toMatchObject({ dtype: 'fp32', embeddingsCache: 'c' });
    expect(
      parseArgs([
        '--dataset',
        'd',
        '--mode',
        'rerank',
        '--models',
        'real',
        '--final',
        'rerank',
        '--rerank-candidates=20',
      ]),
    ).toMatchObject({ final: 'rerank', rerankCandidates: 20 });
    expect(a.final).toBeUndefined();
  });

  it('keeps bm25 free of model options', () => {
    expect(parseArgs(['--dataset', 'd'])).toMatchObject({ mode: 'bm25', device: 'wasm' });
    expect(parseArgs(['--dataset', 'd']).models).toBeUndefined();
  });

  it('refuses what it cannot run', () => {
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'dense'])).toThrow('needs --models real|standin');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'hybrid', '--models', 'fake'])).toThrow('unknown model set');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'dense', '--models', 'real', '--device', 'cuda'])).toThrow(
      'unknown device',
    );
    expect(() =>
      parseArgs(['--dataset', 'd', '--mode', 'hybrid', '--models', 'real', '--refusal-calibration']),
    ).toThrow('--refusal-calibration needs --mode dense');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'dense', '--model', 'real'])).toThrow(
      'unexpected argument "--model"',
    );
    expect(() => parseArgs(['--dataset', 'd', 'stray'])).toThrow('unexpected argument "stray"');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'dense', '--models'])).toThrow('--models needs a value');
    expect(() => parseArgs(['--dataset', '--mode', 'bm25'])).toThrow('--dataset needs a value');
    expect(() => parseArgs(['--dataset', 'd', '--batch', '0'])).toThrow('--batch must be a positive integer');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'dense', '--models', 'real', '--dtype', 'fp64'])).toThrow(
      'unknown dtype "fp64"',
    );
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'rerank', '--models', 'real', '--final', 'max'])).toThrow(
      'unknown final order "max"',
    );
    expect(() =>
      parseArgs(['--dataset', 'd', '--mode', 'rerank', '--models', 'real', '--rerank-candidates', '2.5']),
    ).toThrow('--rerank-candidates must be a positive integer');
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'hybrid', '--models', 'real', '--final', 'rerank'])).toThrow(
      '--final, --rerank-candidates and --rerank-weight need --mode rerank',
    );
    expect(() => parseArgs(['--dataset', 'd', '--mode', 'rerank', '--models', 'real', '--rerank-weight', '0'])).toThrow(
      '--rerank-weight must be positive',
    );
    expect(() =>
      parseArgs([
        '--dataset',
        'd',
        '--mode',
        'rerank',
        '--models',
        'real',
        '--final',
        'rerank',
        '--rerank-weight',
        '2',
      ]),
    ).toThrow('--rerank-weight applies to --final fusion only');
  });
});

describe('chunks', () => {
  it('splits into runs of at most the size, in order', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 64)).toEqual([]);
    expect(() => chunks([1], 0)).toThrow(RangeError);
  });
});

describe('refusal calibration statistics', () => {
  it('interpolates percentiles like numpy', () => {
    // numpy.percentile([1, 2, 3, 4], [5, 50, 95]) → 1.15, 2.5, 3.85
    expect(percentile([4, 1, 3, 2], 5)).toBeCloseTo(1.15, 12);
    expect(percentile([4, 1, 3, 2], 50)).toBeCloseTo(2.5, 12);
    expect(percentile([4, 1, 3, 2], 95)).toBeCloseTo(3.85, 12);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow(RangeError);
  });

  it('reports the on-topic floor, the off-topic ceiling and the margin between them', () => {
    const on = [0.62, 0.55, 0.71, 0.48, 0.66];
    const off = [0.12, 0.2, 0.51, 0.05];
    const c = calibrate(on, off);
    expect(c.onTopic).toEqual({ n: 5, min: 0.48, p5: percentile(on, 5), median: 0.62 });
    expect(c.offTopic.max).toBe(0.51);
    expect(c.offTopic.median).toBeCloseTo(0.16, 12);
    expect(c.margin).toBeCloseTo(-0.03, 12);
    expect(c.onTopicAtOrBelowOffTopicMax).toBe(1);
  });

  it('reads questions one a line, skipping comments and blanks; the fixture holds 50 distinct ones', () => {
    expect(parseQuestions('# header\n\nWhat?\r\n  Why?  \n#x\n')).toEqual(['What?', 'Why?']);
    const questions = loadOffTopicQuestions();
    expect(questions).toHaveLength(50);
    expect(new Set(questions).size).toBe(50);
  });
});

const made: string[] = [];
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function beir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lectern-beir-cli-'));
  made.push(dir);
  mkdirSync(join(dir, 'qrels'));
  const corpus = ['alpha beta', 'gamma delta', 'epsilon zeta'].map((text, i) => ({ _id: `d${i}`, title: '', text }));
  writeFileSync(join(dir, 'corpus.jsonl'), corpus.map((d) => JSON.stringify(d)).join('\n'));
  const queries = ['alpha', 'delta', 'zeta'].map((text, i) => ({ _id: `q${i}`, text }));
  writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n'));
  writeFileSync(join(dir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td1\t1\nq2\td2\t1\n');
  return dir;
}

/** One dimension per known word; records every call. */
function wordBackend(calls: { texts: string[]; kind: string }[]): DenseBackend {
  const words = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'];
  return {
    dims: words.length,
    embed: async (texts, kind) => {
      calls.push({ texts, kind });
      const out = new Float32Array(texts.length * words.length);
      texts.forEach((t, i) => {
        const hit = words.filter((w) => t.includes(w));
        hit.forEach((w) => (out[i * words.length + words.indexOf(w)] = 1 / Math.sqrt(hit.length)));
      });
      return out;
    },
  };
}

describe('evaluate with a dense backend', () => {
  it('embeds the corpus in one call and all queries in one more', async () => {
    const calls: { texts: string[]; kind: string }[] = [];
    const result = await evaluate({ dataset: beir(), mode: 'hybrid', split: 'test' }, { dense: wordBackend(calls) });
    expect(result['mrr@10']).toBe(1);
    expect(calls.map((c) => [c.kind, c.texts.length])).toEqual([
      ['document', 3],
      ['query', 3],
    ]);
  });

  it('calibrates refusal on the top-1 cosine of judged and off-topic questions', async () => {
    const result = await evaluate(
      { dataset: beir(), mode: 'dense', split: 'test', refusalCalibration: true },
      { dense: wordBackend([]) },
    );
    // Each query is one word of a two-word document (cosine 1/√2); no off-topic question shares a word.
    expect(result.refusal?.onTopic).toEqual({ n: 3, min: 0.7071, p5: 0.7071, median: 0.7071 });
    expect(result.refusal?.offTopic).toMatchObject({ n: 50, max: 0 });
    expect(result.refusal?.margin).toBe(0.7071);
  });
});

describe('corpus-embedding cache', () => {
  const identity = { model: 'm', dtype: 'q8', device: 'wasm', dims: 6, batch: 64 };

  it('keys on the identity and every text', () => {
    const k = cacheKey(identity, ['a b', 'c']);
    expect(cacheKey(identity, ['a b', 'c'])).toBe(k);
    expect(cacheKey(identity, ['a', 'b c'])).not.toBe(k);
    expect(cacheKey({ ...identity, dtype: 'fp32' }, ['a b', 'c'])).not.toBe(k);
    expect(cacheKey({ ...identity, batch: 16 }, ['a b', 'c'])).not.toBe(k);
  });

  it('computes the corpus once, then reads it back; queries always reach the backend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lectern-embcache-'));
    made.push(dir);
    const calls: { texts: string[]; kind: string }[] = [];
    const docs = ['alpha beta', 'gamma delta', 'epsilon zeta'];
    const first = withEmbeddingCache(wordBackend(calls), dir, identity);
    const computed = await first.embed(docs, 'document');
    expect(first.hit).toBeNull();
    const second = withEmbeddingCache(wordBackend(calls), dir, identity);
    const read = await second.embed(docs, 'document');
    expect(second.hit).toMatchObject({ count: 3, identity });
    expect(read).toEqual(computed);
    await second.embed(['alpha', 'zeta'], 'query');
    // A different dtype is a different entry.
    await withEmbeddingCache(wordBackend(calls), dir, { ...identity, dtype: 'fp32' }).embed(docs, 'document');
    expect(calls.map((c) => c.kind)).toEqual(['document', 'query', 'document']);
  });
});
