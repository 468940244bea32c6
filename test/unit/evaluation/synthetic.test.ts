// The synthetic-question filters: verbatim copies, duplicates and the top-20 check, with their drop counts.
import { describe, expect, it } from 'vitest';
import {
  isVerbatim,
  NO_DROPS,
  pointsAtSource,
  questionKey,
  retrievedInTop,
  screenQuestions,
  totalDropped,
} from '../../../src/lib/evaluation/synthetic';

const PASSAGE =
  'The borrow checker compares scopes to determine whether all borrows are valid. ' +
  'A reference must never outlive the data it refers to, or the program will not compile.';

describe('isVerbatim', () => {
  it('flags a shared run of six words', () => {
    expect(isVerbatim('Why does the borrow checker compares scopes to determine validity?', PASSAGE)).toBe(true);
  });

  it('flags a sentence turned into a question (its content words in order in one sentence)', () => {
    expect(isVerbatim('What reference must never outlive data it refers to?', PASSAGE)).toBe(true);
  });

  it('keeps a question in its own words, or one whose words are spread across sentences', () => {
    expect(isVerbatim('How does Rust decide if a borrow is allowed?', PASSAGE)).toBe(false);
    expect(isVerbatim('Which tool checks borrows, and when can a program fail to compile?', PASSAGE)).toBe(false);
    // Content words in order, but across two sentences: a real question, not a copied one.
    expect(isVerbatim('Does the checker scope borrows so references outlive programs?', PASSAGE)).toBe(false);
  });

  it('needs enough content words before calling in-order words a copy', () => {
    expect(isVerbatim('What is a borrow checker?', PASSAGE)).toBe(false);
  });

  it('is linear on long input', () => {
    const long = 'word '.repeat(100_000);
    const t = performance.now();
    expect(isVerbatim(`${'other '.repeat(50)}?`, long)).toBe(false);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe('pointsAtSource', () => {
  it('flags questions that need their passage beside them, and only those', () => {
    expect(pointsAtSource('What is the passage about?')).toBe(true);
    expect(pointsAtSource('According to this text, who wrote Rc?')).toBe(true);
    expect(pointsAtSource('What does the given excerpts say?')).toBe(true);
    expect(pointsAtSource('How do I pass text to a thread?')).toBe(false);
    expect(pointsAtSource('What is a passage of time in Rust?')).toBe(false);
  });

  it("flags a question that echoes the prompt's passage tag (SmolLM2 wrote one on the Rust book)", () => {
    expect(pointsAtSource('What is the difference between the `<passage>` and `<passage>`?')).toBe(true);
    expect(pointsAtSource('Why does </passage> end here?')).toBe(true);
    expect(pointsAtSource('Is a < passage > b valid Rust?')).toBe(false);
  });
});

describe('questionKey', () => {
  it('matches rewordings with the same content words, ignoring case and punctuation', () => {
    expect(questionKey('How long is the warranty?')).toBe(questionKey('the WARRANTY: how long is it'));
    expect(questionKey('How long is the warranty?')).not.toBe(questionKey('What does the warranty cover?'));
    expect(questionKey('Who is he?')).toBe('who is he?');
  });
});

describe('retrievedInTop', () => {
  const ranked = Array.from({ length: 30 }, (_, i) => `c${i}`);
  it('keeps a passage ranked 1st to 20th and drops one ranked lower or not found', () => {
    expect(retrievedInTop('c0', ranked)).toBe(true);
    expect(retrievedInTop('c19', ranked)).toBe(true);
    expect(retrievedInTop('c20', ranked)).toBe(false);
    expect(retrievedInTop('zz', ranked)).toBe(false);
    expect(retrievedInTop('c3', ranked, 3)).toBe(false);
  });
});

describe('screenQuestions', () => {
  it('drops copies, then duplicates (against the set and this run), and counts each reason', () => {
    const counts = { ...NO_DROPS };
    const seen = new Set([questionKey('What is stored in the evaluation set already?')]);
    const kept = screenQuestions(
      [
        'How does Rust decide if a borrow is allowed?',
        'What reference must never outlive data it refers to?',
        'In Rust, how is it decided if a borrow is allowed?',
        'What is stored in the evaluation set already?',
        'Why would a program fail to compile?',
        'What is the passage about?',
      ],
      PASSAGE,
      seen,
      counts,
    );
    expect(kept).toEqual(['How does Rust decide if a borrow is allowed?', 'Why would a program fail to compile?']);
    expect(counts).toEqual({ unparsed: 0, notStandalone: 1, verbatim: 1, duplicate: 2, notRetrieved: 0 });
    expect(totalDropped(counts)).toBe(4);
    // Only the caller adds a kept question's key (once search has found its passage).
    expect(seen.size).toBe(1);
    expect(NO_DROPS).toEqual({ unparsed: 0, notStandalone: 0, verbatim: 0, duplicate: 0, notRetrieved: 0 });
  });
});
