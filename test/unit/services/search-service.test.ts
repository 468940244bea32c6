// The search worker's service with the exact dense index: cold start from storage, hybrid search, filters, removal.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { openLecternDB, saveDocumentWithChunks, type LecternDatabase } from '../../../src/lib/persistence';
import { keywordCounts } from '../../../src/lib/retrieval/keywords';
import { LocalCaller } from '../../../src/lib/rpc';
import { searchHandlers } from '../../../src/lib/services/search-service';
import type { SearchMethods } from '../../../src/lib/retrieval/search-types';
import { makeChunks, makeDoc, uniqueDbName } from '../persistence/fixtures';

const DIMS = 4;
const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};
// Each chunk points along its own axis, so a query along an axis has one clear dense winner.
const TEXTS: Record<string, [string, Float32Array][]> = {
  notes: [
    ['borrowing rules for references', unit(1, 0, 0, 0)],
    ['ownership moves values between variables', unit(0, 1, 0, 0)],
  ],
  paper: [
    ['trace trees record hot loops', unit(0, 0, 1, 0)],
    ['type specialization of traces', unit(0, 0, 0.2, 1)],
  ],
};

let db: LecternDatabase | null = null;
afterEach(() => db?.close());

async function library(): Promise<string> {
  const name = uniqueDbName();
  db = await openLecternDB(name);
  for (const [docId, rows] of Object.entries(TEXTS)) {
    const chunks = makeChunks(docId, rows.length).map((c, i) => ({ ...c, text: rows[i]![0] }));
    const doc = makeDoc(docId, { chunkCount: chunks.length, kind: docId === 'paper' ? 'pdf' : 'markdown' });
    await saveDocumentWithChunks(
      db,
      doc,
      chunks,
      chunks.map((c, i) => ({
        chunkId: c.id,
        docId,
        embedderId: 'emb-a',
        dims: DIMS,
        data: rows[i]![1].slice().buffer,
      })),
      { keywords: chunks.map((c) => ({ ...keywordCounts(c.id, c.text), chunkId: c.id, docId })) },
    );
  }
  return name;
}

const weights = { dense: 1, keyword: 1 };

describe('search service on the exact dense index', () => {
  it('opens from storage, ranks dense and keyword hits, filters before ranking, and forgets removed chunks', async () => {
    const search = new LocalCaller<SearchMethods>(searchHandlers());
    const opened = await search.call('open', {
      dbName: await library(),
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: 'unused:',
      denseIndex: 'exact',
    });
    expect(opened).toMatchObject({ chunks: 4, dense: 'exact' });

    const hits = await search.call('search', {
      vector: unit(0, 0, 1, 0),
      text: 'trace trees',
      k: 4,
      filters: {},
      weights,
    });
    expect(hits[0]).toMatchObject({ id: 'paper:0', dense: { rank: 1 }, keyword: { rank: 1 } });
    expect(hits[0]!.dense!.score).toBeCloseTo(1, 6);

    // Filtered: the dense winner overall is outside the filter, so ranking happens within it.
    const notes = await search.call('search', {
      vector: unit(0, 0, 1, 0.1),
      text: 'values',
      k: 4,
      filters: { docIds: ['notes'] },
      weights,
    });
    expect(notes.map((h) => h.id).sort()).toEqual(['notes:0', 'notes:1']);
    expect(notes[0]).toMatchObject({ id: 'notes:1', keyword: { rank: 1 } });
    const pdfOnly = await search.call('search', {
      vector: unit(1, 0, 0, 0),
      text: '',
      k: 4,
      filters: { kinds: ['pdf'] },
      weights,
    });
    expect(pdfOnly.every((h) => h.id.startsWith('paper:'))).toBe(true);

    await search.call('remove', { ids: ['paper:0'] });
    const after = await search.call('search', {
      vector: unit(0, 0, 1, 0),
      text: 'trace trees',
      k: 4,
      filters: {},
      weights,
    });
    expect(after.map((h) => h.id)).not.toContain('paper:0');
    expect(after[0]!.id).toBe('paper:1');
  });
});
