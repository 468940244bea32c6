// The evaluation set's questions (v5): written by the synthetic-question job and the user's edits, one transaction each.
import type { LecternDatabase } from './db';
import type { EvalQuestionRecord } from './eval-schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Stores questions in ONE transaction: all of them or (quota, failure: an AppError) none. */
export async function putEvalQuestions(db: LecternDatabase, rows: readonly EvalQuestionRecord[]): Promise<void> {
  if (rows.length === 0) return;
  await guardStorage('putEvalQuestions', () => {
    const tx = db.transaction('evalQuestions', 'readwrite');
    return runInTransaction(tx, 'putEvalQuestions', (track) => {
      for (const row of rows) track(tx.store.put(row));
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

/** The whole evaluation set for its editor, oldest first (ties by id, so the order is stable). */
export async function readEvalSet(db: LecternDatabase): Promise<EvalQuestionRecord[]> {
  const rows = await guardStorage('readEvalSet', () => db.getAll('evalQuestions'));
  return rows.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
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
