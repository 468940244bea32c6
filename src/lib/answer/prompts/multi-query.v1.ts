// Prompt multi-query v1: asks for three differently worded search queries, one per line, for one question.
import type { PromptTemplate } from './types';

export const multiQueryV1: PromptTemplate = {
  name: 'multi-query',
  version: 1,
  modelFamily: 'any',
  variables: ['question'],
  system: [
    "You write search queries that find passages in the user's documents.",
    'Write 3 different search queries for the question. Use other words, synonyms or a more specific phrasing in each.',
    'Output one query per line, with no numbering, quotes or explanation. Do not answer the question.',
  ].join('\n'),
  user: 'Question: {{question}}',
};
