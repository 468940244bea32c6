// Record shapes of the evaluation stores (v5): the evaluation set and the finished runs.

/**
 * One question of the evaluation set, with the passage(s) that answer it. Synthetic ones come from the generator
 * (with the prompt that wrote them), others are written by the user or taken from judged feedback; the user can edit
 * or delete any.
 */
export interface EvalQuestionRecord {
  id: string;
  text: string;
  /** The document of its (first) gold passage (indexed: deleting a document removes its questions). */
  docId: string;
  /** Gold passages: the chunk ids that answer it (relevance 1 each); empty when judged by document (`documents`). */
  chunkIds: string[];
  origin: 'synthetic' | 'user' | 'feedback' | 'benchmark';
  /**
   * Benchmark questions (a BEIR dataset's judged queries) are judged by document, not passage: document id → graded
   * relevance. A ranking is read by document (each document at its best passage's place).
   */
  documents?: Record<string, number>;
  /** Documents never counted in this question's ranking (BEIR's ignore_identical_ids: the one named as the query). */
  ignore?: string[];
  /** The benchmark it came from, e.g. `scifact` (benchmark only). */
  dataset?: string;
  createdAt: number;
  /** The prompt that wrote it (synthetic only). */
  prompt?: { name: string; version: number };
  /** The user changed its text or gold passages. */
  edited?: boolean;
}

/** One finished evaluation run: its configuration rows and figures (shape owned by src/lib/evaluation). */
export interface EvalRunRecord {
  id: string;
  at: number;
  [field: string]: unknown;
}
