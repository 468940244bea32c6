// Loading stored vectors as one row-major matrix, and clearing them.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  clearVectors,
  loadAllVectors,
  openLecternDB,
  saveDocumentWithChunks,
  toVectorRecord,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeBatch, uniqueDbName, vectorFor } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

describe('loadAllVectors', () => {
  it('concatenates rows in chunk-id order with matching ids and docIds', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('b', 2, 3));
    await saveDocumentWithChunks(db, ...makeBatch('a', 2, 3));
    const loaded = await loadAllVectors(db, 'emb-a');
    expect(loaded.ids).toEqual(['a:0', 'a:1', 'b:0', 'b:1']);
    expect(loaded.docIds).toEqual(['a', 'a', 'b', 'b']);
    expect(loaded.dims).toBe(3);
    // Row values are ordinal + j/100 (see vectorFor).
    const expected = Float32Array.from([0, 0.01, 0.02, 1, 1.01, 1.02, 0, 0.01, 0.02, 1, 1.01, 1.02]);
    expect(loaded.data).toEqual(expected);
    expect(loaded.data.length).toBe(loaded.ids.length * loaded.dims);
  });

  it('returns only the requested embedder, without slack in the matrix', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('a', 3, 4));
    await saveDocumentWithChunks(db, ...makeBatch('b', 2, 8, { embedderId: 'emb-b' }));
    const a = await loadAllVectors(db, 'emb-a');
    expect(a.ids).toEqual(['a:0', 'a:1', 'a:2']);
    expect(a.data.length).toBe(12);
    const b = await loadAllVectors(db, 'emb-b');
    expect(b).toMatchObject({ ids: ['b:0', 'b:1'], docIds: ['b', 'b'], dims: 8 });
    expect(b.data.length).toBe(16);
    expect(b.data[8 + 7]).toBeCloseTo(1.07);
  });

  it('returns an empty result when nothing matches', async () => {
    expect(await loadAllVectors(db, 'emb-a')).toEqual({ ids: [], docIds: [], dims: 0, data: new Float32Array(0) });
  });

  it('reads across many pages and keeps every row in place', async () => {
    const n = 2_500;
    await saveDocumentWithChunks(db, ...makeBatch('big', n, 2));
    const loaded = await loadAllVectors(db, 'emb-a');
    expect(loaded.ids).toHaveLength(n);
    expect(new Set(loaded.ids).size).toBe(n);
    for (let i = 0; i < n; i++) {
      const ordinal = Number(loaded.ids[i]!.split(':')[1]);
      expect(loaded.data[i * 2]).toBe(ordinal);
    }
  });

  it('refuses rows whose size disagrees with the first row', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('a', 1, 4));
    await db.put('vectors', vectorFor('z:0', 'z', 6, 0));
    const err = await loadAllVectors(db, 'emb-a').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('EMBEDDING_DIMS_MISMATCH');
  });
});

describe('clearVectors', () => {
  it('removes every vector and leaves documents and chunks', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('a', 3));
    await clearVectors(db);
    expect(await db.count('vectors')).toBe(0);
    expect(await db.count('chunks')).toBe(3);
    expect(await db.count('documents')).toBe(1);
  });
});

describe('toVectorRecord', () => {
  it('copies exactly the embedding bytes out of a larger batch buffer', () => {
    const batch = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const record = toVectorRecord('c', 'd', 'emb-a', batch.subarray(3, 6));
    expect(record.dims).toBe(3);
    expect(record.data.byteLength).toBe(12);
    expect(Array.from(new Float32Array(record.data))).toEqual([4, 5, 6]);
  });
});
