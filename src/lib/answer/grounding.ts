// Checks each answer sentence against the passages it cites: lexical overlap, optional MaxSim, support span.
import { tokenize } from '../retrieval/tokenize';
import { findCitationMarkers, stripCitations } from './citations';
import { isRefusalSentence } from './refusal';
import { splitSentences } from './sentences';

/**
 * Default support threshold on the sentence score (lexical alone, or its blend with MaxSim). At 0.5 at least
 * half of a sentence's content words must occur in its cited passages. Small models mostly copy or lightly
 * rephrase: faithful sentences score about 0.7–1.0, while invented ones share only the topic words with the
 * passage and score about 0.2–0.4 (see the hand examples in the tests).
 */
export const DEFAULT_SUPPORT_THRESHOLD = 0.5;

/** Default weight of MaxSim in the blended score: MaxSim forgives paraphrase, overlap catches invented facts. */
export const DEFAULT_MAXSIM_WEIGHT = 0.5;

export interface GroundingPassage {
  n: number;
  text: string;
}

/** The part of a passage that best supports a sentence: offsets into that passage's text. */
export interface SupportSpan {
  n: number;
  start: number;
  end: number;
  /** Fraction of the sentence's content words found in the span. */
  score: number;
}

export type GroundingReason =
  /** Cited, and the cited passages support it. */
  | 'supported'
  /** Cited, but the cited passages do not support it. */
  | 'unsupported'
  /** No citation at all; scored against every passage. */
  | 'uncited'
  /** Only citations to passages that do not exist; scored against every passage. */
  | 'invalid-citation'
  /** Says the documents lack the answer: nothing to check. */
  | 'refusal'
  /** No content words ("Yes [1]."): nothing to check. */
  | 'no-content'
  /** No citation from the model, but one passage supports it: Lectern cites that passage itself. */
  | 'attributed';

export interface SentenceGrounding {
  text: string;
  /** Offsets into the answer text; `answer.slice(start, end) === text`, markers included. */
  start: number;
  end: number;
  /** Cited passage numbers that exist, unique, in order of appearance. */
  cites: number[];
  /** Cited numbers with no such passage. */
  invalidCites: number[];
  /** Fraction of content words found in the passages scored against; null when not scored. */
  lexical: number | null;
  /** Best MaxSim over those passages, when a scorer was given. */
  maxsim: number | null;
  /** The number compared with the threshold: lexical, or the blend with MaxSim. */
  score: number | null;
  /** The passages scored against support the sentence. */
  supported: boolean;
  /** The UI should mark it: unsupported, uncited or citing only missing passages. */
  flagged: boolean;
  reason: GroundingReason;
  /** Where the best support lies, for highlighting; null when nothing overlaps. */
  support: SupportSpan | null;
  /** For 'attributed': the passage Lectern cites on the model's behalf. */
  attributed?: number;
}

export interface GroundingOptions {
  /** Default DEFAULT_SUPPORT_THRESHOLD. */
  threshold?: number;
  /**
   * Late-interaction similarity of a sentence to a passage, normalized to [0, 1]: the mean over the
   * sentence's tokens of their best cosine with a passage token (MaxSim ÷ sentence tokens).
   */
  maxsim?: (sentence: string, passageText: string) => Promise<number>;
  /** Weight of MaxSim in the blended score, 0–1. Default DEFAULT_MAXSIM_WEIGHT. */
  maxsimWeight?: number;
}

/** English function words plus the words answers use to talk about their sources ("according", "states"). */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all also am an and any are as at be because been before being below ' +
    'between both but by can could did do does doing down during each either few for from further had has have ' +
    'having he her here hers herself him himself his how i if in into is it its itself just may me might more ' +
    'most must my myself neither no nor not of off on once only or other our ours ourselves out over own same ' +
    'shall she should so some such than that the their theirs them themselves then there these they this those ' +
    'through to too under until up upon us very was we were what when where which while who whom whose why will ' +
    'with would yes you your yours yourself yourselves ' +
    "don't doesn't didn't isn't aren't wasn't weren't won't can't cannot " +
    'according document documents passage passages source sources text says said stated states mentions mentioned'
  ).split(' '),
);

function withoutMarkers(text: string): string {
  let out = '';
  let last = 0;
  for (const m of findCitationMarkers(text)) {
    out += `${text.slice(last, m.start)} `;
    last = m.end;
  }
  return out + text.slice(last);
}

/**
 * Content words of text: the keyword tokenizer's terms (lowercased, accents folded, Porter-stemmed) without
 * citation markers, STOP_WORDS or single letters, and with numbers unseparated ("1,000" → "1000").
 */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (let w of tokenize(withoutMarkers(text), { stopWords: STOP_WORDS })) {
    if (/^\p{N}[\p{N}.,]*$/u.test(w)) w = w.replace(/,/g, '');
    else if (w.length === 1) continue;
    out.push(w);
  }
  return out;
}

