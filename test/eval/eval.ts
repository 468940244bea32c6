// BEIR-style retrieval evaluation: indexes a BEIR folder, runs its judged queries, prints one JSON line of metrics.
import { createReadStream, existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Device, Dtype } from '../../src/lib/config/registry-types';
import { parseQueries } from '../../src/lib/answer/multi-query';
import { multiQueryV1, renderPrompt } from '../../src/lib/answer/prompts';
import { DEFAULT_SETTINGS } from '../../src/lib/config/defaults';
import {
  availableConfigs,
  configOf,
  evaluateRetrieval,
  trecOrder,
  type ConfigFigures,
  type EvalQuestion,
  type RetrievalConfig,
  type ScoredDoc,
  type SearchPort,
} from '../../src/lib/evaluation';
import {
  addQrelsLine,
  BeirFormatError,
  beirDoc,
  beirQuery,
  beirQuestions,
  type Qrels,
} from '../../src/lib/evaluation/beir';
import { DEFAULT_FINAL_ORDER, DEFAULT_RERANK_WEIGHT, type FinalOrder } from '../../src/lib/retrieval/final-order';
import type { BrowserBackends, BrowserOptions } from './browser-backends';
import { calibrate, loadOffTopicQuestions, type RefusalCalibration } from './calibration';
import { runInApp } from './in-app';
import { adaptingDense, readQueries, trainOnQrels } from './adapter';
import { synthesize } from './synthesize';
import { buildInstructionCases, runInstructionCheck } from './instructions-check';
import { getPrompt, promptVersions } from '../../src/lib/answer/prompts';
import { rankingJudge, runDeepCheck, sampleQuestions } from './deep';
import { openJudgmentCache } from './judgment-cache';
import type { QueryAdapter } from '../../src/lib/learn/query-adapter';
import { TooFewExamplesError } from '../../src/lib/learn/train-adapter';
import { withEmbeddingCache, type CachedBackend } from './embedding-cache';
import {
  createSearcher,
  MODES,
  ModeUnavailableError,
  type Backends,
  type DenseBackend,
  type EvalDoc,
  type GeneratorBackend,
  type Mode,
  type RerankOptions,
  type Searcher,
} from './searchers';

export interface EvalResult {
  dataset: string;
  mode: Mode;
  'ndcg@10': number | null;
  'recall@100': number | null;
  'mrr@10': number | null;
  queries: number;
  /** Wall time of indexing plus searching all queries (loading the files excluded). */
  ms: number;
  /** Model set, device and dtype the embedder ran with (model-backed modes in the browser). */
  models?: ModelSet;
  device?: Device;
  dtype?: string;
  /** Corpus documents embedded per second (dense model). */
  docsPerSec?: number | null;
  /** Rerank candidates encoded per second (late-interaction model). */
  lateDocsPerSec?: number | null;
  /** Rerank mode: the final order and how many first-stage candidates were reranked. */
  final?: FinalOrder;
  rerankCandidates?: number;
  rerankWeight?: number;
  /** --refusal-calibration: top-1 cosine of the judged queries versus off-topic questions. */
  refusal?: RefusalCalibration;
  /** --adapter: the same figures with the trained query adapter applied to every query, and how it was trained. */
  'ndcg@10_adapter'?: number | null;
  'recall@100_adapter'?: number | null;
  'mrr@10_adapter'?: number | null;
  adapter?: AdapterFigures;
}

/** How --adapter trained: on which qrels, how many queries, the held-out gate and the time it took. */
export interface AdapterFigures {
  qrels: string;
  trainQueries: number;
  trainPairs: number;
  /** Judged queries left out: judged in the evaluated split too, or without a text or a document in the corpus. */
  leftOut: { overlapping: number; unusable: number };
  heldOutQueries: number;
  /** The held-out split's nDCG@10 (dense, over the corpus) with the identity and with the last epoch's weights. */
  heldOutBefore: number;
  heldOutAfter: number;
  /** Whether the app would switch it on (it beat the identity on the held-out split). */
  enabled: boolean;
  /**
   * The evaluated queries none of whose relevant documents is a positive of the training qrels, without and with the
   * adapter: what it does for documents it was never trained towards (they may still have been negatives). SciFact's
   * train and test splits share relevant documents for most test queries.
   */
  unseenDocuments: { queries: number; 'ndcg@10': number | null; 'ndcg@10_adapter': number | null };
  epochs: number;
  ms: number;
}

export const MODEL_SETS = ['real', 'standin'] as const;
export type ModelSet = (typeof MODEL_SETS)[number];
export const DEVICES = ['wasm', 'webgpu'] as const;

