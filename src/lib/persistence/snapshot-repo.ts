// The search-index snapshot: read in one transaction with the journal after it, written in one that trims the journal.
import type { LecternDatabase } from './db';
import type {
  SnapshotBlock,
  SnapshotChunks,
  SnapshotDense,
  SnapshotDocs,
  SnapshotHead,
  SnapshotKeywords,
} from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** A snapshot of another format is ignored (the indexes are rebuilt from the rows and stored again). */
export const SNAPSHOT_FORMAT = 1;
/** Int32 values per keyword postings block (4 MB). */
export const SNAPSHOT_BLOCK = 1 << 20;
/** Dense rows per block (3 MB at 384 dims). */
export const SNAPSHOT_ROWS = 8_192;

/** The search indexes as typed arrays (see services/index-snapshot.ts for how they are made and restored). */
export interface IndexSnapshot {
  docs: Omit<SnapshotDocs, 'key'>;
  chunks: Omit<SnapshotChunks, 'key'>;
  keywords: Omit<SnapshotKeywords, 'key' | 'blocks'> & { data: Int32Array };
  dense: (Omit<SnapshotDense, 'key' | 'blocks'> & { rows: Int8Array; scales: Float32Array }) | null;
}

export interface StoredSnapshot {
  /** Null when none is stored, or one of another format. */
  snapshot: IndexSnapshot | null;
  /** The last journal entry the snapshot includes (with no snapshot: the last entry before this read). */
  seq: number;
  /** The newest journal entry read: replaying `changed` brings the indexes up to it. */
  latest: number;
  /** Documents journaled after `seq`, each once; '*' when every document may have changed. */
  changed: string[];
  /** Rows in storage at the time of this read, for the consistency check. */
  counts: { documents: number; keywords: number };
}

/** The snapshot, the journal after it and the row counts, from one read transaction (one consistent view). */
export async function readSnapshot(db: LecternDatabase): Promise<StoredSnapshot> {
  return guardStorage('readSnapshot', async () => {
    const tx = db.transaction(['snapshot', 'journal', 'documents', 'keywords']);
    const head = (await tx.objectStore('snapshot').get('head')) as SnapshotHead | undefined;
    const usable = head?.format === SNAPSHOT_FORMAT;
    const lastEntry = await tx.objectStore('journal').openKeyCursor(null, 'prev');
    const latest = lastEntry ? lastEntry.key : usable ? head.seq : 0;
    const seq = usable ? head.seq : latest;
    const [records, entries, documents, keywords] = await Promise.all([
      usable ? tx.objectStore('snapshot').getAll() : Promise.resolve([]),
      usable && latest > seq
        ? tx.objectStore('journal').getAll(IDBKeyRange.bound(seq, latest, true, false))
        : Promise.resolve([]),
      tx.objectStore('documents').count(),
      tx.objectStore('keywords').count(),
    ]);
    await tx.done;
    const snapshot = usable ? assemble(head, new Map(records.map((r) => [r.key, r]))) : null;
    const changed = [...new Set(entries.map((e) => e.docId))];
    return { snapshot, seq, latest, changed: changed.includes('*') ? ['*'] : changed, counts: { documents, keywords } };
  });
}

/** Documents journaled after `seq` (each once) and the newest entry's number (`seq` when there is none). */
export async function journalSince(db: LecternDatabase, seq: number): Promise<{ latest: number; changed: string[] }> {
  return guardStorage('readJournal', async () => {
    const entries = await db.getAll('journal', IDBKeyRange.lowerBound(seq, true));
    const latest = entries.length ? entries[entries.length - 1]!.seq! : seq;
    const changed = [...new Set(entries.map((e) => e.docId))];
    return { latest, changed: changed.includes('*') ? ['*'] : changed };
  });
}

/**
 * Replaces the stored snapshot with `snapshot`, which includes every journal entry up to `seq`, and drops those
 * entries, in one transaction. Returns false (and writes nothing) when a newer snapshot is already stored (another
 * tab's), since dropping its entries again would be harmless but going back would lose them.
 */
