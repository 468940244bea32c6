// Hard-negative mining and the training rows: each rule, merging and de-duplication, positive-never-negative, and a
// record whose document was deleted.
import { describe, expect, it } from 'vitest';
import { trainingRows } from '../../../src/lib/learn/format';
import { HARD_TOP_K, mineFeedback, mineRecord, type FeedbackSignals } from '../../../src/lib/learn/mine';

/** A record ranking `final` (p0, p1, … by default), no signals unless given. */
function rec(over: Partial<FeedbackSignals> & { final?: string[] } = {}): FeedbackSignals {
  const { final = ['p0', 'p1', 'p2', 'p3', 'p4'], ...rest } = over;
  return {
    id: 'r1',
    at: 1,
    query: 'what is ownership',
    stages: { final: { ids: final } },
    cited: [],
    thumbs: null,
    sources: {},
    opened: [],
    expanded: [],
    ...rest,
  };
}
const ranked = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`);

describe('positives', () => {
  it('are the sources marked relevant, best-ranked first', () => {
    const r = rec({ sources: { p3: 'relevant', p1: 'relevant', p2: 'not-relevant' } });
    expect(mineRecord(r).positives).toEqual(['p1', 'p3']);
  });

  it('include the passages cited by a thumbs-up answer, not one the user marked not relevant', () => {
    const r = rec({ thumbs: 'up', cited: ['p2', 'p4'], sources: { p4: 'not-relevant' } });
    expect(mineRecord(r).positives).toEqual(['p2']);
  });

  it('do not include the citations of an answer given a thumbs down or none', () => {
    expect(mineRecord(rec({ thumbs: 'down', cited: ['p2'] })).positives).toEqual([]);
    expect(mineRecord(rec({ thumbs: null, cited: ['p2'] })).positives).toEqual([]);
  });
});

describe('hard negatives', () => {
  it('"marked": a source marked not relevant within the first HARD_TOP_K shown', () => {
    const r = rec({ sources: { p0: 'relevant', p1: 'not-relevant' } });
    expect(mineRecord(r).negatives).toEqual([{ id: 'p1', rule: 'marked' }]);
  });

  it('"marked": past HARD_TOP_K only when ranked above the lowest positive', () => {
    const final = ranked(HARD_TOP_K + 5);
    const low = `p${HARD_TOP_K + 1}`;
    const lower = `p${HARD_TOP_K + 3}`;
    const above = rec({ final, sources: { [low]: 'not-relevant', [`p${HARD_TOP_K + 2}`]: 'relevant' } });
    expect(mineRecord(above).negatives).toEqual([{ id: low, rule: 'marked' }]);
    const below = rec({ final, sources: { [lower]: 'not-relevant', p0: 'relevant' } });
    expect(mineRecord(below).negatives).toEqual([]);
  });

  it('"skipped": ranked above a cited positive of a thumbs-up answer, never opened, expanded or marked', () => {
    const r = rec({ thumbs: 'up', cited: ['p4'], opened: ['p0'], expanded: ['p1'], sources: { p2: 'relevant' } });
    expect(mineRecord(r).negatives).toEqual([{ id: 'p3', rule: 'skipped' }]);
  });

  it('"skipped" needs a thumbs up: an unjudged answer\'s citations say nothing about what it passed over', () => {
    expect(mineRecord(rec({ cited: ['p4'] })).negatives).toEqual([]);
    expect(mineRecord(rec({ thumbs: 'down', cited: ['p4'] })).negatives).toEqual([]);
  });

  it('a passage cited above another cited one is not "skipped"', () => {
    const r = rec({ thumbs: 'up', cited: ['p1', 'p3'] });
    expect(mineRecord(r).negatives).toEqual([
      { id: 'p0', rule: 'skipped' },
      { id: 'p2', rule: 'skipped' },
    ]);
  });
});

describe('merging and de-duplication', () => {
  it('merges records with the same query (case and spacing ignored), each passage once, oldest record first', () => {
    const a = rec({ id: 'a', at: 2, query: 'What  is Ownership ', sources: { p0: 'relevant', p1: 'not-relevant' } });
    const b = rec({ id: 'b', at: 1, query: 'what is ownership', sources: { p0: 'relevant', p1: 'not-relevant' } });
    const c = rec({ id: 'c', at: 3, query: 'borrowing', sources: { p2: 'relevant' } });
    expect(mineFeedback([a, b, c])).toEqual([
      {
        query: 'what is ownership',
        positives: ['p0'],
        negatives: [{ id: 'p1', rule: 'marked' }],
        records: ['b', 'a'],
      },
      { query: 'borrowing', positives: ['p2'], negatives: [], records: ['c'] },
    ]);
  });

  it('never keeps a passage as both positive and negative for a query, also across records', () => {
    const a = rec({ id: 'a', at: 1, sources: { p1: 'not-relevant', p0: 'relevant' } });
    const b = rec({ id: 'b', at: 2, sources: { p1: 'relevant' } });
    const [q] = mineFeedback([a, b]);
    expect(q!.positives).toEqual(['p0', 'p1']);
    expect(q!.negatives).toEqual([]);
  });

  it('drops queries with no positive', () => {
    expect(mineFeedback([rec({ sources: { p1: 'not-relevant' } })])).toEqual([]);
  });

  it('rows: each (query, positive[, negative]) once, equal texts once, a positive text never a negative', () => {
    const texts: Record<string, string> = { p0: 'Ownership is…', p1: 'Ownership is…', p2: 'Heap', p3: 'Stack' };
    const mined = mineFeedback([
      rec({ sources: { p0: 'relevant', p1: 'relevant', p2: 'not-relevant', p3: 'not-relevant' } }),
    ]);
    // p1 has p0's text: one positive. A negative with a positive's text is dropped too.
    const rows = trainingRows(mined, (id) => (id === 'p3' ? texts.p0 : texts[id]));
    expect(rows.pairs).toEqual([{ query: 'what is ownership', positive: 'Ownership is…' }]);
    expect(rows.triplets).toEqual([{ query: 'what is ownership', positive: 'Ownership is…', negative: 'Heap' }]);
    expect(rows.colbert).toEqual([{ query: 'what is ownership', positive: 'Ownership is…', negatives: ['Heap'] }]);
  });
});

describe('a record whose document was deleted', () => {
  it('leaves out the passages it cannot read, and the query when no positive is left', () => {
    const mined = mineFeedback([
      rec({ id: 'a', query: 'kept', sources: { p0: 'relevant', p1: 'not-relevant', p2: 'not-relevant' } }),
      rec({ id: 'b', query: 'gone', sources: { p3: 'relevant', p1: 'not-relevant' } }),
    ]);
    const texts: Record<string, string> = { p0: 'Zero', p2: 'Two' };
    const rows = trainingRows(mined, (id) => texts[id]);
    expect(rows.pairs).toEqual([{ query: 'kept', positive: 'Zero' }]);
    expect(rows.triplets).toEqual([{ query: 'kept', positive: 'Zero', negative: 'Two' }]);
    expect(rows.queries).toBe(1);
    expect(rows.missing).toBe(2);
  });

  it('gives no ColBERT row to a positive without negatives', () => {
    const rows = trainingRows(mineFeedback([rec({ sources: { p0: 'relevant' } })]), () => 'text');
    expect(rows.pairs).toHaveLength(1);
    expect(rows.colbert).toEqual([]);
  });
});
