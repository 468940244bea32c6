// The BEIR evaluator: an end-to-end run on a tiny dataset, pluggable model-backed modes, and the --ablation CLI.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ablationConfigs, evaluate, evaluateAblation, main, parseArgs } from '../../eval/eval';
import {
  createSearcher,
  ModeUnavailableError,
  type DenseBackend,
  type LateInteractionBackend,
} from '../../eval/searchers';
import { tokenize } from '../../../src/lib/retrieval/tokenize';
import { SYNTHETIC_PROMPT } from '../../../src/lib/answer/synthetic-questions';

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
    expect(fused['mrr@10']).toBeGreaterThan(alone['mrr@10']!);
  });

  it('--ablation runs every mode the backends allow, each with the figures its single mode gives', async () => {
    const backends = { dense, lateInteraction: late };
    expect(ablationConfigs({}).map((c) => c.id)).toEqual(['bm25']);
    expect(ablationConfigs(backends).map((c) => c.id)).toEqual(['bm25', 'dense', 'hybrid', 'rerank']);
    const dataset = tinyBeir();
    const lines = await evaluateAblation({ dataset, mode: 'bm25', split: 'test', ablation: true }, backends);
    expect(lines.map((l) => [l.mode, l.multiQuery])).toEqual([
      ['bm25', false],
      ['dense', false],
      ['hybrid', false],
      ['rerank', false],
    ]);
    for (const line of lines) {
      const single = await evaluate({ dataset, mode: line.mode, split: 'test' }, backends);
      expect([line['ndcg@10'], line['recall@100'], line['mrr@10'], line.queries]).toEqual([
        single['ndcg@10'],
        single['recall@100'],
        single['mrr@10'],
        single.queries,
      ]);
    }
  });
  it('--ablation with a generator adds the multi-query rows: phrasings from the app prompt, lists fused', async () => {
    const prompts: string[] = [];
    // The generator rewrites "cholesterol statin" into a phrasing that finds the Aspirin passage too.
    const generator = {
      complete: async (messages: { content: string }[]) => {
        prompts.push(messages.map((m) => m.content).join('\n'));
        return prompts.at(-1)!.includes('cholesterol statin') ? '1. aspirin heart attacks\n2. cholesterol statin' : '';
      },
    };
    const dataset = tinyBeir();
    const lines = await evaluateAblation({ dataset, mode: 'bm25', split: 'test', ablation: true }, { generator });
    expect(lines.map((l) => l.config)).toEqual(['bm25', 'bm25+mq']);
    // One completion per question, with the question in the multi-query prompt.
    expect(prompts).toHaveLength(3);
    expect(prompts.some((p) => p.includes('vitamin D in winter'))).toBe(true);
    const [plain, mq] = lines;
    expect(mq!['multiQuery_p50_ms']).toBeGreaterThanOrEqual(0);
    expect(plain!['mrr@10']).toBe(1);
    // q2's lists (its own: Statins; the phrasing's: Aspirin) tie in the fusion; the tie goes to the list searched
    // first, the question's own (as in the app's retrieve), so the figures hold.
    expect(mq!['recall@100']).toBe(1);
    expect(mq!['mrr@10']).toBe(1);
  });

  it('--no-multi-query leaves the multi-query rows out and asks the generator nothing', async () => {
    let calls = 0;
    const generator = { complete: async () => (calls++, '') };
    const args = { dataset: tinyBeir(), mode: 'bm25' as const, split: 'test', ablation: true, noMultiQuery: true };
    const lines = await evaluateAblation(args, { generator });
    expect(lines.map((l) => l.config)).toEqual(['bm25']);
    expect(calls).toBe(0);
  });
});

describe('eval --ablation (CLI)', () => {
  it('prints one JSON line per configuration with BM25 alone when no models are named', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const write = (sink: string[]) => (chunk: string | Uint8Array) => (sink.push(String(chunk)), true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(write(out));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(write(err));
    try {
      expect(await main(['--dataset', tinyBeir(), '--ablation'])).toBe(0);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const lines = out
      .join('')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      dataset: expect.stringMatching(/^lectern-beir-/),
      mode: 'bm25',
      multiQuery: false,
      'ndcg@10': 1,
      'recall@100': 1,
      'mrr@10': 1,
      queries: 3,
    });
    expect(err.join('')).toMatch(/BM25 only \(dense, hybrid, rerank and multi-query rows need --models/);
  });

  it('takes --no-multi-query with --ablation only', () => {
    expect(parseArgs(['--dataset', 'x', '--ablation', '--no-multi-query'])).toMatchObject({ noMultiQuery: true });
    expect(() => parseArgs(['--dataset', 'x', '--no-multi-query'])).toThrow(/--ablation only/);
  });

  it('takes --in-app with --ablation and --models only, and none of the options the app decides itself', () => {
    expect(parseArgs(['--dataset', 'x', '--ablation', '--models', 'real', '--in-app'])).toMatchObject({ inApp: true });
    expect(() => parseArgs(['--dataset', 'x', '--ablation', '--in-app'])).toThrow(
      /--in-app needs --ablation and --models/,
    );
    expect(() => parseArgs(['--dataset', 'x', '--mode', 'bm25', '--models', 'real', '--in-app'])).toThrow(
      /needs --ablation/,
    );
    expect(() =>
      parseArgs([
        '--dataset',
        'x',
        '--ablation',
        '--models',
        'real',
        '--in-app',
        '--k1',
        '1',
        '--embeddings-cache',
        'c',
      ]),
    ).toThrow(/leave out --k1, --embeddings-cache/);
  });

  it('refuses --ablation together with --mode', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await main(['--dataset', 'x', '--ablation', '--mode', 'dense'])).toBe(1);
    } finally {
      stderr.mockRestore();
    }
  });
});

