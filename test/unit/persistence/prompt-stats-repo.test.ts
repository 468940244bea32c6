// Prompt figures per template version: running means, refusals, transactional updates, and thumbs counted from feedback.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  applyPromptUse,
  countThumbs,
  emptyPromptStats,
  listPromptStats,
  recentEvalRuns,
  recordPromptUse,
  thumbsByPrompt,
  openLecternDB,
  type LecternDatabase,
  type PromptUse,
} from '../../../src/lib/persistence';
import { uniqueDbName } from './fixtures';

const V1 = { name: 'grounded-answer', version: 1 };
const V2 = { name: 'grounded-answer', version: 2 };

const use = (over: Partial<PromptUse> = {}): PromptUse => ({
  ...V1,
  firstTokenMs: 100,
  totalMs: 1000,
  tokensIn: 400,
  tokensOut: 40,
  grounding: 1,
  refused: false,
  ...over,
});

describe('applyPromptUse', () => {
  it('keeps running means of latency and tokens over the answers', () => {
    let r = emptyPromptStats(V1, 0);
    r = applyPromptUse(r, use({ firstTokenMs: 100, totalMs: 1000, tokensIn: 400, tokensOut: 40 }), 1);
    r = applyPromptUse(r, use({ firstTokenMs: 300, totalMs: 2000, tokensIn: 500, tokensOut: 20 }), 2);
    r = applyPromptUse(r, use({ firstTokenMs: 200, totalMs: 3000, tokensIn: 600, tokensOut: 30 }), 3);
    expect(r.uses).toBe(3);
    expect(r.firstTokenMs).toEqual({ n: 3, mean: 200 });
    expect(r.totalMs).toEqual({ n: 3, mean: 2000 });
    expect(r.tokensIn).toEqual({ n: 3, mean: 500 });
    expect(r.tokensOut).toEqual({ n: 3, mean: 30 });
    expect(r.updatedAt).toBe(3);
  });

  it('counts a refusal in the uses and the refusals, and leaves its missing grounding out of the mean', () => {
    let r = emptyPromptStats(V1, 0);
    r = applyPromptUse(r, use({ grounding: 0.5 }));
    r = applyPromptUse(r, use({ grounding: null, refused: true }));
    r = applyPromptUse(r, use({ grounding: 1 }));
    expect(r.uses).toBe(3);
    expect(r.refusals).toBe(1);
    // (0.5 + 1) / 2: the refusal had no checked sentence, so it neither raises nor lowers the share.
    expect(r.grounding).toEqual({ n: 2, mean: 0.75 });
  });

  it('skips a figure that was not measured (NaN, Infinity) without losing the others', () => {
    const r = applyPromptUse(emptyPromptStats(V1, 0), use({ firstTokenMs: Number.NaN, totalMs: Infinity }));
    expect(r.uses).toBe(1);
    expect(r.firstTokenMs).toEqual({ n: 0, mean: 0 });
    expect(r.totalMs).toEqual({ n: 0, mean: 0 });
    expect(r.tokensIn).toEqual({ n: 1, mean: 400 });
  });
});

describe('countThumbs', () => {
  it('counts each record’s thumbs under its version, leaving out unrated and prompt-less records', () => {
    const counts = countThumbs([
      { prompt: V1, thumbs: 'up' },
      { prompt: V1, thumbs: 'up' },
      { prompt: V1, thumbs: 'down' },
      { prompt: V2, thumbs: null },
      { prompt: null, thumbs: 'up' },
      { prompt: V2, thumbs: 'down' },
    ]);
    expect([...counts]).toEqual([
      ['grounded-answer@1', { up: 2, down: 1 }],
      ['grounded-answer@2', { up: 0, down: 1 }],
    ]);
  });
});

describe('prompt stats repo', () => {
  let db: LecternDatabase;
  beforeEach(async () => {
    db = await openLecternDB(uniqueDbName());
  });
  afterEach(() => db.close());

  it('creates a version record on its first answer and updates it after', async () => {
    await recordPromptUse(db, use({ totalMs: 1000 }), 10);
    await recordPromptUse(db, use({ totalMs: 3000, refused: true, grounding: null }), 20);
    await recordPromptUse(db, use({ ...V2, totalMs: 500 }), 30);
    const [v1, v2] = (await listPromptStats(db, 'grounded-answer')).sort((a, b) => a.version - b.version);
    expect(v1).toMatchObject({ key: 'grounded-answer@1', uses: 2, refusals: 1, totalMs: { n: 2, mean: 2000 } });
    expect(v1!.updatedAt).toBe(20);
    expect(v2).toMatchObject({ key: 'grounded-answer@2', uses: 1, refusals: 0, totalMs: { n: 1, mean: 500 } });
    expect(await listPromptStats(db, 'multi-query')).toEqual([]);
  });

  it('counts every one of several answers recorded at once (read-modify-write in one transaction)', async () => {
    await Promise.all(Array.from({ length: 8 }, (_, i) => recordPromptUse(db, use({ tokensOut: i }))));
    const [r] = await listPromptStats(db);
    expect(r!.uses).toBe(8);
    expect(r!.tokensOut).toEqual({ n: 8, mean: 3.5 });
  });

  it('reads the thumbs from the feedback store itself, so a deleted or imported record counts as it is', async () => {
    const tx = db.transaction('feedback', 'readwrite');
    await Promise.all([
      tx.store.put({ id: 'a', at: 1, prompt: V2, thumbs: 'up' } as never),
      tx.store.put({ id: 'b', at: 2, prompt: V2, thumbs: 'down' } as never),
      tx.done,
    ]);
    expect([...(await thumbsByPrompt(db))]).toEqual([['grounded-answer@2', { up: 1, down: 1 }]]);
    await db.delete('feedback', 'a');
    expect([...(await thumbsByPrompt(db))]).toEqual([['grounded-answer@2', { up: 0, down: 1 }]]);
  });

  it('reads evaluation runs newest first', async () => {
    const tx = db.transaction('evalRuns', 'readwrite');
    await Promise.all([
      tx.store.put({ id: 'a', at: 1 }),
      tx.store.put({ id: 'c', at: 3 }),
      tx.store.put({ id: 'b', at: 2 }),
      tx.done,
    ]);
    expect((await recentEvalRuns(db)).map((r) => r.id)).toEqual(['c', 'b', 'a']);
    expect((await recentEvalRuns(db, 1)).map((r) => r.id)).toEqual(['c']);
  });
});
