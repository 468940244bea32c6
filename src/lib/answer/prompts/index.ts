// Registry of the app's prompt templates, looked up by name and version, plus the renderer.
import { groundedAnswerV1 } from './grounded-answer.v1';
import { groundedAnswerV2 } from './grounded-answer.v2';
import { instructionFiltersV1 } from './instruction-filters.v1';
import { multiQueryV1 } from './multi-query.v1';
import { queryRewriteV1 } from './query-rewrite.v1';
import { relevanceJudgmentV1 } from './relevance-judgment.v1';
import { syntheticQuestionsV1 } from './synthetic-questions.v1';
import { syntheticQuestionsV2 } from './synthetic-questions.v2';
import type { PromptTemplate } from './types';

export type { PromptPassage, PromptTemplate, PromptValue } from './types';
export {
  fenceText,
  formatHistory,
  formatPassages,
  placeholdersOf,
  renderPrompt,
  HISTORY_MESSAGE_CHARS,
} from './render';
export type { RenderOptions } from './render';
export {
  groundedAnswerV1,
  groundedAnswerV2,
  instructionFiltersV1,
  multiQueryV1,
  queryRewriteV1,
  relevanceJudgmentV1,
  syntheticQuestionsV1,
  syntheticQuestionsV2,
};
export { VERDICT_CUE } from './relevance-judgment.v1';

/** Every template the app ships, all versions. */
export const PROMPTS: readonly PromptTemplate[] = [
  groundedAnswerV1,
  groundedAnswerV2,
  queryRewriteV1,
  multiQueryV1,
  syntheticQuestionsV1,
  syntheticQuestionsV2,
  instructionFiltersV1,
  relevanceJudgmentV1,
];

/** The named template at a version, or its newest version when none is given; throws when unknown. */
export function getPrompt(name: string, version?: number): PromptTemplate {
  const matches = PROMPTS.filter((p) => p.name === name && (version === undefined || p.version === version));
  if (matches.length === 0) {
    throw new Error(`Unknown prompt ${name}${version === undefined ? '' : ` v${version}`}.`);
  }
  return matches.reduce((a, b) => (b.version > a.version ? b : a));
}

/** Every version of the named template, oldest first. */
export function promptVersions(name: string): PromptTemplate[] {
  return PROMPTS.filter((p) => p.name === name).sort((a, b) => a.version - b.version);
}
