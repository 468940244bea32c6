// The grounded-answer prompt the chat sends: passages and question rendered through the versioned template.
import type { ChatMessage } from '../models/generator/types';
import { groundedAnswerV1, renderPrompt, type PromptPassage, type PromptTemplate } from './prompts';

export type { PromptPassage } from './prompts';

export const PROMPT_NAME = groundedAnswerV1.name;
export const PROMPT_VERSION = groundedAnswerV1.version;

/** [system, ...history, user] for a question over ranked, numbered passages (with another version of the template). */
export function buildMessages(
  question: string,
  passages: readonly PromptPassage[],
  history: readonly ChatMessage[] = [],
  template: PromptTemplate = groundedAnswerV1,
): ChatMessage[] {
  return renderPrompt(template, { passages, question }, { history });
}
