// Every write of a document's rows notes the document in the journal, in the same transaction (or not at all).
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  openLecternDB,
  repairOnStartup,
  saveBackfilledVectors,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { clearVectors } from '../../../src/lib/persistence/vectors-repo';
import { makeChunks, makeDoc, makeVectors, uniqueDbName } from './fixtures';

let db: LecternDatabase;
afterEach(() => db.close());

const entries = async () => (await db.getAll('journal')).map((e) => e.docId);

describe('journal', () => {
  it('records saves, replacements, backfills, deletions, repairs and clears; a refused save records nothing', async () => {
    db = await openLecternDB(uniqueDbName());
    const chunks = makeChunks('a', 2);
    await saveDocumentWithChunks(db, makeDoc('a', { chunkCount: 2 }), chunks, makeVectors(chunks, 4));
    // Same bytes under another id: FILE_DUPLICATE aborts the transaction, journal entry included.
    await expect(
      saveDocumentWithChunks(db, makeDoc('b', { hash: 'hash-a', chunkCount: 1 }), makeChunks('b', 1), []),
    ).rejects.toMatchObject({ code: 'FILE_DUPLICATE' });
    const c = makeChunks('c', 1);
    await saveDocumentWithChunks(db, makeDoc('c', { chunkCount: 1 }), c, [], { replaces: 'a' });
    expect(
      await saveBackfilledVectors(db, 'c', ['c:0'], {
        dense: { key: 'emb-b', rows: makeVectors(c, 4, 'emb-b') },
        tokens: null,
      }),
    ).toBe(true);
    await deleteDocument(db, 'c');
    // An orphan row (a document row gone without its chunks): the repair removes it and notes it.
    await db.put('chunks', { ...makeChunks('z', 1)[0]! });
    await repairOnStartup(db);
    await clearVectors(db);
    // Save a; save c replacing a (c, then a); backfill c; delete c; repair z; clear every vector.
    expect(await entries()).toEqual(['a', 'c', 'a', 'c', 'c', 'z', '*']);
    const seqs = (await db.getAll('journal')).map((e) => e.seq!);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
  });
});
