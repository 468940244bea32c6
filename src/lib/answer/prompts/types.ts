// Shapes of versioned prompt templates and of the values rendered into their {{variables}}.
import type { ChatMessage } from '../../models/generator/types';

/** A prompt as a versioned artifact: change the wording, bump the version (and its golden files). */
export interface PromptTemplate {
  readonly name: string;
  readonly version: number;
  /** 'chatml' when the wording assumes ChatML turns; 'any' when it suits any chat template. */
  readonly modelFamily: 'chatml' | 'any';
  /** Every {{variable}} the system and user texts use, and only those. */
  readonly variables: readonly string[];
  readonly system: string;
  readonly user: string;
}

/** A retrieved passage as the model sees it: its citation number, where it came from, and its text. */
export interface PromptPassage {
  n: number;
  source: string;
  text: string;
}

/** Strings are inserted as data; passage lists and chat histories are formatted (and fenced) first. */
export type PromptValue = string | readonly PromptPassage[] | readonly ChatMessage[];