/** Fraction of the sentence's distinct content words that occur in any of the texts; null if it has none. */
export function lexicalSupport(sentence: string, texts: readonly string[]): number | null {
  const words = new Set(contentWords(sentence));
  if (words.size === 0) return null;
  const found = new Set(texts.flatMap(contentWords));
  let hits = 0;
  for (const w of words) if (found.has(w)) hits++;
  return hits / words.size;
}

/**
 * The window of one or two consecutive passage sentences that covers most of the sentence's content words
 * (ties: the shorter window, then the earlier passage and position); null when no word overlaps.
 */
export function bestSupportSpan(sentence: string, passages: readonly GroundingPassage[]): SupportSpan | null {
  const words = new Set(contentWords(sentence));
  if (words.size === 0) return null;
  let best: SupportSpan | null = null;
  let bestLength = Infinity;
  for (const p of passages) {
    const parts = splitSentences(p.text).map((s) => ({ ...s, words: new Set(contentWords(s.text)) }));
    for (let i = 0; i < parts.length; i++) {
      for (let size = 1; size <= 2 && i + size <= parts.length; size++) {
        const window = parts.slice(i, i + size);
        let hits = 0;
        for (const w of words) if (window.some((s) => s.words.has(w))) hits++;
        const score = hits / words.size;
        const start = window[0]!.start;
        const end = window[window.length - 1]!.end;
        if (score > 0 && (best === null || score > best.score || (score === best.score && end - start < bestLength))) {
          best = { n: p.n, start, end, score };
          bestLength = end - start;
        }
      }
    }
  }
  return best;
}

/**
 * Grounds every sentence of an answer. A sentence is checked against the passages it cites (together); one
 * without a valid citation against all passages, and flagged. Refusals and content-free sentences are skipped.
 */
export async function groundAnswer(
  answer: string,
  passages: readonly GroundingPassage[],
  options: GroundingOptions = {},
): Promise<SentenceGrounding[]> {
  const threshold = options.threshold ?? DEFAULT_SUPPORT_THRESHOLD;
  const weight = options.maxsimWeight ?? DEFAULT_MAXSIM_WEIGHT;
  const byNumber = new Map(passages.map((p) => [p.n, p]));
  const results: SentenceGrounding[] = [];
  for (const sentence of splitSentences(answer)) {
    const cites: number[] = [];
    const invalidCites: number[] = [];
    for (const marker of findCitationMarkers(sentence.text)) {
      for (const n of marker.numbers) {
        const list = byNumber.has(n) ? cites : invalidCites;
        if (!list.includes(n)) list.push(n);
      }
    }
    const base = { ...sentence, cites, invalidCites, lexical: null, maxsim: null, score: null, support: null };
    const plain = stripCitations(sentence.text).trim();
    if (isRefusalSentence(plain)) {
      results.push({ ...base, supported: true, flagged: false, reason: 'refusal' });
      continue;
    }
    const scored = cites.length > 0 ? cites.map((n) => byNumber.get(n)!) : passages;
    const texts = scored.map((p) => p.text);
    const lexical = lexicalSupport(plain, texts);
    if (lexical === null) {
      results.push({ ...base, supported: true, flagged: false, reason: 'no-content' });
      continue;
    }
    let maxsim: number | null = null;
    if (options.maxsim && scored.length > 0) {
      const scorer = options.maxsim;
      maxsim = Math.max(...(await Promise.all(scored.map((p) => scorer(plain, p.text)))));
    }
    const score = maxsim === null ? lexical : weight * maxsim + (1 - weight) * lexical;
    const supported = score >= threshold;
    const reason: GroundingReason =
      cites.length > 0
        ? supported
          ? 'supported'
          : 'unsupported'
        : invalidCites.length > 0
          ? 'invalid-citation'
          : 'uncited';
    results.push({
      ...base,
      lexical,
      maxsim,
      score,
      supported,
      flagged: reason !== 'supported',
      reason,
      support: bestSupportSpan(plain, scored),
    });
  }
  return results;
}

/**
 * Small models often answer faithfully but cite nothing (SmolLM2-135M never does, whatever the prompt). An uncited
 * sentence that one passage supports on its own (its best one- or two-sentence span holds at least `threshold` of
 * the sentence's content words) gets that passage as a citation of Lectern's own, shown as such; any other uncited
 * sentence stays flagged.
 */
export function attributeUncited(
  grounding: readonly SentenceGrounding[],
  threshold = DEFAULT_SUPPORT_THRESHOLD,
): SentenceGrounding[] {
  // The span must carry the support on its own: a sentence pieced together from two passages cites neither.
  return grounding.map((g) =>
    g.reason === 'uncited' && g.supported && g.support && g.support.score >= threshold
      ? { ...g, reason: 'attributed', flagged: false, attributed: g.support.n }
      : g,
  );
}
