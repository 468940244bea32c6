// Refusal: when retrieval is too weak to answer, the refusal text, and recognising a model's own refusal.
import { describe, expect, it } from 'vitest';
import {
  FALLBACK_RERANK_THRESHOLD,
  isNoAnswer,
  isRefusalSentence,
  NO_ANSWER_TEXT,
  refusalAnswer,
  relevanceGate,
  shouldRefuse,
  topDenseScore,
} from '../../../src/lib/answer/refusal';
import { groundedAnswerV1 } from '../../../src/lib/answer/prompts';

describe('shouldRefuse', () => {
  it('refuses with no hit, a NaN score or a score under the threshold', () => {
    expect(shouldRefuse(null, 0.4)).toBe(true);
    expect(shouldRefuse(Number.NaN, 0.4)).toBe(true);
    expect(shouldRefuse(0.39, 0.4)).toBe(true);
    expect(shouldRefuse(0.4, 0.4)).toBe(false);
    expect(shouldRefuse(0.9, 0.4)).toBe(false);
  });
});

describe('relevanceGate', () => {
  /** A shown passage: the reranker's relevance (null: not scored) and its dense cosine (null: keyword-only). */
  const p = (relevance: number | null, dense: number | null = null) => ({
    relevance,
    dense: dense === null ? null : { score: dense },
  });
  const rerank = (settingsThreshold: number | null, registryThreshold?: number) => ({
    settingsThreshold,
    registryThreshold,
  });

  it('refuses when nothing was found, whatever else it knows', () => {
    expect(relevanceGate({ found: 0, shown: [] })).toEqual({
      relevant: false,
      by: 'none',
      score: null,
      threshold: null,
    });
    expect(relevanceGate({ found: 0, shown: [p(0.9)], rerank: rerank(null) }).relevant).toBe(false);
  });

  it('reads the best scored passage with the Settings threshold first, then the registry entry, then the fallback', () => {
    const shown = [p(0.5), p(0.6), p(0.55)];
    expect(relevanceGate({ found: 3, shown, rerank: rerank(0.7, 0.5) })).toEqual({
      relevant: false,
      by: 'rerank',
      score: 0.6,
      threshold: 0.7,
    });
    expect(relevanceGate({ found: 3, shown, rerank: rerank(null, 0.65) })).toMatchObject({
      relevant: false,
      threshold: 0.65,
    });
    expect(relevanceGate({ found: 3, shown, rerank: rerank(null, 0.55) })).toMatchObject({
      relevant: true,
      threshold: 0.55,
    });
    expect(relevanceGate({ found: 3, shown, rerank: rerank(null) })).toMatchObject({
      relevant: true,
      threshold: FALLBACK_RERANK_THRESHOLD,
    });
  });

  it('refuses when nothing is shown, even if the search found something', () => {
    expect(relevanceGate({ found: 3, shown: [], rerank: rerank(null) }).relevant).toBe(false);
    expect(relevanceGate({ found: 3, shown: [] }).relevant).toBe(false);
  });

  it('skips a non-finite cosine rather than letting it decide', () => {
    expect(relevanceGate({ found: 2, shown: [p(null, Number.NaN), p(null, 0.5)], denseThreshold: 0.3 })).toMatchObject({
      relevant: true,
      by: 'dense',
      score: 0.5,
    });
  });

  it('judges passages the reranker did not score by the dense gate, and answers if either gate passes', () => {
    const gate = (shown: ReturnType<typeof p>[]) =>
      relevanceGate({ found: 5, shown, rerank: rerank(0.7), denseThreshold: 0.3 });
    // Scored ones too weak, an unscored one with a good cosine: answer.
    expect(gate([p(0.4, 0.1), p(null, 0.5)])).toEqual({ relevant: true, by: 'dense', score: 0.5, threshold: 0.3 });
    // Both too weak: refuse.
    expect(gate([p(0.4, 0.9), p(null, 0.2)])).toMatchObject({ relevant: false, by: 'dense', score: 0.2 });
    // None scored at all (a library indexed without a reranker): the dense gate alone.
    expect(gate([p(null, 0.25)])).toMatchObject({ relevant: false, by: 'dense' });
    // A scored passage that passes decides, whatever the dense cosines.
    expect(gate([p(0.8, 0.0), p(null, 0.0)])).toMatchObject({ relevant: true, by: 'rerank' });
    // Unscored and keyword-only, or no calibrated dense threshold: they cannot be judged, so the model sees them.
    expect(gate([p(0.4), p(null)])).toMatchObject({ relevant: true, by: 'none' });
    expect(relevanceGate({ found: 5, shown: [p(0.4), p(null, 0.0)], rerank: rerank(0.7) })).toMatchObject({
      relevant: true,
      by: 'none',
    });
  });

  it('without a reranker, gates on the best dense cosine only with a registry-calibrated threshold', () => {
    expect(relevanceGate({ found: 2, shown: [p(null, 0.2), p(null), p(null, 0.29)], denseThreshold: 0.3 })).toEqual({
      relevant: false,
      by: 'dense',
      score: 0.29,
      threshold: 0.3,
    });
    expect(relevanceGate({ found: 2, shown: [p(null, 0.31)], denseThreshold: 0.3 }).relevant).toBe(true);
    expect(relevanceGate({ found: 2, shown: [p(null, 0.01)] })).toMatchObject({ relevant: true, by: 'none' });
  });

  it('never refuses keyword-only hits on score: they carry no cosine', () => {
    expect(relevanceGate({ found: 1, shown: [p(null)], denseThreshold: 0.3 })).toMatchObject({
      relevant: true,
      by: 'none',
    });
  });
});

