// Importing a BEIR benchmark: which files it needs, the documents it adds, and the questions judged by document.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { EvalQuestionRecord } from '../../../src/lib/persistence/eval-schema';
import {
  benchmarkDocument,
  importBenchmark,
  pickBenchmarkFiles,
  type BenchmarkPorts,
  type PickedFile,
} from '../../../src/lib/pipelines/benchmark-import';

const file = (path: string, text = ''): PickedFile => ({ path, text: async () => text });

const CORPUS = [
  { _id: 'a', title: 'Lighthouse  lenses', text: 'A Fresnel lens bends light.' },
  { _id: 'b', title: '', text: 'Keepers trimmed the wick.' },
  { _id: '7', title: 'Seven', text: 'Named like a query.' },
]
  .map((d) => JSON.stringify(d))
  .join('\n');
const QUERIES = [
  '{"_id": "7", "text": "What bends light?"}',
  '{"_id": "8", "text": "Who trimmed?"}',
  '{"_id": "9", "text": "Gone?"}',
  '{"_id": "10", "text": "Nothing relevant?"}',
].join('\n');
// Query 9 is judged on a document the corpus lacks; query 10 on none relevant.
const QRELS = 'query-id\tcorpus-id\tscore\n7\ta\t2\n7\t7\t1\n7\tb\t0\n8\tb\t1\n9\tz\t1\n10\ta\t0\n';

const FOLDER = [
  file('tiny/corpus.jsonl', CORPUS),
  file('tiny/queries.jsonl', QUERIES),
  file('tiny/qrels/dev.tsv', '8\tb\t1\n'),
  file('tiny/qrels/test.tsv', QRELS),
];

describe('benchmark files', () => {
  it('finds corpus, queries and the test split (else dev, then train) in the picked folder', () => {
    const picked = pickBenchmarkFiles(FOLDER);
    expect([picked.dataset, picked.split, picked.qrels.path]).toEqual(['tiny', 'test', 'tiny/qrels/test.tsv']);
    expect(pickBenchmarkFiles(FOLDER.filter((f) => !f.path.endsWith('test.tsv'))).split).toBe('dev');
    // Picked as loose files: no folder name.
    expect(pickBenchmarkFiles([file('corpus.jsonl'), file('queries.jsonl'), file('test.tsv')]).dataset).toBe(
      'benchmark',
    );
  });

  it("reads the queries and qrels beside the shallowest corpus, never another dataset's", () => {
    const nested = [
      file('beir/nfcorpus/corpus.jsonl'),
      file('beir/nfcorpus/queries.jsonl'),
      file('beir/nfcorpus/qrels/test.tsv'),
      file('beir/scifact/corpus.jsonl'),
      file('beir/scifact/queries.jsonl'),
    ];
    const picked = pickBenchmarkFiles(nested);
    expect([picked.dataset, picked.corpus.path, picked.qrels.path]).toEqual([
      'nfcorpus',
      'beir/nfcorpus/corpus.jsonl',
      'beir/nfcorpus/qrels/test.tsv',
    ]);
    // scifact's corpus with nfcorpus's judgments: refused.
    expect(() =>
      pickBenchmarkFiles([
        file('x/scifact/corpus.jsonl'),
        file('x/scifact/queries.jsonl'),
        file('x/nf/qrels/test.tsv'),
      ]),
    ).toThrow(/qrels\/test.tsv not found/);
  });

  it('names what is missing', () => {
    const err = (() => {
      try {
        pickBenchmarkFiles([file('x/corpus.jsonl'), file('x/readme.md')]);
      } catch (e) {
        return e as AppError;
      }
    })();
    expect(err?.code).toBe('BENCHMARK_INCOMPLETE');
    expect(err?.message).toContain('queries.jsonl, qrels/test.tsv not found');
  });

  it('makes each corpus document a Markdown file titled by its heading', () => {
    expect(benchmarkDocument('tiny', { id: 'a', title: ' Lighthouse\n lenses ', text: 'Body.' })).toEqual({
      name: 'tiny-a.md',
      text: '# Lighthouse lenses\n\nBody.\n',
    });
    expect(benchmarkDocument('tiny', { id: 'b', title: '', text: 'Body.' }).text).toBe('Body.\n');
  });
});