export interface EvalArgs {
  dataset: string;
  mode: Mode;
  split: string;
  k1?: number;
  b?: number;
  /** Which registry's models the model-backed modes load; required for them. */
  models?: ModelSet;
  device?: Device;
  /** Texts per round trip to the browser page. */
  batch?: number;
  refusalCalibration?: boolean;
  /** Folder of the opt-in corpus-embedding cache. */
  embeddingsCache?: string;
  /** Embedder dtype instead of the registry's (diagnosis only; the output then names the registry's too). */
  dtype?: Dtype;
  /** Rerank mode: the final order (default the app's) and how many candidates are reranked (default the app's). */
  final?: FinalOrder;
  rerankCandidates?: number;
  rerankWeight?: number;
  /** Every configuration the models allow (BM25 only, dense only, hybrid, hybrid + rerank), one line each. */
  ablation?: boolean;
  /** --ablation without the multi-query rows: the generator is not loaded (its rows cost a generation per query). */
  noMultiQuery?: boolean;
  /**
   * --ablation through the app itself (test/eval/in-app.ts): the built app imports the folder as a benchmark and its
   * Evaluate panel runs, so the lines are the numbers the app shows for the same data.
   */
  inApp?: boolean;
  /** --in-app: a browser profile folder kept between runs, so a later run reuses the imported library. */
  profile?: string;
  /** A qrels file the query adapter trains on (queries from --adapter-queries, else the dataset's queries.jsonl). */
  adapter?: string;
  adapterQueries?: string;
  /** --deep <n> [--deep-candidates N]: deep mode on n sampled queries, nDCG@10 per combination rule (deep.ts). */
  deep?: number;
  deepCandidates?: number;
  /** --deep-skip <k>: leave out the first k sampled queries, so one long --deep run can be split across processes sharing --judgments-cache. */
  deepSkip?: number;
  /** --judgments-cache <file>: --deep's judgments kept on disk, so a stopped run resumes (judgment-cache.ts). */
  judgmentsCache?: string;
  /** --instructions-check <n>: the instruction-following check on n queries (instructions-check.ts). */
  instructionsCheck?: number;
  /** --instructions-skip <k>: leave out the first k cases, so one long --instructions-check can be split across processes sharing --judgments-cache. */
  instructionsSkip?: number;
  /** --synthesize <n> --out <dir>: write synthetic questions about n sampled documents instead of evaluating. */
  synthesize?: number;
  out?: string;
  /** --synthesize's prompt version (default the app's). */
  promptVersion?: number;
}

/** Texts per page.evaluate round trip unless --batch says otherwise. */
export const DEFAULT_BATCH = 64;

const USAGE =
  'usage: eval --dataset <BEIR folder> (--mode <bm25|dense|hybrid|rerank> | --ablation [--no-multi-query]) ' +
  '[--models real|standin] [--in-app [--profile <dir>]] ' +
  '[--device wasm|webgpu] [--dtype <override>] [--refusal-calibration] [--embeddings-cache <dir>] [--split test] ' +
  `[--k1 0.9] [--b 0.4] [--batch ${DEFAULT_BATCH}] [--final fusion|rerank] [--rerank-candidates N] [--rerank-weight W] ` +
  '[--adapter <qrels file> [--adapter-queries <queries.jsonl>]]; or: eval --dataset <BEIR folder> --synthesize <n> --out <dir> [--prompt-version N] --models real|standin; ' +
  'or: eval --dataset <BEIR folder> --instructions-check <n> [--instructions-skip K] [--deep-candidates N [--judgments-cache <file>]] --models real|standin [--mode bm25|dense|hybrid]; ' +
  'or: eval --dataset <BEIR folder> --deep <n> [--deep-candidates N] [--deep-skip K] [--judgments-cache <file>] --models real|standin [--mode bm25|dense|hybrid]';

const VALUED = [
  'dataset',
  'mode',
  'split',
  'k1',
  'b',
  'models',
  'device',
  'dtype',
  'batch',
  'embeddings-cache',
  'final',
  'rerank-candidates',
  'rerank-weight',
  'profile',
  'adapter',
  'adapter-queries',
  'synthesize',
  'prompt-version',
  'out',
  'instructions-check',
  'instructions-skip',
  'deep',
  'deep-candidates',
  'deep-skip',
  'judgments-cache',
];
const FINAL_ORDERS: readonly FinalOrder[] = ['fusion', 'rerank'];
const DTYPES: readonly Dtype[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];
const FLAGS = ['refusal-calibration', 'ablation', 'no-multi-query', 'in-app'];
/** What the app decides for itself, so --in-app refuses them: its own settings, split preference and batching. */
const NOT_IN_APP = [
  'split',
  'k1',
  'b',
  'dtype',
  'batch',
  'embeddings-cache',
  'final',
  'rerank-candidates',
  'rerank-weight',
];

