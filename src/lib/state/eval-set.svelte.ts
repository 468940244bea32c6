// Evaluation-set state: the questions with their gold passages, the synthetic-question job, and the user's edits.
import { AppError, isAbortError, toAppError } from '../errors';
import {
  deleteEvalQuestions,
  deleteSyntheticQuestions,
  listChunkIds,
  putEvalQuestions,
  listEvalQuestions,
  removeOrphanQuestions,
  updateEvalQuestionText,
  type EvalQuestionRecord,
  type LecternDatabase,
} from '../persistence';
import type { AskPorts, AskSettings } from '../pipelines/ask';
import { importBenchmark, type BenchmarkPhase } from '../pipelines/benchmark-import';
import { generateSyntheticQuestions, type SyntheticProgress } from '../pipelines/synthetic';

export type { SyntheticProgress };

/** A benchmark import under way: its phase, and how many documents it sent to the import queue. */
export interface BenchmarkProgress {
  phase: BenchmarkPhase;
  documents: number;
}

/** Passages sampled per document, and in all, per run: enough to measure, few enough to run in minutes. */
export const PER_DOCUMENT = 3;
export const MAX_PASSAGES = 60;
/** Characters of the gold passage shown beside its question. */
const EXCERPT_CHARS = 220;

/** A question as the editor shows it: the record, its document's name and an excerpt of its gold passage. */
export interface EvalQuestionView extends EvalQuestionRecord {
  docName: string;
  excerpt: string;
}

export interface EvalSetContext {
  db(): LecternDatabase | null;
  settings(): AskSettings;
  /** Search, the answer model, passages and document names, as the ask pipeline reaches them. */
  ports: AskPorts;
  /** The user's own documents (not a published library's). */
  documents(): { id: string; name: string }[];
  /** Queues files into the library, resolving once the import queue is idle again. */
  importFiles(files: File[]): Promise<void>;
  /** Resolves once the library's import queue is idle. */
  importsSettled(): Promise<void>;
  info(text: string): void;
  fail(err: AppError): void;
}

function clip(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= EXCERPT_CHARS ? t : `${t.slice(0, EXCERPT_CHARS).trimEnd()}…`;
}

export class EvalSetState {
  questions = $state<EvalQuestionView[]>([]);
  /** The running (or last) synthetic run's progress; null before the first. */
  progress = $state<SyntheticProgress | null>(null);
  running = $state(false);
  /** How the last run ended, in plain words. */
  outcome = $state('');
  error = $state<AppError | null>(null);

  /** The benchmark import under way; null when none. */
  benchmark = $state<BenchmarkProgress | null>(null);
  /** How the last benchmark import ended, in plain words. */
  benchmarkOutcome = $state('');

  synthetic = $derived(this.questions.filter((q) => q.origin === 'synthetic').length);

  private controller: AbortController | null = null;

  constructor(private readonly ctx: EvalSetContext) {}

  private db(): LecternDatabase {
    const db = this.ctx.db();
    if (!db) throw new AppError('STORAGE_FAILED');
    return db;
  }

  private async views(rows: EvalQuestionRecord[]): Promise<EvalQuestionView[]> {
    const passages = await this.ctx.ports.passages(rows.map((r) => r.chunkIds[0] ?? ''));
    const judged = (documents: Record<string, number>) =>
      clip(
        `Judged by document: ${Object.keys(documents)
          .map((id) => this.ctx.ports.docName(id))
          .join(', ')}`,
      );
    return rows.map((r, i) => ({
      ...r,
      docName: this.ctx.ports.docName(r.docId),
      excerpt: r.documents ? judged(r.documents) : clip(passages[i]?.text ?? '(passage not found)'),
    }));
  }

  /** Reads the set from storage (at start, and after a library import), without questions whose document is gone. */
  async load(): Promise<void> {
    try {
      const db = this.db();
      await removeOrphanQuestions(db);
      this.questions = await this.views(await listEvalQuestions(db));
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
    }
  }

  private show(err: AppError): void {
    this.error = err;
    this.ctx.fail(err);
  }

