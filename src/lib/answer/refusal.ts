// When to answer "Your documents do not say." without the model, and how to recognise the model saying it.
import { findCitationMarkers, stripCitations } from './citations';
import { splitSentences } from './sentences';

/** The exact refusal the grounded-answer prompt asks for, and the one shown when retrieval finds nothing. */
export const NO_ANSWER_TEXT = 'Your documents do not say.';

/**
 * The reranker's threshold when neither Settings nor its registry entry give one. The stand-in's calibrated value is
 * 0.76 on its mean-best-match scale; 0.5 errs low for an uncalibrated reranker (a wrong refusal hides a real answer,
 * a missed one only costs a generation that the prompt lets refuse itself).
 */
export const FALLBACK_RERANK_THRESHOLD = 0.5;

/** A passage about to be shown (and sent to the model), as the gate sees it. */
export interface ShownPassage {
  /** The reranker's relevance (mean best match over the query's words); null when it did not score this passage. */
  relevance: number | null;
  /** The first-stage dense hit; null for a keyword-only hit. */
  dense: { score: number } | null;
}

/** What the gate can read about one search. */
export interface RelevanceEvidence {
  /** How many passages the search found (after filters). */
  found: number;
  /** The passages shown, best first. */
  shown: readonly ShownPassage[];
  /** Present when the reranker ran: its thresholds from Settings (null: not set) and from its registry entry. */
  rerank?: { settingsThreshold: number | null; registryThreshold?: number };
  /** The embedder's registry-calibrated cosine threshold, when dense search ran and its entry has one. */
  denseThreshold?: number;
}

export interface RelevanceDecision {
  relevant: boolean;
  /** Which score decided: the reranker's, the dense cosine's, or neither (no calibrated gate applies). */
  by: 'rerank' | 'dense' | 'none';
  score: number | null;
  threshold: number | null;
}

/**
 * The one relevance gate: is anything shown relevant enough to call the answer model?
 * - Nothing found: no.
 * - Passages the reranker scored: their best relevance against Settings' threshold, else its registry entry's, else
 *   FALLBACK_RERANK_THRESHOLD. Enough to answer.
 * - Passages it did not score (all of them without a reranker; with one, those indexed while none was available):
 *   their best dense cosine against the embedder's registry-calibrated threshold (no entry, no gate; Settings'
 *   threshold is on the reranker's scale so it does not apply). Keyword-only hits carry no cosine and are never
 *   refused here.
 */
export function relevanceGate({ found, shown, rerank, denseThreshold }: RelevanceEvidence): RelevanceDecision {
  if (found === 0 || shown.length === 0) return { relevant: false, by: 'none', score: null, threshold: null };
  const scored = rerank ? shown.filter((p) => p.relevance !== null && Number.isFinite(p.relevance)) : [];
  const unscored = rerank ? shown.filter((p) => !scored.includes(p)) : shown;
  if (scored.length > 0) {
    const threshold = rerank!.settingsThreshold ?? rerank!.registryThreshold ?? FALLBACK_RERANK_THRESHOLD;
    const score = Math.max(...scored.map((p) => p.relevance!));
    const decision: RelevanceDecision = { relevant: !shouldRefuse(score, threshold), by: 'rerank', score, threshold };
    if (decision.relevant || unscored.length === 0) return decision;
  }
  // Here some passages are unscored, and any scored ones fell short.
  const score = topDenseScore(unscored);
  if (denseThreshold === undefined || score === null) {
    // No calibrated way to judge the unscored passages: let the model see them (its prompt lets it refuse).
    return { relevant: true, by: 'none', score, threshold: denseThreshold ?? null };
  }
  return { relevant: !shouldRefuse(score, denseThreshold), by: 'dense', score, threshold: denseThreshold };
}

/** Best dense cosine among first-stage hits; null when none came from the dense index. */
export function topDenseScore(hits: readonly { dense: { score: number } | null }[]): number | null {
  let top: number | null = null;
  for (const h of hits) {
    if (h.dense && Number.isFinite(h.dense.score) && (top === null || h.dense.score > top)) top = h.dense.score;
  }
  return top;
}

/** True when retrieval found nothing (null) or its best score is below the threshold: skip the model. */
export function shouldRefuse(topScore: number | null, threshold: number): boolean {
  return topScore === null || Number.isNaN(topScore) || topScore < threshold;
}

