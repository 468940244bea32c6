// The feedback store (v5): one record per answered question, written when its sources show, updated by each signal.
import type { FeedbackRecord } from './feedback-schema';
import type { LecternDatabase } from './db';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Stores a new record, or replaces the one with its id. */
export async function putFeedback(db: LecternDatabase, record: FeedbackRecord): Promise<void> {
  await guardStorage('putFeedback', () => {
    const tx = db.transaction('feedback', 'readwrite');
    return runInTransaction(tx, 'putFeedback', (track) => track(tx.store.put(record)));
  });
}

/**
 * Reads the record and writes `change(record)` back in ONE transaction, so two signals given at once (a thumb and a
 * source mark) never overwrite each other. Returns the stored record, or null when there is none (deleted meanwhile).
 */
export async function updateFeedback(
  db: LecternDatabase,
  id: string,
  change: (record: FeedbackRecord) => FeedbackRecord,
): Promise<FeedbackRecord | null> {
  return guardStorage('updateFeedback', () => {
    const tx = db.transaction('feedback', 'readwrite');
    return runInTransaction(tx, 'updateFeedback', async (track) => {
      const current = await tx.store.get(id);
      if (!current) return null;
      const next = change(current);
      track(tx.store.put(next));
      return next;
    });
  });
}

/** Every record, newest first. */
export async function listFeedback(db: LecternDatabase): Promise<FeedbackRecord[]> {
  const rows = await guardStorage('listFeedback', () => db.getAllFromIndex('feedback', 'byAt'));
  return rows.reverse();
}

export async function deleteFeedback(db: LecternDatabase, id: string): Promise<void> {
  await guardStorage('deleteFeedback', () => {
    const tx = db.transaction('feedback', 'readwrite');
    return runInTransaction(tx, 'deleteFeedback', (track) => track(tx.store.delete(id)));
  });
}

export async function clearFeedback(db: LecternDatabase): Promise<void> {
  await guardStorage('clearFeedback', () => {
    const tx = db.transaction('feedback', 'readwrite');
    return runInTransaction(tx, 'clearFeedback', (track) => track(tx.store.clear()));
  });
}