describe('eval --adapter', () => {
  // Document i is the unit vector e_i; the query for it leans a hair towards e_{i+1}, so the unadapted search puts
  // the wrong document first. A small move of W (the app's default training) is enough to set it right.
  const n = 40;
  const lean = 1.005;
  const dense: DenseBackend = {
    dims: n,
    embed: async (texts, kind) => {
      const out = new Float32Array(texts.length * n);
      texts.forEach((t, r) => {
        const i = Number(/tok(\d+)/.exec(t)![1]);
        if (kind === 'document') out[r * n + i] = 1;
        else {
          const norm = Math.hypot(1, lean);
          out[r * n + i] = 1 / norm;
          out[r * n + ((i + 1) % n)] = lean / norm;
        }
      });
      return out;
    },
  };

  function leaningBeir(): { dir: string; train: string } {
    const dir = mkdtempSync(join(tmpdir(), 'lectern-adapter-'));
    made.push(dir);
    mkdirSync(join(dir, 'qrels'));
    const docs = [...Array(n).keys()].map((i) => ({ _id: `d${i}`, title: '', text: `tok${i}` }));
    writeFileSync(join(dir, 'corpus.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n'));
    // Two training queries per document, so a held-out query's document is also learned from its sibling.
    const queries = [...Array(n).keys()].flatMap((i) => [
      { _id: `train${i}`, text: `tok${i}` },
      { _id: `train${i + n}`, text: `on tok${i}` },
      { _id: `test${i}`, text: `about tok${i}` },
    ]);
    writeFileSync(join(dir, 'queries.jsonl'), queries.map((q) => JSON.stringify(q)).join('\n'));
    const rows = (prefix: string, ids: number[]) => ids.map((i) => `${prefix}${i}\td${i}\t1`).join('\n');
    writeFileSync(join(dir, 'qrels', 'test.tsv'), `query-id\tcorpus-id\tscore\n${rows('test', [0, 1, 2, 3, 4, 38])}\n`);
    // test0 is judged in the evaluated split too: it must be left out of the training; train999 has no text.
    const train = join(dir, 'qrels', 'train.tsv');
    // Documents 38 and 39 are never a training positive: test38 is the unseen-document subset.
    const pairs = [...Array(2 * n).keys()]
      .filter((k) => k % n < n - 2)
      .map((k) => `train${k}\td${k % n}\t1`)
      .join('\n');
    writeFileSync(train, `query-id\tcorpus-id\tscore\n${pairs}\ntest0\td0\t1\ntrain999\td1\t1\n`);
    return { dir, train };
  }

  it('trains on the given qrels and prints the figures with and without the adapter', async () => {
    const { dir, train } = leaningBeir();
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let result;
    try {
      result = await evaluate({ dataset: dir, mode: 'dense', split: 'test', adapter: train }, { dense });
    } finally {
      err.mockRestore();
    }
    expect(result['mrr@10']).toBe(0.5); // every gold document second
    // The five documents it was trained on come first; d38, never a training positive, stays second.
    expect(result['mrr@10_adapter']).toBe(0.91667);
    expect(result.adapter!.unseenDocuments).toEqual({ queries: 1, 'ndcg@10': 0.63093, 'ndcg@10_adapter': 0.63093 });
    expect(result.adapter).toMatchObject({
      qrels: 'train.tsv',
      trainQueries: 61,
      heldOutQueries: 15,
      leftOut: { overlapping: 1, unusable: 1 },
      enabled: true,
    });
    expect(result.adapter!.heldOutAfter).toBeGreaterThan(result.adapter!.heldOutBefore);
  });

  it('takes --adapter with a model-backed --mode only, and a file that exists', () => {
    const { dir, train } = leaningBeir();
    expect(parseArgs(['--dataset', dir, '--mode', 'hybrid', '--models', 'real', '--adapter', train])).toMatchObject({
      adapter: train,
    });
    expect(() => parseArgs(['--dataset', dir, '--mode', 'bm25', '--adapter', train])).toThrow(/--mode dense/);
    expect(() => parseArgs(['--dataset', dir, '--ablation', '--models', 'real', '--adapter', train])).toThrow(
      /--mode dense/,
    );
    expect(() => parseArgs(['--dataset', dir, '--mode', 'dense', '--models', 'real', '--adapter', 'nope'])).toThrow(
      /missing nope/,
    );
    expect(() => parseArgs(['--dataset', dir, '--adapter-queries', train])).toThrow(/--adapter only/);
  });
});

