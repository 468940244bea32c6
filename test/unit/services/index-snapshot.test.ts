// Opening from the stored index snapshot: same results as a rebuild, journal replay, repair, damage, two tabs.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  openLecternDB,
  readSnapshot,
  saveDocumentWithChunks,
  writeSnapshot,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import type { SnapshotHead } from '../../../src/lib/persistence/schema';
import { keywordCounts } from '../../../src/lib/retrieval/keywords';
import type { SearchMethods, SearchOpenParams } from '../../../src/lib/retrieval/search-types';
import type { IndexSyncMethods } from '../../../src/lib/pipelines/library-sync';
import { LocalCaller } from '../../../src/lib/rpc';
import { searchHandlers } from '../../../src/lib/services/search-service';
import { makeChunks, makeDoc, uniqueDbName } from '../persistence/fixtures';

const DIMS = 8;
const dbs: LecternDatabase[] = [];
afterEach(() => {
  for (const d of dbs.splice(0)) d.close();
});

/** Seeded unit vector for chunk `n`: distinct directions, so every dense query has one clear winner. */
function vector(n: number): Float32Array {
  const v = new Float32Array(DIMS);
  let s = (n * 2654435761 + 7) >>> 0;
  for (let i = 0; i < DIMS; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = s / 4294967296 - 0.5;
  }
  const len = Math.hypot(...v);
  return v.map((x) => x / len);
}

const WORDS = 'ownership borrowing lifetimes traits closures iterators macros modules crates slices'.split(' ');

async function addDoc(db: LecternDatabase, d: number, key = 'emb-a'): Promise<void> {
  const docId = `doc${d}`;
  const chunks = makeChunks(docId, 3).map((c, i) => ({
    ...c,
    text: `${WORDS[(d + i) % WORDS.length]} ${WORDS[(d * 3 + i) % WORDS.length]} unique${d}x${i}`,
  }));
  await saveDocumentWithChunks(
    db,
    makeDoc(docId, { chunkCount: 3, hash: `h${d}`, kind: d % 2 ? 'pdf' : 'markdown', addedAt: 1000 + d }),
    chunks,
    chunks.map((c, i) => ({
      chunkId: c.id,
      docId,
      embedderId: key,
      dims: DIMS,
      data: vector(d * 3 + i).buffer as ArrayBuffer,
    })),
    { keywords: chunks.map((c) => ({ ...keywordCounts(c.id, c.text), chunkId: c.id, docId })) },
  );
}

async function library(docs = 20): Promise<{ name: string; db: LecternDatabase }> {
  const name = uniqueDbName();
  const db = await openLecternDB(name);
  dbs.push(db);
  for (let d = 0; d < docs; d++) await addDoc(db, d);
  return { name, db };
}

const params = (dbName: string, key = 'emb-a'): SearchOpenParams => ({
  dbName,
  embedder: { key, dims: DIMS },
  voyWasmUrl: 'unused:',
  denseIndex: 'auto',
});

/** A fresh search worker's handlers, as after a reload. */
const worker = () => new LocalCaller<SearchMethods & IndexSyncMethods>(searchHandlers({ snapshotIdleMs: 0 }));

async function opened(name: string): Promise<LocalCaller<SearchMethods & IndexSyncMethods>> {
  const search = worker();
  await search.call('open', params(name));
  return search;
}

/** Waits for the worker's pending snapshot write (it writes one by itself after an open that rebuilt or replayed). */
const settled = (search: LocalCaller<SearchMethods & IndexSyncMethods>) => search.call('saveSnapshot', {});

async function untilSnapshot(db: LecternDatabase, atLeastSeq = 1): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const head = await db.get('snapshot', 'head');
    if (head && 'seq' in head && head.seq >= atLeastSeq) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no snapshot was written');
}

