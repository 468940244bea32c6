// The evaluation set's store: batch writes, edits, deletes, "delete all synthetic", and a deleted document's questions.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  deleteDocument,
  deleteEvalQuestions,
  deleteSyntheticQuestions,
  openLecternDB,
  putEvalQuestions,
  listEvalQuestions,
  removeOrphanQuestions,
  saveDocumentWithChunks,
  updateEvalQuestionText,
  type EvalQuestionRecord,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeBatch, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const question = (
  id: string,
  docId: string,
  origin: EvalQuestionRecord['origin'] = 'synthetic',
  createdAt = 1,
): EvalQuestionRecord => ({
  id,
  text: `Question ${id}?`,
  docId,
  chunkIds: [`${docId}:0`],
  origin,
  createdAt,
  ...(origin === 'synthetic' && { prompt: { name: 'synthetic-questions', version: 1 } }),
});

/** Stores documents with these ids (a question is kept only while its document is there). */
const docs = async (...ids: string[]) => {
  for (const id of ids) await saveDocumentWithChunks(db, ...makeBatch(id, 2));
};

describe('evaluation set', () => {
  it('stores a batch and reads it back oldest first, ties by id', async () => {
    await docs('d1', 'd2');
    await putEvalQuestions(db, [question('q3', 'd1', 'user', 5), question('q2', 'd1'), question('q1', 'd2')]);
    const rows = await listEvalQuestions(db);
    expect(rows.map((r) => r.id)).toEqual(['q1', 'q2', 'q3']);
    expect(rows[0]).toEqual(question('q1', 'd2'));
    await putEvalQuestions(db, []);
    expect(await listEvalQuestions(db)).toHaveLength(3);
  });

  it('writes a batch all or nothing', async () => {
    await docs('d1');
    const bad = { ...question('q2', 'd1'), id: undefined } as unknown as EvalQuestionRecord;
    await expect(putEvalQuestions(db, [question('q1', 'd1'), bad])).rejects.toThrow(AppError);
    expect(await listEvalQuestions(db)).toEqual([]);
  });

  it('edits a question’s text and marks it edited; an unknown id gives null', async () => {
    await docs('d1');
    await putEvalQuestions(db, [question('q1', 'd1')]);
    const edited = await updateEvalQuestionText(db, 'q1', 'How long is the warranty?');
    expect(edited).toEqual({ ...question('q1', 'd1'), text: 'How long is the warranty?', edited: true });
    expect(await listEvalQuestions(db)).toEqual([edited]);
    expect(await updateEvalQuestionText(db, 'gone', 'x')).toBeNull();
  });

  it('deletes questions by id, ignoring ids already gone', async () => {
    await docs('d1');
    await putEvalQuestions(db, [question('q1', 'd1'), question('q2', 'd1'), question('q3', 'd1')]);
    await deleteEvalQuestions(db, ['q1', 'q3', 'gone']);
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['q2']);
  });

  it('deletes all synthetic questions and keeps the user’s and feedback’s', async () => {
    await docs('d1', 'd2');
    await putEvalQuestions(db, [
      question('s1', 'd1'),
      question('u1', 'd1', 'user'),
      question('s2', 'd2'),
      question('f1', 'd2', 'feedback'),
    ]);
    expect(await deleteSyntheticQuestions(db)).toBe(2);
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['f1', 'u1']);
    expect(await deleteSyntheticQuestions(db)).toBe(0);
  });

  it('removes a document’s questions in the delete’s transaction, and only its own', async () => {
    await docs('d1', 'd2');
    await putEvalQuestions(db, [question('a', 'd1'), question('b', 'd1', 'user'), question('c', 'd2')]);
    await deleteDocument(db, 'd1');
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['c']);
  });

  it('removes a replaced document’s questions with it', async () => {
    await docs('old', 'other');
    await putEvalQuestions(db, [question('a', 'old'), question('b', 'other')]);
    const [doc, chunks, vectors] = makeBatch('new', 1, 4, { hash: 'new-hash' });
    await saveDocumentWithChunks(db, doc, chunks, vectors, { replaces: 'old' });
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['b']);
  });

  it('does not store a question whose document is gone (deleted while the job wrote it)', async () => {
    await docs('d1');
    const stored = await putEvalQuestions(db, [question('a', 'd1'), question('b', 'deleted')]);
    expect(stored.map((r) => r.id)).toEqual(['a']);
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['a']);
  });
});

describe('removeOrphanQuestions', () => {
  it('removes only the questions whose document is gone', async () => {
    await docs('d1');
    await putEvalQuestions(db, [question('a', 'd1')]);
    // Left by an older write that did not check (or a store edited by hand): orphans put directly.
    for (const q of [question('b', 'gone', 'user'), question('c', 'gone')]) await db.put('evalQuestions', q);
    expect(await removeOrphanQuestions(db)).toBe(2);
    expect((await listEvalQuestions(db)).map((r) => r.id)).toEqual(['a']);
    expect(await removeOrphanQuestions(db)).toBe(0);
  });
});
