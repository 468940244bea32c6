// BEIR-style retrieval evaluation: indexes a BEIR folder, runs its judged queries, prints one JSON line of metrics.
import { createReadStream, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { mrrAt, ndcgAt, recallAt, trecOrder, type Judgments } from './metrics';
import { createSearcher, MODES, ModeUnavailableError, type Backends, type EvalDoc, type Mode } from './searchers';

export interface EvalResult {
  dataset: string;
  mode: Mode;
  'ndcg@10': number;
  'recall@100': number;
  'mrr@10': number;
  queries: number;
  /** Wall time of indexing plus searching all queries (loading the files excluded). */
  ms: number;
}

export interface EvalArgs {
  dataset: string;
  mode: Mode;
  split: string;
  k1?: number;
  b?: number;
}

const USAGE =
  'usage: eval --dataset <BEIR folder> --mode <bm25|dense|hybrid|rerank> [--split test] [--k1 0.9] [--b 0.4]';

export function parseArgs(argv: readonly string[]): EvalArgs {
  const get = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const a = argv[i]!;
    return a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
  };
  const dataset = get('dataset');
  const mode = get('mode') ?? 'bm25';
  if (!dataset) throw new UsageError(USAGE);
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`unknown mode "${mode}"; ${USAGE}`);
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
    return n;
  };
  return { dataset, mode: mode as Mode, split: get('split') ?? 'test', k1: num('k1'), b: num('b') };
}

class UsageError extends Error {}

async function* lines(path: string): AsyncGenerator<string> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) if (line.trim()) yield line;
}

export async function loadQrels(path: string): Promise<Map<string, Map<string, number>>> {
  const qrels = new Map<string, Map<string, number>>();
  for await (const line of lines(path)) {
    const [qid, docId, score] = line.split('\t');
    const rel = Number(score);
    if (qid === undefined || docId === undefined || !Number.isFinite(rel)) continue; // header row
    let judged = qrels.get(qid);
    if (!judged) qrels.set(qid, (judged = new Map()));
    judged.set(docId, rel);
  }
  return qrels;
}

async function loadCorpus(path: string): Promise<EvalDoc[]> {
  const docs: EvalDoc[] = [];
  for await (const line of lines(path)) {
    const d = JSON.parse(line) as { _id: string | number; title?: string; text?: string };
    docs.push({ id: String(d._id), title: d.title ?? '', text: d.text ?? '' });
  }
  return docs;
}

async function loadQueries(path: string, wanted: ReadonlySet<string>): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const line of lines(path)) {
    const q = JSON.parse(line) as { _id: string | number; text: string };
    if (wanted.has(String(q._id))) queries.set(String(q._id), q.text);
  }
  return queries;
}

/**
 * Runs one evaluation. Every judged query counts (an empty result scores 0). Like BEIR's default
 * (ignore_identical_ids), a hit whose id equals the query id is dropped before scoring.
 */
export async function evaluate(args: EvalArgs, backends: Backends = {}): Promise<EvalResult> {
  const searcher = createSearcher(args.mode, backends, { k1: args.k1, b: args.b });
  const dir = resolve(args.dataset);
  const qrelsPath = join(dir, 'qrels', `${args.split}.tsv`);
  for (const p of [join(dir, 'corpus.jsonl'), join(dir, 'queries.jsonl'), qrelsPath]) {
    if (!existsSync(p)) throw new UsageError(`missing ${p}`);
  }
  const qrels = await loadQrels(qrelsPath);
  const corpus = await loadCorpus(join(dir, 'corpus.jsonl'));
  const queries = await loadQueries(join(dir, 'queries.jsonl'), new Set(qrels.keys()));

  const start = performance.now();
  await searcher.index(corpus);
  let ndcg = 0;
  let recall = 0;
  let mrr = 0;
  let n = 0;
  for (const [qid, judged] of qrels) {
    const text = queries.get(qid);
    if (text === undefined) continue;
    const hits = (await searcher.search(text, 1000)).filter((h) => h.id !== qid);
    const ranked = trecOrder(hits);
    const j: Judgments = judged;
    ndcg += ndcgAt(ranked, j, 10);
    recall += recallAt(ranked, j, 100);
    mrr += mrrAt(ranked, j, 10);
    n++;
  }
  const ms = performance.now() - start;
  const round = (x: number): number => Math.round(x * 1e5) / 1e5;
  return {
    dataset: basename(dir),
    mode: args.mode,
    'ndcg@10': round(n ? ndcg / n : 0),
    'recall@100': round(n ? recall / n : 0),
    'mrr@10': round(n ? mrr / n : 0),
    queries: n,
    ms: Math.round(ms),
  };
}

/** CLI entry; returns the exit code (0 ok, 1 usage or input error, 2 mode not available here). */
export async function main(argv: readonly string[], backends: Backends = {}): Promise<number> {
  try {
    const result = await evaluate(parseArgs(argv), backends);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ModeUnavailableError) {
      process.stderr.write(`eval: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`eval: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
