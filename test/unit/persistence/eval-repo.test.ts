// The evaluation stores' repository: the set in creation order, only judged feedback, runs newest first.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteEvalRun,
  listEvalQuestions,
  listEvalRuns,
  listJudgedFeedback,
  openLecternDB,
  saveEvalRun,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import type { FeedbackRecord } from '../../../src/lib/persistence/feedback-schema';
import { uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const feedback = (id: string, at: number, sources: FeedbackRecord['sources']): FeedbackRecord => ({
  id,
  at,
  question: 'q',
  query: 'q',
  queries: ['q'],
  stages: {
    dense: null,
    keyword: null,
    fused: { ids: [], scores: [] },
    reranked: null,
    final: { ids: [], scores: [] },
  },
  shown: [],
  cited: [],
  models: [],
  prompt: null,
  outcome: 'done',
  thumbs: null,
  reason: '',
  sources,
  opened: [],
  expanded: [],
  copied: false,
});

describe('eval repo', () => {
  it('lists the evaluation set oldest first, and only feedback with a source marked relevant', async () => {
    for (const [id, createdAt] of [
      ['b', 2],
      ['a', 1],
    ] as const) {
      await db.put('evalQuestions', { id, text: id, docId: 'd', chunkIds: ['d:0'], origin: 'user', createdAt });
    }
    expect((await listEvalQuestions(db)).map((q) => q.id)).toEqual(['a', 'b']);
    await db.put('feedback', feedback('f1', 1, { 'd:0': 'not-relevant' }));
    await db.put('feedback', feedback('f2', 2, { 'd:0': 'relevant' }));
    await db.put('feedback', feedback('f3', 3, {}));
    expect((await listJudgedFeedback(db)).map((f) => f.id)).toEqual(['f2']);
  });

  it('keeps runs, lists them newest first, and deletes one', async () => {
    await saveEvalRun(db, { id: 'r1', at: 1, report: { format: 1 } });
    await saveEvalRun(db, { id: 'r2', at: 2, report: { format: 1 } });
    expect((await listEvalRuns(db)).map((r) => r.id)).toEqual(['r2', 'r1']);
    await deleteEvalRun(db, 'r2');
    expect((await listEvalRuns(db)).map((r) => r.id)).toEqual(['r1']);
  });
});
