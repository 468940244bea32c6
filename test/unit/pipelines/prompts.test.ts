// Which answer template each question gets (pin, A/B, kept across reloads) and the figures the Prompts view shows.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import {
  assign,
  choose,
  defaultAssignment,
  isAssignment,
  promptChoices,
  sameChoice,
  type PromptAssignment,
} from '../../../src/lib/answer/prompt-choice';
import { groundedAnswerV1, groundedAnswerV2 } from '../../../src/lib/answer/prompts';
import {
  applyPromptUse,
  emptyPromptStats,
  getSetting,
  openLecternDB,
  setSetting,
  type PromptStatsRecord,
} from '../../../src/lib/persistence';
import {
  answerUse,
  evalRunAnswers,
  groundingScore,
  loadPromptAssignment,
  PROMPT_ASSIGNMENT_KEY,
  savePromptChoice,
  takeAnswerPrompt,
  versionFigures,
} from '../../../src/lib/pipelines/prompts';
import { uniqueDbName } from '../persistence/fixtures';

/** The versions n assignments in a row give, starting from `a`. */
function run(a: PromptAssignment, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const { version, next } = assign(a);
    out.push(version);
    a = next;
  }
  return out;
}

describe('A/B assignment', () => {
  it('pins v1 by default', () => {
    expect(run(defaultAssignment(), 3)).toEqual([1, 1, 1]);
  });

  it('pins the chosen version', () => {
    expect(run(choose({ mode: 'pin', version: 2 }), 3)).toEqual([2, 2, 2]);
  });

  it('alternates two versions, starting with the first, and continues from a stored count', () => {
    expect(run(choose({ mode: 'ab', versions: [1, 2] }), 5)).toEqual([1, 2, 1, 2, 1]);
    expect(run(choose({ mode: 'ab', versions: [2, 1] }), 2)).toEqual([2, 1]);
    expect(run({ ...choose({ mode: 'ab', versions: [1, 2] }), count: 7 }, 2)).toEqual([2, 1]);
  });

  it('accepts only stored assignments naming versions the app ships', () => {
    expect(isAssignment(defaultAssignment())).toBe(true);
    expect(isAssignment(choose({ mode: 'ab', versions: [1, 2] }))).toBe(true);
    expect(isAssignment(choose({ mode: 'pin', version: 9 }))).toBe(false);
    expect(isAssignment(choose({ mode: 'ab', versions: [1, 1] }))).toBe(false);
    expect(isAssignment(choose({ mode: 'ab', versions: [1, 9] }))).toBe(false);
    expect(isAssignment({ ...defaultAssignment(), count: -1 })).toBe(false);
    expect(isAssignment({ ...defaultAssignment(), name: 'multi-query' })).toBe(false);
    expect(isAssignment('ab')).toBe(false);
    expect(isAssignment(null)).toBe(false);
  });

  it('offers each version pinned and each pair alternated', () => {
    expect(promptChoices()).toEqual([
      { mode: 'pin', version: 1 },
      { mode: 'pin', version: 2 },
      { mode: 'ab', versions: [1, 2] },
    ]);
    expect(sameChoice({ mode: 'pin', version: 1 }, { mode: 'pin', version: 1 })).toBe(true);
    expect(sameChoice({ mode: 'pin', version: 1 }, { mode: 'pin', version: 2 })).toBe(false);
    expect(sameChoice({ mode: 'pin', version: 1 }, { mode: 'ab', versions: [1, 2] })).toBe(false);
    expect(sameChoice({ mode: 'ab', versions: [1, 2] }, { mode: 'ab', versions: [1, 2] })).toBe(true);
    expect(sameChoice({ mode: 'ab', versions: [1, 2] }, { mode: 'ab', versions: [2, 1] })).toBe(false);
  });
});

describe('the assignment in the settings store', () => {
  it('continues the alternation after the database is closed and opened again (a reload)', async () => {
    const name = uniqueDbName();
    let db = await openLecternDB(name);
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV1);
    await savePromptChoice(db, { mode: 'ab', versions: [1, 2] });
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV1);
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV2);
    db.close();
    db = await openLecternDB(name);
    expect(await loadPromptAssignment(db)).toMatchObject({ choice: { mode: 'ab', versions: [1, 2] }, count: 2 });
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV1);
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV2);
    db.close();
  });

  it('hands out each slot once when questions take versions at the same time', async () => {
    const db = await openLecternDB(uniqueDbName());
    await savePromptChoice(db, { mode: 'ab', versions: [1, 2] });
    const taken = await Promise.all(Array.from({ length: 6 }, () => takeAnswerPrompt(db)));
    expect(taken.filter((t) => t === groundedAnswerV1)).toHaveLength(3);
    expect((await loadPromptAssignment(db)).count).toBe(6);
    db.close();
  });

  it('pins a version across reloads, and falls back to v1 when the stored one names a version no longer shipped', async () => {
    const db = await openLecternDB(uniqueDbName());
    await savePromptChoice(db, { mode: 'pin', version: 2 });
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV2);
    await setSetting(db, PROMPT_ASSIGNMENT_KEY, {
      ...choose({ mode: 'pin', version: 2 }),
      choice: { mode: 'pin', version: 7 },
    });
    expect(await takeAnswerPrompt(db)).toBe(groundedAnswerV1);
    // The fallback was stored with its count, replacing the unusable one.
    expect(await getSetting(db, PROMPT_ASSIGNMENT_KEY, null)).toEqual({ ...defaultAssignment(), count: 1 });
    await expect(savePromptChoice(db, { mode: 'pin', version: 7 })).rejects.toThrow(/Unknown prompt choice/);
    db.close();
  });
});

