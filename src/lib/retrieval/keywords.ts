// Per-chunk keyword counts computed at ingest, exactly as the BM25 index would count them.
import { Bm25Index, type Bm25DocPostings } from './bm25';

/** Term counts of one text, ready to store and to import into a Bm25Index later. */
export function keywordCounts(id: string, text: string): Bm25DocPostings {
  const scratch = new Bm25Index();
  scratch.add(id, text);
  return scratch.exportDoc(id) ?? { id, length: 0, terms: [], freqs: [] };
}