export function parseArgs(argv: readonly string[]): EvalArgs {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : null;
    if (name === null || !(VALUED.includes(name) || FLAGS.includes(name))) {
      throw new UsageError(`unexpected argument "${a}"; ${USAGE}`);
    }
    if (VALUED.includes(name) && !a.includes('=') && !argv[i + 1]?.startsWith('--')) i++; // its value
  }
  const get = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    const a = argv[i]!;
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[i + 1];
    if (v === undefined || (!a.includes('=') && v.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    return v;
  };
  const dataset = get('dataset');
  const ablation = argv.includes('--ablation');
  if (ablation && get('mode') !== undefined) throw new UsageError('--ablation runs every mode; leave out --mode');
  const noMultiQuery = argv.includes('--no-multi-query');
  if (noMultiQuery && !ablation) throw new UsageError('--no-multi-query applies to --ablation only');
  const mode = get('mode') ?? 'bm25';
  if (!dataset) throw new UsageError(USAGE);
  const inApp = argv.includes('--in-app');
  if (get('profile') !== undefined && !inApp) throw new UsageError('--profile applies to --in-app only');
  if (inApp) {
    if (!ablation || get('models') === undefined) throw new UsageError('--in-app needs --ablation and --models');
    const refused = [
      ...NOT_IN_APP.filter((name) => get(name) !== undefined),
      ...(argv.includes('--refusal-calibration') ? ['refusal-calibration'] : []),
    ];
    if (refused.length)
      throw new UsageError(`--in-app runs with the app's own settings; leave out --${refused.join(', --')}`);
  }
  if (!(MODES as readonly string[]).includes(mode)) throw new UsageError(`unknown mode "${mode}"; ${USAGE}`);
  const adapter = get('adapter');
  if (get('adapter-queries') !== undefined && adapter === undefined)
    throw new UsageError('--adapter-queries applies to --adapter only');
  if (adapter !== undefined) {
    if (ablation || mode === 'bm25') throw new UsageError('--adapter needs --mode dense, hybrid or rerank');
    if (argv.includes('--refusal-calibration'))
      throw new UsageError('--adapter and --refusal-calibration exclude each other');
    for (const p of [adapter, get('adapter-queries')])
      if (p !== undefined && !existsSync(p)) throw new UsageError(`missing ${p}`);
  }
  const num = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number`);
    return n;
  };
  const models = get('models');
  if (models !== undefined && !(MODEL_SETS as readonly string[]).includes(models)) {
    throw new UsageError(`unknown model set "${models}"; use --models ${MODEL_SETS.join('|')}`);
  }
  if (mode !== 'bm25' && models === undefined) {
    throw new UsageError(`mode "${mode}" needs --models ${MODEL_SETS.join('|')}`);
  }
  const device = get('device') ?? 'wasm';
  if (!(DEVICES as readonly string[]).includes(device)) {
    throw new UsageError(`unknown device "${device}"; use --device ${DEVICES.join('|')}`);
  }
  const batch = num('batch');
  if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1)) {
    throw new UsageError('--batch must be a positive integer');
  }
  const refusalCalibration = argv.includes('--refusal-calibration');
  const embeddingsCache = get('embeddings-cache');
  const dtype = get('dtype');
  if (dtype !== undefined && !(DTYPES as readonly string[]).includes(dtype)) {
    throw new UsageError(`unknown dtype "${dtype}"; use one of ${DTYPES.join(', ')}`);
  }
  if (refusalCalibration && (mode !== 'dense' || ablation))
    throw new UsageError('--refusal-calibration needs --mode dense');
  const final = get('final');
  if (final !== undefined && !(FINAL_ORDERS as readonly string[]).includes(final)) {
    throw new UsageError(`unknown final order "${final}"; use --final ${FINAL_ORDERS.join('|')}`);
  }
  const rerankCandidates = num('rerank-candidates');
  if (rerankCandidates !== undefined && !(Number.isInteger(rerankCandidates) && rerankCandidates >= 1)) {
    throw new UsageError('--rerank-candidates must be a positive integer');
  }
  const rerankWeight = num('rerank-weight');
  if (rerankWeight !== undefined && !(rerankWeight > 0)) throw new UsageError('--rerank-weight must be positive');
  if (rerankWeight !== undefined && final === 'rerank') {
    throw new UsageError('--rerank-weight applies to --final fusion only');
  }
  if ((final ?? rerankCandidates ?? rerankWeight) !== undefined && mode !== 'rerank' && !ablation) {
    throw new UsageError('--final, --rerank-candidates and --rerank-weight need --mode rerank');
  }
  const synthesize = num('synthesize');
  const promptVersion = num('prompt-version');
  if (promptVersion !== undefined) {
    if (synthesize === undefined) throw new UsageError('--prompt-version applies to --synthesize only');
    if (!promptVersions('synthetic-questions').some((p) => p.version === promptVersion))
      throw new UsageError(
        `no synthetic-questions prompt v${promptVersion}; there are ${promptVersions('synthetic-questions')
          .map((p) => `v${p.version}`)
          .join(', ')}`,
      );
  }
  const out = get('out');
  if ((synthesize === undefined) !== (out === undefined)) throw new UsageError('--synthesize and --out go together');
  if (synthesize !== undefined) {
    if (!(Number.isInteger(synthesize) && synthesize >= 1))
      throw new UsageError('--synthesize must be a positive integer');
    if (ablation || get('adapter') !== undefined || argv.includes('--in-app') || get('models') === undefined)
      throw new UsageError('--synthesize needs --models and no --ablation, --adapter or --in-app');
  }
  const instructionsCheck = num('instructions-check');
  if (instructionsCheck !== undefined) {
    if (!(Number.isInteger(instructionsCheck) && instructionsCheck >= 1))
      throw new UsageError('--instructions-check must be a positive integer');
    if (
      ablation ||
      adapter !== undefined ||
      synthesize !== undefined ||
      inApp ||
      models === undefined ||
      mode === 'rerank'
    )
      throw new UsageError(
        '--instructions-check needs --models, --mode bm25, dense or hybrid, and no --ablation, --adapter, --synthesize or --in-app',
      );
  }
  const instructionsSkip = num('instructions-skip');
  if (instructionsSkip !== undefined && instructionsCheck === undefined)
    throw new UsageError('--instructions-skip applies to --instructions-check only');
  if (
    instructionsSkip !== undefined &&
    instructionsCheck !== undefined &&
    !(Number.isInteger(instructionsSkip) && instructionsSkip >= 0 && instructionsSkip < instructionsCheck)
  )
    throw new UsageError('--instructions-skip must be a whole number below --instructions-check');
  const deep = num('deep');
  const deepN = num('deep-candidates');
  const deepSkip = num('deep-skip');
  if (deepSkip !== undefined && deep === undefined) throw new UsageError('--deep-skip applies to --deep only');
  if (deepSkip !== undefined && deep !== undefined && !(Number.isInteger(deepSkip) && deepSkip >= 0 && deepSkip < deep))
    throw new UsageError('--deep-skip must be a whole number below --deep');
  const judges = deep !== undefined || instructionsCheck !== undefined;
  if (deepN !== undefined && !judges)
    throw new UsageError('--deep-candidates applies to --deep and --instructions-check only');
  const judgmentsCache = get('judgments-cache');
  if (judgmentsCache !== undefined && !judges)
    throw new UsageError('--judgments-cache applies to --deep and --instructions-check only');
  if (judgmentsCache !== undefined && deep === undefined && deepN === undefined)
    throw new UsageError('--judgments-cache needs --deep-candidates with --instructions-check');
  if (deepN !== undefined && !(Number.isInteger(deepN) && deepN >= 1))
    throw new UsageError('--deep-candidates must be a positive integer');
  if (deep !== undefined) {
    for (const [name, v] of [
      ['deep', deep],
      ['deep-candidates', deepN],
    ] as const)
      if (v !== undefined && !(Number.isInteger(v) && v >= 1))
        throw new UsageError(`--${name} must be a positive integer`);
    if (
      ablation ||
      adapter !== undefined ||
      synthesize !== undefined ||
      instructionsCheck !== undefined ||
      inApp ||
      models === undefined ||
      mode === 'rerank'
    )
      throw new UsageError(
        '--deep needs --models, --mode bm25, dense or hybrid, and no --ablation, --adapter, --synthesize, --instructions-check or --in-app',
      );
  }
  return {
    dataset,
    mode: mode as Mode,
    split: get('split') ?? 'test',
    k1: num('k1'),
    b: num('b'),
    ...(models !== undefined && { models: models as ModelSet }),
    device: device as Device,
    ...(batch !== undefined && { batch }),
    ...(refusalCalibration && { refusalCalibration }),
    ...(embeddingsCache !== undefined && { embeddingsCache }),
    ...(dtype !== undefined && { dtype: dtype as Dtype }),
    ...(final !== undefined && { final: final as FinalOrder }),
    ...(rerankCandidates !== undefined && { rerankCandidates }),
    ...(rerankWeight !== undefined && { rerankWeight }),
    ...(ablation && { ablation }),
    ...(noMultiQuery && { noMultiQuery }),
    ...(inApp && { inApp }),
    ...(get('profile') !== undefined && { profile: get('profile') }),
    ...(adapter !== undefined && { adapter }),
    ...(synthesize !== undefined && { synthesize, out }),
    ...(promptVersion !== undefined && { promptVersion }),
    ...(instructionsCheck !== undefined && { instructionsCheck }),
    ...(instructionsSkip !== undefined && { instructionsSkip }),
    ...(deep !== undefined && { deep }),
    ...(deepN !== undefined && { deepCandidates: deepN }),
    ...(deepSkip !== undefined && { deepSkip }),
    ...(judgmentsCache !== undefined && { judgmentsCache }),
    ...(get('adapter-queries') !== undefined && { adapterQueries: get('adapter-queries') }),
  };
}

class UsageError extends Error {}

/** A file's non-blank lines, numbered from 1 (streamed: a corpus can be large). */
async function* lines(path: string): AsyncGenerator<[number, string]> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim()) yield [n, line];
  }
}

/** qrels/<split>.tsv through the parser the app's BEIR import uses (src/lib/evaluation/beir.ts). */
export async function loadQrels(path: string): Promise<Qrels> {
  const qrels: Qrels = new Map();
  let first = true;
  for await (const [n, line] of lines(path)) {
    addQrelsLine(qrels, line, n, basename(path), first);
    first = false;
  }
  return qrels;
}

async function loadCorpus(path: string): Promise<EvalDoc[]> {
  const docs: EvalDoc[] = [];
  for await (const [n, line] of lines(path)) docs.push(beirDoc(line, n));
  return docs;
}

async function loadQueries(path: string, wanted: ReadonlySet<string>): Promise<Map<string, string>> {
  const queries = new Map<string, string>();
  for await (const [n, line] of lines(path)) {
    const [id, text] = beirQuery(line, n);
    if (wanted.has(id)) queries.set(id, text);
  }
  return queries;
}

interface Dataset {
  name: string;
  corpus: EvalDoc[];
  /** The judged queries that have a text, in qrels order; `id` is the BEIR query id. */
  questions: EvalQuestion[];
}

async function loadDataset(args: Pick<EvalArgs, 'dataset' | 'split'>): Promise<Dataset> {
  const dir = resolve(args.dataset);
  const qrelsPath = join(dir, 'qrels', `${args.split}.tsv`);
  for (const p of [join(dir, 'corpus.jsonl'), join(dir, 'queries.jsonl'), qrelsPath]) {
    if (!existsSync(p)) throw new UsageError(`missing ${p}`);
  }
  const qrels = await loadQrels(qrelsPath);
  const corpus = await loadCorpus(join(dir, 'corpus.jsonl'));
  const queries = await loadQueries(join(dir, 'queries.jsonl'), new Set(qrels.keys()));
  return { name: basename(dir), corpus, questions: beirQuestions(qrels, queries) };
}

/**
 * A searcher as the evaluation runner's search port (src/lib/evaluation, the code the app's panel runs too). Like
 * BEIR's default (ignore_identical_ids), a hit whose id equals the query id is dropped before scoring; `onRanked`
 * sees each ranking in the order the metrics read it.
 */
export function searcherPort(searcher: Searcher, onRanked?: (ranked: ScoredDoc[]) => void): SearchPort {
  return {
    async rank(question) {
      const t = performance.now();
      const hits = (await searcher.search(question.text, 1000)).filter((h) => h.id !== question.id);
      const ms = performance.now() - t;
      onRanked?.(trecOrder(hits));
      return { ranked: hits, ms: { search: ms } };
    },
  };
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x * 1e5) / 1e5);

function rerankOptions(args: EvalArgs): RerankOptions {
  return {
    order: args.final ?? DEFAULT_FINAL_ORDER,
    candidates: args.rerankCandidates ?? DEFAULT_SETTINGS.rerankCandidates,
    weight: args.rerankWeight ?? DEFAULT_RERANK_WEIGHT,
  };
}

/**
 * Runs one evaluation through the evaluation runner. Every judged query with a relevant document counts (an empty
 * result scores 0); one whose judgments are all 0 is left out of the means (src/lib/evaluation/metrics.ts).
 */
export async function evaluate(
  args: EvalArgs,
  backends: Backends = {},
  /** Only these query ids are run (--adapter's unseen-document subset). */
  only?: ReadonlySet<string>,
): Promise<EvalResult> {
  if (args.adapter !== undefined) return evaluateWithAdapter(args, backends);
  if (args.refusalCalibration && args.mode !== 'dense')
    throw new UsageError('--refusal-calibration needs --mode dense');
  const rerank = rerankOptions(args);
  const searcher = createSearcher(args.mode, backends, { k1: args.k1, b: args.b }, rerank);
  const loaded = await loadDataset(args);
  const data = only ? { ...loaded, questions: loaded.questions.filter((q) => only.has(q.id)) } : loaded;

  const start = performance.now();
  await searcher.index(data.corpus);
  await searcher.prepareQueries?.(data.questions.map((q) => q.text));
  const top1: number[] = [];
  const report = await evaluateRetrieval(
    data.questions,
    [configOf(args.mode, false)],
    searcherPort(searcher, (ranked) => ranked[0] && top1.push(ranked[0].score)),
  );
  const figures = report.configs[0]!;
  const ms = performance.now() - start;
  let refusal: RefusalCalibration | undefined;
  if (args.refusalCalibration) {
    // Dense scores are cosines; the off-topic questions are scored against the same index after the timed run.
    const offTopic = loadOffTopicQuestions();
    await searcher.prepareQueries?.(offTopic);
    const offTop1: number[] = [];
    for (const q of offTopic) {
      const [best] = await searcher.search(q, 1);
      if (best) offTop1.push(best.score);
    }
    refusal = calibrate(top1, offTop1);
  }
  return {
    dataset: data.name,
    mode: args.mode,
    'ndcg@10': round(figures['ndcg@10']),
    'recall@100': round(figures['recall@100']),
    'mrr@10': round(figures['mrr@10']),
    queries: figures.queries,
    ms: Math.round(ms),
    ...(args.mode === 'rerank' && {
      final: rerank.order,
      rerankCandidates: rerank.candidates,
      ...(rerank.order === 'fusion' && { rerankWeight: rerank.weight }),
    }),
    ...(refusal && { refusal }),
  };
}

/**
 * --adapter: the evaluation without the adapter, then the adapter trained on the given qrels (the app's training code,
 * src/lib/learn/train-adapter.ts, with its defaults and held-out gate), then the same evaluation with every query
 * adapted. The adapted figures are printed whether or not the gate would switch the adapter on (`adapter.enabled`).
 */
async function evaluateWithAdapter(args: EvalArgs, backends: Backends): Promise<EvalResult> {
  if (!backends.dense) throw new ModeUnavailableError(`--adapter needs the dense model; not available in Node`);
  const note = (text: string) => process.stderr.write(`eval: ${text}\n`);
  const dense = rememberDocuments(backends.dense);
  let adapter: QueryAdapter | null = null;
  const adapted: Backends = { ...backends, dense: adaptingDense(dense, () => adapter) };
  const plain: EvalArgs = { ...args, adapter: undefined, adapterQueries: undefined };
  const base = await evaluate(plain, adapted);
  const data = await loadDataset(args);
  const qrels = await loadQrels(args.adapter!);
  const queries = readQueries(args.adapterQueries ?? join(resolve(args.dataset), 'queries.jsonl'));
  const evaluated = new Set(data.questions.map((q) => q.id));
  let training;
  try {
    training = await trainOnQrels(dense, data.corpus, qrels, queries, evaluated, note);
  } catch (err) {
    if (err instanceof TooFewExamplesError) throw new UsageError(`--adapter: ${err.message}`);
    throw err;
  }
  const { trained } = training;
  const trainedDocs = new Set(
    [...qrels]
      .filter(([id]) => !evaluated.has(id))
      .flatMap(([, judged]) => [...judged].filter(([, rel]) => rel > 0).map(([doc]) => doc)),
  );
  const unseen = new Set(
    data.questions
      .filter((q) => ![...q.judgments].some(([doc, rel]) => rel > 0 && trainedDocs.has(doc)))
      .map((q) => q.id),
  );
  adapter = null;
  const unseenBase = unseen.size ? await evaluate(plain, adapted, unseen) : null;
  adapter = trained.adapter;
  const after = await evaluate(plain, adapted);
  const unseenAfter = unseen.size ? await evaluate(plain, adapted, unseen) : null;
  return {
    ...base,
    'ndcg@10_adapter': after['ndcg@10'],
    'recall@100_adapter': after['recall@100'],
    'mrr@10_adapter': after['mrr@10'],
    adapter: {
      qrels: basename(args.adapter!),
      trainQueries: trained.trainQueries,
      trainPairs: trained.trainPairs,
      leftOut: { overlapping: training.overlapping, unusable: training.unusable },
      heldOutQueries: trained.heldOut.queries,
      heldOutBefore: round(trained.heldOut.before)!,
      heldOutAfter: round(trained.heldOut.after)!,
      enabled: trained.enabled,
      unseenDocuments: {
        queries: unseen.size,
        'ndcg@10': unseenBase?.['ndcg@10'] ?? null,
        'ndcg@10_adapter': unseenAfter?.['ndcg@10'] ?? null,
      },
      epochs: trained.epochs.length,
      ms: Math.round(training.ms),
    },
  };
}

/** One line of `--ablation`: a configuration's figures, as the app's panel shows them. */
export interface AblationLine {
  dataset: string;
  mode: Mode;
  multiQuery: boolean;
  config: string;
  'ndcg@10': number | null;
  'recall@100': number | null;
  'mrr@10': number | null;
  'recall@5': number | null;
  'recall@10': number | null;
  queries: number;
  unjudged: number;
  /** Per-query search time (ms), p50 and p95. */
  search_p50_ms: number | null;
  search_p95_ms: number | null;
  /** Per-query time to write the multi-query phrasings (ms), p50 and p95 (multi-query rows). */
  multiQuery_p50_ms?: number | null;
  multiQuery_p95_ms?: number | null;
  /** Indexing plus searching every query (ms). */
  ms: number;
}

/** The ablation rows these backends allow (multi-query needs the generator). */
export function ablationConfigs(backends: Backends): RetrievalConfig[] {
  return availableConfigs({
    dense: !!backends.dense,
    rerank: !!backends.lateInteraction,
    generator: !!backends.generator,
  });
}

/** Each question's multi-query phrasings, written with the app's prompt and parser, and how long each took (ms). */
export async function writePhrasings(
  questions: readonly EvalQuestion[],
  generator: GeneratorBackend,
  log: (line: string) => void = () => {},
): Promise<Map<string, { queries: string[]; ms: number }>> {
  const out = new Map<string, { queries: string[]; ms: number }>();
  for (const [i, q] of questions.entries()) {
    const t = performance.now();
    const text = await generator.complete(renderPrompt(multiQueryV1, { question: q.text }), 96);
    out.set(q.text, {
      queries: [q.text, ...parseQueries(text, { exclude: [q.text] })],
      ms: performance.now() - t,
    });
    if ((i + 1) % 50 === 0) log(`wrote the phrasings of ${i + 1}/${questions.length} questions`);
  }
  return out;
}

/**
 * `--ablation`: each configuration the backends allow, indexed and run through the evaluation runner, one line each.
 * The corpus is embedded once: the dense backend remembers the last document batch it embedded.
 */
export async function evaluateAblation(
  args: EvalArgs,
  backends: Backends = {},
  onLine?: (line: AblationLine) => void,
  log: (line: string) => void = () => {},
): Promise<AblationLine[]> {
  const data = await loadDataset(args);
  const shared: Backends = { ...backends, ...(backends.dense && { dense: rememberDocuments(backends.dense) }) };
  const configs = ablationConfigs(backends).filter((c) => !(args.noMultiQuery && c.multiQuery));
  const phrasings =
    backends.generator && configs.some((c) => c.multiQuery)
      ? await writePhrasings(data.questions, backends.generator, log)
      : new Map<string, { queries: string[]; ms: number }>();
  const expand = (query: string) => phrasings.get(query)?.queries ?? [query];
  const out: AblationLine[] = [];
  for (const config of configs) {
    const start = performance.now();
    const bm25 = { k1: args.k1, b: args.b };
    const searcher = createSearcher(
      config.mode,
      shared,
      bm25,
      rerankOptions(args),
      config.multiQuery ? expand : undefined,
    );
    await searcher.index(data.corpus);
    await searcher.prepareQueries?.(data.questions.map((q) => q.text));
    const base = searcherPort(searcher);
    const port: SearchPort = config.multiQuery
      ? {
          async rank(q, c, signal) {
            const r = await base.rank(q, c, signal);
            return { ...r, ms: { ...r.ms, multiQuery: phrasings.get(q.text)?.ms ?? 0 } };
          },
        }
      : base;
    const f = (await evaluateRetrieval(data.questions, [config], port)).configs[0]!;
    const line = ablationLine(data.name, f, performance.now() - start);
    out.push(line);
    onLine?.(line);
  }
  return out;
}

export function ablationLine(dataset: string, f: ConfigFigures, ms: number): AblationLine {
  const ms2 = (x: number | null | undefined) => (x == null ? null : Math.round(x * 100) / 100);
  return {
    dataset,
    mode: f.config.mode,
    multiQuery: f.config.multiQuery,
    config: f.config.id,
    'ndcg@10': round(f['ndcg@10']),
    'recall@100': round(f['recall@100']),
    'mrr@10': round(f['mrr@10']),
    'recall@5': round(f['recall@5']),
    'recall@10': round(f['recall@10']),
    queries: f.queries,
    unjudged: f.unjudged,
    search_p50_ms: ms2(f.latency.search?.p50),
    search_p95_ms: ms2(f.latency.search?.p95),
    ...(f.latency.multiQuery && {
      multiQuery_p50_ms: ms2(f.latency.multiQuery.p50),
      multiQuery_p95_ms: ms2(f.latency.multiQuery.p95),
    }),
    ms: Math.round(ms),
  };
}

const printLine = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

/**
 * `--ablation`: without --models (and without `backends`), BM25 only; with them, the browser backends load the
 * embedder and the reranker. Multi-query rows need the generator, which the CLI does not load: stderr says so.
 */
async function ablationMain(
  args: EvalArgs,
  backends: Backends | undefined,
  openBrowser: ((options: BrowserOptions) => Promise<BrowserBackends>) | undefined,
): Promise<number> {
  const note = (text: string) => process.stderr.write(`eval: ${text}\n`);
  if (args.inApp) {
    const report = await runInApp(args, note);
    // The panel evaluates the whole set: a kept profile that also holds other questions would mix them in.
    const other = Object.keys(report.sources).filter((k) => k !== 'benchmark');
    if (other.length)
      throw new UsageError(
        `the app's evaluation set holds more than this benchmark (${other.join(', ')}); use a fresh --profile`,
      );
    for (const f of report.retrieval.configs) {
      const { ms: _ms, ...line } = ablationLine(basename(resolve(args.dataset)), f, 0);
      printLine({ ...line, pipeline: 'app', models: args.models, device: args.device, sources: report.sources });
    }
    return 0;
  }
  if (backends || args.models === undefined) {
    if (!backends)
      note('no --models: BM25 only (dense, hybrid, rerank and multi-query rows need --models real|standin)');
    else if (!backends.generator) note('no generator: multi-query rows left out');
  } else if (args.noMultiQuery) {
    note('--no-multi-query: the generator is not loaded, multi-query rows left out');
  }
  if (backends || args.models === undefined) {
    await evaluateAblation(args, backends, printLine, note);
    return 0;
  }
  const open = openBrowser ?? (await import('./browser-backends')).openBrowserBackends;
  const session = await open({
    models: args.models,
    device: args.device ?? 'wasm',
    lateInteraction: true,
    generator: !args.noMultiQuery,
    batch: args.batch ?? DEFAULT_BATCH,
    ...(args.dtype && { dtype: args.dtype }),
  });
  const { embedder, generator } = session.loaded;
  // The corpus vectors of an earlier run with the same model, dtype, device and batching (--embeddings-cache).
  const opened = cachedBackends(session, args).backends;
  try {
    await evaluateAblation(
      args,
      opened,
      (line) =>
        printLine({
          ...line,
          models: args.models,
          device: embedder.device,
          dtype: embedder.dtype,
          ...(line.multiQuery && generator && { generator: generator.id }),
        }),
      note,
    );
  } finally {
    await session.close();
  }
  return 0;
}

