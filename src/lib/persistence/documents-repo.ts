// Documents with their chunks and vectors: atomic save/delete and the lookups the UI and retrieval need.
import type { IDBPTransaction } from 'idb';
import { AppError } from '../errors';
import type { LecternDatabase } from './db';
import type {
  ChunkRecord,
  DocumentRecord,
  JournalRecord,
  KeywordRecord,
  LecternDB,
  OcrPageRecord,
  TokenVectorRecord,
  VectorRecord,
} from './schema';
import { isOcrRowOf } from './ocr-repo';
import { guardStorage } from './storage-errors';
import { vectorValues } from './vectors-repo';
import { runInTransaction } from './transaction';

/** Every store whose rows belong to one document, keyed so that byDoc finds them. */
export const DERIVED_STORES = ['chunks', 'vectors', 'keywords', 'tokenVectors', 'ocrPages'] as const;
/** Removing a document also removes its evaluation questions (their gold passages go with it), in the same transaction. */
const DOC_STORES = ['documents', ...DERIVED_STORES, 'journal', 'evalQuestions', 'judgments'] as const;
/** A save also removes the pending-file row of the file it came from. */
const SAVE_STORES = [...DOC_STORES, 'pendingFiles'] as const;

/** Optional derived rows saved with a document (keyword counts, token vectors). */
export interface DerivedRows {
  keywords?: readonly KeywordRecord[];
  tokenVectors?: readonly TokenVectorRecord[];
  /** The recognised text and images of its scanned pages. */
  ocrPages?: readonly OcrPageRecord[];
  /** An older document this one replaces: removed in the same transaction, so no state has both or neither. */
  replaces?: string;
  /** The pending-file row (pending-repo.ts) of the file this document came from: removed in the same transaction, so a
   * file is never both saved and waiting to be imported again. */
  pending?: string;
}

/**
 * Stores a document with all its chunks and vectors in ONE readwrite transaction, replacing any
 * earlier rows for the same document id; FILE_DUPLICATE when another document has the same bytes (hash). The document row is written last, so a document row
 * always implies complete derived rows. Chunk/vector ids must be unique: a collision aborts the
 * whole save and nothing is written.
 */
export async function saveDocumentWithChunks(
  db: LecternDatabase,
  doc: DocumentRecord,
  chunks: readonly ChunkRecord[],
  vectors: readonly VectorRecord[],
  derived: DerivedRows = {},
): Promise<void> {
  validateBatch(doc, chunks, vectors);
  validateDerived(doc, chunks, derived);
  await guardStorage('saveDocument', () => {
    const tx = db.transaction(SAVE_STORES, 'readwrite');
    return runInTransaction(tx, 'saveDocument', async (track) => {
      // The duplicate check the caller made may be stale (another tab saving the same file): decide it here, where
      // saves are serialized, so two tabs adding the same bytes keep one copy.
      const same = await tx.objectStore('documents').index('byHash').getAll(doc.hash);
      const other = same.find((d) => d.id !== doc.id && d.id !== derived.replaces);
      if (other) throw new AppError('FILE_DUPLICATE', undefined, { fileName: doc.name, existing: other.name });
      // Replace semantics: drop rows from an earlier save of this id (none for a new document).
      await deleteDerived(tx, doc.id, track);
      if (derived.replaces && derived.replaces !== doc.id) {
        track(tx.objectStore('documents').delete(derived.replaces));
        await deleteDerived(tx, derived.replaces, track);
        await deleteQuestions(tx, derived.replaces, track);
      }
      // add, not put: a duplicate id is a bug and must abort rather than overwrite silently.
      for (const chunk of chunks) track(tx.objectStore('chunks').add(chunk));
      for (const vector of vectors) track(tx.objectStore('vectors').add(vector));
      for (const row of derived.keywords ?? []) track(tx.objectStore('keywords').add(row));
      for (const row of derived.tokenVectors ?? []) track(tx.objectStore('tokenVectors').add(row));
      for (const row of derived.ocrPages ?? []) track(tx.objectStore('ocrPages').add(row));
      track(tx.objectStore('documents').put(doc));
      journal(tx, doc.id, track);
      if (derived.replaces && derived.replaces !== doc.id) journal(tx, derived.replaces, track);
      if (derived.pending) track(tx.objectStore('pendingFiles').delete(derived.pending));
    });
  });
}

