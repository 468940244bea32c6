// The search-index snapshot: read in one transaction with the journal after it; written in parts, its head switched last.
import type { LecternDatabase } from './db';
import type {
  JournalRecord,
  SnapshotBlock,
  SnapshotChunks,
  SnapshotDense,
  SnapshotDocs,
  SnapshotHead,
  SnapshotKeywords,
  SnapshotRecord,
} from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** A snapshot of another format is ignored (the indexes are rebuilt from the rows and stored again). */
export const SNAPSHOT_FORMAT = 2;
/** Int32 values per keyword postings block (4 MB). */
export const SNAPSHOT_BLOCK = 1 << 20;
/** Dense rows per block (3 MB at 384 dims). */
export const SNAPSHOT_ROWS = 8_192;
/** Bytes of parts written per transaction: large ones fail in Chromium (seen as QuotaExceededError at 300k passages). */
const BYTES_PER_TX = 32 << 20;

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
  /** Rows in storage at the time of this read, for the consistency check (`vectors`: the embedder's, by key). */
  counts: { keywords: number; vectors: number };
}

/**
 * The snapshot, the journal after it and the row counts (keyword rows; vector rows stored under `embedderKey`), from
 * one read transaction (one consistent view).
 */
export async function readSnapshot(db: LecternDatabase, embedderKey: string | null): Promise<StoredSnapshot> {
  return guardStorage('readSnapshot', async () => {
    const tx = db.transaction(['snapshot', 'journal', 'keywords', 'vectors']);
    const head = (await tx.objectStore('snapshot').get('head')) as SnapshotHead | undefined;
    const usable = head?.format === SNAPSHOT_FORMAT;
    const lastEntry = await tx.objectStore('journal').openKeyCursor(null, 'prev');
    const latest = lastEntry ? lastEntry.key : usable ? head.seq : 0;
    const seq = usable ? head.seq : latest;
    const [records, entries, keywords, vectors] = await Promise.all([
      usable ? tx.objectStore('snapshot').getAll(generation(head.gen)) : Promise.resolve([]),
      usable && latest > seq
        ? tx.objectStore('journal').getAll(IDBKeyRange.bound(seq, latest, true, false))
        : Promise.resolve([]),
      tx.objectStore('keywords').count(),
      embedderKey ? tx.objectStore('vectors').index('byEmbedder').count(embedderKey) : Promise.resolve(0),
    ]);
    await tx.done;
    const parts = new Map(records.map((r) => [r.key.slice(head!.gen.length + 1), r]));
    const snapshot = usable ? assemble(head, parts) : null;
    return { snapshot, seq, latest, changed: changedDocs(entries), counts: { keywords, vectors } };
  });
}

/** Documents journaled after `seq` (each once) and the newest entry's number (`seq` when there is none). */
export async function journalSince(db: LecternDatabase, seq: number): Promise<{ latest: number; changed: string[] }> {
  return guardStorage('readJournal', async () => {
    const entries = await db.getAll('journal', IDBKeyRange.lowerBound(seq, true));
    const latest = entries.length ? entries[entries.length - 1]!.seq! : seq;
    return { latest, changed: changedDocs(entries) };
  });
}

/** The documents journal entries name, each once; ['*'] when one says every document may have changed. */
function changedDocs(entries: readonly JournalRecord[]): string[] {
  const changed = [...new Set(entries.map((e) => e.docId))];
  return changed.includes('*') ? ['*'] : changed;
}

/** Every key of one generation's parts. */
const generation = (gen: string) => IDBKeyRange.bound(`${gen}:`, `${gen}:\uffff`);

/**
 * Replaces the stored snapshot with `snapshot`, which includes every journal entry up to `seq`, and drops those
 * entries. `base` is the entry the writer's indexes were last brought up to from storage (its open, its last write):
 * it replayed every entry after it. The parts go in under a new generation over several transactions; one last
 * transaction switches the head to it, drops the old parts and the journal entries.
 *
 * Returns false, and leaves the stored snapshot, when a snapshot past `base` is stored (another tab's): that write
 * dropped journal entries this writer never replayed, so its indexes may lack them and must not be stored.
 */
