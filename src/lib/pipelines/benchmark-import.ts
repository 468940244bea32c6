// Importing a BEIR benchmark (corpus, queries, qrels) as library documents plus an evaluation set judged by document.
import { AppError, causeOf } from '../errors';
import {
  BeirFormatError,
  beirQuestions,
  parseBeirCorpus,
  parseBeirQueries,
  parseQrels,
  type BeirDoc,
} from '../evaluation/beir';
import type { EvalQuestionRecord } from '../persistence/eval-schema';

/** A picked file and where it sits in the picked folder (`scifact/qrels/test.tsv`; just its name when no folder). */
export interface PickedFile {
  path: string;
  text(): Promise<string>;
}

/** The qrels split used, in this order of preference (BEIR evaluates on test). */
export const SPLITS = ['test', 'dev', 'train'] as const;

export interface BenchmarkFiles {
  /** The dataset's name: the picked folder's. */
  dataset: string;
  split: string;
  corpus: PickedFile;
  queries: PickedFile;
  qrels: PickedFile;
}

const depth = (path: string) => path.split('/').length;

/**
 * Finds corpus.jsonl (the shallowest, when the picked tree holds several), then queries.jsonl and qrels/<split>.tsv
 * beside it (loose files: <split>.tsv too), so one dataset's corpus is never paired with another's judgments; the
 * dataset is named after the corpus's folder. BENCHMARK_INCOMPLETE names what is missing.
 */
export function pickBenchmarkFiles(files: readonly PickedFile[]): BenchmarkFiles {
  const corpus = files
    .filter((f) => f.path === 'corpus.jsonl' || f.path.endsWith('/corpus.jsonl'))
    .sort((a, b) => depth(a.path) - depth(b.path))[0];
  const dir = corpus ? corpus.path.slice(0, corpus.path.length - 'corpus.jsonl'.length) : '';
  const at = (path: string) => files.find((f) => f.path === `${dir}${path}`);
  const queries = at('queries.jsonl');
  const split = SPLITS.find((s) => at(`qrels/${s}.tsv`) ?? (dir === '' && at(`${s}.tsv`)));
  const qrels = split ? (at(`qrels/${split}.tsv`) ?? at(`${split}.tsv`)) : undefined;
  if (!corpus || !queries || !qrels || !split) {
    const missing = [!corpus && 'corpus.jsonl', !queries && 'queries.jsonl', !qrels && 'qrels/test.tsv'].filter(
      (m): m is string => typeof m === 'string',
    );
    throw new AppError('BENCHMARK_INCOMPLETE', undefined, { missing: missing.join(', ') });
  }
  const folder = dir.replace(/\/$/, '');
  return { dataset: folder.slice(folder.lastIndexOf('/') + 1) || 'benchmark', split, corpus, queries, qrels };
}

/** The library document a corpus document becomes: its name, and Markdown with the title as its heading. */
export function benchmarkDocument(dataset: string, doc: BeirDoc): { name: string; text: string } {
  const title = doc.title.replace(/\s+/g, ' ').trim();
  return { name: `${dataset}-${doc.id}.md`, text: title ? `# ${title}\n\n${doc.text}\n` : `${doc.text}\n` };
}

export interface BenchmarkPorts {
  /** Resolves once the library's import queue is idle (files resumed after a reload included). */
  settled(): Promise<void>;
  /** The names of the documents in the library now. */
  documents(): { id: string; name: string }[];
  /** Imports these documents through the library's queue, resolving once the queue is idle again. */
  importDocuments(docs: { name: string; text: string }[]): Promise<void>;
  /** Stores the questions in one transaction; returns those stored. */
  save(rows: EvalQuestionRecord[]): Promise<EvalQuestionRecord[]>;
  now(): number;
}

export type BenchmarkPhase = 'reading' | 'importing' | 'saving';

