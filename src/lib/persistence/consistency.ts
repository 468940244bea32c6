// Startup self-check: removes derived rows (chunks, vectors, keywords, token vectors) whose document row is missing.
import type { LecternDatabase } from './db';
import { DERIVED_STORES, journal } from './documents-repo';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

export interface RepairReport {
  removedChunks: number;
  removedVectors: number;
  /** Document ids that had derived rows but no document row. */
  orphanDocIds: string[];
}

/**
 * Saves are single transactions, so orphans should never exist; this is a defensive sweep
 * (older builds, manual tampering, engine bugs). Reads first and only takes a write lock when
 * something needs removing.
 */
export async function repairOnStartup(db: LecternDatabase): Promise<RepairReport> {
  const candidates = await guardStorage('repairOnStartup', () => findOrphanDocIds(db));
  if (candidates.length === 0) return { removedChunks: 0, removedVectors: 0, orphanDocIds: [] };
  return guardStorage('repairOnStartup', () => {
    const tx = db.transaction(['documents', ...DERIVED_STORES, 'journal'] as const, 'readwrite');
    return runInTransaction(tx, 'repairOnStartup', async (track) => {
      const report: RepairReport = { removedChunks: 0, removedVectors: 0, orphanDocIds: [] };
      for (const docId of candidates) {
        // Re-check under the write lock: another tab may have saved this document meanwhile.
        if ((await tx.objectStore('documents').count(docId)) > 0) continue;
        const keys = await Promise.all(DERIVED_STORES.map((s) => tx.objectStore(s).index('byDoc').getAllKeys(docId)));
        DERIVED_STORES.forEach((store, i) => {
          for (const key of keys[i] ?? []) track(tx.objectStore(store).delete(key));
        });
        report.removedChunks += keys[0]?.length ?? 0;
        report.removedVectors += keys[1]?.length ?? 0;
        if (keys.some((k) => k.length > 0)) {
          report.orphanDocIds.push(docId);
          journal(tx, docId, track);
        }
      }
      return report;
    });
  });
}

/** Distinct docIds referenced by chunks or vectors that have no document row. */
async function findOrphanDocIds(db: LecternDatabase): Promise<string[]> {
  const tx = db.transaction(['documents', ...DERIVED_STORES]);
  const known = new Set(await tx.objectStore('documents').getAllKeys());
  const orphans = new Set<string>();
  for (const store of DERIVED_STORES) {
    // 'nextunique' visits each docId once rather than every row.
    let cursor = await tx.objectStore(store).index('byDoc').openKeyCursor(null, 'nextunique');
    while (cursor) {
      if (!known.has(cursor.key)) orphans.add(cursor.key);
      cursor = await cursor.continue();
    }
  }
  await tx.done;
  return [...orphans];
}
