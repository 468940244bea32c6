// Record shapes of the learning stores (v6): the query adapter per embedder, and deep mode's cached relevance judgments.

/**
 * A trained query adapter (learn/query-adapter.ts), keyed by the embedder's model key: it applies only to the query
 * vectors of the model it was trained for. Saved with the library (the archive export of it is #15's next step).
 */
export interface AdapterRecord {
  embedderId: string;
  dims: number;
  /** W, dims × dims, row-major. */
  weights: Float32Array;
  /** Whether searches use it: on when it beat the identity on the held-out split, and as the user switches it. */
  enabled: boolean;
  /** The held-out split's nDCG@10 with the identity and with the adapter, and its size. */
  heldOut: { before: number; after: number; queries: number };
  trainQueries: number;
  /**
   * The training split's query keys (`synthetic:<question id>`, `feedback:<query, lowercased>`): an evaluation with
   * the adapter on leaves these out. Absent in records trained before it was kept.
   */
  trainedOn?: string[];
  trainPairs: number;
  /** Where the training queries came from. */
  sources: { feedback: number; synthetic: number };
  trainedAt: number;
}

/**
 * One deep-mode judgment: the generator's reasoning about a passage for a question and the probability of its "yes"
 * verdict. Keyed by a hash of (question, instructions, chunk id, the passage text's hash, model key, prompt name and
 * version), so a passage that changed under the same id is judged again; removed with its document (the reasoning
 * quotes the passage) and cleared by a replace import.
 */
export interface JudgmentRecord {
  key: string;
  chunkId: string;
  docId: string;
  model: string;
  /** `<prompt name>@<version>`. */
  prompt: string;
  probability: number;
  reasoning: string;
  at: number;
}
