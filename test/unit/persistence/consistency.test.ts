// The startup sweep that removes chunks and vectors left without a document row.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openLecternDB,
  repairOnStartup,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeBatch, makeChunks, uniqueDbName, vectorFor } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

describe('repairOnStartup', () => {
  it('reports nothing on a consistent database', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 3));
    expect(await repairOnStartup(db)).toEqual({ removedChunks: 0, removedVectors: 0, orphanDocIds: [] });
    expect(await db.count('chunks')).toBe(3);
  });

  it('removes planted orphan chunks and vectors, keeping intact documents', async () => {
    await saveDocumentWithChunks(db, ...makeBatch('d1', 2));
    for (const chunk of makeChunks('ghost', 3)) await db.put('chunks', chunk);
    await db.put('vectors', vectorFor('ghost:0', 'ghost', 4, 0));
    // A vector-only orphan, as if its chunks were already gone.
    await db.put('vectors', vectorFor('phantom:0', 'phantom', 4, 0));

    const report = await repairOnStartup(db);
    expect(report.removedChunks).toBe(3);
    expect(report.removedVectors).toBe(2);
    expect([...report.orphanDocIds].sort()).toEqual(['ghost', 'phantom']);
    expect(await db.getAllKeys('chunks')).toEqual(['d1:0', 'd1:1']);
    expect(await db.getAllKeys('vectors')).toEqual(['d1:0', 'd1:1']);
    expect(await repairOnStartup(db)).toEqual({ removedChunks: 0, removedVectors: 0, orphanDocIds: [] });
  });
});
