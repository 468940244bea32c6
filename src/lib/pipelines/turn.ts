// One question and its answer as the conversation keeps it: the turn, its sources and its phases.
import type { SentenceGrounding } from '../answer/grounding';
import type { TokenMatch } from '../retrieval/search-types';
import type { TurnInstruction } from './instruction-step';

export interface Source {
  n: number;
  chunkId: string;
  docId: string;
  docName: string;
  text: string;
  /** Character range of the chunk in its document's text. */
  start: number;
  end: number;
  /** The score shown: mean MaxSim when reranked (the order also weighs the first stage), else the fusion score. */
  score: number;
  scoreKind: 'rerank' | 'fusion';
  denseScore: number | null;
  keywordScore: number | null;
  headingPath: string[];
  pageStart: number | null;
  /** Per query token, its best document token (late interaction), for the explanation view. */
  matches: TokenMatch[];
  docTokens: string[];
  /** The published library it came from (its name); null or absent for the user's own library. */
  library?: string | null;
  /** Its document was deleted: the text and everything read from it are gone, only the number and name stay. */
  deleted?: boolean;
  /** Deep mode's judgment of it, when deep mode judged it (the reasoning may quote the passage). */
  deep?: SourceJudgment;
}

/** Deep mode's judgment of one source as shown: reasoning (model output, shown as text only) and the verdict. */
export interface SourceJudgment {
  reasoning: string;
  /** P(yes) from the verdict tokens; null when they could not be read. */
  probability: number | null;
  /** 'judging' while the reasoning streams; 'waiting' until its turn; 'stopped' when the stage stopped first. */
  state: 'waiting' | 'judging' | 'done' | 'stopped';
  /** Read from the judgment cache rather than judged now. */
  cached?: boolean;
}

export type ChatPhase =
  'idle' | 'rewriting' | 'searching' | 'loading-model' | 'generating' | 'done' | 'refused' | 'stopped' | 'error';

/** Phases during which a question is still being worked on. */
export const BUSY: readonly ChatPhase[] = ['rewriting', 'searching', 'loading-model', 'generating'];

export interface Turn {
  /** Stable across reloads: the key of its feedback record. Absent in turns saved before feedback existed. */
  id?: string;
  question: string;
  /** The stand-alone query actually searched (differs from the question for follow-ups). */
  query: string;
  answer: string;
  phase: ChatPhase;
  sources: Source[];
  grounding: SentenceGrounding[];
  /** Passage numbers sent to the model, and those left out for lack of room. */
  used: number[];
  dropped: number[];
  prompt: { name: string; version: number } | null;
  /** The search instruction it followed and the filters it became; absent when none. */
  instruction?: TurnInstruction;
}

const JUDGMENT_STATES: readonly SourceJudgment['state'][] = ['waiting', 'judging', 'done', 'stopped'];

/**
 * A stored source as the panel can show it: a judgment that is not well formed (an imported archive is not trusted)
 * is dropped, and one stored while under way (the page closed mid-judgment) shows as stopped.
 */
export function readSource(source: Source): Source {
  const d = source.deep as unknown;
  if (d === undefined) return source;
  const j = d as Partial<SourceJudgment> | null;
  const fits =
    typeof j === 'object' &&
    j !== null &&
    typeof j.reasoning === 'string' &&
    (j.probability === null || (typeof j.probability === 'number' && Number.isFinite(j.probability))) &&
    JUDGMENT_STATES.includes(j.state!);
  if (!fits) {
    const { deep: _dropped, ...rest } = source;
    return rest;
  }
  return j.state === 'judging' || j.state === 'waiting'
    ? { ...source, deep: { ...j, state: 'stopped' } as SourceJudgment }
    : source;
}

/** The source with every piece of its document's text removed. */
export function scrubSource(source: Source): Source {
  const { deep: _reasoning, ...rest } = source;
  return { ...rest, text: '', headingPath: [], matches: [], docTokens: [], deleted: true };
}

/** The turns with the passages of a deleted document scrubbed, so no copy of its text outlives it. */
export function forgetDocument(turns: readonly Turn[], docId: string): Turn[] {
  return turns.map((t) =>
    t.sources.some((s) => s.docId === docId)
      ? { ...t, sources: t.sources.map((s) => (s.docId === docId ? scrubSource(s) : s)) }
      : t,
  );
}
