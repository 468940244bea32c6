// Atomic document saves and deletes, and the document/chunk lookups.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  deleteDocument,
  findByHash,
  findByName,
  getChunks,
  getChunksByDoc,
  getDocument,
  listDocuments,
  openLecternDB,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeBatch, uniqueDbName, vectorFor } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

async function counts(): Promise<{ documents: number; chunks: number; vectors: number }> {
  return {
    documents: await db.count('documents'),
    chunks: await db.count('chunks'),
    vectors: await db.count('vectors'),
  };
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('saveDocumentWithChunks', () => {
  it('saves a document with its chunks and vectors, readable back', async () => {
    const [doc, chunks, vectors] = makeBatch('d1', 3);
    await saveDocumentWithChunks(db, doc, chunks, vectors);
    expect(await getDocument(db, 'd1')).toEqual(doc);
    expect(await getChunksByDoc(db, 'd1')).toEqual(chunks);
    expect(await counts()).toEqual({ documents: 1, chunks: 3, vectors: 3 });
    expect(await getDocument(db, 'missing')).toBeUndefined();
  });

  it('lists documents oldest first', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('late', 1, 4, { addedAt: 300 }));
    await saveDocumentWithChunks(db, ...makeBatch('early', 1, 4, { addedAt: 100 }));
    await saveDocumentWithChunks(db, ...makeBatch('middle', 1, 4, { addedAt: 200 }));
    expect((await listDocuments(db)).map((d) => d.id)).toEqual(['early', 'middle', 'late']);
  });

  it('replaces an earlier save of the same id, dropping its stale chunks', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 5));
    const [doc, chunks, vectors] = makeBatch('d1', 2, 4, { title: 'Second' });
    await saveDocumentWithChunks(db, doc, chunks, vectors);
    expect((await getDocument(db, 'd1'))?.title).toBe('Second');
    expect(await getChunksByDoc(db, 'd1')).toEqual(chunks);
    expect(await counts()).toEqual({ documents: 1, chunks: 2, vectors: 2 });
  });

  it('keeps one copy when two saves of the same bytes race (two tabs), and the other fails as a duplicate', async () => {
    const first = makeBatch('tab-a', 2, 4, { hash: 'same-bytes', name: 'a.md' });
    const second = makeBatch('tab-b', 2, 4, { hash: 'same-bytes', name: 'b.md' });
    const results = await Promise.allSettled([
      saveDocumentWithChunks(db, ...first),
      saveDocumentWithChunks(db, ...second),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as AppError;
    expect(failed.code).toBe('FILE_DUPLICATE');
    expect(await counts()).toEqual({ documents: 1, chunks: 2, vectors: 2 });
    // Replacing a document with the same bytes under its own id, or as the one it replaces, is not a duplicate.
    const kept = (await listDocuments(db))[0]!;
    await saveDocumentWithChunks(db, ...makeBatch(kept.id, 1, 4, { hash: 'same-bytes' }));
    await saveDocumentWithChunks(db, ...makeBatch('tab-c', 1, 4, { hash: 'same-bytes' }), { replaces: kept.id });
    expect((await listDocuments(db)).map((d) => d.id)).toEqual(['tab-c']);
  });

  it('writes nothing when a chunk id is duplicated in the batch (the transaction aborts)', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('keep', 2));
    const [doc, chunks, vectors] = makeBatch('d1', 3);
    chunks[2] = { ...chunks[0]!, ordinal: 2 };
    const err = await rejection(saveDocumentWithChunks(db, doc, chunks, vectors.slice(0, 2)));
    expect(err.code).toBe('STORAGE_FAILED');
    expect(err.details.name).toBe('ConstraintError');
    expect(await getDocument(db, 'd1')).toBeUndefined();
    expect(await getChunksByDoc(db, 'd1')).toEqual([]);
    expect(await counts()).toEqual({ documents: 1, chunks: 2, vectors: 2 });
  });

  it("writes nothing when a chunk id collides with another document's chunk", async () => {
    await saveDocumentWithChunks(db, ...makeBatch('keep', 2));
    const [doc, chunks] = makeBatch('d1', 2);
    chunks[1] = { ...chunks[1]!, id: 'keep:0' };
    await rejection(saveDocumentWithChunks(db, doc, chunks, []));
    expect(await getChunksByDoc(db, 'keep')).toHaveLength(2);
    expect(await counts()).toEqual({ documents: 1, chunks: 2, vectors: 2 });
  });

  it('writes nothing when a write throws part-way (uncloneable value)', async () => {
    const [doc, chunks, vectors] = makeBatch('d1', 3);
    // Functions cannot be structured-cloned: put/add throws synchronously after earlier adds were issued.
    vectors[2] = Object.assign({}, vectors[2]!, { extra: () => 1 });
    const err = await rejection(saveDocumentWithChunks(db, doc, chunks, vectors));
    expect(err.code).toBe('STORAGE_FAILED');
    expect(err.details.name).toBe('DataCloneError');
    expect(await counts()).toEqual({ documents: 0, chunks: 0, vectors: 0 });
  });

  it('rejects inconsistent batches before touching storage', async () => {
    const [doc, chunks, vectors] = makeBatch('d1', 2);
    await expect(saveDocumentWithChunks(db, { ...doc, chunkCount: 3 }, chunks, vectors)).rejects.toThrow(AppError);
    await expect(
      saveDocumentWithChunks(db, doc, [chunks[0]!, { ...chunks[1]!, docId: 'other' }], vectors),
    ).rejects.toThrow(AppError);
    await expect(saveDocumentWithChunks(db, doc, chunks, [vectorFor('nope', 'd1', 4, 0)])).rejects.toThrow(AppError);
    await expect(saveDocumentWithChunks(db, doc, chunks, [vectorFor('d1:0', 'd1', 4, 0, 'emb-b')])).rejects.toThrow(
      AppError,
    );
    await expect(
      saveDocumentWithChunks(db, doc, chunks, [{ ...vectorFor('d1:0', 'd1', 4, 0), dims: 5 }]),
    ).rejects.toThrow(AppError);
    expect(await counts()).toEqual({ documents: 0, chunks: 0, vectors: 0 });
  });
});

