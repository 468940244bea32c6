// The supervised search worker with fake workers running the real search service: stalls, crashes, respawn and relink.
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, fromWire, type WireError } from '../../../src/lib/errors';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import { budgets, type Pace } from '../../../src/lib/models/budgets';
import { openLecternDB, saveDocumentWithChunks } from '../../../src/lib/persistence';
import { keywordCounts } from '../../../src/lib/retrieval/keywords';
import type { RetrieveRequest, SearchOpenParams } from '../../../src/lib/retrieval/search-types';
import {
  connectPort,
  DEFAULT_WITHIN_MS,
  RpcClient,
  serve,
  type Clock,
  type Endpoint,
  type Handlers,
} from '../../../src/lib/rpc';
import { searchHandlers } from '../../../src/lib/services/search-service';
import { SearchWorker, type SearchRpc } from '../../../src/lib/state/search-worker';
import { makeChunks, makeDoc, uniqueDbName } from '../persistence/fixtures';
import { closeChannels, fakeWorker, openChannel, type FakeWorker } from '../rpc/fake-worker';

const pace: Pace = { device: 'wasm', softwareGpu: false, cores: 4 };
const DIMS = 4;
const flush = () => new Promise((r) => setTimeout(r, 5));

afterEach(() => {
  closeChannels();
  gates.length = 0;
  hung.clear();
});

/** Steps of the fake embedder, released by the test. */
const gates: (() => void)[] = [];
const nextGate = () => new Promise<void>((r) => gates.push(r));
const releaseGate = async () => {
  while (!gates.length) await flush();
  gates.shift()!();
};

/** A stand-in embedder worker: `embed` takes `steps` gated steps, each with progress; its lines open with openPort. */
function fakeEmbedder(steps: number): RpcClient<EmbedderMethods> {
  const c = openChannel();
  const handlers = {
    embed: async (_p: unknown, ctx: { progress: (p: { done: number; total: number }) => void }) => {
      for (let i = 0; i < steps; i++) {
        await nextGate();
        ctx.progress({ done: i + 1, total: steps });
      }
      return Float32Array.of(0, 0, 1, 0);
    },
  } as unknown as Handlers<EmbedderMethods>;
  serve(c.port2 as unknown as Endpoint, handlers);
  c.port2.start();
  c.port1.start();
  return new RpcClient<EmbedderMethods>(c.port1 as unknown as Endpoint);
}

type Logged = { worker: number; method: 'open' | 'attach'; params: unknown };

/** The fake workers (by index) whose open has read the library and now hangs. */
const hung = new Set<number>();

/**
 * A worker stand-in: the real search service serves on the far end of a channel, reporting life on it as a worker's
 * scope does. Its `search` hangs (after its handler said its budget) for the text "hang".
 */
function fakeSearchWorker(index: number, log: Logged[], hangOpen = false): FakeWorker {
  const real = searchHandlers({ pace });
  const handlers: Handlers<SearchRpc> = {
    ...real,
    open: async (p, ctx) => {
      log.push({ worker: index, method: 'open', params: p });
      const opened = await real.open(p, ctx);
      if (!hangOpen) return opened;
      hung.add(index);
      return new Promise<never>(() => {});
    },
    attach: async (p, ctx) => {
      log.push({ worker: index, method: 'attach', params: { embedder: p.embedder !== null, late: p.late } });
      return real.attach(p, ctx);
    },
    search: async (p, ctx) => {
      const hits = await real.search(p, ctx);
      return p.text === 'hang' ? new Promise<never>(() => {}) : hits;
    },
  };
  return fakeWorker((scope) => serve(scope, handlers, { owner: scope }));
}

function manualClock() {
  let now = 0;
  const ticks = new Set<() => void>();
  const clock: Clock = {
    now: () => now,
    every: (_ms, tick) => {
      ticks.add(tick);
      return () => ticks.delete(tick);
    },
  };
  return {
    clock,
    advance: async (ms: number) => {
      await flush();
      now += ms;
      for (const t of [...ticks]) t();
      await flush();
    },
  };
}

/** A library of two documents, four chunks with one vector each along its own axis. */
async function library(): Promise<string> {
  const name = uniqueDbName();
  const db = await openLecternDB(name);
  const texts = ['borrowing rules for references', 'ownership moves values', 'trace trees record hot loops', 'types'];
  for (const [docId, rows] of [
    ['notes', texts.slice(0, 2)],
    ['paper', texts.slice(2)],
  ] as const) {
    const chunks = makeChunks(docId, rows.length).map((c, i) => ({ ...c, text: rows[i]! }));
    const vectors = chunks.map((c, i) => {
      const data = new Float32Array(DIMS);
      data[(docId === 'paper' ? 2 : 0) + i] = 1;
      return { chunkId: c.id, docId, embedderId: 'emb-a', dims: DIMS, data: data.buffer };
    });
    const keywords = chunks.map((c) => ({ ...keywordCounts(c.id, c.text), chunkId: c.id, docId }));
    await saveDocumentWithChunks(db, makeDoc(docId, { chunkCount: chunks.length }), chunks, vectors, { keywords });
  }
  db.close();
  return name;
}

