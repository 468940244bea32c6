// Deep mode's judgment cache: one read and one transactional write per judgment (rows leave with their document).
import type { LecternDatabase } from './db';
import type { JudgmentRecord } from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

export type { JudgmentRecord };

/** The cached judgment under `key`, if any. */
export function getJudgment(db: LecternDatabase, key: string): Promise<JudgmentRecord | undefined> {
  return guardStorage('getJudgment', () => db.get('judgments', key));
}

/** Stores one judgment (replacing an older one under the same key). */
export async function putJudgment(db: LecternDatabase, record: JudgmentRecord): Promise<void> {
  await guardStorage('putJudgment', () => {
    const tx = db.transaction('judgments', 'readwrite');
    return runInTransaction(tx, 'putJudgment', (track) => track(tx.store.put(record)));
  });
}
