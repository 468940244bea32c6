// The relevance adapter in the search worker: trained on stored feedback next to the stored vectors (progress, abort,
// too few questions), stored per embedder, and applied to dense query vectors only while it is on.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import {
  getAdapter,
  openLecternDB,
  putAdapter,
  putFeedback,
  saveDocumentWithChunks,
  type AdapterRecord,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import type { AdapterMethods, AdapterProgress } from '../../../src/lib/pipelines/adapter';
import type { SearchMethods } from '../../../src/lib/retrieval/search-types';
import { LocalCaller, serve, type Endpoint, type Handlers } from '../../../src/lib/rpc';
import { searchHandlers } from '../../../src/lib/services/search-service';
import { makeChunks, makeDoc, makeFeedback, uniqueDbName } from '../persistence/fixtures';

const DIMS = 4;
const ROWS = 12;
const unit = (...v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};
/** Chunk i of document "d": spread over the four axes, each a little different. */
const chunkVector = (i: number) =>
  unit(
    1 + (i % 4 === 0 ? 4 : 0),
    1 + (i % 4 === 1 ? 4 : 0),
    1 + (i % 4 === 2 ? 4 : 0),
    1 + (i % 4 === 3 ? 4 : 0) + i / 10,
  );

let db: LecternDatabase | null = null;
const channels: MessageChannel[] = [];
afterEach(() => {
  db?.close();
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

/** Document "d" with one chunk per vector (by default chunk i is chunkVector(i)). */
async function library(vectors = Array.from({ length: ROWS }, (_, i) => chunkVector(i))): Promise<string> {
  const name = uniqueDbName();
  db = await openLecternDB(name);
  const chunks = makeChunks('d', vectors.length);
  await saveDocumentWithChunks(
    db,
    makeDoc('d', { chunkCount: vectors.length }),
    chunks,
    chunks.map((c, i) => ({
      chunkId: c.id,
      docId: 'd',
      embedderId: 'emb-a',
      dims: vectors[i]!.length,
      data: vectors[i]!.buffer,
    })),
  );
  return name;
}

type Rpc = SearchMethods & AdapterMethods;

/**
 * The service opened on the library, with a fake embedder line that records the texts it embeds. Question
 * "Question q<i>?" embeds as `queryOf(i)`: by default near chunk (i + 1), so the search is wrong the same way for each.
 */
async function service(
  embedded: string[] = [],
  vectors = Array.from({ length: ROWS }, (_, i) => chunkVector(i)),
  queryOf = (i: number) => chunkVector((i + 1) % ROWS),
) {
  const search = new LocalCaller<Rpc>(searchHandlers());
  const dims = vectors[0]!.length;
  await search.call('open', {
    dbName: await library(vectors),
    embedder: { key: 'emb-a', dims },
    voyWasmUrl: 'unused:',
    denseIndex: 'exact',
  });
  const channel = new MessageChannel();
  channels.push(channel);
  const embedder = {
    embed: async ({ texts }: { texts: string[] }) => {
      embedded.push(...texts);
      const out = new Float32Array(texts.length * dims);
      texts.forEach((t, r) => out.set(queryOf(Number(/q(\d+)/.exec(t)?.[1] ?? 0)), r * dims));
      return out;
    },
  } as unknown as Handlers<EmbedderMethods>;
  serve(channel.port2 as unknown as Endpoint, embedder);
  channel.port2.start();
  await search.call('attach', { embedder: channel.port1, late: null });
  return search;
}

/**
 * `n` questions, each with its right passage (by default chunk i) marked relevant and the one it wrongly ranks first
 * (by default chunk i + 1) not.
 */
async function judge(
  n: number,
  rightOf = (i: number) => `d:${i}`,
  wrongOf = (i: number) => `d:${(i + 1) % ROWS}`,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    const right = rightOf(i);
    const wrong = wrongOf(i);
    await putFeedback(
      db!,
      makeFeedback(`q${i}`, {
        at: 1_000 + i,
        query: `Question q${i}?`,
        stages: {
          dense: null,
          keyword: null,
          fused: { ids: [wrong, right], scores: [1, 0.9] },
          reranked: null,
          final: { ids: [wrong, right], scores: [1, 0.9] },
        },
        sources: { [right]: 'relevant', [wrong]: 'not-relevant' },
      }),
    );
  }
}

/** W that swaps axes 0 and 2. */
const SWAP: AdapterRecord = {
  embedderId: 'emb-a',
  dims: DIMS,
  weights: Float32Array.from([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]),
  enabled: true,
  heldOut: { before: 0.4, after: 0.6, queries: 2 },
  trainQueries: 8,
  trainPairs: 8,
  sources: { feedback: 10, synthetic: 0 },
  trainedAt: 5,
};

/**
 * A library where the right linear map is known. Topic i is a direction in the first seven axes; its two passages
 * are that direction tilted a little towards +axis 7 (the right one, chunk 2i) and towards −axis 7 (the wrong one,
 * chunk 2i + 1), and its question embeds as the direction tilted a hair towards −axis 7, so the plain dense search
 * ranks the wrong passage first for every topic, by a small margin. Every topic lies in the positive part of the first
 * seven axes, so a W that adds a little of those axes to axis 7 ranks the right passage first for every topic,
 * held-out ones included: an adapter trained on these judgments must beat the identity.
 */
const SWAPPED_DIMS = 8;
const TOPICS = 10;
const topic = (i: number) =>
  Array.from({ length: SWAPPED_DIMS - 1 }, (_, a) =>
    a === i % 7 ? 1 : a === (i + 1 + Math.floor(i / 7)) % 7 ? 0.4 : 0,
  );
const swappedPassages = Array.from({ length: 2 * TOPICS }, (_, c) => unit(...topic(c >> 1), c % 2 === 0 ? 0.1 : -0.1));
const swappedQuery = (i: number) => unit(...topic(i), -0.002);

const denseTop = async (search: LocalCaller<Rpc>, vector: Float32Array) =>
  (await search.call('search', { vector, text: '', k: 3, filters: {}, weights: { dense: 1, keyword: 1 } }))[0]!.id;

describe('the relevance adapter in the search service', () => {
  it('applies the stored adapter to dense queries while it is on, not when off or reset', async () => {
    const name = uniqueDbName();
    db = await openLecternDB(name);
    const chunks = makeChunks('n', 3);
    await saveDocumentWithChunks(
      db,
      makeDoc('n', { chunkCount: 3 }),
      chunks,
      [unit(1, 0, 0, 0), unit(0, 1, 0, 0), unit(0, 0, 1, 0)].map((v, i) => ({
        chunkId: chunks[i]!.id,
        docId: 'n',
        embedderId: 'emb-a',
        dims: DIMS,
        data: v.buffer,
      })),
    );
    await putAdapter(db, SWAP);
    const search = new LocalCaller<Rpc>(searchHandlers());
    await search.call('open', {
      dbName: name,
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: '',
      denseIndex: 'exact',
    });
    // Loaded on open: a query along axis 0 finds the passage along axis 2.
    expect(await denseTop(search, unit(1, 0, 0, 0))).toBe('n:2');
    expect(await search.call('loadAdapter', {})).toMatchObject({ enabled: true, trainQueries: 8 });
    expect(await search.call('setAdapter', { enabled: false })).toMatchObject({ enabled: false });
    expect(await denseTop(search, unit(1, 0, 0, 0))).toBe('n:0');
    expect((await getAdapter(db, 'emb-a'))?.enabled).toBe(false);
    await search.call('setAdapter', { enabled: true });
    expect(await denseTop(search, unit(1, 0, 0, 0))).toBe('n:2');
    await search.call('resetAdapter', {});
    expect(await denseTop(search, unit(1, 0, 0, 0))).toBe('n:0');
    expect(await getAdapter(db, 'emb-a')).toBeNull();
    expect(await search.call('loadAdapter', {})).toBeNull();
  });

  it('an adapter stored for another embedder, or with other dimensions, is not applied', async () => {
    const search = new LocalCaller<Rpc>(searchHandlers());
    const name = await library();
    await putAdapter(db!, { ...SWAP, embedderId: 'emb-b' });
    await putAdapter(db!, { ...SWAP, dims: 2, weights: Float32Array.from([0, 1, 1, 0]) });
    await search.call('open', {
      dbName: name,
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: '',
      denseIndex: 'exact',
    });
    const plain = chunkVector(0);
    expect(await denseTop(search, plain)).toBe('d:0');
  });

  it('a search while the embedder changes runs without the old embedder’s adapter, whose dimensions differ', async () => {
    const name = await library();
    await putAdapter(db!, SWAP);
    const search = new LocalCaller<Rpc>(searchHandlers());
    await search.call('open', {
      dbName: name,
      embedder: { key: 'emb-a', dims: DIMS },
      voyWasmUrl: '',
      denseIndex: 'exact',
    });
    expect(await search.call('loadAdapter', {})).toMatchObject({ embedderId: 'emb-a', dims: DIMS, enabled: true });
    // Not awaited: the new embedder's vectors are still being read when the search comes.
    const switching = search.call('useEmbedder', {
      embedder: { key: 'emb-b', dims: 3 },
      voyWasmUrl: '',
      denseIndex: 'exact',
    });
    const hits = await search.call('search', {
      vector: unit(1, 0, 0),
      text: 'anything',
      k: 3,
      filters: {},
      weights: { dense: 1, keyword: 1 },
    });
    expect(Array.isArray(hits)).toBe(true);
    expect(await switching).toEqual({ dense: 'exact' });
    expect(await search.call('loadAdapter', {})).toBeNull();
  });

  it('trains on the judged feedback, reports each epoch, stores the record and uses it when it helps', async () => {
    const embedded: string[] = [];
    const search = await service(embedded, swappedPassages, swappedQuery);
    await judge(
      TOPICS,
      (i) => `d:${2 * i}`,
      (i) => `d:${2 * i + 1}`,
    );
    const query = swappedQuery(3);
    const top = async () =>
      (
        await search.call('search', {
          vector: query,
          text: '',
          k: 3,
          filters: {},
          weights: { dense: 1, keyword: 0 },
          only: 'dense',
        })
      )[0]!.id;
    expect(await top()).toBe('d:7');
    const seen: AdapterProgress[] = [];
    const summary = await search.call('trainAdapter', {}, { onProgress: (p) => seen.push(p) });
    expect(embedded).toHaveLength(TOPICS);
    expect(seen.map((p) => p.epoch)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.every((p) => p.epochs === 20 && Number.isFinite(p.loss) && p.heldOut >= 0)).toBe(true);
    expect(summary).toMatchObject({
      embedderId: 'emb-a',
      dims: SWAPPED_DIMS,
      sources: { feedback: TOPICS, synthetic: 0 },
      enabled: true,
    });
    expect(summary.heldOut.queries + summary.trainQueries).toBe(TOPICS);
    // The training split's keys are kept (an evaluation leaves those queries out), each a feedback query.
    expect(summary.trainedOn).toHaveLength(summary.trainQueries);
    expect(summary.trainedOn!.every((k) => k.startsWith('feedback:'))).toBe(true);
    expect(summary.heldOut.after).toBe(seen.at(-1)!.heldOut);
    expect(summary.heldOut.after).toBeGreaterThan(summary.heldOut.before);
    expect('weights' in summary).toBe(false);
    const stored = await getAdapter(db!, 'emb-a');
    expect(stored?.weights).toHaveLength(SWAPPED_DIMS * SWAPPED_DIMS);
    expect(stored?.enabled).toBe(true);
    // In use from now on: the same query vector now finds its topic's right passage.
    expect(await top()).toBe('d:6');
  });

  it('says how many questions it needs when there are too few, embedding nothing and storing nothing', async () => {
    const embedded: string[] = [];
    const search = await service(embedded);
    await judge(3);
    const err = await search.call('trainAdapter', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('ADAPTER_TOO_FEW_QUERIES');
    expect((err as AppError).details).toMatchObject({ queries: 3, needed: 8 });
    expect((err as AppError).message).toContain('at least 8');
    expect(embedded).toEqual([]);
    expect(await getAdapter(db!, 'emb-a')).toBeNull();
  });

  it('stops when aborted, keeping the adapter stored before', async () => {
    const search = await service();
    await judge(10);
    await putAdapter(db!, SWAP);
    const controller = new AbortController();
    const err = await search
      .call('trainAdapter', {}, { signal: controller.signal, onProgress: () => controller.abort() })
      .catch((e: unknown) => e);
    expect((err as AppError).code).toBe('ABORTED');
    expect(await getAdapter(db!, 'emb-a')).toEqual(SWAP);
  });

  it('needs the embedding model', async () => {
    const search = new LocalCaller<Rpc>(searchHandlers());
    await search.call('open', { dbName: await library(), embedder: null, voyWasmUrl: '', denseIndex: 'exact' });
    await judge(10);
    const err = await search.call('trainAdapter', {}).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('ADAPTER_NEEDS_EMBEDDER');
  });
});