const ask = (text: string) => ({
  vector: null,
  text,
  k: 4,
  filters: {},
  weights: { dense: 1, keyword: 1 },
});

const question = (query: string): RetrieveRequest => ({
  queries: [query],
  instructions: '',
  candidates: 4,
  topK: 2,
  filters: {},
  weights: { dense: 1, keyword: 1 },
  rerank: null,
});

/** How many times the owner has read a `retrieve` deadline of `within` ms from the worker (one per embedder step). */
const deadlines = (w: FakeWorker, within: number) =>
  w.lives.filter((l) => l.method === 'retrieve' && l.within === within).length;

/**
 * Waits until the owner has read `n` such deadlines. The manual clock moves only after that: message delivery takes
 * its own time on a loaded machine, and a step that outran it would test the machine's speed, not the watchdog.
 */
async function untilDeadlines(w: FakeWorker, within: number, n: number): Promise<void> {
  while (deadlines(w, within) < n) await flush();
}

async function supervised(embedSteps = 0) {
  const { clock, advance } = manualClock();
  const workers: FakeWorker[] = [];
  const log: Logged[] = [];
  const replaced: { port: MessagePort | null; error: WireError | null }[] = [];
  const embedder = fakeEmbedder(embedSteps);
  const search = new SearchWorker({
    spawn: () => {
      const w = fakeSearchWorker(workers.length, log);
      workers.push(w);
      return w;
    },
    // As ModelsState does: a fresh line to the loaded embedder for each successor.
    lines: () => {
      const port = embedder.openPort();
      return { params: { embedder: port, late: null }, transfer: [port] };
    },
    replaced: (port, error) => replaced.push({ port, error }),
    clock,
  });
  const params: SearchOpenParams = {
    dbName: await library(),
    embedder: { key: 'emb-a', dims: DIMS },
    voyWasmUrl: 'unused:',
    denseIndex: 'exact',
  };
  const port = embedder.openPort();
  await search.call('attach', { embedder: port, late: null }, { transfer: [port] });
  expect(await search.open(params)).toMatchObject({ chunks: 4, dense: 'exact' });
  return { search, workers, log, replaced, params, advance };
}

