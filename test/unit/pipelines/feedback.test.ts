// Feedback records: what the first write holds (every stage's ranking, the order shown) and each signal applied.
import { describe, expect, it } from 'vitest';
import { applySignal, newFeedback, type FeedbackStart } from '../../../src/lib/pipelines/feedback';

const START: FeedbackStart = {
  id: 't1',
  at: 5,
  question: 'And its scope?',
  query: 'What is the scope of ownership?',
  search: {
    queries: ['What is the scope of ownership?', 'ownership scope'],
    trace: {
      dense: { ids: ['a', 'b'], scores: [0.9, 0.8] },
      keyword: null,
      fused: { ids: ['b', 'a', 'c'], scores: [0.03, 0.02, 0.01] },
      reranked: { ids: ['a', 'b', 'c'], scores: [20, 19, 3] },
      ms: { embed: 1, search: 2, rerank: 3 },
    },
    final: { ids: ['a', 'b'], scores: [20, 19] },
  },
  shown: ['a', 'b'],
  models: [{ role: 'reranker', id: 'org/colbert', revision: 'r1' }],
};

describe('feedback records', () => {
  it('holds the queries, every stage and the order shown; outcome "stopped" until the ask ends', () => {
    const r = newFeedback(START);
    expect(r.stages).toEqual({
      dense: START.search.trace!.dense,
      keyword: null,
      fused: START.search.trace!.fused,
      reranked: START.search.trace!.reranked,
      final: START.search.final,
    });
    expect(r).toMatchObject({
      query: START.query,
      queries: START.search.queries,
      shown: ['a', 'b'],
      outcome: 'stopped',
    });
    expect(r.stages.final).not.toBe(START.search.final);
  });

  it('without a trace, the fused stage is the order shown', () => {
    const r = newFeedback({ ...START, search: { ...START.search, trace: null } });
    expect(r.stages).toMatchObject({ dense: null, fused: START.search.final, final: START.search.final });
  });

  it("deep mode's new order replaces the final stage and the shown list, and keeps the marks given meanwhile", () => {
    const r0 = newFeedback({ ...START, search: { ...START.search, trace: null } });
    const marked = applySignal(r0, { kind: 'mark', chunkId: 'a', mark: 'relevant' });
    const r = applySignal(marked, {
      kind: 'reordered',
      final: { ids: ['b', 'a'], scores: [0.1, 0.2] },
      shown: ['b', 'a'],
    });
    expect(r.stages.final).toEqual({ ids: ['b', 'a'], scores: [0.1, 0.2] });
    expect(r.shown).toEqual(['b', 'a']);
    expect(r.sources).toEqual({ a: 'relevant' });
    // The search's own order stays where it was recorded.
    expect(r.stages.fused).toEqual(r0.stages.fused);
    expect(marked.shown).toEqual(r0.shown);
  });

  it('applies each signal, leaving the input as it was', () => {
    const r0 = newFeedback(START);
    let r = applySignal(r0, { kind: 'thumbs', thumbs: 'down' });
    r = applySignal(r, { kind: 'reason', reason: '  wrong scope  ' });
    r = applySignal(r, { kind: 'mark', chunkId: 'a', mark: 'not-relevant' });
    r = applySignal(r, { kind: 'mark', chunkId: 'b', mark: 'relevant' });
    r = applySignal(r, { kind: 'mark', chunkId: 'b', mark: null });
    r = applySignal(r, { kind: 'opened', chunkId: 'a' });
    r = applySignal(r, { kind: 'opened', chunkId: 'a' });
    r = applySignal(r, { kind: 'expanded', chunkId: 'b' });
    r = applySignal(r, { kind: 'copied' });
    r = applySignal(r, {
      kind: 'finished',
      outcome: 'done',
      cited: ['b'],
      prompt: { name: 'grounded-answer', version: 1 },
    });
    expect(r).toMatchObject({
      thumbs: 'down',
      reason: 'wrong scope',
      sources: { a: 'not-relevant' },
      opened: ['a'],
      expanded: ['b'],
      copied: true,
      outcome: 'done',
      cited: ['b'],
      prompt: { name: 'grounded-answer', version: 1 },
    });
    expect(r0).toEqual(newFeedback(START));
    // Taking the thumb back takes its reason too.
    expect(applySignal(r, { kind: 'thumbs', thumbs: null })).toMatchObject({ thumbs: null, reason: '' });
  });
});
