// The grounded-answer prompt the chat sends: passages and question rendered through the versioned template.
import type { ChatMessage } from '../models/generator/types';
import { groundedAnswerV1, renderPrompt, type PromptPassage, type PromptTemplate } from './prompts';

export type { PromptPassage } from './prompts';

/** The answer template's name, and the version used unless Settings → Prompts picks another (see prompt-choice.ts). */
export const PROMPT_NAME = groundedAnswerV1.name;
export const PROMPT_VERSION = groundedAnswerV1.version;

/** [system, ...history, user] for a question over ranked, numbered passages, through `template` (default v1). */
export function buildMessages(
  question: string,
  passages: readonly PromptPassage[],
  history: readonly ChatMessage[] = [],
  template: PromptTemplate = groundedAnswerV1,
): ChatMessage[] {
  return renderPrompt(template, { passages, question }, { history });
}