describe('SearchWorker', () => {
  it('ends a search silent past its budget: the call fails with SEARCH_STALLED, a successor reopens and relinks', async () => {
    const s = await supervised();
    const stuck = s.search.call('search', ask('hang')).then(
      () => null,
      (e: unknown) => e as AppError,
    );
    const budget = budgets.search(pace, 4, 100);
    await s.advance(budget - 1);
    expect(s.workers[0]!.terminated).toBe(false);
    await s.advance(2);
    const err = await stuck;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'SEARCH_STALLED',
      details: { method: 'search', seconds: Math.round(budget / 1000) },
    });
    expect(err?.message).toContain('Search stopped responding');
    expect(s.workers[0]!.terminated).toBe(true);

    // The next question works, on a successor opened with the same parameters and linked to the embedder again.
    const hits = await s.search.call('search', ask('trace trees'));
    expect(hits[0]?.id).toBe('paper:0');
    expect(s.workers).toHaveLength(2);
    expect(s.log.filter((l) => l.worker === 1)).toEqual([
      { worker: 1, method: 'open', params: s.params },
      { worker: 1, method: 'attach', params: { embedder: true, late: null } },
    ]);
    const retrieved = await s.search.call('retrieve', question('anything'));
    expect(retrieved).toMatchObject({ dense: true, passages: [{ id: 'paper:0' }, expect.anything()] });

    // The ingest worker's line: failed when the worker was lost, then a new one to the successor, which serves.
    expect(s.replaced.map((r) => [r.port !== null, r.error && fromWire(r.error).code])).toEqual([
      [false, 'SEARCH_STALLED'],
      [true, null],
    ]);
    const ingestLine = connectPort<SearchRpc>(s.replaced[1]!.port!);
    expect((await ingestLine.call('search', ask('borrowing rules')))[0]?.id).toBe('notes:0');
  });

  it('respawns, reopens and relinks a worker that crashed; its calls fail with WORKER_CRASHED', async () => {
    const s = await supervised();
    const inFlight = s.search.call('search', ask('hang'));
    await flush();
    s.workers[0]!.crash('out of memory');
    await expect(inFlight).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(s.workers[0]!.terminated).toBe(true);
    expect((await s.search.call('search', ask('ownership values')))[0]?.id).toBe('notes:1');
    expect(s.log.filter((l) => l.worker === 1).map((l) => l.method)).toEqual(['open', 'attach']);
    expect(s.replaced.map((r) => r.error && fromWire(r.error).code)).toEqual(['WORKER_CRASHED', null]);
  });

  it('catches a worker that stopped taking calls (a loop, or close()) even when none of its own was running', async () => {
    const s = await supervised();
    s.workers[0]!.freeze();
    const lost = s.search.call('search', ask('trace trees')).then(
      () => null,
      (e: unknown) => e as AppError,
    );
    await s.advance(DEFAULT_WITHIN_MS);
    expect(s.workers[0]!.terminated).toBe(false);
    await s.advance(1_001);
    expect(await lost).toMatchObject({ code: 'SEARCH_STALLED', details: { method: 'search' } });
    expect((await s.search.call('search', ask('trace trees')))[0]?.id).toBe('paper:0');
    expect(s.log.filter((l) => l.worker === 1).map((l) => l.method)).toEqual(['open', 'attach']);
  });

  it('does not declare stuck a question that keeps waiting on its embedder while the embedder shows progress', async () => {
    const steps = 5;
    const s = await supervised(steps);
    const wait = budgets.peerWait(pace.cores);
    // Far past every budget of the search worker's own work, but the embedder's progress re-arms the deadline.
    expect(wait).toBeGreaterThan(10 * budgets.search(pace, 4, 100));
    const retrieved = s.search.call('retrieve', question('trace trees'));
    await untilDeadlines(s.workers[0]!, wait, 1);
    for (let i = 0; i < steps; i++) {
      const seen = deadlines(s.workers[0]!, wait);
      await s.advance(wait - 1_000);
      await releaseGate();
      await untilDeadlines(s.workers[0]!, wait, seen + 1);
    }
    await expect(retrieved).resolves.toMatchObject({ dense: true, passages: [{ id: 'paper:0' }, expect.anything()] });
    await s.advance(wait * 2);
    expect(s.workers).toHaveLength(1);
    expect(s.replaced).toEqual([]);
  });

  it('declares stuck a question whose embedder stays silent past the longest silence a model may keep', async () => {
    const s = await supervised(1);
    const retrieved = s.search.call('retrieve', question('trace trees')).catch((e: unknown) => e as AppError);
    const wait = budgets.peerWait(pace.cores);
    await untilDeadlines(s.workers[0]!, wait, 1);
    await s.advance(wait - 1_000);
    expect(s.workers[0]!.terminated).toBe(false);
    await s.advance(2_000);
    expect(await retrieved).toMatchObject({ code: 'SEARCH_STALLED', details: { method: 'retrieve' } });
    expect(s.workers[0]!.terminated).toBe(true);
  });

  it('opens once more on the successor when the first open hangs', async () => {
    const { clock, advance } = manualClock();
    const log: Logged[] = [];
    const workers: FakeWorker[] = [];
    const search = new SearchWorker({
      spawn: () => {
        const w = fakeSearchWorker(workers.length, log, workers.length === 0);
        workers.push(w);
        return w;
      },
      lines: () => null,
      replaced: () => {},
      clock,
    });
    const params: SearchOpenParams = {
      dbName: await library(),
      embedder: null,
      voyWasmUrl: 'unused:',
      denseIndex: 'exact',
    };
    const opened = search.open(params);
    // Past the budget open reported for its first stretch of rows, once the first worker's open has read the library
    // and hangs, and the owner has its deadline: on a loaded machine that outlasts any fixed flush, and a clock moved
    // before it would test the machine's speed, not the watchdog.
    while (!hung.has(0) || !workers[0]!.lives.some((l) => l.method === 'open')) await flush();
    await advance(budgets.index(pace, 10_000));
    await expect(opened).resolves.toMatchObject({ chunks: 4, dense: null });
    expect(workers.map((w) => w.terminated)).toEqual([true, false]);
    expect(log.map((l) => [l.worker, l.method])).toEqual([
      [0, 'open'],
      [1, 'open'],
    ]);
  });

  it('gives the ingest worker a line before search opens: its calls reach the opened indexes', async () => {
    const { clock } = manualClock();
    const log: Logged[] = [];
    const search = new SearchWorker({
      spawn: () => fakeSearchWorker(0, log),
      lines: () => null,
      replaced: () => {},
      clock,
    });
    const early = connectPort<SearchRpc>(search.line());
    const dbName = await library();
    await search.open({ dbName, embedder: null, voyWasmUrl: 'unused:', denseIndex: 'exact' });
    expect((await early.call('search', ask('trace trees')))[0]?.id).toBe('paper:0');
    expect(log.map((l) => l.method)).toEqual(['open']);
  });
});
