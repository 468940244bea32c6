// The search worker's indexes to and from a stored snapshot: chunk meta, BM25 postings and the exact int8 rows.
import type { DocumentKind } from '../ingest/types';
import type { IndexSnapshot } from '../persistence';
import { Bm25Index } from '../retrieval/bm25';
import { ExactIndex } from '../retrieval/exact-index';
import type { ChunkMeta } from '../retrieval/search-types';
import type { VectorIndex } from '../retrieval/vector-index';

export interface LiveIndexes {
  meta: Map<string, ChunkMeta>;
  keyword: Bm25Index;
  dense: VectorIndex | null;
}

/**
 * The live indexes as a snapshot (copies: the indexes may change while it is written). Only an exact int8 dense index
 * is kept (Voy rebuilds from the rows). Compacts the keyword index as a side effect.
 */
export function captureSnapshot({ meta, keyword, dense }: LiveIndexes, embedderKey: string | null): IndexSnapshot {
  const docIndex = new Map<string, number>();
  const docs: IndexSnapshot['docs'] = { ids: [], kinds: [], addedAt: new Float64Array(0) };
  const addedAt: number[] = [];
  const chunkIds: string[] = [];
  const chunkDocs = new Int32Array(meta.size);
  for (const [id, m] of meta) {
    let d = docIndex.get(m.docId);
    if (d === undefined) {
      d = docs.ids.length;
      docIndex.set(m.docId, d);
      docs.ids.push(m.docId);
      docs.kinds.push(m.kind);
      addedAt.push(m.addedAt);
    }
    chunkDocs[chunkIds.length] = d;
    chunkIds.push(id);
  }
  docs.addedAt = Float64Array.from(addedAt);
  const postings = keyword.toPostings();
  let snapshotDense: IndexSnapshot['dense'] = null;
  if (embedderKey && dense instanceof ExactIndex && dense.precision === 'int8') {
    const rows = dense.int8Rows();
    snapshotDense = {
      embedderKey,
      dims: dense.dims,
      stride: rows.stride,
      ids: [...rows.ids],
      rows: rows.rows.slice(),
      scales: rows.scales.slice(),
    };
  }
  return {
    docs,
    chunks: { ids: chunkIds, docs: chunkDocs },
    keywords: postings,
    dense: snapshotDense,
  };
}

/**
 * The indexes a snapshot holds. `dense` is restored only for the embedder in use (its model key) with the exact
 * engine; otherwise null, and the caller builds it from the stored vectors.
 */
export function restoreSnapshot(
  snapshot: IndexSnapshot,
  embedder: { key: string; dims: number } | null,
  denseKind: 'exact' | 'voy',
): LiveIndexes {
  const { docs, chunks } = snapshot;
  const docMeta = docs.ids.map((docId, i): ChunkMeta => ({
    docId,
    kind: docs.kinds[i] as DocumentKind,
    addedAt: docs.addedAt[i]!,
  }));
  const meta = new Map<string, ChunkMeta>();
  chunks.ids.forEach((id, i) => meta.set(id, docMeta[chunks.docs[i]!]!));
  const keyword = Bm25Index.fromPostings(snapshot.keywords);
  const d = snapshot.dense;
  const dense =
    d && embedder && denseKind === 'exact' && d.embedderKey === embedder.key && d.dims === embedder.dims
      ? ExactIndex.fromInt8Rows(d.dims, d)
      : null;
  return { meta, keyword, dense };
}