export async function writeSnapshot(
  db: LecternDatabase,
  snapshot: IndexSnapshot,
  seq: number,
  base: number,
): Promise<boolean> {
  const newer = (head: SnapshotHead | undefined) => head?.format === SNAPSHOT_FORMAT && head.seq > base;
  return guardStorage('writeSnapshot', async () => {
    const before = (await db.get('snapshot', 'head')) as SnapshotHead | undefined;
    if (newer(before)) return false;
    const gen = `g${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const records = snapshotRecords(snapshot, gen);
    try {
      for (let at = 0; at < records.length;) {
        let bytes = 0;
        const batch: SnapshotRecord[] = [];
        while (at < records.length && (batch.length === 0 || bytes < BYTES_PER_TX)) {
          bytes += recordBytes(records[at]!);
          batch.push(records[at++]!);
        }
        const tx = db.transaction('snapshot', 'readwrite');
        await runInTransaction(tx, 'writeSnapshot', (track) => {
          for (const r of batch) track(tx.store.put(r));
        });
      }
      const tx = db.transaction(['snapshot', 'journal'], 'readwrite');
      return await runInTransaction(tx, 'writeSnapshot', async (track) => {
        const store = tx.objectStore('snapshot');
        const current = (await store.get('head')) as SnapshotHead | undefined;
        // Another writer switched the head since we looked: keep theirs, drop ours.
        if (current?.gen !== before?.gen || newer(current)) {
          track(store.delete(generation(gen)));
          return false;
        }
        // Leftovers of unfinished writes, and the generation this one replaces.
        for (const key of await store.getAllKeys())
          if (key !== 'head' && !key.startsWith(`${gen}:`)) track(store.delete(key));
        const head: SnapshotHead = {
          key: 'head',
          format: SNAPSHOT_FORMAT,
          gen,
          seq,
          chunks: snapshot.chunks.ids.length,
          docs: snapshot.docs.ids.length,
          dense: snapshot.dense !== null,
          createdAt: Date.now(),
        };
        track(store.put(head));
        track(tx.objectStore('journal').delete(IDBKeyRange.upperBound(seq)));
        return true;
      });
    } catch (err) {
      // Best effort: the parts of a write that failed are leftovers the next write removes anyway.
      await db.delete('snapshot', generation(gen)).catch(() => {});
      throw err;
    }
  });
}

/** The parts of a snapshot as records under generation `gen` (blocks of large arrays in records of their own). */
function snapshotRecords({ docs, chunks, keywords, dense }: IndexSnapshot, gen: string): SnapshotRecord[] {
  const k = (name: string) => `${gen}:${name}`;
  const out: SnapshotRecord[] = [];
  const { data, ...postings } = keywords;
  const keywordBlocks = blocks(data, SNAPSHOT_BLOCK);
  keywordBlocks.forEach((block, i) => out.push({ key: k(`keywords:${i}`), data: block }));
  if (dense) {
    const { rows, scales, ...rest } = dense;
    const rowBlocks = blocks(rows, SNAPSHOT_ROWS * dense.stride);
    blocks(scales, SNAPSHOT_ROWS).forEach((block, i) => out.push({ key: k(`dense:scales:${i}`), data: block }));
    rowBlocks.forEach((block, i) => out.push({ key: k(`dense:rows:${i}`), data: block }));
    out.push({ key: k('dense'), ...rest, blocks: rowBlocks.length } as unknown as SnapshotRecord);
  }
  out.push({ key: k('keywords'), ...postings, blocks: keywordBlocks.length } as unknown as SnapshotRecord);
  out.push({ key: k('chunks'), ...chunks } as unknown as SnapshotRecord);
  out.push({ key: k('docs'), ...docs } as unknown as SnapshotRecord);
  return out;
}

/** About how many bytes a record takes (typed arrays exactly, id lists at ~24 bytes an id). */
function recordBytes(r: SnapshotRecord): number {
  let bytes = 0;
  for (const v of Object.values(r)) {
    if (ArrayBuffer.isView(v)) bytes += v.byteLength;
    else if (Array.isArray(v)) bytes += v.length * 24;
  }
  return bytes;
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
