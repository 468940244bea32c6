// Per-sentence grounding on hand examples: supported, unsupported, uncited, invalid citation, refusal, MaxSim, attribution.
import { describe, expect, it } from 'vitest';
import {
  attributeUncited,
  bestSupportSpan,
  contentWords,
  DEFAULT_SUPPORT_THRESHOLD,
  groundAnswer,
  lexicalSupport,
} from '../../../src/lib/answer/grounding';

const P1 =
  'The warranty covers parts and labour for two years from the date of purchase. It does not cover accidental ' +
  'damage. Batteries are covered for six months.';
const P2 = 'Returns are accepted within 30 days if the product is unused and in its original packaging.';
const passages = [
  { n: 1, text: P1 },
  { n: 2, text: P2 },
];

const ANSWER =
  'The warranty lasts two years from purchase [1]. The warranty also includes free annual servicing [1]. ' +
  'Returns are accepted within 30 days [2]. Shipping is always free. Your documents do not say.';

describe('contentWords and lexicalSupport', () => {
  it('lowercases, drops stop words and markers, stems, and keeps numbers whole', () => {
    expect(contentWords("The Warranty's terms [1] cover 1,000 units and 2.5 years.")).toEqual([
      'warranti',
      'term',
      'cover',
      '1000',
      'unit',
      '2.5',
      'year',
    ]);
  });

  it('folds accents, splits CJK into character pairs and keeps abbreviations whole, as keyword search does', () => {
    expect(contentWords('Café résumé, naïve')).toEqual(['cafe', 'resum', 'naiv']);
    expect(contentWords('灯台の光')).toEqual(['灯台', '台の', 'の光']);
    expect(contentWords('e.g. the U.S. coast')).toEqual(['e.g', 'u.s', 'coast']);
    expect(contentWords("It's 1,000 lighthouses [2]")).toEqual(['1000', 'lighthous']);
  });

  it('is the fraction of distinct content words found in the texts, or null with none', () => {
    expect(lexicalSupport('The warranty lasts two years from purchase.', [P1])).toBe(4 / 5);
    expect(lexicalSupport('It is what it is.', [P1])).toBeNull();
    expect(lexicalSupport('Returns within 30 days.', [])).toBe(0);
  });
});

