// Prompt query-rewrite v1: turns a follow-up question plus a short history into one stand-alone search query.
import type { PromptTemplate } from './types';

export const queryRewriteV1: PromptTemplate = {
  name: 'query-rewrite',
  version: 1,
  modelFamily: 'any',
  variables: ['history', 'question'],
  system: [
    'You rewrite the last question of a conversation into one stand-alone search query.',
    'The query must make sense without the conversation: replace words like "it", "they" or "the second one" with what they refer to.',
    'Keep names, numbers and technical terms exactly as written. Do not answer the question.',
    'Output only the query, on one line, with no quotes, labels or explanation.',
  ].join('\n'),
  user: [
    'Conversation so far:',
    '<history>',
    '{{history}}',
    '</history>',
    '',
    'Last question: {{question}}',
    '',
    'Stand-alone search query:',
  ].join('\n'),
};
