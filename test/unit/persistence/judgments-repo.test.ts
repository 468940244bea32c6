// Deep mode's judgment cache: read back what was written, replaced under the same key, gone with its document.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  getJudgment,
  openLecternDB,
  putJudgment,
  saveDocumentWithChunks,
  type JudgmentRecord,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeChunks, makeDoc, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const judgment = (key: string, probability: number): JudgmentRecord => ({
  key,
  chunkId: 'd1:0',
  docId: 'd1',
  model: 'lm',
  prompt: 'relevance-judgment@1',
  probability,
  reasoning: 'It names the lens.',
  at: 1,
});

describe('judgments', () => {
  it('reads back a stored judgment, and replaces it under the same key', async () => {
    expect(await getJudgment(db, 'k1')).toBeUndefined();
    await putJudgment(db, judgment('k1', 0.8));
    expect(await getJudgment(db, 'k1')).toEqual(judgment('k1', 0.8));
    await putJudgment(db, judgment('k1', 0.3));
    expect((await getJudgment(db, 'k1'))?.probability).toBe(0.3);
  });

  it('leaves with its document', async () => {
    await saveDocumentWithChunks(db, makeDoc('d1', { chunkCount: 1 }), makeChunks('d1', 1), []);
    await putJudgment(db, judgment('k1', 0.8));
    await deleteDocument(db, 'd1');
    expect(await getJudgment(db, 'k1')).toBeUndefined();
  });
});