export async function writeSnapshot(db: LecternDatabase, snapshot: IndexSnapshot, seq: number): Promise<boolean> {
  return guardStorage('writeSnapshot', () => {
    const tx = db.transaction(['snapshot', 'journal'], 'readwrite');
    return runInTransaction(tx, 'writeSnapshot', async (track) => {
      const store = tx.objectStore('snapshot');
      const current = (await store.get('head')) as SnapshotHead | undefined;
      if (current?.format === SNAPSHOT_FORMAT && current.seq > seq) return false;
      track(store.clear());
      const { docs, chunks, keywords, dense } = snapshot;
      track(store.put({ key: 'docs', ...docs }));
      track(store.put({ key: 'chunks', ...chunks }));
      const { data, ...postings } = keywords;
      const keywordBlocks = blocks(data, SNAPSHOT_BLOCK);
      track(store.put({ key: 'keywords', ...postings, blocks: keywordBlocks.length }));
      keywordBlocks.forEach((block, i) => track(store.put({ key: `keywords:${i}`, data: block })));
      if (dense) {
        const { rows, scales, ...rest } = dense;
        const rowBlocks = blocks(rows, SNAPSHOT_ROWS * dense.stride);
        const scaleBlocks = blocks(scales, SNAPSHOT_ROWS);
        track(store.put({ key: 'dense', ...rest, blocks: rowBlocks.length }));
        rowBlocks.forEach((block, i) => track(store.put({ key: `dense:rows:${i}`, data: block })));
        scaleBlocks.forEach((block, i) => track(store.put({ key: `dense:scales:${i}`, data: block })));
      }
      const head: SnapshotHead = {
        key: 'head',
        format: SNAPSHOT_FORMAT,
        seq,
        chunks: chunks.ids.length,
        docs: docs.ids.length,
        dense: dense !== null,
        createdAt: Date.now(),
      };
      track(store.put(head));
      track(tx.objectStore('journal').delete(IDBKeyRange.upperBound(seq)));
      return true;
    });
  });
}

/** Copies of `data` in pieces of at most `size` values (at least one piece, maybe empty). */
function blocks<T extends Int32Array | Int8Array | Float32Array>(data: T, size: number): T[] {
  const out: T[] = [];
  for (let at = 0; at < data.length || out.length === 0; at += size) out.push(data.slice(at, at + size) as T);
  return out;
}

/** One array from its blocks; null when a block is missing or of another type. */
function join<T extends Int32Array | Int8Array | Float32Array>(
  parts: Map<string, unknown>,
  prefix: string,
  count: number,
  make: new (length: number) => T,
): T | null {
  const found: T[] = [];
  for (let i = 0; i < count; i++) {
    const block = (parts.get(`${prefix}:${i}`) as SnapshotBlock | undefined)?.data;
    if (!(block instanceof make)) return null;
    found.push(block as T);
  }
  const out = new make(found.reduce((n, b) => n + b.length, 0));
  let at = 0;
  for (const b of found) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** The snapshot from its records; null when a part is missing (a damaged store: the indexes are rebuilt). */
function assemble(head: SnapshotHead, parts: Map<string, unknown>): IndexSnapshot | null {
  const docs = parts.get('docs') as SnapshotDocs | undefined;
  const chunks = parts.get('chunks') as SnapshotChunks | undefined;
  const keywords = parts.get('keywords') as SnapshotKeywords | undefined;
  if (!docs || !chunks || !keywords) return null;
  const data = join(parts, 'keywords', keywords.blocks, Int32Array);
  if (!data) return null;
  let dense: IndexSnapshot['dense'] = null;
  const d = parts.get('dense') as SnapshotDense | undefined;
  if (head.dense) {
    const rows = d && join(parts, 'dense:rows', d.blocks, Int8Array);
    const scales = d && join(parts, 'dense:scales', d.blocks, Float32Array);
    if (!d || !rows || !scales) return null;
    dense = { embedderKey: d.embedderKey, dims: d.dims, stride: d.stride, ids: d.ids, rows, scales };
  }
  const strip = <T extends { key: string }>({ key: _key, ...rest }: T) => rest;
  const { blocks: _blocks, ...postings } = strip(keywords);
  return { docs: strip(docs), chunks: strip(chunks), keywords: { ...postings, data }, dense };
}
