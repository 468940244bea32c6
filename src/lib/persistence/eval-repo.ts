// The evaluation stores (v5): the evaluation set (written by the synthetic-question job and the user's edits, one
// transaction each), judged feedback read for evaluation, and the finished evaluation runs.
import type { LecternDatabase } from './db';
import type { EvalQuestionRecord, EvalRunRecord } from './eval-schema';
import type { FeedbackRecord } from './feedback-schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Every question of the evaluation set, oldest first (ties by id, so the order is stable). */
export async function listEvalQuestions(db: LecternDatabase): Promise<EvalQuestionRecord[]> {
  const rows = await guardStorage('listEvalQuestions', () => db.getAll('evalQuestions'));
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Feedback records with at least one source marked relevant (the evaluation's judged feedback), oldest first. */
export async function listJudgedFeedback(db: LecternDatabase): Promise<FeedbackRecord[]> {
  const rows = await guardStorage('listJudgedFeedback', () => db.getAllFromIndex('feedback', 'byAt'));
  return rows.filter((r) => Object.values(r.sources ?? {}).includes('relevant'));
}

/** Which of these documents are stored, in order (benchmark questions are judged by document). */
export async function documentsExist(db: LecternDatabase, ids: readonly string[]): Promise<boolean[]> {
  return guardStorage('documentsExist', async () => {
    const tx = db.transaction('documents', 'readonly');
    const keys = await Promise.all(ids.map((id) => tx.store.getKey(id)));
    return keys.map((k) => k !== undefined);
  });
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

/**
 * Stores questions in ONE transaction: all of them or (quota, failure: an AppError) none. A question whose document
 * is gone (deleted while the job wrote it) is not stored: no question outlives its document. Returns those stored.
 */
export async function putEvalQuestions(
  db: LecternDatabase,
  rows: readonly EvalQuestionRecord[],
): Promise<EvalQuestionRecord[]> {
  if (rows.length === 0) return [];
  return guardStorage('putEvalQuestions', () => {
    const tx = db.transaction(['documents', 'evalQuestions'], 'readwrite');
    return runInTransaction(tx, 'putEvalQuestions', async (track) => {
      const documents = tx.objectStore('documents');
      const present = await Promise.all(rows.map((r) => documents.getKey(r.docId)));
      const kept = rows.filter((_, i) => present[i] !== undefined);
      for (const row of kept) track(tx.objectStore('evalQuestions').put(row));
      return kept;
    });
  });
}

/** Changes a question's text (marking it edited); returns the stored record, or null when it is gone. */
export async function updateEvalQuestionText(
  db: LecternDatabase,
  id: string,
  text: string,
): Promise<EvalQuestionRecord | null> {
  return guardStorage('updateEvalQuestionText', () => {
    const tx = db.transaction('evalQuestions', 'readwrite');
    return runInTransaction(tx, 'updateEvalQuestionText', async (track) => {
      const row = await tx.store.get(id);
      if (!row) return null;
      const next: EvalQuestionRecord = { ...row, text, edited: true };
      track(tx.store.put(next));
      return next;
    });
  });
}

/** Removes these questions in one transaction; ids already gone are a no-op. */
export async function deleteEvalQuestions(db: LecternDatabase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await guardStorage('deleteEvalQuestions', () => {
    const tx = db.transaction('evalQuestions', 'readwrite');
    return runInTransaction(tx, 'deleteEvalQuestions', (track) => {
      for (const id of ids) track(tx.store.delete(id));
    });
  });
}

/** Removes every synthetic question (the user's own and those from feedback stay); returns how many went. */
export async function deleteSyntheticQuestions(db: LecternDatabase): Promise<number> {
  return guardStorage('deleteSyntheticQuestions', () => {
    const tx = db.transaction('evalQuestions', 'readwrite');
    return runInTransaction(tx, 'deleteSyntheticQuestions', async (track) => {
      let removed = 0;
      let cursor = await tx.store.openCursor();
      while (cursor) {
        if (cursor.value.origin === 'synthetic') {
          track(cursor.delete());
          removed++;
        }
        cursor = await cursor.continue();
      }
      return removed;
    });
  });
}

/** A document's passage ids (keys only: the sampler picks from these without reading any text). */
export async function listChunkIds(db: LecternDatabase, docId: string): Promise<string[]> {
  return guardStorage('listChunkIds', () => db.getAllKeysFromIndex('chunks', 'byDoc', docId));
}

/**
 * Removes the questions whose document is gone (a library import that replaced the documents, or rows from before a
 * delete removed them too), in one transaction that re-reads the documents under its lock; returns how many went.
 */
export async function removeOrphanQuestions(db: LecternDatabase): Promise<number> {
  return guardStorage('removeOrphanQuestions', () => {
    const tx = db.transaction(['documents', 'evalQuestions'], 'readwrite');
    return runInTransaction(tx, 'removeOrphanQuestions', async (track) => {
      const known = new Set(await tx.objectStore('documents').getAllKeys());
      const questions = tx.objectStore('evalQuestions');
      let removed = 0;
      let cursor = await questions.index('byDoc').openKeyCursor();
      while (cursor) {
        if (!known.has(cursor.key)) {
          track(questions.delete(cursor.primaryKey));
          removed++;
        }
        cursor = await cursor.continue();
      }
      return removed;
    });
  });
}
