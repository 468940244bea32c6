// Reads for keeping another tab in step: the stored document ids, and one document's rows for the search indexes.
import type { LecternDatabase } from './db';
import type { DocumentRecord, KeywordRecord } from './schema';
import { guardStorage } from './storage-errors';
import { vectorValues } from './vectors-repo';

/** One document's rows as the search indexes need them, read in one snapshot. */
export interface IndexRows {
  /** Undefined when the document is no longer stored. */
  doc: DocumentRecord | undefined;
  chunkIds: string[];
  keywords: KeywordRecord[];
  /** The chosen embedder's vectors: row i of `data` belongs to vectorIds[i]; dims 0 when there are none. */
  vectorIds: string[];
  dims: number;
  data: Float32Array;
}

/** Every stored document id (keys only: no text is read). */
export async function listDocumentIds(db: LecternDatabase): Promise<string[]> {
  return guardStorage('listDocumentIds', () => db.getAllKeys('documents'));
}

/** A document's chunk ids, keyword rows and `embedderId`'s vectors, from one read transaction. */
export async function readIndexRows(db: LecternDatabase, docId: string, embedderId: string | null): Promise<IndexRows> {
  return guardStorage('readIndexRows', async () => {
    const tx = db.transaction(['documents', 'chunks', 'keywords', 'vectors']);
    const [doc, chunkIds, keywords, vectors] = await Promise.all([
      tx.objectStore('documents').get(docId),
      tx.objectStore('chunks').index('byDoc').getAllKeys(docId),
      tx.objectStore('keywords').index('byDoc').getAll(docId),
      embedderId ? tx.objectStore('vectors').index('byDoc').getAll(docId) : Promise.resolve([]),
      tx.done,
    ]);
    const mine = vectors.filter((v) => v.embedderId === embedderId);
    const dims = mine[0]?.dims ?? 0;
    const usable = mine.flatMap((v) => {
      const values = v.dims === dims ? vectorValues(v) : null;
      return values ? [{ id: v.chunkId, values }] : [];
    });
    const data = new Float32Array(usable.length * dims);
    usable.forEach((v, i) => data.set(v.values, i * dims));
    return { doc, chunkIds, keywords, vectorIds: usable.map((v) => v.id), dims, data };
  });
}
