// Feedback as the UI sees it: the stored records (listed, deleted), the signals given on the answer shown, and the
// training-data export; the records and the export are built by pipelines/feedback.ts and pipelines/training-export.ts.
import { AppError, failureOf } from '../errors';
import {
  clearFeedback,
  deleteFeedback,
  getChunks,
  listFeedback,
  putFeedback,
  updateFeedback,
  type LecternDatabase,
} from '../persistence';
import {
  applySignal,
  newFeedback,
  type FeedbackModel,
  type FeedbackRecord,
  type FeedbackSignal,
  type FeedbackStart,
  type SourceMark,
  type Thumbs,
} from '../pipelines/feedback';
import { exportTrainingData } from '../pipelines/training-export';
import { download } from './download';

export type { FeedbackRecord, FeedbackSignal, SourceMark, Thumbs };

export interface FeedbackContext {
  db(): LecternDatabase | null;
  /** The models in use now, by registry id and revision. */
  models(): FeedbackModel[];
  info(text: string): void;
  fail(err: AppError): void;
}

export class FeedbackState {
  /** Every stored record, newest first. */
  records = $state<FeedbackRecord[]>([]);
  exporting = $state(false);
  /** The last export's outcome in words, or its failure. */
  exported = $state('');
  exportError = $state<AppError | null>(null);
  counts = $derived({
    records: this.records.length,
    up: this.records.filter((r) => r.thumbs === 'up').length,
    down: this.records.filter((r) => r.thumbs === 'down').length,
    marks: this.records.reduce((n, r) => n + Object.keys(r.sources).length, 0),
  });

  /** Each record's first write, so a signal given at once waits for it. */
  private readonly writes = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: FeedbackContext) {}

  /** The record of a turn (by its id); undefined when it has none. */
  of(id: string | null | undefined): FeedbackRecord | undefined {
    return id ? this.records.find((r) => r.id === id) : undefined;
  }

  async load(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      this.records = await listFeedback(db);
    } catch (err) {
      this.ctx.fail(failureOf(err, 'FEEDBACK_READ_FAILED'));
    }
  }

  /** An answer's sources were shown: its record is written (a question asked again keeps its own record). */
  shown(start: Omit<FeedbackStart, 'models' | 'at'>): void {
    const db = this.ctx.db();
    if (!db) return;
    const record = newFeedback({
      ...($state.snapshot(start) as typeof start),
      at: Date.now(),
      models: this.ctx.models(),
    });
    this.records = [record, ...this.records.filter((r) => r.id !== record.id)];
    const write = putFeedback(db, record).catch((err: unknown) =>
      this.ctx.fail(failureOf(err, 'FEEDBACK_SAVE_FAILED')),
    );
    this.writes.set(record.id, write);
  }

  /** Applies one signal to a record and stores it (in one transaction with the read, see updateFeedback). */
  async signal(id: string | null | undefined, given: FeedbackSignal): Promise<void> {
    const db = this.ctx.db();
    if (!db || !id || !this.of(id)) return;
    // Plain data only (a reactive proxy, such as the chat's prompt, cannot be stored); the ask's end names the models
    // in use then too (the answer model loads after the sources show).
    const plain = $state.snapshot(given) as FeedbackSignal;
    const signal: FeedbackSignal = plain.kind === 'finished' ? { ...plain, models: this.ctx.models() } : plain;
    // Shown at once; the stored record follows.
    this.records = this.records.map((r) => (r.id === id ? applySignal(r, signal) : r));
    await this.writes.get(id);
    try {
      const stored = await updateFeedback(db, id, (r) => applySignal(r, signal));
      if (stored) this.records = this.records.map((r) => (r.id === id ? stored : r));
    } catch (err) {
      this.ctx.fail(failureOf(err, 'FEEDBACK_SAVE_FAILED'));
    }
  }

  /** Copies an answer's text to the clipboard; the copy is an implicit signal that the answer was of use. */
  async copy(id: string | null, text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      this.ctx.fail(new AppError('COPY_FAILED'));
      return;
    }
    this.ctx.info('Answer copied.');
    await this.signal(id, { kind: 'copied' });
  }

  async remove(id: string): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      await deleteFeedback(db, id);
      this.records = this.records.filter((r) => r.id !== id);
      this.ctx.info('Feedback deleted.');
    } catch (err) {
      this.ctx.fail(failureOf(err, 'FEEDBACK_DELETE_FAILED'));
    }
  }

  async removeAll(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      await clearFeedback(db);
      this.records = [];
      this.ctx.info('All feedback deleted.');
    } catch (err) {
      this.ctx.fail(failureOf(err, 'FEEDBACK_DELETE_FAILED'));
    }
  }

  /** Builds the training data from the stored feedback and downloads it as one zip. */
  async exportTraining(): Promise<void> {
    const db = this.ctx.db();
    if (!db || this.exporting) return;
    this.exporting = true;
    this.exported = '';
    this.exportError = null;
    try {
      const out = await exportTrainingData({
        feedback: () => listFeedback(db),
        texts: async (ids) => (await getChunks(db, ids)).map((c) => c?.text),
      });
      download(out.zip, `lectern-training-${new Date().toISOString().slice(0, 10)}.zip`);
      const { queries, pairs, triplets } = out.counts;
      this.exported = `Exported training data for ${queries} question(s): ${pairs} pair(s), ${triplets} triplet(s).`;
      this.ctx.info(this.exported);
    } catch (err) {
      this.exportError = failureOf(err, 'TRAINING_EXPORT_FAILED');
      this.ctx.fail(this.exportError);
    } finally {
      this.exporting = false;
    }
  }
}