type DocTx = IDBPTransaction<LecternDB, (typeof SAVE_STORES)[number][], 'readwrite'>;

/** Notes in the journal that this document's rows changed (see JournalRecord), in the caller's transaction. */
export function journal(
  tx: { objectStore(name: 'journal'): { add(value: JournalRecord): Promise<unknown> } },
  docId: string,
  track: (r: Promise<unknown>) => void,
): void {
  track(tx.objectStore('journal').add({ docId }));
}

/** The document's chunks and everything made from them, deep mode's judgments of its passages included. */
async function deleteDerived(tx: DocTx, docId: string, track: (r: Promise<unknown>) => void): Promise<void> {
  const stores = [...DERIVED_STORES, 'judgments'] as const;
  const keys = await Promise.all(stores.map((s) => tx.objectStore(s).index('byDoc').getAllKeys(docId)));
  stores.forEach((store, i) => {
    for (const key of keys[i] ?? []) track(tx.objectStore(store).delete(key));
  });
}

/** The evaluation questions whose gold passages are in this document (the byDoc index). */
async function deleteQuestions(tx: DocTx, docId: string, track: (r: Promise<unknown>) => void): Promise<void> {
  const store = tx.objectStore('evalQuestions');
  for (const key of await store.index('byDoc').getAllKeys(docId)) track(store.delete(key));
}

/**
 * The vectors a backfill made for one stored document: dense rows, token rows, or both. `rows: null` keeps the rows
 * stored and only rewrites their key (rows an earlier version saved under the bare model id, of the same model).
 */
export interface BackfilledVectors {
  dense: { key: string; rows: readonly VectorRecord[] | null } | null;
  tokens: { modelId: string; rows: readonly TokenVectorRecord[] | null } | null;
}

/**
 * Replaces one document's dense and/or token vectors and records their model keys on the document, in ONE
 * transaction: a crash leaves the document with its old vectors or its new ones, never a mix. Returns false (and
 * writes nothing) when the document was deleted, or replaced by a save with other chunks, meanwhile.
 */
export async function saveBackfilledVectors(
  db: LecternDatabase,
  docId: string,
  chunkIds: readonly string[],
  vectors: BackfilledVectors,
): Promise<boolean> {
  return guardStorage('saveVectors', () => {
    const tx = db.transaction(['documents', 'chunks', 'vectors', 'tokenVectors', 'journal'], 'readwrite');
    return runInTransaction(tx, 'saveVectors', async (track) => {
      const doc = await tx.objectStore('documents').get(docId);
      const ids = new Set(chunkIds);
      const chunkKeys = await tx.objectStore('chunks').index('byDoc').getAllKeys(docId);
      const same = chunkKeys.length === ids.size && chunkKeys.every((id) => ids.has(id));
      if (!doc || !same) return false;
      const next = { ...doc };
      for (const [store, part, field] of [
        ['vectors', vectors.dense && { key: vectors.dense.key, rows: vectors.dense.rows }, 'embedderId'],
        ['tokenVectors', vectors.tokens && { key: vectors.tokens.modelId, rows: vectors.tokens.rows }, 'modelId'],
      ] as const) {
        if (!part) continue;
        const index = tx.objectStore(store).index('byDoc');
        if (part.rows === null) {
          // Same model, older key: the rows stay, under the key they are now known by.
          for (const row of await index.getAll(docId))
            track(tx.objectStore(store).put({ ...row, [field]: part.key } as VectorRecord & TokenVectorRecord));
          continue;
        }
        for (const key of await index.getAllKeys(docId)) track(tx.objectStore(store).delete(key));
        for (const row of part.rows) {
          if (row.docId !== docId || !ids.has(row.chunkId)) {
            throw new AppError('STORAGE_FAILED', undefined, {
              operation: 'saveVectors',
              docId,
              cause: `row ${row.chunkId} does not belong to a chunk of this document`,
            });
          }
          track(tx.objectStore(store).put(row as VectorRecord & TokenVectorRecord));
        }
      }
      if (vectors.dense) next.embedderId = vectors.dense.key;
      if (vectors.tokens) next.lateModelId = vectors.tokens.modelId;
      track(tx.objectStore('documents').put(next));
      journal(tx, docId, track);
      return true;
    });
  });
}

