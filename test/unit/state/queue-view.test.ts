// Which import-queue rows are drawn: a short queue whole; a long one, the rows needing attention, then waiting files.
import { describe, expect, it } from 'vitest';
import { describeHiddenRows, queueView } from '../../../src/lib/state/queue-view';

const rows = (stages: string[]) => stages.map((stage, i) => ({ stage, i }));

describe('queueView', () => {
  it('draws a queue of at most the limit whole', () => {
    const q = rows(['done', 'error', 'embedding', 'waiting']);
    expect(queueView(q, 4)).toEqual({ shown: q, added: 0, waiting: 0, others: 0 });
    expect(describeHiddenRows(queueView(q, 4))).toBeNull();
  });

  it('in a long queue, counts added files, keeps the importing file and failures, and fills up with waiting ones', () => {
    const q = rows(['done', 'done', 'error', 'waiting', 'embedding', 'waiting', 'waiting', 'cancelled', 'waiting']);
    const v = queueView(q, 5);
    expect(v.shown.map((r) => r.i)).toEqual([2, 3, 4, 5, 7]);
    expect(v).toMatchObject({ added: 2, waiting: 2, others: 0 });
    expect(describeHiddenRows(v)).toBe('2 files added, 2 more waiting: not listed.');
  });

  it('never draws more than the limit, even when every row needs attention', () => {
    const q = rows([...Array<string>(7).fill('error'), 'done', 'waiting']);
    const v = queueView(q, 4);
    expect(v.shown.map((r) => r.i)).toEqual([0, 1, 2, 3]);
    expect(v).toMatchObject({ added: 1, waiting: 1, others: 3 });
    expect(describeHiddenRows(v)).toBe('1 file added, 1 more waiting, 3 more finished: not listed.');
  });

  it('handles 10,000 rows in one pass', () => {
    const q = rows(
      Array.from({ length: 10_000 }, (_, i) => (i < 9_000 ? 'done' : i === 9_000 ? 'parsing' : 'waiting')),
    );
    const v = queueView(q);
    expect(v.shown).toHaveLength(200);
    expect(v.shown[0]!.i).toBe(9_000);
    expect(v).toMatchObject({ added: 9_000, waiting: 800, others: 0 });
  });
});
