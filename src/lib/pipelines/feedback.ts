// Feedback records: the one written when an answer's sources show, and each signal the user gives applied to it.
import type { FeedbackModel, FeedbackRecord, FeedbackStage, SourceMark, Thumbs } from '../persistence/feedback-schema';
import type { RetrieveTrace } from '../retrieval/search-types';

export type { FeedbackModel, FeedbackRecord, SourceMark, Thumbs };

/** What the search of one question ranked (the ask pipeline's `searched` event). */
export interface AskedSearch {
  queries: string[];
  /** Every stage's ranking; null when the search gave none. */
  trace: RetrieveTrace | null;
  /** The order shown (after the cut to topK), with its scores. */
  final: FeedbackStage;
}

export interface FeedbackStart {
  id: string;
  at: number;
  question: string;
  query: string;
  search: AskedSearch;
  /** Chunk ids of the sources shown, in order. */
  shown: string[];
  models: FeedbackModel[];
}

/** A signal from the user (explicit or implicit), or the ask's end (its outcome, citations and prompt). */
export type FeedbackSignal =
  | { kind: 'thumbs'; thumbs: Thumbs | null }
  | { kind: 'reason'; reason: string }
  | { kind: 'mark'; chunkId: string; mark: SourceMark | null }
  | { kind: 'opened'; chunkId: string }
  | { kind: 'expanded'; chunkId: string }
  | { kind: 'copied' }
  /** The sources were shown again in a new order (deep mode's): the record's final stage and shown list follow it. */
  | { kind: 'reordered'; final: { ids: string[]; scores: number[] }; shown: string[] }
  | {
      kind: 'finished';
      outcome: FeedbackRecord['outcome'];
      cited: string[];
      prompt: FeedbackRecord['prompt'];
      /** The models in use at the end (the answer model loads after the sources show); absent: unchanged. */
      models?: FeedbackModel[];
    };

const stage = (s: { ids: string[]; scores: number[] } | null | undefined): FeedbackStage | null =>
  s ? { ids: [...s.ids], scores: [...s.scores] } : null;

/** The record of a question whose sources were just shown (its outcome 'stopped' until the ask ends). */
export function newFeedback(start: FeedbackStart): FeedbackRecord {
  const { trace, final, queries } = start.search;
  return {
    id: start.id,
    at: start.at,
    question: start.question,
    query: start.query,
    queries: [...queries],
    stages: {
      dense: stage(trace?.dense),
      keyword: stage(trace?.keyword),
      fused: stage(trace?.fused) ?? stage(final)!,
      reranked: stage(trace?.reranked),
      final: stage(final)!,
    },
    shown: [...start.shown],
    cited: [],
    models: start.models.map((m) => ({ ...m })),
    prompt: null,
    outcome: 'stopped',
    thumbs: null,
    reason: '',
    sources: {},
    opened: [],
    expanded: [],
    copied: false,
  };
}

const once = (list: readonly string[], id: string) => (list.includes(id) ? [...list] : [...list, id]);

/** The record with one signal applied (a new object; the input is left as it was). */
export function applySignal(r: FeedbackRecord, s: FeedbackSignal): FeedbackRecord {
  switch (s.kind) {
    case 'thumbs':
      // Taking the thumb back takes its reason with it.
      return { ...r, thumbs: s.thumbs, reason: s.thumbs === null ? '' : r.reason };
    case 'reason':
      return { ...r, reason: s.reason.trim() };
    case 'mark': {
      const sources = { ...r.sources };
      if (s.mark === null) delete sources[s.chunkId];
      else sources[s.chunkId] = s.mark;
      return { ...r, sources };
    }
    case 'opened':
      return { ...r, opened: once(r.opened, s.chunkId) };
    case 'expanded':
      return { ...r, expanded: once(r.expanded, s.chunkId) };
    case 'copied':
      return { ...r, copied: true };
    case 'reordered':
      // The marks, opens and expands given meanwhile stay: they were given to these passages.
      return { ...r, stages: { ...r.stages, final: stage(s.final)! }, shown: [...s.shown] };
    case 'finished':
      return {
        ...r,
        outcome: s.outcome,
        cited: [...s.cited],
        prompt: s.prompt && { ...s.prompt },
        models: s.models ? s.models.map((m) => ({ ...m })) : r.models,
      };
  }
}
