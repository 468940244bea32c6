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
  const hits = (...scores: (number | null)[]) => scores.map((s) => ({ dense: s === null ? null : { score: s } }));

  it('refuses when nothing was found, whatever else it knows', () => {
    expect(relevanceGate({ found: 0 })).toEqual({ relevant: false, by: 'none', score: null, threshold: null });
    expect(relevanceGate({ found: 0, rerank: { topRelevance: 0.9, settingsThreshold: null } }).relevant).toBe(false);
  });

  it('reads the reranker with the Settings threshold first, then the registry entry, then the fallback', () => {
    const rerank = (settingsThreshold: number | null, registryThreshold?: number) =>
      relevanceGate({ found: 3, rerank: { topRelevance: 0.6, settingsThreshold, registryThreshold } });
    expect(rerank(0.7, 0.5)).toEqual({ relevant: false, by: 'rerank', score: 0.6, threshold: 0.7 });
    expect(rerank(null, 0.65)).toMatchObject({ relevant: false, threshold: 0.65 });
    expect(rerank(null, 0.55)).toMatchObject({ relevant: true, threshold: 0.55 });
    expect(rerank(null)).toMatchObject({ relevant: true, threshold: FALLBACK_RERANK_THRESHOLD });
  });

  it('falls back to the dense gate when the reranker scored none of the passages shown', () => {
    const rerank = { topRelevance: null, settingsThreshold: 0.9 };
    expect(relevanceGate({ found: 3, rerank })).toMatchObject({ relevant: true, by: 'none' });
    expect(relevanceGate({ found: 3, rerank, dense: { registryThreshold: 0.3, hits: hits(0.25) } })).toEqual({
      relevant: false,
      by: 'dense',
      score: 0.25,
      threshold: 0.3,
    });
    // With a score, the reranker decides even where the dense gate would refuse.
    expect(
      relevanceGate({
        found: 3,
        rerank: { topRelevance: 0.95, settingsThreshold: 0.9 },
        dense: { registryThreshold: 0.3, hits: hits(0.25) },
      }),
    ).toMatchObject({ relevant: true, by: 'rerank' });
  });

  it('without reranker scores, gates on the best dense cosine only with a registry-calibrated threshold', () => {
    expect(relevanceGate({ found: 2, dense: { registryThreshold: 0.3, hits: hits(0.2, null, 0.29) } })).toEqual({
      relevant: false,
      by: 'dense',
      score: 0.29,
      threshold: 0.3,
    });
    expect(relevanceGate({ found: 2, dense: { registryThreshold: 0.3, hits: hits(0.31) } }).relevant).toBe(true);
    expect(relevanceGate({ found: 2, dense: { hits: hits(0.01) } })).toMatchObject({ relevant: true, by: 'none' });
  });

  it('never refuses keyword-only hits on score: they carry no cosine', () => {
    expect(relevanceGate({ found: 1, dense: { registryThreshold: 0.3, hits: hits(null) } })).toMatchObject({
      relevant: true,
      by: 'none',
    });
    expect(relevanceGate({ found: 1 }).relevant).toBe(true);
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
