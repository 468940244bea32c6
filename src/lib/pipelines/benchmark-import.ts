// Importing a BEIR benchmark (corpus, queries, qrels) as library documents plus an evaluation set judged by document.
import { AppError } from '../errors';
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

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Finds corpus.jsonl, queries.jsonl and qrels/<split>.tsv among the picked files; BENCHMARK_INCOMPLETE if absent. */
export function pickBenchmarkFiles(files: readonly PickedFile[]): BenchmarkFiles {
  const named = (name: string) => files.find((f) => baseName(f.path) === name);
  const corpus = named('corpus.jsonl');
  const queries = named('queries.jsonl');
  const split = SPLITS.find((s) => named(`${s}.tsv`));
  const qrels = split ? named(`${split}.tsv`) : undefined;
  if (!corpus || !queries || !qrels || !split) {
    const missing = [!corpus && 'corpus.jsonl', !queries && 'queries.jsonl', !qrels && 'qrels/test.tsv'].filter(
      (m): m is string => typeof m === 'string',
    );
    throw new AppError('BENCHMARK_INCOMPLETE', undefined, { missing: missing.join(', ') });
  }
  const top = corpus.path.includes('/') ? corpus.path.slice(0, corpus.path.indexOf('/')) : '';
  return { dataset: top || 'benchmark', split, corpus, queries, qrels };
}

/** The library document a corpus document becomes: its name, and Markdown with the title as its heading. */
export function benchmarkDocument(dataset: string, doc: BeirDoc): { name: string; text: string } {
  const title = doc.title.replace(/\s+/g, ' ').trim();
  return { name: `${dataset}-${doc.id}.md`, text: title ? `# ${title}\n\n${doc.text}\n` : `${doc.text}\n` };
}

export interface BenchmarkPorts {
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
  /** Corpus documents sent to the import queue, and those already in the library (by name). */
  imported: number;
  present: number;
  /** Judged questions stored, and those left out because none of their judged documents is in the library. */
  questions: number;
  unjudged: number;
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
    picked.corpus.text(),
    picked.queries.text(),
    picked.qrels.text(),
  ]);
  const qrels = parsed(() => parseQrels(qrelsText, `qrels/${split}.tsv`));
  const queries = parsed(() => parseBeirQueries(queriesText, new Set(qrels.keys())));
  const corpus = parsed(() => parseBeirCorpus(corpusText));
  if (corpus.length === 0) throw new AppError('BENCHMARK_INVALID', undefined, { why: 'corpus.jsonl has no documents' });
  const questions = beirQuestions(qrels, queries);
  const docs = corpus.map((d) => ({ id: d.id, ...benchmarkDocument(dataset, d) }));
  const before = new Set(ports.documents().map((d) => d.name));
  const todo = docs.filter((d) => !before.has(d.name));
  phase('importing', todo.length);
  if (todo.length) await ports.importDocuments(todo.map(({ name, text }) => ({ name, text })));
  phase('saving', todo.length);
  const byName = new Map(ports.documents().map((d) => [d.name, d.id]));
  const idOf = new Map(docs.map((d) => [d.id, byName.get(d.name)]));
  const at = ports.now();
  const rows: EvalQuestionRecord[] = [];
  let unjudged = 0;
  for (const q of questions) {
    const judged = [...q.judgments]
      .filter(([, rel]) => rel > 0)
      .map(([beirId, rel]) => [idOf.get(beirId), rel] as const)
      .filter((e): e is readonly [string, number] => e[0] !== undefined);
    if (judged.length === 0) {
      unjudged++;
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
    imported: todo.length,
    present: docs.length - todo.length,
    questions: stored.length,
    unjudged: unjudged + rows.length - stored.length,
  };
}
