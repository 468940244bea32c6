// Parses the questions a synthetic-questions prompt's output holds: one a line, labels and numbering stripped.
import { parseQueries } from './multi-query';
import { syntheticQuestionsV1, type PromptTemplate } from './prompts';

/** The version of the synthetic-questions prompt the app uses (eval's --synthesize --prompt-version compares them). */
export const SYNTHETIC_TEMPLATE: PromptTemplate = syntheticQuestionsV1;

/** The prompt that writes synthetic questions, as stored with each question it wrote. */
export const SYNTHETIC_PROMPT = { name: SYNTHETIC_TEMPLATE.name, version: SYNTHETIC_TEMPLATE.version } as const;

/** Most questions kept from one output (the prompt asks for 3; a model that goes on is cut off). */
export const MAX_QUESTIONS = 3;

/** Fewest words a question needs: "Why?" alone tests nothing. */
const MIN_WORDS = 3;

/**
 * Questions from the model's output (untrusted text): the lines that end with a question mark once bullets,
 * numbering, labels and quotes are gone (multi-query's line cleaning, linear time), with at least three words,
 * duplicates dropped, at most `max`. Lines that answer, explain or introduce are not questions and are left out.
 */
export function parseQuestions(output: string, max = MAX_QUESTIONS): string[] {
  // Every usable line first, then the questions among them: an answer line must not use up the cap.
  const lines = parseQueries(output, { max: Number.MAX_SAFE_INTEGER });
  return lines.filter((q) => q.endsWith('?') && q.split(' ').length >= MIN_WORDS).slice(0, max);
}
