// Search within the library: which documents a typed filter keeps (by name), and the count line the list shows.

/** Lower-cased, trimmed filter text; empty keeps every document. */
export const normalizeFilter = (query: string): string => query.trim().toLowerCase();

/**
 * The documents whose name contains `query` (trimmed, case-insensitive), in their order. A plain substring test per
 * name: linear in the names' length, and no pattern is ever built from what was typed. `lowered` may hold the names
 * already lower-cased (same order and length as `docs`), so each keystroke does not lower-case the library again.
 */
export function filterByName<T extends { name: string }>(
  docs: readonly T[],
  query: string,
  lowered?: readonly string[],
): readonly T[] {
  const q = normalizeFilter(query);
  if (!q) return docs;
  const names = lowered && lowered.length === docs.length ? lowered : null;
  const out: T[] = [];
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i]!;
    if ((names ? names[i]! : doc.name.toLowerCase()).includes(q)) out.push(doc);
  }
  return out;
}

const number = (n: number) => n.toLocaleString('en-US');

/** "10,000 documents" without a filter; "12 of 10,000 documents" with one. */
export function filterSummary(shown: number, total: number, filtering: boolean): string {
  const noun = total === 1 ? 'document' : 'documents';
  return filtering ? `${number(shown)} of ${number(total)} ${noun}` : `${number(total)} ${noun}`;
}
