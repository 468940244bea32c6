// The filters synthetic questions pass: not a copy of their passage, not a duplicate, and their passage is found.
import { contentWords } from '../answer/grounding';
import { splitSentences } from '../answer/sentences';
import { tokenize } from '../retrieval/tokenize';

/** How deep the app's own search must rank a question's passage for the question to be kept. */
export const RETRIEVE_DEPTH = 20;

/** A run of this many words in the same order in the question and the passage is a copy, not a question. */
export const VERBATIM_RUN = 6;

/** With at least this many content words, a question whose content words all appear in order in one sentence of the
 * passage copies it. */
export const VERBATIM_MIN_WORDS = 4;

export type DropReason = 'unparsed' | 'notStandalone' | 'verbatim' | 'duplicate' | 'notRetrieved';

/** Questions dropped, by reason; `unparsed` counts passages whose output held no question at all. */
export type DropCounts = Record<DropReason, number>;

export const NO_DROPS: Readonly<DropCounts> = {
  unparsed: 0,
  notStandalone: 0,
  verbatim: 0,
  duplicate: 0,
  notRetrieved: 0,
};

/** The number of drops over all reasons. */
export function totalDropped(counts: DropCounts): number {
  return counts.unparsed + counts.notStandalone + counts.verbatim + counts.duplicate + counts.notRetrieved;
}

/** "the passage", "this text", …: a question that needs the passage beside it to make sense (linear: no nesting). */
const POINTS_AT_SOURCE =
  /\b(?:the|this|that|above|given)\s+(?:passage|text|excerpt|paragraph|document|article|section)s?\b/i;

/** The prompt's own markup echoed back (`<passage>`, `</passage>`): the question talks about the prompt, not a topic. */
const PROMPT_TAG = /<\/?passages?\b/i;

/** Whether the question only makes sense next to its passage ("What is the passage about?"): it cannot test search. */
export function pointsAtSource(question: string): boolean {
  return POINTS_AT_SOURCE.test(question) || PROMPT_TAG.test(question);
}

/** Words as the keyword index sees them (lowercased, folded, stemmed), stop words kept: order matters here. */
function words(text: string): string[] {
  return tokenize(text, { stopWords: false });
}

/** Whether `needle` is a subsequence of `hay` (two pointers: linear). */
function inOrder(needle: readonly string[], hay: readonly string[]): boolean {
  let i = 0;
  for (let j = 0; i < needle.length && j < hay.length; j++) if (hay[j] === needle[i]) i++;
  return i === needle.length;
}

/**
 * Whether the question copies its passage rather than asking about it: it shares a run of VERBATIM_RUN words with
 * the passage (n-grams hashed as strings into a set: linear in both lengths), or it has VERBATIM_MIN_WORDS or more
 * content words and all of them appear in the same order within one sentence of the passage (a sentence turned into
 * a question by adding "what" and a question mark; each sentence is scanned once, so this is linear too).
 */
export function isVerbatim(question: string, passage: string): boolean {
  const q = words(question);
  const p = words(passage);
  if (q.length >= VERBATIM_RUN && p.length >= VERBATIM_RUN) {
    const grams = new Set<string>();
    for (let i = 0; i + VERBATIM_RUN <= p.length; i++) grams.add(p.slice(i, i + VERBATIM_RUN).join(' '));
    for (let i = 0; i + VERBATIM_RUN <= q.length; i++)
      if (grams.has(q.slice(i, i + VERBATIM_RUN).join(' '))) return true;
  }
  const qc = contentWords(question);
  if (qc.length < VERBATIM_MIN_WORDS) return false;
  return splitSentences(passage).some((s) => inOrder(qc, contentWords(s.text)));
}

/**
 * The key two questions share when they ask the same thing: their distinct content words, sorted ("How long is the
 * warranty?" and "The warranty is how long?" match); a question without content words keys on its lowercased text.
 */
export function questionKey(question: string): string {
  const key = [...new Set(contentWords(question))].sort().join(' ');
  return key || question.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Whether the passage is among the first RETRIEVE_DEPTH results search returned for its question. */
export function retrievedInTop(chunkId: string, rankedIds: readonly string[], depth = RETRIEVE_DEPTH): boolean {
  return rankedIds.slice(0, depth).includes(chunkId);
}

/**
 * The filters before search, for one passage's questions, in order: one that points at its passage ("the passage")
 * is dropped, then a copy of the passage, then one whose
 * key is in `seen` (questions kept so far: the evaluation set and this run) or repeats an earlier one of this batch.
 * `seen` is not changed: the caller adds a question's key once search has kept it, so a question dropped for one
 * passage can still be kept for another that search does find. Returns the survivors; adds the drops to `counts`.
 */
export function screenQuestions(
  questions: readonly string[],
  passage: string,
  seen: ReadonlySet<string>,
  counts: DropCounts,
): string[] {
  const kept: string[] = [];
  const batch = new Set<string>();
  for (const q of questions) {
    if (pointsAtSource(q)) {
      counts.notStandalone++;
      continue;
    }
    if (isVerbatim(q, passage)) {
      counts.verbatim++;
      continue;
    }
    const key = questionKey(q);
    if (seen.has(key) || batch.has(key)) {
      counts.duplicate++;
      continue;
    }
    batch.add(key);
    kept.push(q);
  }
  return kept;
}
