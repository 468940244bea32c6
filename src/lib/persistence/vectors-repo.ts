// Bulk access to stored embeddings: load one embedder's vectors as a single matrix, clear them all.
import { AppError } from '../errors';
import type { LecternDatabase } from './db';
import type { VectorRecord } from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Row i of `data` (offset i * dims) is the vector of chunk ids[i] in document docIds[i]. */
export interface LoadedVectors {
  ids: string[];
  docIds: string[];
  /** 0 when no vectors matched. */
  dims: number;
  /** Row-major, ids.length × dims. */
  data: Float32Array;
}

/**
 * Rows fetched per getAll. Paged getAll in one transaction is much faster than a per-row cursor
 * (one event-loop round trip per row) and bounds the memory held by records awaiting copy.
 */
const PAGE_SIZE = 1024;

/** Loads every vector of one embedder, in chunk-id order, from one consistent snapshot. */
export async function loadAllVectors(db: LecternDatabase, embedderId: string): Promise<LoadedVectors> {
  return guardStorage('loadAllVectors', async () => {
    const tx = db.transaction('vectors');
    const store = tx.store;
    const ids: string[] = [];
    const docIds: string[] = [];
    let dims = 0;
    let data = new Float32Array(0);
    let rows = 0;
    // Upper bound on the rows (other embedders' rows included), so the matrix is allocated once.
    const capacity = await store.count();
    let range: IDBKeyRange | null = null;
    for (;;) {
      const page: VectorRecord[] = await store.getAll(range, PAGE_SIZE);
      for (const record of page) {
        if (record.embedderId !== embedderId) continue;
        if (rows === 0) {
          dims = record.dims;
          data = new Float32Array(capacity * dims);
        }
        const values = record.dims === dims ? vectorValues(record) : null;
        if (!values) {
          throw new AppError('EMBEDDING_DIMS_MISMATCH', undefined, {
            chunkId: record.chunkId,
            // The row's own dims when they differ, else what its bytes hold (a damaged row).
            got: record.dims !== dims ? record.dims : Math.floor(record.data.byteLength / (record.bits === 8 ? 1 : 4)),
            dims,
            actualBytes: record.data.byteLength,
          });
        }
        data.set(values, rows * dims);
        ids.push(record.chunkId);
        docIds.push(record.docId);
        rows++;
      }
      const last = page[page.length - 1];
      if (page.length < PAGE_SIZE || !last) break;
      range = IDBKeyRange.lowerBound(last.chunkId, true);
    }
    await tx.done;
    // Drop the slack left by other embedders' rows.
    if (rows * dims < data.length) data = data.slice(0, rows * dims);
    return { ids, docIds, dims, data };
  });
}

/** Deletes every stored vector (e.g. before re-indexing with another embedder). */
export async function clearVectors(db: LecternDatabase): Promise<void> {
  await guardStorage('clearVectors', () => {
    const tx = db.transaction(['vectors', 'journal'], 'readwrite');
    return runInTransaction(tx, 'clearVectors', (track) => {
      track(tx.objectStore('vectors').clear());
      // Every document's vectors changed: a stored index snapshot no longer holds.
      track(tx.objectStore('journal').add({ docId: '*' }));
    });
  });
}

/**
 * A stored vector's values as float32 (int8 rows scaled back), or null when its bytes do not fit its dims and
 * encoding (a damaged row).
 */
export function vectorValues(record: VectorRecord): Float32Array | null {
  const { dims, data } = record;
  if (!Number.isInteger(dims) || dims <= 0) return null;
  if (record.bits === undefined) return data.byteLength === dims * 4 ? new Float32Array(data) : null;
  const scale = record.scale;
  if (record.bits !== 8 || data.byteLength !== dims || typeof scale !== 'number' || !Number.isFinite(scale))
    return null;
  return Float32Array.from(new Int8Array(data), (v) => v * scale);
}

/** Builds a float32 VectorRecord holding exactly this embedding's bytes (it may be a view into a batch output). */
export function toVectorRecord(
  chunkId: string,
  docId: string,
  embedderId: string,
  embedding: Float32Array,
): VectorRecord {
  return { chunkId, docId, embedderId, dims: embedding.length, data: embedding.slice().buffer };
}
