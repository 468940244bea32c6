// Negative terms from a search instruction: drops ranked hits whose text holds one as a whole word (any case), in linear time.

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** The words of `text`, lower-cased: runs of letters and digits (hyphens, apostrophes and the rest split them). */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  let start = -1;
  for (let i = 0; i <= text.length; i++) {
    const isWord = i < text.length && WORD_CHAR.test(text[i]!);
    if (isWord && start < 0) start = i;
    else if (!isWord && start >= 0) {
      words.push(text.slice(start, i).toLowerCase());
      start = -1;
    }
  }
  return words;
}

/** Negative terms made ready for matching many texts: each as its words, indexed by its first word. */
export interface NegativeMatcher {
  /** First word → the terms (as given, and as words) that start with it. */
  byFirst: Map<string, { term: string; words: string[] }[]>;
}

/** Prepares terms once for many texts; terms without any letter or digit are left out (they match nothing). */
export function negativeMatcher(terms: readonly string[]): NegativeMatcher {
  const byFirst = new Map<string, { term: string; words: string[] }[]>();
  for (const term of terms) {
    const words = wordsOf(term);
    if (words.length === 0) continue;
    const list = byFirst.get(words[0]!) ?? [];
    list.push({ term, words });
    byFirst.set(words[0]!, list);
  }
  return { byFirst };
}

/**
 * The first negative term that `text` holds as whole words ("mice" matches "Mice," but not "micelle"; "in vitro"
 * matches "in-vitro" and "In  vitro"), or null. One pass over the text's words; each is looked up in a map, and only
 * terms that start with it are compared, so the time is linear in the text for a bounded set of terms.
 */
export function findNegativeTerm(text: string, matcher: NegativeMatcher | readonly string[]): string | null {
  const m = 'byFirst' in matcher ? matcher : negativeMatcher(matcher);
  if (m.byFirst.size === 0) return null;
  const words = wordsOf(text);
  for (let i = 0; i < words.length; i++) {
    const candidates = m.byFirst.get(words[i]!);
    if (!candidates) continue;
    for (const { term, words: tw } of candidates) {
      if (tw.every((w, k) => words[i + k] === w)) return term;
    }
  }
  return null;
}

/** A hit left out by a negative term, with the term that removed it. */
export interface RemovedHit<T> {
  hit: T;
  term: string;
}

/**
 * Splits ranked hits into those kept (order unchanged) and those whose text holds a negative term. A hit whose text
 * is unknown (`textOf` gives undefined) is kept: nothing says it should go. Pure; the hits are not changed.
 */
export function dropNegativeHits<T>(
  hits: readonly T[],
  textOf: (hit: T) => string | undefined,
  terms: readonly string[],
): { kept: T[]; removed: RemovedHit<T>[] } {
  const matcher = negativeMatcher(terms);
  const kept: T[] = [];
  const removed: RemovedHit<T>[] = [];
  for (const hit of hits) {
    const text = textOf(hit);
    const term = text === undefined ? null : findNegativeTerm(text, matcher);
    if (term === null) kept.push(hit);
    else removed.push({ hit, term });
  }
  return { kept, removed };
}
