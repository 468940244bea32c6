// The search worker's service with the exact dense index: cold start from storage, hybrid search, filters, removal.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildLibrary } from '../../../src/lib/published/build';
import { modelFingerprint } from '../../../src/lib/published/format';
import { vectorRows } from '../../../src/lib/pipelines/records';
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

    // `only` leaves the other search out entirely (the evaluation's BM25-only and dense-only rows).
    const at = { vector: unit(0, 0, 1, 0), text: 'ownership', k: 4, filters: {}, weights };
    const keywordOnly = await search.call('search', { ...at, only: 'keyword' });
    expect(keywordOnly.map((h) => h.id)).toEqual(['notes:1']);
    expect(keywordOnly[0]!.dense).toBeNull();
    // A weight of 0 is not "leave out": the chat's keyword weight at 0 still gets the keyword-only hits as candidates.
    const zeroKeyword = await search.call('search', { ...at, weights: { dense: 1, keyword: 0 } });
    expect(zeroKeyword.map((h) => h.id)).toContain('notes:1');
    const denseOnly = await search.call('search', { ...at, only: 'dense' });
    expect(denseOnly).toHaveLength(4);
    expect(denseOnly.every((h) => h.keyword === null)).toBe(true);
    expect(denseOnly[0]!.id).toBe('paper:0');

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

describe('search service with a published library beside the private one', () => {
  const BASE = 'http://localhost/site/library/lectern-library.json';
  const model = { id: 'emb', revision: 'main', dims: DIMS };

  /** A published library of two documents, served by a stubbed fetch; `broken` files answer HTTP 500. */
  async function serve(broken: (file: string) => boolean = () => false, fingerprint?: string) {
    const docs = [
      ['pub-lighthouses0000', ['the lighthouse beam sweeps the fog', unit(0, 1, 0, 0)]],
      ['pub-sourdough00000', ['sourdough starter needs flour and water', unit(0, 0, 0, 1)]],
    ] as const;
    const built = await buildLibrary(
      docs.map(([id, [text, vector]]) => {
        const chunks = [
          {
            id: `${id}:0`,
            docId: id,
            ordinal: 0,
            text,
            start: 0,
            end: text.length,
            headingPath: [],
            pageStart: null,
            pageEnd: null,
            tokenCount: 6,
            hash: id,
          },
        ];
        return {
          doc: { id, name: `${id}.md`, title: id, kind: 'markdown' as const, size: 1, hash: id, pageCount: null },
          chunks,
          keywords: [keywordCounts(`${id}:0`, text)],
          vectors: vectorRows(chunks, { key: 'k', dims: DIMS, vectors: vector }),
          tokenVectors: [],
        };
      }),
      {
        name: 'Handbook',
        generator: 'test',
        models: { embedder: { ...model, dtype: 'fp32', origin: 'o', registry: 'r', fingerprint }, late: null },
        chunking: { maxTokens: 256, overlapTokens: 0 },
      },
    );
    const files = new Map([...built.files].map(([f, b]) => [new URL(f, BASE).href, b]));
    files.set(BASE, new TextEncoder().encode(JSON.stringify(built.manifest)));
    vi.stubGlobal('fetch', async (url: URL) => {
      const bytes = files.get(url.href);
      if (!bytes || broken(url.href)) return new Response('no', { status: bytes ? 500 : 404 });
      return new Response(bytes.slice());
    });
  }

  afterEach(() => vi.unstubAllGlobals());

  async function opened(embedder: typeof model & { spec?: Record<string, unknown> } = model) {
    const search = new LocalCaller<SearchMethods>(searchHandlers());
    await search.call('open', {
      dbName: await library(),
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: 'unused:',
      denseIndex: 'exact',
    });
    const pub = await search.call('openPublished', { url: BASE, embedder, late: null });
    return { search, pub };
  }

  it('fuses both libraries by rank, by keywords at once and by vectors once they are read', async () => {
    await serve();
    const { search, pub } = await opened();
    expect(pub).toMatchObject({ name: 'Handbook', passages: 2, dense: 'loading', mismatch: null });
    const byKeywords = await search.call('search', {
      vector: null,
      text: 'lighthouse fog',
      k: 4,
      filters: {},
      weights,
    });
    expect(byKeywords[0]).toMatchObject({ id: 'pub-lighthouses0000:0', keyword: { rank: 1 }, dense: null });
    await search.call('loadPublished', {});
    const both = await search.call('search', {
      vector: unit(0, 0, 0, 1),
      text: 'borrowing references',
      k: 4,
      filters: {},
      weights,
    });
    // The private keyword and dense winners and the published dense winner each rank first in their own list.
    expect(
      both
        .slice(0, 3)
        .map((h) => h.id)
        .sort(),
    ).toEqual(['notes:0', 'paper:1', 'pub-sourdough00000:0']);
    expect(both.find((h) => h.id === 'pub-sourdough00000:0')!.dense!.score).toBeCloseTo(1, 2);
    // Filters apply to its documents too.
    const onlyPrivate = await search.call('search', {
      vector: unit(0, 0, 0, 1),
      text: 'sourdough',
      k: 4,
      filters: { docIds: ['notes'] },
      weights,
    });
    expect(onlyPrivate.every((h) => h.id.startsWith('notes:'))).toBe(true);
    const rows = await search.call('publishedPassages', { ids: ['pub-sourdough00000:0', 'notes:0'] });
    expect(rows[0]).toMatchObject({ docId: 'pub-sourdough00000', text: 'sourdough starter needs flour and water' });
    expect(rows[1]).toBeUndefined();
  });

  it('goes on with the private library when the published one fails, and says why', async () => {
    await serve((url) => url.includes('/shards/keywords-'));
    const { search } = await opened();
    const found = await search.call('retrieve', {
      queries: ['trace trees lighthouse'],
      instructions: '',
      candidates: 10,
      topK: 4,
      filters: {},
      weights,
      rerank: null,
    });
    expect(found.passages[0]!.id).toBe('paper:0');
    expect(found.passages.some((p) => p.id.startsWith('pub-'))).toBe(false);
    expect(found.publishedFailure).toMatch(/could not be loaded \(HTTP 500\)/);
  });

  it('compares the settings that change vectors, where the library records them', async () => {
    const spec = {
      role: 'embedder' as const,
      ...model,
      pooling: 'mean',
      normalize: true,
      queryPrefix: '',
      documentPrefix: '',
      maxTokens: 512,
    };
    await serve(undefined, await modelFingerprint(spec));
    expect((await opened({ ...model, spec })).pub).toMatchObject({ dense: 'loading', mismatch: null });
    const other = await opened({ ...model, spec: { ...spec, pooling: 'cls' } });
    expect(other.pub.dense).toBe('mismatch');
    expect(other.pub.mismatch).toContain('the same model with other settings');
  });

  it('searches a library made with another embedder by keywords only', async () => {
    await serve();
    const { search, pub } = await opened({ ...model, id: 'other' });
    expect(pub.dense).toBe('mismatch');
    expect(pub.mismatch).toContain('emb@main');
    await search.call('loadPublished', {});
    const hits = await search.call('search', {
      vector: unit(0, 0, 0, 1),
      text: 'sourdough',
      k: 4,
      filters: {},
      weights,
    });
    const theirs = hits.find((h) => h.id === 'pub-sourdough00000:0')!;
    expect(theirs.dense).toBeNull();
    expect(theirs.keyword).toMatchObject({ rank: 1 });
  });
});
