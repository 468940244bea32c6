// The evaluation stores (v5): read the evaluation set and judged feedback, keep and list finished evaluation runs.
import type { LecternDatabase } from './db';
import type { EvalQuestionRecord, EvalRunRecord } from './eval-schema';
import type { FeedbackRecord } from './feedback-schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Every question of the evaluation set, oldest first. */
export async function listEvalQuestions(db: LecternDatabase): Promise<EvalQuestionRecord[]> {
  const rows = await guardStorage('listEvalQuestions', () => db.getAll('evalQuestions'));
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Feedback records with at least one source marked relevant (the evaluation's judged feedback), oldest first. */
export async function listJudgedFeedback(db: LecternDatabase): Promise<FeedbackRecord[]> {
  const rows = await guardStorage('listJudgedFeedback', () => db.getAllFromIndex('feedback', 'byAt'));
  return rows.filter((r) => Object.values(r.sources ?? {}).includes('relevant'));
}

/** Keeps a finished evaluation run. */
export async function saveEvalRun(db: LecternDatabase, run: EvalRunRecord): Promise<void> {
  await guardStorage('saveEvalRun', () => {
    const tx = db.transaction('evalRuns', 'readwrite');
    return runInTransaction(tx, 'saveEvalRun', (track) => track(tx.store.put(run)));
  });
}

/** The kept evaluation runs, newest first. */
export async function listEvalRuns(db: LecternDatabase): Promise<EvalRunRecord[]> {
  const rows = await guardStorage('listEvalRuns', () => db.getAllFromIndex('evalRuns', 'byAt'));
  return rows.reverse();
}

/** Forgets one evaluation run. */
export async function deleteEvalRun(db: LecternDatabase, id: string): Promise<void> {
  await guardStorage('deleteEvalRun', () => {
    const tx = db.transaction('evalRuns', 'readwrite');
    return runInTransaction(tx, 'deleteEvalRun', (track) => track(tx.store.delete(id)));
  });
}