function ports(present: { id: string; name: string }[] = [], resumed?: { id: string; name: string }) {
  const library = [...present];
  const imported: string[][] = [];
  const saved: EvalQuestionRecord[] = [];
  const p: BenchmarkPorts = {
    settled: async () => {
      // A file resumed after a reload is saved before the import looks at the library.
      if (resumed) library.push(resumed);
    },
    documents: () => library,
    importDocuments: async (docs) => {
      imported.push(docs.map((d) => d.name));
      // Every document but `b` imports (a failed file stays out of the library).
      for (const d of docs) if (d.name !== 'tiny-b.md') library.push({ id: `id-${d.name}`, name: d.name });
    },
    save: async (rows) => (saved.push(...rows), rows),
    now: () => 42,
  };
  return { p, imported, saved };
}

describe('importBenchmark', () => {
  it('imports the documents not yet in the library, then the judged questions by document id', async () => {
    const { p, imported, saved } = ports([{ id: 'old-b', name: 'tiny-b.md' }]);
    const phases: string[] = [];
    const out = await importBenchmark(FOLDER, p, (phase, n) => phases.push(`${phase}:${n}`));
    expect(imported).toEqual([['tiny-a.md', 'tiny-7.md']]);
    expect(phases).toEqual(['reading:0', 'importing:2', 'saving:2']);
    expect(out).toEqual({
      dataset: 'tiny',
      split: 'test',
      imported: 2,
      present: 1,
      failed: 0,
      questions: 2,
      noRelevant: 1,
      missing: 1,
      missingJudgments: 1,
    });
    expect(saved).toEqual([
      {
        id: 'benchmark:tiny:test:7',
        text: 'What bends light?',
        docId: 'id-tiny-a.md',
        chunkIds: [],
        // Relevance 0 is not gold; the document named like the query is never counted (BEIR's ignore_identical_ids).
        documents: { 'id-tiny-a.md': 2, 'id-tiny-7.md': 1 },
        ignore: ['id-tiny-7.md'],
        origin: 'benchmark',
        dataset: 'tiny',
        createdAt: 42,
      },
      {
        id: 'benchmark:tiny:test:8',
        text: 'Who trimmed?',
        docId: 'old-b',
        chunkIds: [],
        documents: { 'old-b': 1 },
        origin: 'benchmark',
        dataset: 'tiny',
        createdAt: 42,
      },
    ]);
  });

  it('a document that fails to import is counted as failed, and a question left without documents as missing', async () => {
    const { p, saved } = ports();
    const out = await importBenchmark(FOLDER, p);
    expect(saved.map((q) => q.id)).toEqual(['benchmark:tiny:test:7']);
    expect(out).toMatchObject({ imported: 2, failed: 1, present: 0, missing: 2, missingJudgments: 2, noRelevant: 1 });
  });

  it('waits for files resumed after a reload before deciding what to import', async () => {
    const { p, imported } = ports([], { id: 'resumed-a', name: 'tiny-a.md' });
    const out = await importBenchmark(FOLDER, p);
    expect(imported).toEqual([['tiny-b.md', 'tiny-7.md']]);
    expect(out).toMatchObject({ imported: 1, failed: 1, present: 1 });
  });

  it('a file the browser cannot read is BENCHMARK_READ_FAILED', async () => {
    const { p } = ports();
    const gone: PickedFile = {
      path: 'tiny/queries.jsonl',
      text: () => Promise.reject(new DOMException('gone', 'NotReadableError')),
    };
    await expect(
      importBenchmark([...FOLDER.filter((f) => !f.path.endsWith('queries.jsonl')), gone], p),
    ).rejects.toMatchObject({
      code: 'BENCHMARK_READ_FAILED',
      message: expect.stringContaining('(gone)'),
    });
  });

  it('a damaged file is BENCHMARK_INVALID with its file and line, and nothing is imported', async () => {
    const { p, imported } = ports();
    const bad = FOLDER.map((f) => (f.path.endsWith('corpus.jsonl') ? file(f.path, `${CORPUS}\n{oops`) : f));
    await expect(importBenchmark(bad, p)).rejects.toMatchObject({
      code: 'BENCHMARK_INVALID',
      message: expect.stringContaining('corpus.jsonl, line 4: not a JSON object'),
    });
    expect(imported).toEqual([]);
  });
});