describe('what an answer adds to the figures', () => {
  const g = (reason: string, supported: boolean) => ({ reason, supported }) as Parameters<typeof groundingScore>[0][0];

  it('scores the share of checked sentences supported, skipping refusals and content-free ones', () => {
    expect(
      groundingScore([g('supported', true), g('unsupported', false), g('attributed', true), g('no-content', true)]),
    ).toBeCloseTo(2 / 3);
    expect(groundingScore([g('refusal', true)])).toBeNull();
    expect(groundingScore([])).toBeNull();
  });

  it('names a refusal and takes the tokens in from the fitted prompt', () => {
    const base = {
      prompt: { name: 'grounded-answer', version: 2 },
      stats: { tokens: 7, firstTokenMs: 50, totalMs: 400 },
      promptTokens: 321,
    };
    expect(answerUse({ ...base, answer: 'Your documents do not say.', grounding: [g('refusal', true)] })).toEqual({
      name: 'grounded-answer',
      version: 2,
      firstTokenMs: 50,
      totalMs: 400,
      tokensIn: 321,
      tokensOut: 7,
      grounding: null,
      refused: true,
    });
    const answered = answerUse({ ...base, answer: 'It lasts two years [1].', grounding: [g('supported', true)] });
    expect(answered).toMatchObject({ refused: false, grounding: 1 });
  });
});

describe('the figures side by side', () => {
  const stats = (version: number, f: (r: PromptStatsRecord) => PromptStatsRecord) =>
    f(emptyPromptStats({ name: 'grounded-answer', version }, 0));
  const use = {
    name: 'grounded-answer',
    version: 1,
    firstTokenMs: 100,
    totalMs: 900,
    tokensIn: 300,
    tokensOut: 30,
    grounding: 0.5,
    refused: false,
  };

  it('lists every shipped version, with means, rates and the latest evaluation run of each', () => {
    const v1 = stats(1, (r) => applyPromptUse(applyPromptUse(r, use), { ...use, refused: true, grounding: null }));
    const runs = [
      {
        id: 'new',
        at: 30,
        report: {
          answers: {
            prompt: { name: 'grounded-answer', version: 1 },
            questions: 10,
            answered: 8,
            refused: 2,
            declined: 2,
            groundedness: 0.8,
            answerRelevance: 0.6,
            citationValidity: 1,
          },
        },
      },
      {
        id: 'old',
        at: 20,
        answers: {
          prompt: { name: 'grounded-answer', version: 1 },
          questions: 5,
          refused: 0,
          groundedness: 0.1,
          answerRelevance: 0.1,
          citationValidity: 0.1,
        },
      },
      { id: 'retrieval-only', at: 10, answers: null },
    ];
    const [f1, f2] = versionFigures([v1], runs, new Map([['grounded-answer@1', { up: 3, down: 1 }]]));
    expect(f1).toMatchObject({
      version: 1,
      uses: 2,
      refusalRate: 0.5,
      grounding: 0.5,
      firstTokenMs: 100,
      thumbsRate: 0.75,
    });
    expect(f1!.evaluation).toEqual({
      at: 30,
      questions: 10,
      groundedness: 0.8,
      answerRelevance: 0.6,
      citationValidity: 1,
      // The model's refusals over the answers it wrote (2 of 8), not the gate's (the same for every version).
      refusalRate: 0.25,
    });
    expect(f2).toMatchObject({
      version: 2,
      uses: 0,
      refusalRate: null,
      grounding: null,
      firstTokenMs: null,
      thumbsRate: null,
      evaluation: null,
    });
  });

  it('reads no figures from a run without answer figures or with another shape', () => {
    expect(evalRunAnswers({ id: 'x', at: 1 })).toBeNull();
    expect(evalRunAnswers({ id: 'x', at: 1, answers: { prompt: 'v1', questions: 3 } })).toBeNull();
    expect(evalRunAnswers({ id: 'x', at: 1, answers: { prompt: { name: 'grounded-answer', version: 1 } } })).toBeNull();
  });
});
