// Reads for the retrieval indexes: every keyword row at cold start, token vectors for rerank candidates.
import type { LecternDatabase } from './db';
import type { KeywordRecord, TokenVectorRecord } from './schema';
import { guardStorage } from './storage-errors';

const PAGE = 2048;

/** Streams all keyword rows in pages (getAll per page: a cursor per row is the slow part). */
export async function forEachKeywordRow(db: LecternDatabase, visit: (row: KeywordRecord) => void): Promise<number> {
  return guardStorage('loadKeywords', async () => {
    let count = 0;
    let after: string | null = null;
    for (;;) {
      const range: IDBKeyRange | null = after === null ? null : IDBKeyRange.lowerBound(after, true);
      const rows: KeywordRecord[] = await db.getAll('keywords', range, PAGE);
      for (const row of rows) visit(row);
      count += rows.length;
      if (rows.length < PAGE) return count;
      after = rows[rows.length - 1]!.chunkId;
    }
  });
}

/** Token vectors by chunk id, aligned with `ids`; `undefined` where none is stored. */
export async function getTokenVectors(
  db: LecternDatabase,
  ids: readonly string[],
): Promise<(TokenVectorRecord | undefined)[]> {
  if (ids.length === 0) return [];
  return guardStorage('getTokenVectors', async () => {
    const tx = db.transaction('tokenVectors');
    const [rows] = await Promise.all([Promise.all(ids.map((id) => tx.store.get(id))), tx.done]);
    return rows;
  });
}
