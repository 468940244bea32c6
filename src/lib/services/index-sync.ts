// The search worker's side of tab sync: reads another tab's saved documents from storage and updates the indexes.
import { readIndexRows, type DocumentRecord, type IndexRows, type LecternDatabase } from '../persistence';
import type { DocumentSummary } from '../pipelines/ingest';
import type { LibraryChange } from '../pipelines/library-sync';
import type { Bm25Index } from '../retrieval/bm25';
import type { ChunkMeta } from '../retrieval/search-types';
import type { VectorIndex } from '../retrieval/vector-index';

/** The search worker's live indexes (read after the storage reads, since `open` may have rebuilt them). */
export interface SyncTarget {
  meta: Map<string, ChunkMeta>;
  keyword: Bm25Index;
  dense: VectorIndex | null;
}

/**
 * Adds the stored rows of `change.added` (keyword rows, and the vectors of the embedder in use) and drops every chunk
 * of `change.removed`, and of an added document that is gone again. Adding an indexed document again changes nothing
 * (the indexes replace or skip known ids), so this tab's own import racing a consistency check is harmless. Returns
 * the added documents' summaries (no text).
 */
export async function syncIndexes(
  db: LecternDatabase,
  embedderId: string | null,
  change: LibraryChange,
  target: () => SyncTarget,
): Promise<DocumentSummary[]> {
  const rows = await Promise.all(change.added.map((id) => readIndexRows(db, id, embedderId)));
  const { meta, keyword, dense } = target();
  // Everything below runs without awaiting, so no search sees half a change.
  const gone = new Set([...change.removed, ...change.added.filter((_, i) => !rows[i]!.doc)]);
  // Most messages only add (a backfilled document, an import): no scan of every chunk for them.
  const stale = gone.size ? [...meta].filter(([, m]) => gone.has(m.docId)).map(([id]) => id) : [];
  for (const id of stale) {
    meta.delete(id);
    keyword.remove(id);
  }
  if (stale.length) dense?.remove(stale);
  const docs: DocumentSummary[] = [];
  for (const r of rows) if (r.doc) docs.push(add(r.doc, r, { meta, keyword, dense }));
  return docs;
}

function add(doc: DocumentRecord, r: IndexRows, { meta, keyword, dense }: SyncTarget): DocumentSummary {
  const { text: _text, ...summary } = doc;
  const m: ChunkMeta = { docId: summary.id, kind: summary.kind, addedAt: summary.addedAt };
  for (const id of r.chunkIds) meta.set(id, m);
  for (const row of r.keywords)
    keyword.importDoc({ id: row.chunkId, length: row.length, terms: row.terms, freqs: row.freqs });
  if (dense && r.vectorIds.length && r.dims === dense.dims) dense.add(r.vectorIds, r.data);
  return summary;
}
