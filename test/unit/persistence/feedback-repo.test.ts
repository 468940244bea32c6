// The feedback store: put, update in one transaction (two signals at once both land), list newest first, delete.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  clearFeedback,
  deleteFeedback,
  listFeedback,
  openLecternDB,
  putFeedback,
  updateFeedback,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { applySignal } from '../../../src/lib/pipelines/feedback';
import { makeFeedback, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

describe('feedback repo', () => {
  it('lists the records newest first', async () => {
    await putFeedback(db, makeFeedback('old', { at: 1 }));
    await putFeedback(db, makeFeedback('new', { at: 3 }));
    await putFeedback(db, makeFeedback('mid', { at: 2 }));
    expect((await listFeedback(db)).map((r) => r.id)).toEqual(['new', 'mid', 'old']);
  });

  it('applies signals given at once without losing either', async () => {
    await putFeedback(db, makeFeedback('t'));
    await Promise.all([
      updateFeedback(db, 't', (r) => applySignal(r, { kind: 'thumbs', thumbs: 'up' })),
      updateFeedback(db, 't', (r) => applySignal(r, { kind: 'mark', chunkId: 'a:1', mark: 'not-relevant' })),
      updateFeedback(db, 't', (r) => applySignal(r, { kind: 'opened', chunkId: 'a:0' })),
    ]);
    const [r] = await listFeedback(db);
    expect(r).toMatchObject({ thumbs: 'up', sources: { 'a:1': 'not-relevant' }, opened: ['a:0'] });
  });

  it('updates nothing, and says so, when the record was deleted', async () => {
    expect(await updateFeedback(db, 'none', (r) => ({ ...r, thumbs: 'up' }))).toBeNull();
    expect(await listFeedback(db)).toEqual([]);
  });

  it('deletes one record, then all', async () => {
    for (const id of ['a', 'b', 'c']) await putFeedback(db, makeFeedback(id));
    await deleteFeedback(db, 'b');
    expect((await listFeedback(db)).map((r) => r.id).sort()).toEqual(['a', 'c']);
    await clearFeedback(db);
    expect(await listFeedback(db)).toEqual([]);
  });
});