describe('deleteDocument', () => {
  it('removes the document with all its chunks and vectors, and nothing else', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 3));
    await saveDocumentWithChunks(db, ...makeBatch('d2', 2));
    await deleteDocument(db, 'd1');
    expect(await getDocument(db, 'd1')).toBeUndefined();
    expect(await getChunksByDoc(db, 'd1')).toEqual([]);
    expect(await db.getAllKeysFromIndex('vectors', 'byDoc', 'd1')).toEqual([]);
    expect(await counts()).toEqual({ documents: 1, chunks: 2, vectors: 2 });
    expect((await listDocuments(db)).map((d) => d.id)).toEqual(['d2']);
  });

  it('is a no-op for an unknown id', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 1));
    await deleteDocument(db, 'missing');
    expect(await counts()).toEqual({ documents: 1, chunks: 1, vectors: 1 });
  });
});

describe('lookups', () => {
  it('finds a document by file hash', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 1, 4, { hash: 'abc' }));
    await saveDocumentWithChunks(db, ...makeBatch('d2', 1, 4, { hash: 'def' }));
    expect((await findByHash(db, 'def'))?.id).toBe('d2');
    expect(await findByHash(db, 'zzz')).toBeUndefined();
  });

  it('finds every document with a name, oldest first', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('b', 1, 4, { name: 'notes.txt', addedAt: 2 }));
    await saveDocumentWithChunks(db, ...makeBatch('a', 1, 4, { name: 'notes.txt', addedAt: 1 }));
    await saveDocumentWithChunks(db, ...makeBatch('c', 1, 4, { name: 'other.txt' }));
    expect((await findByName(db, 'notes.txt')).map((d) => d.id)).toEqual(['a', 'b']);
    expect(await findByName(db, 'none.txt')).toEqual([]);
  });

  it('gets chunks by id, aligned with the ids asked for', async () => {
    const [doc, chunks, vectors] = makeBatch('d1', 3);
    await saveDocumentWithChunks(db, doc, chunks, vectors);
    expect(await getChunks(db, ['d1:2', 'gone', 'd1:0'])).toEqual([chunks[2], undefined, chunks[0]]);
    expect(await getChunks(db, [])).toEqual([]);
  });

  it('returns a document’s chunks in ordinal order', async () => {
    const [doc, chunks, vectors] = makeBatch('d1', 12);
    await saveDocumentWithChunks(db, doc, [...chunks].reverse(), vectors);
    // Ids sort as strings ("d1:10" < "d1:2"); ordinal order must win.
    expect((await getChunksByDoc(db, 'd1')).map((c) => c.ordinal)).toEqual([...Array(12).keys()]);
  });
});