describe('groundAnswer', () => {
  it('grades each sentence of a hand-written answer', async () => {
    const result = await groundAnswer(ANSWER, passages);
    expect(result.map((s) => [s.reason, s.flagged])).toEqual([
      ['supported', false],
      ['unsupported', true],
      ['supported', false],
      ['uncited', true],
      ['refusal', false],
    ]);
    for (const s of result) expect(ANSWER.slice(s.start, s.end)).toBe(s.text);
    const [good, invented, returns, uncited, refusal] = result;
    expect(good).toMatchObject({ cites: [1], lexical: 0.8, maxsim: null, score: 0.8, supported: true });
    expect(good!.text).toBe('The warranty lasts two years from purchase [1].');
    expect(invented).toMatchObject({ cites: [1], lexical: 0.2, supported: false });
    expect(returns).toMatchObject({ cites: [2], lexical: 1, supported: true });
    expect(uncited).toMatchObject({ cites: [], lexical: 0, supported: false, support: null });
    expect(refusal).toMatchObject({ cites: [], lexical: null, score: null, supported: true });
    expect(DEFAULT_SUPPORT_THRESHOLD).toBe(0.5);
  });

  it('points at the passage sentence that supports a claim', async () => {
    const [good] = await groundAnswer(ANSWER, passages);
    const span = good!.support!;
    expect(span.n).toBe(1);
    expect(P1.slice(span.start, span.end)).toBe(
      'The warranty covers parts and labour for two years from the date of purchase.',
    );
    expect(span.score).toBe(0.8);
  });

  it('scores an uncited sentence against all passages: supported there, but still flagged', async () => {
    const [s] = await groundAnswer('Batteries are covered for six months.', passages);
    expect(s).toMatchObject({ reason: 'uncited', supported: true, flagged: true, lexical: 1 });
    expect(P1.slice(s!.support!.start, s!.support!.end)).toBe('Batteries are covered for six months.');
  });

  it('flags a sentence citing only passages that do not exist', async () => {
    const [s] = await groundAnswer('Returns are accepted within 30 days [7].', passages);
    expect(s).toMatchObject({
      reason: 'invalid-citation',
      cites: [],
      invalidCites: [7],
      supported: true,
      flagged: true,
    });
    const [mixed] = await groundAnswer('Returns are accepted within 30 days [2][9].', passages);
    expect(mixed).toMatchObject({ reason: 'supported', cites: [2], invalidCites: [9], flagged: false });
  });

  it('checks a multi-citation sentence against its passages together', async () => {
    const [s] = await groundAnswer(
      'Parts are covered for two years and returns accepted within 30 days [1, 2].',
      passages,
    );
    expect(s).toMatchObject({ reason: 'supported', cites: [1, 2], lexical: 1 });
  });

  it('keeps a marker written after the full stop with its sentence', async () => {
    const result = await groundAnswer(
      'Returns are accepted within 30 days. [2] Batteries last six months [1].',
      passages,
    );
    expect(result.map((s) => s.cites)).toEqual([[2], [1]]);
    expect(result[0]!.text).toBe('Returns are accepted within 30 days. [2]');
  });

  it('does not flag refusals or sentences without content words', async () => {
    const result = await groundAnswer('Yes [1]. The passages do not mention the price.', passages);
    expect(result.map((s) => [s.reason, s.flagged])).toEqual([
      ['no-content', false],
      ['refusal', false],
    ]);
  });

  it('blends a MaxSim scorer in, which rescues a paraphrase lexical overlap misses', async () => {
    const calls: string[] = [];
    const maxsim = async (sentence: string, passage: string) => {
      calls.push(sentence);
      return passage === P1 ? 0.9 : 0.1;
    };
    const paraphrase = 'Coverage runs 24 months after buying [1].';
    const [alone] = await groundAnswer(paraphrase, passages);
    expect(alone).toMatchObject({ lexical: 0.2, supported: false });
    const [blended] = await groundAnswer(paraphrase, passages, { maxsim });
    expect(blended).toMatchObject({ maxsim: 0.9, supported: true, reason: 'supported' });
    expect(blended!.score).toBeCloseTo(0.55);
    expect(calls).toEqual(['Coverage runs 24 months after buying.']);
    const [strict] = await groundAnswer(paraphrase, passages, { maxsim, threshold: 0.6 });
    expect(strict!.supported).toBe(false);
  });

  it('returns nothing for an empty answer', async () => {
    expect(await groundAnswer('  ', passages)).toEqual([]);
  });
});

describe('bestSupportSpan', () => {
  it('may span two passage sentences when the claim does', () => {
    const span = bestSupportSpan('Accidental damage is excluded but batteries are covered for six months.', [
      { n: 1, text: P1 },
    ]);
    expect(P1.slice(span!.start, span!.end)).toBe(
      'It does not cover accidental damage. Batteries are covered for six months.',
    );
  });

  it('is null when nothing overlaps', () => {
    expect(bestSupportSpan('Shipping is free.', passages)).toBeNull();
  });
});

describe('attributeUncited', () => {
  const passages = [
    { n: 1, text: 'The warranty covers parts and labour for two years. Batteries are covered for six months.' },
    { n: 2, text: 'Returns are accepted within 30 days of delivery.' },
  ];

  it('cites the supporting passage for a supported uncited sentence and leaves the rest alone', async () => {
    const grounded = await groundAnswer(
      'Returns are accepted within 30 days. The moon is made of green cheese. Batteries last six months [1].',
      passages,
    );
    const [returns, cheese, batteries] = attributeUncited(grounded);
    expect(returns).toMatchObject({ reason: 'attributed', attributed: 2, flagged: false, supported: true });
    expect(cheese).toMatchObject({ reason: 'uncited', flagged: true, supported: false });
    expect(cheese!.attributed).toBeUndefined();
    expect(batteries).toEqual(grounded[2]);
  });

  it('cites nothing for a sentence that only two passages together support', async () => {
    const [both] = attributeUncited(
      await groundAnswer('Batteries are covered, and returns within 30 days apply everywhere worldwide.', passages),
    );
    expect(both).toMatchObject({ reason: 'uncited', flagged: true, supported: true });
    expect(both!.support!.score).toBeLessThan(DEFAULT_SUPPORT_THRESHOLD);
  });
});