  /** Runs the synthetic-question job (sample → write → filter → save); Cancel keeps what was saved. */
  async generate(): Promise<void> {
    if (this.running) return this.show(new AppError('SYNTHETIC_RUNNING'));
    this.error = null;
    this.outcome = '';
    this.running = true;
    this.progress = null;
    const controller = new AbortController();
    this.controller = controller;
    const { ports } = this.ctx;
    let kept = 0;
    try {
      const db = this.db();
      const result = await generateSyntheticQuestions(
        // A new seed each run, so running again samples other passages.
        {
          settings: this.ctx.settings(),
          perDocument: PER_DOCUMENT,
          max: MAX_PASSAGES,
          seed: Date.now() >>> 0,
        },
        {
          documents: async () =>
            Promise.all(
              this.ctx
                .documents()
                .map(async (d) => ({ docId: d.id, name: d.name, chunkIds: await listChunkIds(db, d.id) })),
            ),
          passages: (ids) => ports.passages(ids),
          search: () => ports.search(),
          generator: () => ports.generator(),
          existing: async () => this.questions.map((q) => q.text),
          save: async (rows) => {
            const stored = await putEvalQuestions(db, rows);
            this.questions = [...this.questions, ...(await this.views(stored))];
          },
          newId: () => crypto.randomUUID(),
          now: () => Date.now(),
        },
        (p) => {
          this.progress = p;
          kept = p.kept;
        },
        controller.signal,
      );
      this.outcome = `Kept ${result.kept} question${result.kept === 1 ? '' : 's'} from ${result.total} passages.`;
      this.ctx.info(this.outcome);
    } catch (err) {
      if (isAbortError(err) || controller.signal.aborted) {
        this.outcome = `Cancelled: kept the ${kept} question${kept === 1 ? '' : 's'} saved before.`;
        this.ctx.info(this.outcome);
      } else {
        this.show(toAppError(err));
      }
    } finally {
      this.running = false;
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  /**
   * Imports a BEIR benchmark folder: its corpus through the library's import queue (progress shows there), then its
   * judged queries as questions judged by document, which the evaluation runs like any other.
   */
  async importBenchmark(files: File[]): Promise<void> {
    if (this.benchmark) return this.show(new AppError('BENCHMARK_RUNNING'));
    this.error = null;
    this.benchmarkOutcome = '';
    this.benchmark = { phase: 'reading', documents: 0 };
    try {
      const db = this.db();
      const result = await importBenchmark(
        files.map((f) => ({ path: f.webkitRelativePath || f.name, text: () => f.text() })),
        {
          settled: () => this.ctx.importsSettled(),
          documents: () => this.ctx.documents(),
          importDocuments: (docs) =>
            this.ctx.importFiles(docs.map((d) => new File([d.text], d.name, { type: 'text/markdown' }))),
          save: (rows) => putEvalQuestions(db, rows),
          now: () => Date.now(),
        },
        (phase, documents) => (this.benchmark = { phase, documents }),
      );
      await this.load();
      const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
      const queries = (n: number) => `${n} ${n === 1 ? 'query' : 'queries'}`;
      const r = result;
      const left = [
        r.noRelevant && `${queries(r.noRelevant)} with no document judged relevant`,
        r.missing && `${queries(r.missing)} whose documents are not in your library`,
      ].filter(Boolean);
      this.benchmarkOutcome =
        `Imported ${r.dataset} (${r.split}): ${plural(r.questions, 'judged question')}, ` +
        `${plural(r.imported, 'document')} added` +
        (r.present ? `, ${r.present} already in your library` : '') +
        (r.failed ? `; ${plural(r.failed, 'document')} could not be imported (see the import list)` : '') +
        (left.length ? `; left out: ${left.join(', ')}` : '') +
        (r.missingJudgments
          ? `; ${plural(r.missingJudgments, 'judged document')} missing from your library, so those questions' recall counts fewer documents`
          : '') +
        '.';
      this.ctx.info(this.benchmarkOutcome);
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
    } finally {
      this.benchmark = null;
    }
  }

  async edit(id: string, text: string): Promise<void> {
    const t = text.replace(/\s+/g, ' ').trim();
    if (!t) return this.show(new AppError('EVAL_QUESTION_EMPTY'));
    try {
      const row = await updateEvalQuestionText(this.db(), id, t);
      this.questions = this.questions.map((q) => (q.id === id && row ? { ...q, ...row } : q));
      if (!row) this.questions = this.questions.filter((q) => q.id !== id);
      this.ctx.info('Question saved.');
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await deleteEvalQuestions(this.db(), [id]);
      this.questions = this.questions.filter((q) => q.id !== id);
      this.ctx.info('Question deleted.');
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
    }
  }

  async removeSynthetic(): Promise<void> {
    try {
      const n = await deleteSyntheticQuestions(this.db());
      this.questions = this.questions.filter((q) => q.origin !== 'synthetic');
      this.ctx.info(`Deleted ${n} synthetic question${n === 1 ? '' : 's'}.`);
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
    }
  }

  /** Adds the user's own question with the passage that answers it (picked from an answer's sources). */
  async add(text: string, passage: { chunkId: string; docId: string }): Promise<boolean> {
    const t = text.replace(/\s+/g, ' ').trim();
    if (!t) {
      this.show(new AppError('EVAL_QUESTION_EMPTY'));
      return false;
    }
    const row: EvalQuestionRecord = {
      id: crypto.randomUUID(),
      text: t,
      docId: passage.docId,
      chunkIds: [passage.chunkId],
      origin: 'user',
      createdAt: Date.now(),
    };
    try {
      const stored = await putEvalQuestions(this.db(), [row]);
      this.questions = [...this.questions, ...(await this.views(stored))];
      this.ctx.info('Question added to the evaluation set.');
      return true;
    } catch (err) {
      this.show(toAppError(err, 'STORAGE_FAILED'));
      return false;
    }
  }

  /** A deleted document took its questions with it (in its delete's transaction): drop them from the list. */
  forgetDocument(docId: string): void {
    this.questions = this.questions.filter((q) => q.docId !== docId);
  }
}