export interface BenchmarkOutcome {
  dataset: string;
  split: string;
  /** Corpus documents this import added, those already in the library (by name), and those that failed to import. */
  imported: number;
  present: number;
  failed: number;
  /** Judged questions stored. */
  questions: number;
  /** Queries left out: no document judged relevant at all (as the CLI leaves them out). */
  noRelevant: number;
  /** Queries left out: none of their relevant documents is in the library. */
  missing: number;
  /** Relevant judgments on documents not in the library (dropped from the questions kept: their recall differs). */
  missingJudgments: number;
}

/** Reads a picked file, or BENCHMARK_READ_FAILED (the browser lost access to it). */
async function read(file: PickedFile): Promise<string> {
  try {
    return await file.text();
  } catch (err) {
    throw new AppError('BENCHMARK_READ_FAILED', undefined, { cause: causeOf(err) });
  }
}

function parsed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof BeirFormatError) throw new AppError('BENCHMARK_INVALID', undefined, { why: err.message });
    throw err;
  }
}

/**
 * Imports a BEIR dataset: its corpus as documents (those not yet in the library, by name), then its judged queries as
 * benchmark questions judged by document. Question ids are stable (dataset, split, query id), so importing again
 * replaces them rather than adding copies.
 */
export async function importBenchmark(
  files: readonly PickedFile[],
  ports: BenchmarkPorts,
  phase: (p: BenchmarkPhase, documents: number) => void = () => {},
): Promise<BenchmarkOutcome> {
  const picked = pickBenchmarkFiles(files);
  const { dataset, split } = picked;
  phase('reading', 0);
  const [corpusText, queriesText, qrelsText] = await Promise.all([
    read(picked.corpus),
    read(picked.queries),
    read(picked.qrels),
  ]);
  const qrels = parsed(() => parseQrels(qrelsText, `qrels/${split}.tsv`));
  const queries = parsed(() => parseBeirQueries(queriesText, new Set(qrels.keys())));
  const corpus = parsed(() => parseBeirCorpus(corpusText));
  if (corpus.length === 0) throw new AppError('BENCHMARK_INVALID', undefined, { why: 'corpus.jsonl has no documents' });
  const questions = beirQuestions(qrels, queries);
  const docs = corpus.map((d) => ({ id: d.id, ...benchmarkDocument(dataset, d) }));
  // Files still queued (resumed after a reload) count as present only once saved: wait for them first.
  await ports.settled();
  const before = new Set(ports.documents().map((d) => d.name));
  const todo = docs.filter((d) => !before.has(d.name));
  phase('importing', todo.length);
  if (todo.length) await ports.importDocuments(todo.map(({ name, text }) => ({ name, text })));
  phase('saving', todo.length);
  const byName = new Map(ports.documents().map((d) => [d.name, d.id]));
  const imported = todo.filter((d) => byName.has(d.name)).length;
  const idOf = new Map(docs.map((d) => [d.id, byName.get(d.name)]));
  const at = ports.now();
  const rows: EvalQuestionRecord[] = [];
  let noRelevant = 0;
  let missing = 0;
  let missingJudgments = 0;
  for (const q of questions) {
    const relevant = [...q.judgments].filter(([, rel]) => rel > 0);
    if (relevant.length === 0) {
      noRelevant++;
      continue;
    }
    const judged = relevant
      .map(([beirId, rel]) => [idOf.get(beirId), rel] as const)
      .filter((e): e is readonly [string, number] => e[0] !== undefined);
    missingJudgments += relevant.length - judged.length;
    if (judged.length === 0) {
      missing++;
      continue;
    }
    const self = idOf.get(q.id);
    rows.push({
      id: `benchmark:${dataset}:${split}:${q.id}`,
      text: q.text,
      docId: judged[0]![0],
      chunkIds: [],
      documents: Object.fromEntries(judged),
      ...(self !== undefined && { ignore: [self] }),
      origin: 'benchmark',
      dataset,
      createdAt: at,
    });
  }
  const stored = await ports.save(rows);
  return {
    dataset,
    split,
    imported,
    present: docs.length - todo.length,
    failed: todo.length - imported,
    questions: stored.length,
    noRelevant,
    // A question whose document was deleted while it was saved is not stored either.
    missing: missing + rows.length - stored.length,
    missingJudgments,
  };
}
