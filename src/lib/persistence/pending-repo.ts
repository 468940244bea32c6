// The files tabs queued for import and have not finished (v4): written per batch, removed as each one ends.
import type { LecternDatabase } from './db';
import type { PendingFileRecord } from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Stores a batch of queued files in ONE transaction: all of them or (quota, failure: an AppError) none. */
export async function putPendingFiles(db: LecternDatabase, rows: readonly PendingFileRecord[]): Promise<void> {
  if (rows.length === 0) return;
  await guardStorage('putPendingFiles', () => {
    const tx = db.transaction('pendingFiles', 'readwrite');
    return runInTransaction(tx, 'putPendingFiles', (track) => {
      for (const row of rows) track(tx.store.put(row));
    });
  });
}

/** Removes these files' rows in one transaction; ids already gone are a no-op. */
export async function deletePendingFiles(db: LecternDatabase, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await guardStorage('deletePendingFiles', () => {
    const tx = db.transaction('pendingFiles', 'readwrite');
    return runInTransaction(tx, 'deletePendingFiles', (track) => {
      for (const id of ids) track(tx.store.delete(id));
    });
  });
}

/** The tabs that have pending files, each once (reads keys only, never the files). */
export async function listPendingTabs(db: LecternDatabase): Promise<string[]> {
  return guardStorage('listPendingTabs', async () => {
    const tx = db.transaction('pendingFiles');
    const tabs: string[] = [];
    let cursor = await tx.store.index('byTab').openKeyCursor(null, 'nextunique');
    while (cursor) {
      tabs.push(cursor.key);
      cursor = await cursor.continue();
    }
    await tx.done;
    return tabs;
  });
}

/** One tab's pending files in the order it queued them. */
export async function getPendingFiles(db: LecternDatabase, tabId: string): Promise<PendingFileRecord[]> {
  const rows = await guardStorage('getPendingFiles', () => db.getAllFromIndex('pendingFiles', 'byTab', tabId));
  return rows.sort((a, b) => a.seq - b.seq);
}

/** Counts one unfinished try of a file (its tab died during it, or it failed for a reason outside the file). */
export async function countPendingAttempt(db: LecternDatabase, id: string): Promise<void> {
  await guardStorage('countPendingAttempt', () => {
    const tx = db.transaction('pendingFiles', 'readwrite');
    return runInTransaction(tx, 'countPendingAttempt', async (track) => {
      const row = await tx.store.get(id);
      if (row) track(tx.store.put({ ...row, attempts: (row.attempts ?? 0) + 1 }));
    });
  });
}
