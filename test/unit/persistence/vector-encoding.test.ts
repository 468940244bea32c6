// Stored dense vectors in both encodings: float32 rows from older libraries and int8 rows with a scale, read alike.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  loadAllVectors,
  openLecternDB,
  readIndexRows,
  saveDocumentWithChunks,
  vectorsOf,
  type LecternDatabase,
  type VectorRecord,
} from '../../../src/lib/persistence';
import { vectorValues } from '../../../src/lib/persistence/vectors-repo';
import { makeChunks, makeDoc, uniqueDbName } from './fixtures';

let db: LecternDatabase | undefined;
afterEach(() => db?.close());

const f32 = (chunkId: string, docId: string, v: number[]): VectorRecord => ({
  chunkId,
  docId,
  embedderId: 'emb-a',
  dims: v.length,
  data: Float32Array.from(v).buffer,
});
const int8 = (chunkId: string, docId: string, v: number[], scale: number): VectorRecord => ({
  chunkId,
  docId,
  embedderId: 'emb-a',
  dims: v.length,
  data: Int8Array.from(v).buffer,
  bits: 8,
  scale,
});

describe('stored vector encodings', () => {
  it('decodes float32 and int8 rows, and refuses rows whose bytes do not fit', () => {
    expect(Array.from(vectorValues(f32('a', 'd', [0.5, -0.25]))!)).toEqual([0.5, -0.25]);
    expect(Array.from(vectorValues(int8('a', 'd', [127, -64], 0.01))!)).toEqual([
      Math.fround(1.27),
      Math.fround(-0.64),
    ]);
    expect(vectorValues({ ...f32('a', 'd', [1, 2]), dims: 3 })).toBeNull();
    expect(vectorValues({ ...int8('a', 'd', [1, 2], 0.1), dims: 3 })).toBeNull();
    expect(vectorValues({ ...int8('a', 'd', [1, 2], 0.1), scale: Number.NaN })).toBeNull();
    expect(vectorValues({ ...int8('a', 'd', [1, 2], 0.1), scale: undefined })).toBeNull();
  });

  it('loads a library holding both (an older document in float32, a newer one in int8) through every reader', async () => {
    db = await openLecternDB(uniqueDbName());
    const [a0] = makeChunks('old', 1);
    const [b0] = makeChunks('new', 1);
    await saveDocumentWithChunks(db, makeDoc('old', { chunkCount: 1 }), [a0!], [f32(a0!.id, 'old', [0.6, 0.8])]);
    await saveDocumentWithChunks(
      db,
      makeDoc('new', { chunkCount: 1, hash: 'h2' }),
      [b0!],
      [int8(b0!.id, 'new', [127, 0], 1 / 127)],
    );
    const all = await loadAllVectors(db, 'emb-a');
    expect(all.ids).toEqual(['new:0', 'old:0']);
    expect(Array.from(all.data)).toEqual([1, 0, Math.fround(0.6), Math.fround(0.8)]);
    const rows = await readIndexRows(db, 'new', 'emb-a');
    expect(Array.from(rows.data)).toEqual([1, 0]);
    expect(Array.from(await vectorsOf(db, ['old:0', 'new:0']))).toEqual([Math.fround(0.6), Math.fround(0.8), 1, 0]);
  });

  it('refuses to save a row whose bytes do not fit its encoding', async () => {
    db = await openLecternDB(uniqueDbName());
    const [c] = makeChunks('bad', 1);
    await expect(
      saveDocumentWithChunks(
        db,
        makeDoc('bad', { chunkCount: 1 }),
        [c!],
        [{ ...int8(c!.id, 'bad', [1, 2, 3], 0.1), dims: 2 }],
      ),
    ).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
