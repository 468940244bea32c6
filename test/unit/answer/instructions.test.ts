// Inline search instructions: split off after a question only when clearly an instruction, and combined with the conversation's.
import { describe, expect, it } from 'vitest';
import { combineInstructions, MAX_INSTRUCTION_CHARS, splitInstruction } from '../../../src/lib/answer/instructions';

describe('splitInstruction', () => {
  it.each([
    ['What did revenue do, only from the 2023 reports', 'What did revenue do', 'only from the 2023 reports'],
    [
      'side effects of statins; exclude anything before 2020',
      'side effects of statins',
      'exclude anything before 2020',
    ],
    ['define MaxSim, not documents that merely use it', 'define MaxSim', 'not documents that merely use it'],
    ['Does aspirin reduce fever? Only studies in humans.', 'Does aspirin reduce fever?', 'Only studies in humans'],
    ['What was the churn rate (only the 2023 reports)?', 'What was the churn rate?', 'only the 2023 reports'],
    ['How do I reset the router — ignore the 2019 manual', 'How do I reset the router', 'ignore the 2019 manual'],
    ['Summarise the audit, PDFs only', 'Summarise the audit', 'PDFs only'],
    [
      "What changed in the API, don't include notes from last year",
      'What changed in the API',
      "don't include notes from last year",
    ],
    ['What is late interaction? Instructions: be brief', 'What is late interaction?', 'be brief'],
    [
      'side effects of statins; exclude anything before 2020, only PDFs',
      'side effects of statins',
      'exclude anything before 2020, only PDFs',
    ],
  ])('splits %j', (text, question, instruction) => {
    expect(splitInstruction(text)).toEqual({ question, instruction });
  });

  it.each([
    'Is it only sold in blue?',
    'Why did sales fall, not rise?',
    'Why did it fail, only in production',
    'What should I eat, excluding dairy',
    'Which reports, only from 2023, mention revenue?',
    'Does the warranty cover batteries, or only the screen?',
    'Is it true that only 2023 reports mention revenue?',
    'Not sure where to start: what does chapter 2 say about revenue?',
    'only from the 2023 reports',
    'Only, 2023 reports',
    'What was revenue in 2023, and why did it fall?',
    'How much does it cost. Not much, I hope',
    'Compare the 2023 and 2024 reports',
    '',
  ])('leaves %j whole', (text) => {
    expect(splitInstruction(text)).toEqual({ question: text.trim(), instruction: '' });
  });

  it('does not split inside a parenthesis that does not end the text', () => {
    expect(splitInstruction('What was revenue (only the 2023 reports) and profit').instruction).toBe('');
  });

  it('clips an overlong instruction and stays fast on hostile input', () => {
    const long = `What is it, only the 2023 reports ${'and more '.repeat(200)}`;
    expect(splitInstruction(long).instruction.length).toBeLessThanOrEqual(MAX_INSTRUCTION_CHARS);
    const hostile = `${', , ; ( - . '.repeat(20_000)}only 2023 reports`;
    const t0 = performance.now();
    splitInstruction(hostile);
    splitInstruction('a '.repeat(50_000) + ', not');
    // Many breaks after the question words, each followed by a cue and evidence but never splittable.
    splitInstruction(`What is it ${', '.repeat(50_000)}only 2023 reports?`);
    splitInstruction(`What is it ${'(only 2023 '.repeat(20_000)}`);
    splitInstruction(`What is it ${', instructions: '.repeat(20_000)}`);
    splitInstruction(`What is it ${', only 2023 reports?'.repeat(20_000)}`);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});

describe('combineInstructions', () => {
  it('joins the conversation instruction and the inline one', () => {
    expect(combineInstructions('only studies in humans.', 'exclude anything before 2020')).toBe(
      'only studies in humans; exclude anything before 2020',
    );
  });

  it('keeps whichever is present, and does not repeat one the other holds', () => {
    expect(combineInstructions('', ' only PDFs ')).toBe('only PDFs');
    expect(combineInstructions('only PDFs;', '')).toBe('only PDFs');
    expect(combineInstructions('', '')).toBe('');
    expect(combineInstructions('Only PDFs, from 2023', 'only pdfs')).toBe('Only PDFs, from 2023');
    expect(combineInstructions('only pdfs', 'only PDFs from 2023')).toBe('only PDFs from 2023');
  });

  it('bounds the combined length', () => {
    expect(combineInstructions('a '.repeat(400), 'b '.repeat(400)).length).toBeLessThanOrEqual(MAX_INSTRUCTION_CHARS);
  });
});