/**
 * --synthesize: the generator writes questions about sampled documents; a question is kept when the hybrid search
 * (BM25 and the dense model, as the app's first stage) finds its document in the first RETRIEVE_DEPTH. Prints one
 * JSON line with the counts; the files go to --out.
 */
async function synthesizeMain(
  args: EvalArgs,
  backends: Backends | undefined,
  openBrowser: ((options: BrowserOptions) => Promise<BrowserBackends>) | undefined,
): Promise<number> {
  const note = (text: string) => process.stderr.write(`eval: ${text}\n`);
  const data = await loadDataset(args);
  const run = async (b: Backends, generatorId?: string) => {
    if (!b.generator || !b.dense)
      throw new ModeUnavailableError('--synthesize needs the generator and the dense model');
    const searcher = createSearcher('hybrid', b, { k1: args.k1, b: args.b });
    await searcher.index(data.corpus);
    const result = await synthesize(data.corpus, args.synthesize!, b.generator, searcher, args.out!, {
      log: note,
      ...(args.promptVersion !== undefined && { prompt: getPrompt('synthetic-questions', args.promptVersion) }),
    });
    printLine({
      dataset: data.name,
      synthesized: result,
      models: args.models,
      ...(generatorId && { generator: generatorId }),
    });
  };
  return withGenerator(args, backends, openBrowser, run);
}

