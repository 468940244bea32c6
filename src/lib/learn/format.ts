// Turns mined queries into the JSONL rows Sentence-Transformers and PyLate train from, with the passages' texts.
import type { MinedQuery } from './mine';

export interface PairRow {
  query: string;
  positive: string;
}
export interface TripletRow {
  query: string;
  positive: string;
  negative: string;
}
export interface ColbertRow {
  query: string;
  positive: string;
  negatives: string[];
}

export interface TrainingRows {
  pairs: PairRow[];
  triplets: TripletRow[];
  colbert: ColbertRow[];
  /** Queries with rows, and passages left out because their text is gone (their document was deleted). */
  queries: number;
  missing: number;
}

/**
 * Reads each passage's text through `text` (undefined: its document was deleted, the passage is left out) and builds
 * the rows. Passages with the same text count once; a text that is a positive is never a negative of the same query;
 * a query left with no positive gives no rows. ColBERT rows need at least one negative.
 */
export function trainingRows(mined: readonly MinedQuery[], text: (id: string) => string | undefined): TrainingRows {
  const out: TrainingRows = { pairs: [], triplets: [], colbert: [], queries: 0, missing: 0 };
  const missing = new Set<string>();
  const texts = (ids: readonly string[]) => {
    const found: string[] = [];
    for (const id of ids) {
      const t = text(id);
      if (t === undefined || !t.trim()) missing.add(id);
      else if (!found.includes(t)) found.push(t);
    }
    return found;
  };
  for (const q of mined) {
    const positives = texts(q.positives);
    const negatives = texts(q.negatives.map((n) => n.id)).filter((t) => !positives.includes(t));
    if (!positives.length) continue;
    out.queries++;
    for (const positive of positives) {
      out.pairs.push({ query: q.query, positive });
      for (const negative of negatives) out.triplets.push({ query: q.query, positive, negative });
      if (negatives.length) out.colbert.push({ query: q.query, positive, negatives: [...negatives] });
    }
  }
  out.missing = missing.size;
  return out;
}

/** One JSON object a line, each line ending in a newline (JSON Lines). */
export function toJsonl(rows: readonly object[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
