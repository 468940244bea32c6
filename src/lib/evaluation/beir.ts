// BEIR datasets (corpus.jsonl, queries.jsonl, qrels/<split>.tsv): one parser for the CLI and the app's import.

/** One corpus document. */
export interface BeirDoc {
  id: string;
  title: string;
  text: string;
}

/** Query id → (document id → graded relevance). */
export type Qrels = Map<string, Map<string, number>>;

/** A line of a dataset file that is not what BEIR puts there; `line` counts from 1. */
export class BeirFormatError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    why: string,
  ) {
    super(`${file}, line ${line}: ${why}`);
  }
}

/** The non-blank lines of a file's text, numbered from 1 (a split on newlines: linear in the text). */
function* numbered(text: string): Generator<[number, string]> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim()) yield [i + 1, line];
  }
}

function record(file: string, n: number, line: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new BeirFormatError(file, n, 'not a JSON object');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new BeirFormatError(file, n, 'not a JSON object');
  const v = value as Record<string, unknown>;
  if (typeof v._id !== 'string' && typeof v._id !== 'number') throw new BeirFormatError(file, n, 'no "_id"');
  return v;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Parses one corpus line (also the CLI's streaming reader). */
export function beirDoc(line: string, n = 1, file = 'corpus.jsonl'): BeirDoc {
  const v = record(file, n, line);
  return { id: String(v._id), title: str(v.title), text: str(v.text) };
}

/** corpus.jsonl: one document per line. */
export function parseBeirCorpus(text: string, file = 'corpus.jsonl'): BeirDoc[] {
  return [...numbered(text)].map(([n, line]) => beirDoc(line, n, file));
}

/** Parses one queries line: its id and text (also the CLI's streaming reader). */
export function beirQuery(line: string, n = 1, file = 'queries.jsonl'): [string, string] {
  const v = record(file, n, line);
  if (typeof v.text !== 'string') throw new BeirFormatError(file, n, 'no "text"');
  return [String(v._id), v.text];
}

/** queries.jsonl: query id → text, only those in `wanted` when given. */
export function parseBeirQueries(
  text: string,
  wanted?: ReadonlySet<string>,
  file = 'queries.jsonl',
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [n, line] of numbered(text)) {
    const [id, q] = beirQuery(line, n, file);
    if (!wanted || wanted.has(id)) out.set(id, q);
  }
  return out;
}

/**
 * Adds one qrels line to `qrels`: `query-id<TAB>corpus-id<TAB>score`. The header row (`header`: the file's first
 * non-blank line, when its score is not a number) is skipped; any other line without three fields is an error.
 */
export function addQrelsLine(qrels: Qrels, line: string, n = 1, file = 'qrels.tsv', header = n === 1): void {
  const [qid, docId, score, ...rest] = line.split('\t');
  if (qid === undefined || docId === undefined || score === undefined || rest.length > 0)
    throw new BeirFormatError(file, n, 'not "query-id, corpus-id, score" separated by tabs');
  const rel = Number(score);
  if (!score.trim() || !Number.isFinite(rel)) {
    if (header) return; // the header row
    throw new BeirFormatError(file, n, `score "${score.slice(0, 20)}" is not a number`);
  }
  let judged = qrels.get(qid);
  if (!judged) qrels.set(qid, (judged = new Map()));
  judged.set(docId, rel);
}

/** qrels/<split>.tsv, in file order. */
export function parseQrels(text: string, file = 'qrels.tsv'): Qrels {
  const qrels: Qrels = new Map();
  let first = true;
  for (const [n, line] of numbered(text)) {
    addQrelsLine(qrels, line, n, file, first);
    first = false;
  }
  return qrels;
}

/** One judged query with its text: what both the CLI and the app's import evaluate. */
export interface BeirQuestion {
  id: string;
  text: string;
  judgments: Map<string, number>;
}

/** The judged queries that have a text, in qrels order. */
export function beirQuestions(qrels: Qrels, queries: ReadonlyMap<string, string>): BeirQuestion[] {
  const out: BeirQuestion[] = [];
  for (const [id, judgments] of qrels) {
    const text = queries.get(id);
    if (text !== undefined) out.push({ id, text, judgments });
  }
  return out;
}
