// The query-adapter store (v6): one trained adapter per embedder, read when search opens, switched and reset by the user.
import type { AdapterRecord } from './adapter-schema';
import type { LecternDatabase } from './db';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** The adapter trained for this embedder's vectors, or null when there is none. */
export async function getAdapter(db: LecternDatabase, embedderId: string): Promise<AdapterRecord | null> {
  return (await guardStorage('getAdapter', () => db.get('adapters', embedderId))) ?? null;
}

/** Stores an adapter, replacing the one of its embedder. */
export async function putAdapter(db: LecternDatabase, record: AdapterRecord): Promise<void> {
  await guardStorage('putAdapter', () => {
    const tx = db.transaction('adapters', 'readwrite');
    return runInTransaction(tx, 'putAdapter', (track) => track(tx.store.put(record)));
  });
}

/** Switches an adapter on or off (read and written in one transaction); returns it, or null when there is none. */
export async function setAdapterEnabled(
  db: LecternDatabase,
  embedderId: string,
  enabled: boolean,
): Promise<AdapterRecord | null> {
  return guardStorage('setAdapterEnabled', () => {
    const tx = db.transaction('adapters', 'readwrite');
    return runInTransaction(tx, 'setAdapterEnabled', async (track) => {
      const current = await tx.store.get(embedderId);
      if (!current) return null;
      const next = { ...current, enabled };
      track(tx.store.put(next));
      return next;
    });
  });
}

/** Forgets the adapter of an embedder (a no-op when there is none). */
export async function deleteAdapter(db: LecternDatabase, embedderId: string): Promise<void> {
  await guardStorage('deleteAdapter', () => {
    const tx = db.transaction('adapters', 'readwrite');
    return runInTransaction(tx, 'deleteAdapter', (track) => track(tx.store.delete(embedderId)));
  });
}