export interface RefusalAnswer {
  /** Shown in place of a generated answer. */
  text: string;
  /** Introduces the passages still listed under Sources; null when there are none to show. */
  closestNote: string | null;
  /** Numbers of the passages offered as the closest, best first. */
  closest: number[];
}

/** The refusal answer, framing whatever was retrieved as "closest", not as an answer. */
export function refusalAnswer(passages: readonly { n: number }[], limit = 3): RefusalAnswer {
  const closest = passages.slice(0, limit).map((p) => p.n);
  return {
    text: NO_ANSWER_TEXT,
    closestNote:
      closest.length === 0
        ? null
        : closest.length === 1
          ? 'This is the closest passage found, but it does not seem to answer the question.'
          : `These are the ${closest.length} closest passages found, but none of them seems to answer the question.`,
    closest,
  };
}

const SUBJECT = String.raw`(?:(?:your|the|these|those|my|our|provided|given|available|retrieved|cited|above)\s+)*(?:documents?|passages?|sources?|context|texts?|excerpts?|materials?)(?:\s+(?:provided|given|above|available))?`;
const NOT = String.raw`(?:(?:do|does|did)\s+not|don't|doesn't|didn't)`;
// Verbs of telling refuse on their own; verbs of having only with an information-like object, so that
// "The documents do not need notarizing" or "The samples do not contain lead" stay claims.
const TELL = String.raw`(?:say|state|mention|specify|answer|address|discuss|describe|explain|tell|indicate|clarify)`;
const HAVE = String.raw`(?:contain|include|provide|give|have|offer)`;
const INFO = String.raw`(?:information|answer|details?|mention|data|reference|specifics)`;
const REFUSAL_PATTERNS = [
  new RegExp(String.raw`^${SUBJECT}\s+${NOT}\s+(?:\w+\s+)?${TELL}\b`),
  new RegExp(
    String.raw`^${SUBJECT}\s+${NOT}\s+${HAVE}\s+(?:(?:any|an|the|enough|specific|such|this|that)\s+)*${INFO}\b`,
  ),
  new RegExp(
    String.raw`^${SUBJECT}\s+(?:are|is)\s+silent\b|^${SUBJECT}\s+(?:says?|contains?|gives?|makes?)\s+(?:nothing|no\s+${INFO})\b`,
  ),
  new RegExp(String.raw`^(?:there\s+is|there's|i\s+(?:found|find|see))\s+no\s+${INFO}\b`),
  /^i\s+(?:cannot|can't|could\s+not|couldn't|am\s+unable\s+to|was\s+unable\s+to)\s+(?:find|answer|tell|determine|say)\b/,
  /^(?:the\s+)?answer\s+(?:is\s+not|isn't)\s+(?:in|found|given|provided|mentioned|stated)\b/,
  /^(?:this|that|it)\s+(?:is\s+not|isn't)\s+(?:mentioned|stated|covered|specified|addressed|answered|discussed)\s+in\s+(?:your|the)\b/,
];

function normalize(sentence: string): string {
  return stripCitations(sentence)
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/^[\s"'“”*_-]+/, '')
    .replace(/^(?:i'm\s+sorry|sorry|unfortunately|however)[,:]?\s+(?:but\s+)?/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A sentence that only says the documents lack the answer ("Your documents do not say.", "The passages do not
 * mention the price."). One that goes on with a claim ("…, but [2] says X") is not.
 */
export function isRefusalSentence(sentence: string): boolean {
  const s = normalize(sentence);
  if (
    /[,;:]\s*(?:but|however|although|though|yet)\b/.test(s) ||
    /\bbut\s+(?:\w+\s+){0,3}(?:says?|states?|mentions?)\b/.test(s)
  ) {
    return false;
  }
  return REFUSAL_PATTERNS.some((re) => re.test(s));
}

/**
 * True when a generated answer as a whole declines to answer: every sentence is a refusal, or it opens with
 * one and cites nothing (what follows is then commentary, not a grounded answer).
 */
export function isNoAnswer(text: string): boolean {
  const sentences = splitSentences(text);
  if (sentences.length === 0) return false;
  if (sentences.every((s) => isRefusalSentence(s.text))) return true;
  return isRefusalSentence(sentences[0]!.text) && findCitationMarkers(text).length === 0;
}