describe('eval --synthesize', () => {
  // A bag-of-words stand-in: a document and a question sharing words are close.
  const words = ['aspirin', 'heart', 'attacks', 'statins', 'cholesterol', 'blood', 'vitamin', 'winter'];
  const dense: DenseBackend = {
    dims: words.length,
    embed: async (texts) => {
      const out = new Float32Array(texts.length * words.length);
      texts.forEach((t, r) => {
        const tokens = tokenize(t);
        words.forEach((w, j) => (out[r * words.length + j] = tokens.some((x) => w.startsWith(x)) ? 1 : 0));
      });
      return out;
    },
  };

  it('writes the kept questions as queries and qrels, screened as the app screens them', async () => {
    const dataset = tinyBeir();
    const out = join(dataset, 'synthetic');
    const asked: string[] = [];
    const generator = {
      complete: async (messages: { role: string; content: string }[]) => {
        const user = messages.at(-1)!.content;
        asked.push(user);
        if (user.includes('Aspirin'))
          return [
            'What does the passage say about aspirin?', // points at its passage: dropped
            'Aspirin reduces the risk of heart attacks?', // a copy: dropped
            'Can a daily pill cut heart attack risk with aspirin?',
          ].join('\n');
        if (user.includes('Statins')) return 'Which drug family lowers cholesterol in the blood?';
        return 'no question here';
      },
    };
    const lines: string[] = [];
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((c) => (lines.push(String(c)), true));
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(
        await main(['--dataset', dataset, '--synthesize', '4', '--out', out, '--models', 'standin'], {
          dense,
          generator,
        }),
      ).toBe(0);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(asked).toHaveLength(4);
    const line = JSON.parse(lines.join('')) as { synthesized: Record<string, unknown> };
    expect(line.synthesized).toMatchObject({
      documents: 4,
      kept: 2,
      prompt: SYNTHETIC_PROMPT.version,
      dropped: { unparsed: 2, notStandalone: 1, verbatim: 1, duplicate: 0, notRetrieved: 0 },
    });
    const queries = readFileSync(join(out, 'queries.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(queries.map((q: { text: string }) => q.text).sort()).toEqual([
      'Can a daily pill cut heart attack risk with aspirin?',
      'Which drug family lowers cholesterol in the blood?',
    ]);
    const qrels = readFileSync(join(out, 'qrels.tsv'), 'utf8').trim().split('\n');
    expect(qrels[0]).toBe('query-id\tcorpus-id\tscore');
    const byText = new Map(queries.map((q: { _id: string; text: string }) => [q.text, q._id]));
    expect(qrels.slice(1).sort()).toEqual(
      [
        `${byText.get('Can a daily pill cut heart attack risk with aspirin?')}\ta\t1`,
        `${byText.get('Which drug family lowers cholesterol in the blood?')}\tb\t1`,
      ].sort(),
    );
  });

  it('takes --synthesize with --out and --models only', () => {
    expect(parseArgs(['--dataset', 'x', '--synthesize', '5', '--out', 'o', '--models', 'real'])).toMatchObject({
      synthesize: 5,
      out: 'o',
    });
    expect(() => parseArgs(['--dataset', 'x', '--synthesize', '5', '--models', 'real'])).toThrow(/go together/);
    expect(() => parseArgs(['--dataset', 'x', '--synthesize', '5', '--out', 'o'])).toThrow(/needs --models/);
    expect(() => parseArgs(['--dataset', 'x', '--synthesize', '0', '--out', 'o', '--models', 'real'])).toThrow(
      /positive integer/,
    );
    const v = ['--dataset', 'x', '--synthesize', '5', '--out', 'o', '--models', 'real', '--prompt-version'];
    expect(parseArgs([...v, '2'])).toMatchObject({ promptVersion: 2 });
    expect(() => parseArgs([...v, '9'])).toThrow(/no synthetic-questions prompt v9; there are v1, v2/);
    expect(() => parseArgs(['--dataset', 'x', '--mode', 'bm25', '--prompt-version', '1'])).toThrow(/--synthesize only/);
  });
});