/** Every query's keyword and dense results, for comparing two opened workers. */
async function answers(search: LocalCaller<SearchMethods & IndexSyncMethods>) {
  const out: unknown[] = [];
  for (const [i, text] of ['ownership traits', 'unique3x1', 'macros crates', 'unique21x0', 'unique5x2'].entries()) {
    out.push(
      await search.call('search', {
        vector: vector(i * 4),
        text,
        k: 6,
        filters: {},
        weights: { dense: 1, keyword: 1 },
      }),
    );
    out.push(
      await search.call('search', {
        vector: null,
        text,
        k: 6,
        filters: { kinds: ['pdf'] },
        weights: { dense: 0, keyword: 1 },
      }),
    );
  }
  return out;
}

describe('search index snapshot', () => {
  it('is written after a rebuild, and a reopen restores it with the same results', async () => {
    const { name, db } = await library();
    const first = worker();
    expect(await first.call('open', params(name))).toMatchObject({ chunks: 60, dense: 'exact', from: 'rows' });
    await untilSnapshot(db);
    expect(await db.count('journal')).toBe(0);
    const second = worker();
    expect(await second.call('open', params(name))).toMatchObject({
      chunks: 60,
      dense: 'exact',
      from: 'snapshot',
      replayed: 0,
    });
    expect(await answers(second)).toEqual(await answers(first));
  });

  it('replays documents saved and deleted after the snapshot (their journal entries)', async () => {
    const { name, db } = await library();
    await settled(await opened(name));
    await addDoc(db, 21);
    await deleteDocument(db, 'doc3');
    await addDoc(db, 5); // saved again: same ids, new rows
    const reopened = worker();
    expect(await reopened.call('open', params(name))).toMatchObject({ from: 'snapshot', replayed: 3, chunks: 60 });
    await settled(reopened);
    await db.clear('snapshot');
    const rebuilt = worker();
    expect(await rebuilt.call('open', params(name))).toMatchObject({ from: 'rows', chunks: 60 });
    expect(await answers(reopened)).toEqual(await answers(rebuilt));
    const hits = await reopened.call('search', {
      vector: null,
      text: 'unique21x0 unique3x1',
      k: 5,
      filters: {},
      weights: { dense: 0, keyword: 1 },
    });
    expect(hits.map((h) => h.id)).toEqual(['doc21:0']);
  });

  it('repairs from the rows when the snapshot disagrees with them (a row changed outside the journal)', async () => {
    const { name, db } = await library();
    await settled(await opened(name));
    // A write that bypassed the journal (an older build, a bug): the counts no longer match.
    await db.delete('keywords', 'doc4:1');
    const repaired = worker();
    expect(await repaired.call('open', params(name))).toMatchObject({ from: 'repaired', chunks: 59 });
    // The repair stores a fresh snapshot, which the next open uses.
    await settled(repaired);
    expect(await worker().call('open', params(name))).toMatchObject({ from: 'snapshot', chunks: 59 });
  });

  it('rebuilds from the rows when a part of the snapshot is missing, or the journal says every row changed', async () => {
    const { name, db } = await library();
    await settled(await opened(name));
    const head = (await db.get('snapshot', 'head')) as SnapshotHead;
    await db.delete('snapshot', `${head.gen}:keywords:0`);
    const rebuilt = worker();
    expect(await rebuilt.call('open', params(name))).toMatchObject({ from: 'rows', chunks: 60 });
    await settled(rebuilt);
    expect(await worker().call('open', params(name))).toMatchObject({ from: 'snapshot' });
    await db.add('journal', { docId: '*' });
    expect(await worker().call('open', params(name))).toMatchObject({ from: 'rows', chunks: 60 });
  });

  it('keeps keyword search from the snapshot but builds dense from the rows for another embedder', async () => {
    const { name } = await library(4);
    await settled(await opened(name));
    const other = worker();
    // No rows stored under emb-b: an empty dense index, keywords from the snapshot.
    expect(await other.call('open', params(name, 'emb-b'))).toMatchObject({
      from: 'snapshot',
      chunks: 12,
      dense: 'exact',
    });
    const hits = await other.call('search', {
      vector: vector(0),
      text: 'unique2x1',
      k: 3,
      filters: {},
      weights: { dense: 1, keyword: 1 },
    });
    expect(hits.map((h) => [h.id, h.dense])).toEqual([['doc2:1', null]]);
  });

  it('writes its parts under a new generation and switches the head last; leftovers of a broken write go', async () => {
    const { name, db } = await library(3);
    await settled(await opened(name));
    const stored = await readSnapshot(db, 'emb-a');
    // A write that died before switching the head left a part behind.
    await db.put('snapshot', { key: 'gdead:keywords:0', data: new Int32Array(4) });
    const old = ((await db.get('snapshot', 'head')) as SnapshotHead).gen;
    expect(await writeSnapshot(db, stored.snapshot!, stored.seq, stored.seq)).toBe(true);
    const gen = ((await db.get('snapshot', 'head')) as SnapshotHead).gen;
    expect(gen).not.toBe(old);
    const keys = (await db.getAllKeys('snapshot')).filter((k) => k !== 'head');
    expect(keys.length).toBeGreaterThan(3);
    expect(keys.every((k) => k.startsWith(`${gen}:`))).toBe(true);
    expect((await readSnapshot(db, 'emb-a')).snapshot).toEqual(stored.snapshot);
  });

  it('stores the dense rows of an embedder that loaded after the start, so the next start restores them', async () => {
    const { name, db } = await library(4);
    const keywordsOnly = worker();
    expect(await keywordsOnly.call('open', { ...params(name), embedder: null })).toMatchObject({ dense: null });
    await settled(keywordsOnly);
    expect(((await db.get('snapshot', 'head')) as SnapshotHead).dense).toBe(false);
    await keywordsOnly.call('useEmbedder', {
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: 'unused:',
      denseIndex: 'auto',
    });
    // No change to any document: the worker stores a snapshot with the dense rows by itself.
    for (let i = 0; i < 200 && !((await db.get('snapshot', 'head')) as SnapshotHead).dense; i++)
      await new Promise((r) => setTimeout(r, 10));
    const reopened = worker();
    expect(await reopened.call('open', params(name))).toMatchObject({ from: 'snapshot', dense: 'exact', chunks: 12 });
    const hits = await reopened.call('search', {
      vector: vector(5),
      text: '',
      k: 1,
      filters: {},
      weights: { dense: 1, keyword: 1 },
    });
    expect(hits.map((h) => h.id)).toEqual(['doc1:2']);
    // Restored, not rebuilt: the dense rows came from the snapshot.
    expect(((await db.get('snapshot', 'head')) as SnapshotHead).dense).toBe(true);
  });

  it('never goes back: a snapshot older than the stored one is not written', async () => {
    const { name, db } = await library(3);
    await settled(await opened(name));
    const stored = await readSnapshot(db, 'emb-a');
    expect(stored.snapshot).not.toBeNull();
    expect(await writeSnapshot(db, stored.snapshot!, stored.seq + 5, stored.seq)).toBe(true);
    // A writer whose indexes were brought up to an older entry than the stored snapshot's is refused.
    expect(await writeSnapshot(db, stored.snapshot!, stored.seq + 9, stored.seq)).toBe(false);
    expect((await readSnapshot(db, 'emb-a')).seq).toBe(stored.seq + 5);
  });

  it('a tab whose indexes are behind a snapshot another tab stored stops storing its own', async () => {
    const { name, db } = await library(4);
    const a = await opened(name);
    const b = await opened(name);
    await settled(a);
    await settled(b);
    // Tab A re-saves doc1 with new rows (as a backfill does), hears of it, and stores a snapshot: the journal entry
    // is dropped. Tab B, frozen meanwhile, never heard of it.
    await addDoc(db, 1, 'emb-a');
    await db.put('keywords', { ...(await db.get('keywords', 'doc1:0'))!, terms: ['rewritten'], freqs: [1] });
    await db.add('journal', { docId: 'doc1' });
    await a.call('sync', { added: ['doc1'], removed: [] });
    expect(await settled(a)).toBe(true);
    // Tab B imports another document and would store its indexes, which still hold doc1's old keywords.
    await addDoc(db, 9);
    await b.call('sync', { added: ['doc9'], removed: [] });
    expect(await settled(b)).toBe(false);
    const reopened = worker();
    expect(await reopened.call('open', params(name))).toMatchObject({ from: 'snapshot', replayed: 1, chunks: 15 });
    const hits = await reopened.call('search', {
      vector: null,
      text: 'rewritten',
      k: 3,
      filters: {},
      weights: { dense: 0, keyword: 1 },
    });
    expect(hits.map((h) => h.id)).toEqual(['doc1:0']);
  });

  it('never stores half-built indexes: a write asked for while the library opens waits for the open', async () => {
    const { name, db } = await library();
    await db.clear('snapshot');
    const search = worker();
    const opening = search.call('open', params(name));
    const saving = search.call('saveSnapshot', {});
    await opening;
    await saving;
    const head = (await db.get('snapshot', 'head')) as SnapshotHead;
    expect(head.chunks).toBe(60);
    expect(head.dense).toBe(true);
  });

  it('rebuilds only the dense index when its rows disagree with the stored vectors of the embedder', async () => {
    const { name, db } = await library(4);
    await settled(await opened(name));
    // A vector row removed behind the app's back: the keyword count still agrees.
    await db.delete('vectors', 'doc2:1');
    const search = worker();
    expect(await search.call('open', params(name))).toMatchObject({ from: 'repaired', chunks: 12 });
    const hits = await search.call('search', {
      vector: vector(2 * 3 + 1),
      text: '',
      k: 12,
      filters: {},
      weights: { dense: 1, keyword: 0 },
    });
    expect(hits).toHaveLength(11);
    expect(hits.map((h) => h.id)).not.toContain('doc2:1');
  });

  it('rebuilds from the rows when the snapshot does not restore (parts that disagree with each other)', async () => {
    const { name, db } = await library(4);
    await settled(await opened(name));
    const head = (await db.get('snapshot', 'head')) as SnapshotHead;
    const key = `${head.gen}:keywords`;
    const part = (await db.get('snapshot', key)) as unknown as { lengths: Int32Array };
    await db.put('snapshot', { ...part, key, lengths: part.lengths.subarray(1) } as never);
    const search = worker();
    expect(await search.call('open', params(name))).toMatchObject({ from: 'repaired', chunks: 12 });
    expect(
      (
        await search.call('search', {
          vector: null,
          text: 'unique2x1',
          k: 1,
          filters: {},
          weights: { dense: 0, keyword: 1 },
        })
      )[0]?.id,
    ).toBe('doc2:1');
  });

  it('is written again by itself once changes settle, including changes it has not been told of yet', async () => {
    const { name, db } = await library(3);
    const search = await opened(name);
    await settled(search);
    const before = (await readSnapshot(db, 'emb-a')).seq;
    await addDoc(db, 7);
    await search.call('sync', { added: ['doc7'], removed: [] });
    // Saved, and not yet announced to this worker: the write replays it from the journal.
    await addDoc(db, 8);
    await untilSnapshot(db, before + 2);
    const reopened = worker();
    expect(await reopened.call('open', params(name))).toMatchObject({ from: 'snapshot', replayed: 0, chunks: 15 });
    const hits = await reopened.call('search', {
      vector: null,
      text: 'unique8x2',
      k: 3,
      filters: {},
      weights: { dense: 0, keyword: 1 },
    });
    expect(hits.map((h) => h.id)).toEqual(['doc8:2']);
  });
});
