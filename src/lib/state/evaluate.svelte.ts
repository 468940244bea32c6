// "Evaluate my library" as the UI sees it: Run / Cancel with progress, the kept runs, exports; the work is
// pipelines/evaluate.ts (the same evaluation code as `npm run eval`).
import { AppError, isAbortError, toAppError } from '../errors';
import {
  deleteEvalRun,
  documentsExist,
  listEvalQuestions,
  listEvalRuns,
  listJudgedFeedback,
  saveEvalRun,
} from '../persistence';
import type { LecternDatabase } from '../persistence';
import type { AskPorts, AskSettings } from '../pipelines/ask';
import {
  answerPromptVersions,
  DEFAULT_ANSWER_VERSION,
  isEvalRun,
  reportCsv,
  reportJson,
  runEvaluation,
  type EvalRun,
  type RunProgress,
} from '../pipelines/evaluate';

import { download } from './download';

export type { EvalRun, RunProgress };

export interface EvaluateContext {
  db(): LecternDatabase | null;
  settings(): AskSettings;
  ports: AskPorts;
  info(text: string): void;
  /** The training queries' keys of the relevance adapter in use, none when it is off (left out of a run). */
  adapterTrainedOn?(): Promise<readonly string[]>;
}

const fileStamp = (at: number) => new Date(at).toISOString().slice(0, 16).replace(/[T:]/g, '-');

export class EvaluateState {
  running = $state(false);
  progress = $state<RunProgress | null>(null);
  /** Kept runs, newest first. */
  runs = $state<EvalRun[]>([]);
  /** The run shown in the table and chart (the newest unless the user picked another). */
  shown = $state<EvalRun | null>(null);
  /** Questions in the evaluation set plus judged feedback; null until counted. */
  setSize = $state<number | null>(null);
  /** Also run the multi-query rows (the answer model writes the extra queries). */
  multiQuery = $state(true);
  /** Also answer every question for the answer figures. */
  answers = $state(true);
  answerVersion = $state(DEFAULT_ANSWER_VERSION);
  error = $state<AppError | null>(null);
  readonly versions = answerPromptVersions();

  private controller: AbortController | null = null;

  constructor(private readonly ctx: EvaluateContext) {}

  /** Reads the kept runs and the set's size (when the view opens). */
  async refresh(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      const [runs, questions, feedback] = await Promise.all([
        listEvalRuns(db),
        listEvalQuestions(db),
        listJudgedFeedback(db),
      ]);
      this.runs = runs.filter(isEvalRun);
      this.setSize = questions.length + feedback.length;
      if (!this.shown || !this.runs.some((r) => r.id === this.shown!.id)) this.shown = this.runs[0] ?? null;
    } catch (err) {
      this.error = toAppError(err, 'STORAGE_FAILED');
    }
  }

  async run(): Promise<void> {
    const db = this.ctx.db();
    if (this.running || !db) return;
    this.error = null;
    this.running = true;
    this.progress = null;
    const controller = new AbortController();
    this.controller = controller;
    try {
      const run = await runEvaluation(
        {
          settings: this.ctx.settings(),
          multiQuery: this.multiQuery,
          answerVersion: this.answers ? this.answerVersion : null,
        },
        {
          ask: this.ctx.ports,
          questions: () => listEvalQuestions(db),
          documentsExist: (ids) => documentsExist(db, ids),
          feedback: () => listJudgedFeedback(db),
          ...(this.ctx.adapterTrainedOn && { adapterTrainedOn: this.ctx.adapterTrainedOn }),
          saveRun: (r) => saveEvalRun(db, $state.snapshot(r) as EvalRun),
          now: () => Date.now(),
          newId: () => crypto.randomUUID(),
        },
        { signal: controller.signal, progress: (p) => (this.progress = p) },
      );
      this.runs = [run, ...this.runs];
      this.shown = run;
      this.ctx.info(`Evaluation finished: ${run.report.retrieval.questions} questions.`);
    } catch (err) {
      if (isAbortError(err) || controller.signal.aborted) this.ctx.info('Evaluation cancelled.');
      else this.error = toAppError(err);
    } finally {
      this.running = false;
      this.progress = null;
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort();
  }

  show(run: EvalRun): void {
    this.shown = run;
  }

  async remove(run: EvalRun): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    try {
      await deleteEvalRun(db, run.id);
      this.runs = this.runs.filter((r) => r.id !== run.id);
      if (this.shown?.id === run.id) this.shown = this.runs[0] ?? null;
    } catch (err) {
      this.error = toAppError(err, 'STORAGE_FAILED');
    }
  }

  exportJson(run: EvalRun): void {
    download(
      new Blob([reportJson(run.report)], { type: 'application/json' }),
      `lectern-evaluation-${fileStamp(run.at)}.json`,
    );
  }

  exportCsv(run: EvalRun): void {
    download(new Blob([reportCsv(run.report)], { type: 'text/csv' }), `lectern-evaluation-${fileStamp(run.at)}.csv`);
  }
}