/** The dense backend, answering a repeat of its last document batch from memory (each mode indexes the same corpus). */
function rememberDocuments(dense: DenseBackend): DenseBackend {
  let last: { texts: string[]; vectors: Float32Array } | null = null;
  return {
    dims: dense.dims,
    async embed(texts, kind) {
      if (kind !== 'document') return dense.embed(texts, kind);
      if (last && last.texts.length === texts.length && last.texts.every((t, i) => t === texts[i])) {
        return last.vectors;
      }
      const vectors = await dense.embed(texts, kind);
      last = { texts: [...texts], vectors };
      return vectors;
    },
  };
}

/**
 * CLI entry; returns the exit code (0 ok, 1 usage or input error, 2 mode not available here). Model-backed modes
 * run their model stages in headless Chromium (browser-backends.ts, or `openBrowser`) unless `backends` are given.
 */
export async function main(
  argv: readonly string[],
  backends?: Backends,
  openBrowser?: (options: BrowserOptions) => Promise<BrowserBackends>,
): Promise<number> {
  try {
    const args = parseArgs(argv);
    if (args.ablation) return await ablationMain(args, backends, openBrowser);
    if (args.synthesize !== undefined) return await synthesizeMain(args, backends, openBrowser);
    if (args.instructionsCheck !== undefined) return await instructionsMain(args, backends, openBrowser);
    if (args.deep !== undefined) return await deepMain(args, backends, openBrowser);
    if (backends || args.mode === 'bm25') {
      process.stdout.write(`${JSON.stringify(await evaluate(args, backends))}\n`);
      return 0;
    }
    const open = openBrowser ?? (await import('./browser-backends')).openBrowserBackends;
    const session = await open({
      models: args.models!,
      device: args.device ?? 'wasm',
      lateInteraction: args.mode === 'rerank',
      batch: args.batch ?? DEFAULT_BATCH,
      ...(args.dtype && { dtype: args.dtype }),
    });
    const { embedder } = session.loaded;
    const { backends: opened, cache } = cachedBackends(session, args);
    let result: EvalResult;
    try {
      result = await evaluate(args, opened);
    } finally {
      await session.close();
    }
    const { refusal, ...metrics } = result;
    const stats = session.stats();
    const line = {
      ...metrics,
      models: args.models,
      device: embedder.device,
      ...(embedder.device !== args.device && { requestedDevice: args.device, fallback: embedder.reason }),
      dtype: embedder.dtype,
      ...(embedder.dtype !== embedder.registryDtype && { registryDtype: embedder.registryDtype }),
      ...(embedder.selfTestCosine !== null && { selfTestCosine: embedder.selfTestCosine }),
      // From the run that computed the cached vectors, when they came from --embeddings-cache.
      docsPerSec: cache?.hit ? cache.hit.docsPerSec : stats.docsPerSec,
      ...(cache && { corpusEmbeddings: cache.hit ? `cache (${cache.hit.created})` : 'computed' }),
      ...(args.mode === 'rerank' && { lateDocsPerSec: stats.lateDocsPerSec }),
      ...(refusal && { refusal }),
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
    return 0;
  } catch (err) {
    if (err instanceof ModeUnavailableError || (err instanceof Error && err.name === 'PrerequisiteError')) {
      process.stderr.write(`eval: ${err.message}\n`);
      return 2;
    }
    if (err instanceof UsageError || err instanceof BeirFormatError) {
      process.stderr.write(`eval: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** The session's backends, the dense one through the opt-in corpus-embedding cache when --embeddings-cache is given. */
function cachedBackends(
  session: BrowserBackends,
  args: { embeddingsCache?: string | undefined; batch?: number | undefined },
): { backends: Backends; cache: CachedBackend | null } {
  const { embedder } = session.loaded;
  const cache =
    args.embeddingsCache !== undefined && session.backends.dense
      ? withEmbeddingCache(session.backends.dense, args.embeddingsCache, {
          model: embedder.id,
          dtype: embedder.dtype,
          device: embedder.device,
          dims: embedder.dims,
          batch: args.batch ?? DEFAULT_BATCH,
        })
      : null;
  return { backends: cache ? { ...session.backends, dense: cache } : session.backends, cache };
}

/**
 * `--instructions-check <n>`: the instruction-following check (instructions-check.ts) on n sampled queries of the
 * split, with the chosen first-stage mode (hybrid by default) and the generator; prints one JSON line.
 */
async function instructionsMain(
  args: EvalArgs,
  backends: Backends | undefined,
  openBrowser: ((options: BrowserOptions) => Promise<BrowserBackends>) | undefined,
): Promise<number> {
  const note = (text: string) => process.stderr.write(`eval: ${text}\n`);
  const data = await loadDataset(args);
  const run = async (b: Backends, generatorId = 'generator', runsOn?: string) => {
    if (!b.generator) throw new ModeUnavailableError('--instructions-check needs the generator');
    const searcher = createSearcher(args.mode, b, { k1: args.k1, b: args.b });
    await searcher.index(data.corpus);
    const cases = buildInstructionCases(data.corpus, data.questions, args.instructionsCheck!).slice(
      args.instructionsSkip ?? 0,
    );
    const t = performance.now();
    // The deep path (--deep-candidates): the app's deep stage judging with the instruction.
    const judgeWith = b.generator.judge;
    if (args.deepCandidates !== undefined && !judgeWith)
      throw new ModeUnavailableError('the deep path needs the judge');
    const deep =
      args.deepCandidates !== undefined && judgeWith
        ? {
            judge: rankingJudge(
              data.corpus,
              { judge: judgeWith },
              judgmentModel(generatorId, runsOn),
              args.judgmentsCache ? openJudgmentCache(args.judgmentsCache) : undefined,
            ),
            candidates: args.deepCandidates,
          }
        : undefined;
    const result = await runInstructionCheck(cases, data.corpus, searcher, b.generator, note, deep);
    printLine({
      dataset: data.name,
      mode: args.mode,
      instructions: result,
      ...(args.instructionsSkip !== undefined && {
        instructions_skip: args.instructionsSkip,
        instructions_of: args.instructionsCheck,
      }),
      ms: Math.round(performance.now() - t),
      models: args.models,
      generator: judgmentModel(generatorId, runsOn),
    });
  };
  return withGenerator(args, backends, openBrowser, run);
}

/** As the app's judgment key: the model with the device and dtype it ran on (another dtype judges again). */
const judgmentModel = (generatorId: string, runsOn?: string) => (runsOn ? `${generatorId} (${runsOn})` : generatorId);

/**
 * `--deep <n>`: deep mode (deep.ts) on n sampled queries of the split: the chosen first stage's top N judged by the
 * generator, nDCG@10 without deep mode and with each combination rule, and the time per query; one JSON line.
 */
async function deepMain(
  args: EvalArgs,
  backends: Backends | undefined,
  openBrowser: ((options: BrowserOptions) => Promise<BrowserBackends>) | undefined,
): Promise<number> {
  const note = (text: string) => process.stderr.write(`eval: ${text}\n`);
  const data = await loadDataset(args);
  const run = async (b: Backends, generatorId = 'generator', runsOn?: string) => {
    const judge = b.generator?.judge;
    const model = judgmentModel(generatorId, runsOn);
    const cache = args.judgmentsCache ? openJudgmentCache(args.judgmentsCache) : undefined;
    if (cache) note(`${cache.loaded} judgments in ${args.judgmentsCache}`);
    if (!judge) throw new ModeUnavailableError('--deep needs the generator');
    const searcher = createSearcher(args.mode, b, { k1: args.k1, b: args.b });
    await searcher.index(data.corpus);
    const questions = sampleQuestions(data.questions, args.deep!).slice(args.deepSkip ?? 0);
    const result = await runDeepCheck(questions, data.corpus, searcher, { judge }, model, {
      ...(args.deepCandidates !== undefined && { candidates: args.deepCandidates }),
      ...(cache && { cache }),
      log: note,
    });
    printLine({
      dataset: data.name,
      mode: args.mode,
      // A split run's line says which sampled queries it judged, so it is not read as the whole n.
      ...(args.deepSkip !== undefined && { deep_skip: args.deepSkip, deep_of: args.deep }),
      deep: result,
      models: args.models,
      generator: model,
    });
  };
  return withGenerator(args, backends, openBrowser, run);
}

/**
 * Runs `run` on the given backends, or on the browser's embedder and generator (the corpus vectors through the
 * opt-in cache), closing the browser after; returns the exit code.
 */
async function withGenerator(
  args: EvalArgs,
  backends: Backends | undefined,
  openBrowser: ((options: BrowserOptions) => Promise<BrowserBackends>) | undefined,
  /** `runsOn`: the generator's device and dtype, as "wasm/q4". */
  run: (b: Backends, generatorId?: string, runsOn?: string) => Promise<void>,
): Promise<number> {
  if (backends) {
    await run(backends);
    return 0;
  }
  const open = openBrowser ?? (await import('./browser-backends')).openBrowserBackends;
  const session = await open({
    models: args.models!,
    device: args.device ?? 'wasm',
    lateInteraction: false,
    generator: true,
    batch: args.batch ?? DEFAULT_BATCH,
  });
  const opened = cachedBackends(session, args).backends;
  try {
    const g = session.loaded.generator;
    await run(opened, g?.id, g ? `${g.device}/${g.dtype}` : undefined);
  } finally {
    await session.close();
  }
  return 0;
}
