// Documents with their chunks and vectors: atomic save/delete and the lookups the UI and retrieval need.
import { AppError } from '../errors';
import type { LecternDatabase } from './db';
import type { ChunkRecord, DocumentRecord, VectorRecord } from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

const DOC_STORES = ['documents', 'chunks', 'vectors'] as const;

/**
 * Stores a document with all its chunks and vectors in ONE readwrite transaction, replacing any
 * earlier rows for the same document id. The document row is written last, so a document row
 * always implies complete derived rows. Chunk/vector ids must be unique: a collision aborts the
 * whole save and nothing is written.
 */
export async function saveDocumentWithChunks(
  db: LecternDatabase,
  doc: DocumentRecord,
  chunks: readonly ChunkRecord[],
  vectors: readonly VectorRecord[],
): Promise<void> {
  validateBatch(doc, chunks, vectors);
  await guardStorage('saveDocument', () => {
    const tx = db.transaction(DOC_STORES, 'readwrite');
    const chunkStore = tx.objectStore('chunks');
    const vectorStore = tx.objectStore('vectors');
    return runInTransaction(tx, 'saveDocument', async (track) => {
      // Replace semantics: drop rows from an earlier save of this id (none for a new document).
      const [oldChunks, oldVectors] = await Promise.all([
        chunkStore.index('byDoc').getAllKeys(doc.id),
        vectorStore.index('byDoc').getAllKeys(doc.id),
      ]);
      for (const key of oldChunks) track(chunkStore.delete(key));
      for (const key of oldVectors) track(vectorStore.delete(key));
      // add, not put: a duplicate id is a bug and must abort rather than overwrite silently.
      for (const chunk of chunks) track(chunkStore.add(chunk));
      for (const vector of vectors) track(vectorStore.add(vector));
      track(tx.objectStore('documents').put(doc));
    });
  });
}

/** Removes a document and all its chunks and vectors in one transaction; missing ids are a no-op. */
export async function deleteDocument(db: LecternDatabase, id: string): Promise<void> {
  await guardStorage('deleteDocument', () => {
    const tx = db.transaction(DOC_STORES, 'readwrite');
    const chunkStore = tx.objectStore('chunks');
    const vectorStore = tx.objectStore('vectors');
    return runInTransaction(tx, 'deleteDocument', async (track) => {
      track(tx.objectStore('documents').delete(id));
      const [chunkKeys, vectorKeys] = await Promise.all([
        chunkStore.index('byDoc').getAllKeys(id),
        vectorStore.index('byDoc').getAllKeys(id),
      ]);
      for (const key of chunkKeys) track(chunkStore.delete(key));
      for (const key of vectorKeys) track(vectorStore.delete(key));
    });
  });
}

/** All documents, oldest first. */
export async function listDocuments(db: LecternDatabase): Promise<DocumentRecord[]> {
  const docs = await guardStorage('listDocuments', () => db.getAll('documents'));
  return docs.sort(byAddedAt);
}

export async function getDocument(db: LecternDatabase, id: string): Promise<DocumentRecord | undefined> {
  return guardStorage('getDocument', () => db.get('documents', id));
}

/** The document with these file bytes (hex SHA-256), if already stored. */
export async function findByHash(db: LecternDatabase, hash: string): Promise<DocumentRecord | undefined> {
  return guardStorage('findByHash', () => db.getFromIndex('documents', 'byHash', hash));
}

/** Documents with this file name (names are not unique), oldest first. */
export async function findByName(db: LecternDatabase, name: string): Promise<DocumentRecord[]> {
  const docs = await guardStorage('findByName', () => db.getAllFromIndex('documents', 'byName', name));
  return docs.sort(byAddedAt);
}

/** Chunks by id, aligned with `ids`: `undefined` where a chunk no longer exists. */
export async function getChunks(db: LecternDatabase, ids: readonly string[]): Promise<(ChunkRecord | undefined)[]> {
  if (ids.length === 0) return [];
  return guardStorage('getChunks', async () => {
    const tx = db.transaction('chunks');
    // Awaiting done too keeps an abort from becoming an unhandled rejection.
    const [chunks] = await Promise.all([Promise.all(ids.map((id) => tx.store.get(id))), tx.done]);
    return chunks;
  });
}

/** A document's chunks in reading order. */
export async function getChunksByDoc(db: LecternDatabase, docId: string): Promise<ChunkRecord[]> {
  const chunks = await guardStorage('getChunksByDoc', () => db.getAllFromIndex('chunks', 'byDoc', docId));
  return chunks.sort((a, b) => a.ordinal - b.ordinal);
}

function byAddedAt(a: DocumentRecord, b: DocumentRecord): number {
  return a.addedAt - b.addedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Rejects batches that would break "a document row implies complete, matching derived rows". */
function validateBatch(doc: DocumentRecord, chunks: readonly ChunkRecord[], vectors: readonly VectorRecord[]): void {
  const fail = (cause: string): never => {
    throw new AppError('STORAGE_FAILED', undefined, { operation: 'saveDocument', docId: doc.id, cause });
  };
  if (doc.chunkCount !== chunks.length) fail(`chunkCount is ${doc.chunkCount} but ${chunks.length} chunks were given`);
  const chunkIds = new Set<string>();
  for (const chunk of chunks) {
    if (chunk.docId !== doc.id) fail(`chunk ${chunk.id} belongs to document ${chunk.docId}`);
    chunkIds.add(chunk.id);
  }
  for (const vector of vectors) {
    if (vector.docId !== doc.id) fail(`vector ${vector.chunkId} belongs to document ${vector.docId}`);
    if (!chunkIds.has(vector.chunkId)) fail(`vector ${vector.chunkId} has no chunk in this batch`);
    if (vector.embedderId !== doc.embedderId) fail(`vector ${vector.chunkId} is from embedder ${vector.embedderId}`);
    if (!Number.isInteger(vector.dims) || vector.dims <= 0 || vector.data.byteLength !== vector.dims * 4) {
      fail(`vector ${vector.chunkId} holds ${vector.data.byteLength} bytes for ${vector.dims} dims`);
    }
  }
}
