// Record shape of the feedback store (v5): one answered question, what search ranked for it, and the user's signals.

/** One stage's ranking: chunk ids best first with the stage's own scores (the same shape as retrieval's). */
export interface FeedbackStage {
  ids: string[];
  scores: number[];
}

export type Thumbs = 'up' | 'down';
export type SourceMark = 'relevant' | 'not-relevant';

/** A model that took part, by its registry id and revision (null: the registry named none). */
export interface FeedbackModel {
  role: 'embedder' | 'reranker' | 'generator';
  id: string;
  revision: string | null;
}

/**
 * One asked question (keyed by its turn's id), written when its sources are shown and updated by each signal. It
 * holds chunk ids, not passage text: the training export reads the text at export time, so a deleted document's
 * passages drop out of it.
 */
export interface FeedbackRecord {
  id: string;
  /** When it was asked (ms since epoch). */
  at: number;
  question: string;
  /** The stand-alone query searched (a rewritten follow-up differs from the question). */
  query: string;
  /** Every query searched (more than one with multi-query). */
  queries: string[];
  /** What each stage ranked (chunk ids and scores); `final` is the order shown. */
  stages: {
    dense: FeedbackStage | null;
    keyword: FeedbackStage | null;
    fused: FeedbackStage;
    reranked: FeedbackStage | null;
    final: FeedbackStage;
  };
  /** The chunk ids shown as sources, in order: source n is shown[n - 1]. */
  shown: string[];
  /** The chunk ids the answer cites. */
  cited: string[];
  models: FeedbackModel[];
  /** The answer prompt template and version; null when no answer was written (refused). */
  prompt: { name: string; version: number } | null;
  outcome: 'done' | 'refused' | 'stopped' | 'error';
  thumbs: Thumbs | null;
  /** The optional reason given with the thumbs ('' when none). */
  reason: string;
  /** Per-source judgments, by chunk id. */
  sources: Record<string, SourceMark>;
  /** Implicit signals, by chunk id: citations opened, sources expanded; and whether the answer was copied. */
  opened: string[];
  expanded: string[];
  copied: boolean;
}
