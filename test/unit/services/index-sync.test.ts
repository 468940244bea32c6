// The search worker's tab sync: another tab's saved and deleted documents reach this tab's indexes from storage.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  openLecternDB,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import type { IndexSyncMethods } from '../../../src/lib/pipelines/library-sync';
import { keywordCounts } from '../../../src/lib/retrieval/keywords';
import type { SearchMethods } from '../../../src/lib/retrieval/search-types';
import { LocalCaller } from '../../../src/lib/rpc';
import { searchHandlers } from '../../../src/lib/services/search-service';
import { makeChunks, makeDoc, uniqueDbName } from '../persistence/fixtures';

const DIMS = 3;
const axis = (i: number) => Float32Array.from({ length: DIMS }, (_, j) => (j === i ? 1 : 0));
const weights = { dense: 1, keyword: 1 };

let db: LecternDatabase | null = null;
afterEach(() => db?.close());

/** Saves a document as another tab would: chunks, their vectors (along axes dirs[i]), keyword rows. */
async function save(d: LecternDatabase, docId: string, texts: string[], dirs: number[], embedderId = 'emb-a') {
  const chunks = makeChunks(docId, texts.length).map((c, i) => ({ ...c, text: texts[i]! }));
  // Another embedder (another tab's settings) has its own dimensions: 5 here.
  const v = (i: number) => (embedderId === 'emb-a' ? axis(dirs[i]!) : new Float32Array(5).fill(0.4));
  await saveDocumentWithChunks(
    d,
    makeDoc(docId, { chunkCount: chunks.length, kind: 'text', addedAt: 5_000, text: texts.join(' '), embedderId }),
    chunks,
    chunks.map((c, i) => ({ chunkId: c.id, docId, embedderId, dims: v(i).length, data: v(i).slice().buffer })),
    { keywords: chunks.map((c) => ({ ...keywordCounts(c.id, c.text), chunkId: c.id, docId })) },
  );
}

async function opened(): Promise<LocalCaller<SearchMethods & IndexSyncMethods>> {
  const name = uniqueDbName();
  db = await openLecternDB(name);
  await save(db, 'old', ['borrowing rules for references'], [0]);
  const search = new LocalCaller<SearchMethods & IndexSyncMethods>(searchHandlers());
  await search.call('open', {
    dbName: name,
    embedder: { key: 'emb-a', dims: DIMS },
    voyWasmUrl: 'unused:',
    denseIndex: 'exact',
  });
  return search;
}

const find = (search: LocalCaller<SearchMethods>, text: string, vector: Float32Array | null) =>
  search.call('search', { vector, text, k: 10, filters: {}, weights });

describe('index sync (search worker)', () => {
  it('adds a document another tab saved, from storage: keyword rows, the embedder in use, its metadata', async () => {
    const search = await opened();
    await save(db!, 'new', ['lighthouse lamps turn slowly', 'fresnel lenses bend light'], [1, 2]);
    expect(await find(search, 'fresnel', null)).toEqual([]);

    const docs = await search.call('sync', { added: ['new'], removed: [] });
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ id: 'new', name: 'new.md', chunkCount: 2, addedAt: 5_000 });
    expect(docs[0]).not.toHaveProperty('text');

    const keyword = await find(search, 'fresnel', null);
    expect(keyword.map((h) => h.id)).toEqual(['new:1']);
    const dense = await find(search, '', axis(2));
    expect(dense[0]).toMatchObject({ id: 'new:1', dense: { rank: 1 } });
    expect(dense[0]!.dense!.score).toBeCloseTo(1, 6);
    // Its metadata came too: a filter by document finds it.
    const filtered = await search.call('search', {
      ...{ vector: null, text: 'lighthouse fresnel borrowing', k: 10, weights },
      filters: { docIds: ['new'] },
    });
    expect(filtered.map((h) => h.id).sort()).toEqual(['new:0', 'new:1']);
  });

  it("leaves out another embedder's vectors but indexes that document's keywords", async () => {
    const search = await opened();
    await save(db!, 'other', ['quillwort wicks harbour'], [1], 'emb-b');
    expect(await search.call('sync', { added: ['other'], removed: [] })).toMatchObject([{ id: 'other' }]);
    expect((await find(search, 'quillwort', null)).map((h) => h.id)).toEqual(['other:0']);
    const dense = await find(search, '', axis(1));
    expect(dense.map((h) => h.id)).toEqual(['old:0']);
  });

  it('adding the same document again (own import racing a consistency check) keeps one copy of each chunk', async () => {
    const search = await opened();
    await save(db!, 'new', ['fresnel lenses bend light'], [2]);
    await search.call('sync', { added: ['new'], removed: [] });
    await search.call('sync', { added: ['new'], removed: [] });
    const hits = await find(search, 'fresnel light', axis(2));
    expect(hits.map((h) => h.id).filter((id) => id === 'new:0')).toHaveLength(1);
    expect((await search.call('remove', { ids: [] })).chunks).toBe(2);
  });

  it('drops every chunk of a removed document, and of an added one that is gone again', async () => {
    const search = await opened();
    await save(db!, 'gone', ['sourdough starter yeast'], [1]);
    await search.call('sync', { added: ['gone'], removed: [] });
    expect((await find(search, 'sourdough', null)).map((h) => h.id)).toEqual(['gone:0']);

    await deleteDocument(db!, 'old');
    expect(await search.call('sync', { added: [], removed: ['old'] })).toEqual([]);
    expect(await find(search, 'borrowing', axis(0))).not.toContainEqual(expect.objectContaining({ id: 'old:0' }));

    // Announced as added, deleted before this tab read it: nothing of it stays.
    await deleteDocument(db!, 'gone');
    expect(await search.call('sync', { added: ['gone'], removed: [] })).toEqual([]);
    expect(await find(search, 'sourdough', axis(1))).toEqual([]);
    expect((await search.call('remove', { ids: [] })).chunks).toBe(0);
  });
});
