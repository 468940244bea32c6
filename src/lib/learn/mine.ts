// Mines training examples from feedback records: positives and hard negatives per query, by chunk id.
//
// Rules (also written into the export's README):
// - Positives: a source the user marked "relevant"; and a passage cited by an answer given a thumbs up (unless the
//   user marked that passage "not relevant").
// - Hard negatives, rule "marked": a source marked "not relevant" that the search ranked high: within the first
//   HARD_TOP_K of the order shown, or above the record's lowest-ranked positive.
// - Hard negatives, rule "skipped": in an answer given a thumbs up, a passage ranked above a cited positive that was
//   not cited, never opened, never expanded and not marked relevant (the user saw better passages lower down).
// - Records with the same query (trimmed, spaces collapsed, case ignored) are merged; each passage is kept once.
// - A passage positive for a query in any record is never a negative for it: positive wins over negative.

/** The fields of a feedback record the mining reads (persistence/feedback-schema.ts FeedbackRecord has them). */
export interface FeedbackSignals {
  id: string;
  at: number;
  query: string;
  stages: { final: { ids: string[] } };
  cited: string[];
  thumbs: 'up' | 'down' | null;
  sources: Record<string, 'relevant' | 'not-relevant'>;
  opened: string[];
  expanded: string[];
}

export type NegativeRule = 'marked' | 'skipped';

export interface MinedQuery {
  /** The query as first asked (the stand-alone query searched). */
  query: string;
  /** Chunk ids, best-ranked first. */
  positives: string[];
  negatives: { id: string; rule: NegativeRule }[];
  /** The feedback records merged into this query. */
  records: string[];
}

/** A "not relevant" passage within this many of the first shown counts as ranked high. */
export const HARD_TOP_K = 10;

/** A query as feedback merges it: trimmed, spaces collapsed, lowercased. */
export const queryKey = (q: string): string => q.trim().replace(/\s+/g, ' ').toLowerCase();

/** A feedback query's key in the adapter's training set (and its `trainedOn`), as mining merges queries. */
export const feedbackKey = (query: string): string => `feedback:${queryKey(query)}`;

/** Positives and hard negatives of one record, by chunk id (before merging). */
export function mineRecord(r: FeedbackSignals): { positives: string[]; negatives: MinedQuery['negatives'] } {
  const order = r.stages.final.ids;
  const rank = (id: string) => {
    const i = order.indexOf(id);
    return i < 0 ? Infinity : i;
  };
  const mark = (id: string) => r.sources[id];
  const positive = new Set<string>();
  for (const [id, m] of Object.entries(r.sources)) if (m === 'relevant') positive.add(id);
  const citedPositives = r.thumbs === 'up' ? r.cited.filter((id) => mark(id) !== 'not-relevant') : [];
  for (const id of citedPositives) positive.add(id);
  const positives = [...positive].sort((a, b) => rank(a) - rank(b));
  const lowest = Math.max(-1, ...positives.map(rank).filter(Number.isFinite));
  const negatives: MinedQuery['negatives'] = [];
  const seen = new Set<string>();
  const add = (id: string, rule: NegativeRule) => {
    if (positive.has(id) || seen.has(id)) return;
    seen.add(id);
    negatives.push({ id, rule });
  };
  const marked = Object.entries(r.sources)
    .filter(([id, m]) => m === 'not-relevant' && (rank(id) < HARD_TOP_K || rank(id) < lowest))
    .map(([id]) => id)
    .sort((a, b) => rank(a) - rank(b));
  for (const id of marked) add(id, 'marked');
  const lowestCited = Math.max(-1, ...citedPositives.map(rank).filter(Number.isFinite));
  const touched = new Set([...r.cited, ...r.opened, ...r.expanded]);
  for (let i = 0; i < lowestCited; i++) {
    const id = order[i]!;
    if (!touched.has(id) && mark(id) === undefined) add(id, 'skipped');
  }
  return { positives, negatives };
}

/**
 * Every query with at least one positive, oldest first, records with the same query merged; a passage is a positive
 * or a negative of a query, never both.
 */
export function mineFeedback(records: readonly FeedbackSignals[]): MinedQuery[] {
  const byQuery = new Map<string, MinedQuery>();
  for (const r of [...records].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))) {
    const key = queryKey(r.query);
    if (!key) continue;
    const mined = mineRecord(r);
    const q = byQuery.get(key) ?? { query: r.query.trim(), positives: [], negatives: [], records: [] };
    byQuery.set(key, q);
    q.records.push(r.id);
    for (const id of mined.positives) if (!q.positives.includes(id)) q.positives.push(id);
    for (const n of mined.negatives) if (!q.negatives.some((m) => m.id === n.id)) q.negatives.push(n);
  }
  const out: MinedQuery[] = [];
  for (const q of byQuery.values()) {
    const positive = new Set(q.positives);
    q.negatives = q.negatives.filter((n) => !positive.has(n.id));
    if (q.positives.length) out.push(q);
  }
  return out;
}
