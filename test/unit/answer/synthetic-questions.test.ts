// The synthetic-questions output parser: questions kept, answers and labels dropped, hostile output bounded.
import { describe, expect, it } from 'vitest';
import { MAX_QUESTIONS, parseQuestions, SYNTHETIC_PROMPT } from '../../../src/lib/answer/synthetic-questions';

describe('parseQuestions', () => {
  it('names the prompt that writes them', () => {
    expect(SYNTHETIC_PROMPT).toEqual({ name: 'synthetic-questions', version: 1 });
  });

  it('keeps question lines, stripping numbering, bullets, labels and quotes', () => {
    const out = [
      'Here are three questions:',
      '1. How long does the warranty last?',
      '- "What parts does the warranty cover?"',
      'Question 3: Who pays for labour under the warranty?',
    ].join('\n');
    expect(parseQuestions(out)).toEqual([
      'How long does the warranty last?',
      'What parts does the warranty cover?',
      'Who pays for labour under the warranty?',
    ]);
  });

  it('drops lines that are not questions, too short, or repeated, and caps the count', () => {
    const out = [
      'The warranty lasts two years.',
      'Why?',
      'How long is the warranty?',
      'how long is the warranty',
      'How long is the warranty?',
      'What does it cover exactly?',
      'Who repairs broken parts?',
      'Where are repairs done today?',
    ].join('\n');
    expect(parseQuestions(out)).toEqual([
      'How long is the warranty?',
      'What does it cover exactly?',
      'Who repairs broken parts?',
    ]);
    expect(parseQuestions(out, 1)).toHaveLength(1);
    expect(MAX_QUESTIONS).toBe(3);
  });

  it('splits numbered questions written on one line', () => {
    expect(parseQuestions('1. What is a borrow? 2. Why do lifetimes exist?')).toEqual([
      'What is a borrow?',
      'Why do lifetimes exist?',
    ]);
  });

  it('finds nothing in an answer-shaped output (what a model that ignores the prompt writes)', () => {
    expect(parseQuestions('based on the retrieved passages, this model writes one fixed reply [1].')).toEqual([]);
    expect(parseQuestions('')).toEqual([]);
  });

  it('stays fast on long hostile output', () => {
    const hostile = `${'1. '.repeat(20_000)}${'"'.repeat(50_000)}?\n${'Question: '.repeat(10_000)}x?`;
    const t = performance.now();
    parseQuestions(hostile);
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
