// Feedback state: a thumb given, changed and taken back, and a record deleted, show in the prompt version's thumbs
// (counted from the feedback store); the ask's end is stored whatever the chat hands over (plain data).
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listFeedback, openLecternDB, thumbsByPrompt, type LecternDatabase } from '../../../src/lib/persistence';
import { FeedbackState } from '../../../src/lib/state/feedback.svelte';
import { uniqueDbName } from '../persistence/fixtures';

let db: LecternDatabase;
let failures: unknown[];
let state: FeedbackState;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
  failures = [];
  state = new FeedbackState({
    db: () => db,
    models: () => [{ role: 'generator', id: 'org/gen', revision: 'g1' }],
    info: () => {},
    fail: (e) => failures.push(e),
  });
});
afterEach(() => db.close());

const SEARCH = { queries: ['q'], trace: null, final: { ids: ['a:0', 'a:1'], scores: [2, 1] } };
const PROMPT = { name: 'grounded-answer', version: 2 };
const thumbs = async () => [...(await thumbsByPrompt(db))].map(([key, c]) => [Number(key.split('@')[1]), c.up, c.down]);

describe('feedback state', () => {
  it('the prompt version’s thumbs follow each record’s thumbs', async () => {
    state.shown({ id: 't1', question: 'q', query: 'q', search: SEARCH, shown: ['a:0', 'a:1'] });
    await state.signal('t1', { kind: 'finished', outcome: 'done', cited: ['a:0'], prompt: PROMPT });
    await state.signal('t1', { kind: 'thumbs', thumbs: 'up' });
    expect(await thumbs()).toEqual([[2, 1, 0]]);
    await state.signal('t1', { kind: 'thumbs', thumbs: 'down' });
    expect(await thumbs()).toEqual([[2, 0, 1]]);
    await state.signal('t1', { kind: 'thumbs', thumbs: null });
    expect(await thumbs()).toEqual([]);
    await state.signal('t1', { kind: 'thumbs', thumbs: 'up' });
    await state.remove('t1');
    expect(await thumbs()).toEqual([]);
    expect(await listFeedback(db)).toEqual([]);
    expect(failures).toEqual([]);
  });

  it('stores the ask’s end with the models in use then', async () => {
    state.shown({ id: 't1', question: 'q', query: 'q', search: SEARCH, shown: ['a:0'] });
    await state.signal('t1', { kind: 'finished', outcome: 'done', cited: ['a:0'], prompt: PROMPT });
    const [r] = await listFeedback(db);
    expect(r).toMatchObject({ outcome: 'done', cited: ['a:0'], prompt: PROMPT });
    expect(r!.models).toEqual([{ role: 'generator', id: 'org/gen', revision: 'g1' }]);
  });

  it('delete all takes every thumb out of the counts', async () => {
    for (const id of ['t1', 't2']) {
      state.shown({ id, question: id, query: id, search: SEARCH, shown: ['a:0'] });
      await state.signal(id, { kind: 'finished', outcome: 'done', cited: [], prompt: PROMPT });
      await state.signal(id, { kind: 'thumbs', thumbs: 'down' });
    }
    expect(await thumbs()).toEqual([[2, 0, 2]]);
    await state.removeAll();
    expect(await thumbs()).toEqual([]);
  });
});