/** The model key of one of this document's token-vector rows (rows from before lateModelId); null when it has none. */
export async function tokenVectorModel(db: LecternDatabase, docId: string): Promise<string | null> {
  const rows = await guardStorage('tokenVectorModel', () => db.getAllFromIndex('tokenVectors', 'byDoc', docId, 1));
  return rows[0]?.modelId ?? null;
}

/** A document's stored dense vectors, row-major in the order of `chunkIds` (all must have one). */
export async function vectorsOf(db: LecternDatabase, chunkIds: readonly string[]): Promise<Float32Array> {
  const rows = await guardStorage('vectorsOf', async () => {
    const tx = db.transaction('vectors');
    const [found] = await Promise.all([Promise.all(chunkIds.map((id) => tx.store.get(id))), tx.done]);
    return found;
  });
  const dims = rows[0]?.dims ?? 0;
  const out = new Float32Array(chunkIds.length * dims);
  rows.forEach((row, i) => {
    if (!row || row.dims !== dims) {
      throw new AppError('STORAGE_FAILED', undefined, {
        operation: 'vectorsOf',
        cause: `no vector for ${chunkIds[i]}`,
      });
    }
    const values = vectorValues(row);
    if (!values)
      throw new AppError('STORAGE_FAILED', undefined, {
        operation: 'vectorsOf',
        cause: `damaged vector ${chunkIds[i]}`,
      });
    out.set(values, i * dims);
  });
  return out;
}

/** Removes a document and all its chunks and vectors in one transaction; missing ids are a no-op. */
export async function deleteDocument(db: LecternDatabase, id: string): Promise<void> {
  await guardStorage('deleteDocument', () => {
    const tx = db.transaction(DOC_STORES, 'readwrite');
    return runInTransaction(tx, 'deleteDocument', async (track) => {
      track(tx.objectStore('documents').delete(id));
      await deleteDerived(tx, id, track);
      await deleteQuestions(tx, id, track);
      journal(tx, id, track);
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

function validateDerived(doc: DocumentRecord, chunks: readonly ChunkRecord[], derived: DerivedRows): void {
  const chunkIds = new Set(chunks.map((c) => c.id));
  for (const row of [...(derived.keywords ?? []), ...(derived.tokenVectors ?? [])]) {
    if (row.docId !== doc.id || !chunkIds.has(row.chunkId)) {
      throw new AppError('STORAGE_FAILED', undefined, {
        operation: 'saveDocument',
        docId: doc.id,
        cause: `derived row ${row.chunkId} does not belong to a chunk of this document`,
      });
    }
  }
  for (const row of derived.ocrPages ?? []) {
    if (!isOcrRowOf(doc.id, row))
      throw new AppError('STORAGE_FAILED', undefined, {
        operation: 'saveDocument',
        docId: doc.id,
        cause: `recognised page ${row.id} does not belong to this document`,
      });
  }
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
    if (!vectorValues(vector)) {
      fail(`vector ${vector.chunkId} holds ${vector.data.byteLength} bytes for ${vector.dims} dims`);
    }
  }
}