describe('refusalAnswer', () => {
  it('is the prompt’s refusal phrase, with the closest passages framed as such', () => {
    expect(groundedAnswerV1.system).toContain(NO_ANSWER_TEXT);
    expect(refusalAnswer([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }])).toEqual({
      text: 'Your documents do not say.',
      closestNote: 'These are the 3 closest passages found, but none of them seems to answer the question.',
      closest: [1, 2, 3],
    });
    expect(refusalAnswer([{ n: 5 }]).closestNote).toBe(
      'This is the closest passage found, but it does not seem to answer the question.',
    );
    expect(refusalAnswer([])).toEqual({ text: NO_ANSWER_TEXT, closestNote: null, closest: [] });
  });
});

describe('isRefusalSentence', () => {
  it.each([
    'Your documents do not say.',
    'your documents don’t say.',
    '"Your documents do not say."',
    'Your documents do not say [1].',
    'The passages do not mention the price.',
    'The provided documents do not explicitly state who pays for shipping.',
    'The passages do not contain any information about batteries.',
    "I'm sorry, but the documents do not say.",
    'Unfortunately, the context does not provide an answer.',
    'There is no information about shipping in the passages.',
    'I cannot find the answer in your documents.',
    'The answer is not in the passages.',
    'This is not mentioned in the documents.',
    'The documents are silent on shipping.',
  ])('recognises %j', (s) => expect(isRefusalSentence(s)).toBe(true));

  it.each([
    'The warranty lasts two years [1].',
    'The documents do not need to be notarized [1].',
    'The samples do not contain lead [2].',
    'The passages do not mention the price, but [2] says it is free.',
    'Your documents do not say who pays; however, returns are free [1].',
    'Documents must be signed.',
  ])('does not take %j for a refusal', (s) => expect(isRefusalSentence(s)).toBe(false));
});

describe('isNoAnswer', () => {
  it('is true for a whole-answer refusal, also with uncited commentary after it', () => {
    expect(isNoAnswer('Your documents do not say.')).toBe(true);
    expect(isNoAnswer('  Your documents do not say.\n')).toBe(true);
    expect(isNoAnswer('The passages do not mention batteries. They only discuss the warranty.')).toBe(true);
  });

  it('is false for answers, partial answers and an empty text', () => {
    expect(isNoAnswer('The warranty lasts two years [1].')).toBe(false);
    expect(isNoAnswer('Your documents do not say who pays. Returns are free [1].')).toBe(false);
    expect(isNoAnswer('The warranty lasts two years [1]. Your documents do not say more.')).toBe(false);
    expect(isNoAnswer('')).toBe(false);
  });
});

describe('the dense gate used without a reranker', () => {
  it('reads the best dense cosine among the hits, ignoring keyword-only ones', () => {
    expect(topDenseScore([])).toBeNull();
    expect(topDenseScore([{ dense: null }])).toBeNull();
    expect(topDenseScore([{ dense: { score: 0.2 } }, { dense: null }, { dense: { score: 0.41 } }])).toBe(0.41);
  });
});
