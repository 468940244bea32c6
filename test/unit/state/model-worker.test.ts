// Supervised model workers with fake workers: deadlines, heartbeats, respawn and reload, failing in-flight calls.
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  connectPort,
  serve,
  toOwner,
  type Clock,
  type Endpoint,
  type Handlers,
  type RpcClient,
} from '../../../src/lib/rpc';
import { ModelWorker } from '../../../src/lib/state/model-worker';
import { closeChannels, fakeWorker as fakeWorkerServing, type FakeWorker } from '../rpc/fake-worker';

type Methods = {
  load: { params: { budget: number; hang?: boolean }; result: string; progress: number };
  work: { params: { steps: number; budget: number }; result: string; progress: number };
  hang: { params: { budget: number }; result: never; progress: never };
  wait: { params: { budget: number }; result: never; progress: never };
  tell: { params: { event: string }; result: void; progress: never };
};

const flush = () => new Promise((r) => setTimeout(r, 5));

/**
 * Waits until the owner has heard the worker report a call's deadline. A fixed flush can lose that race on a loaded
 * machine (CI), and moving the clock first would start the deadline late.
 */
const heard = async (w: FakeWorker, method: string) => {
  while (!w.lives.some((l) => l.method === method)) await flush();
};

/** Steps of `work` calls, released by the test. */
const gates: (() => void)[] = [];
const nextGate = () => new Promise<void>((r) => gates.push(r));
const releaseGate = async () => {
  while (!gates.length) await flush();
  gates.shift()!();
};

function handlers(owner: Endpoint): Handlers<Methods> {
  return {
    load: async ({ budget, hang }, ctx) => {
      ctx.expect(budget);
      if (hang) return new Promise<never>(() => {});
      return 'loaded';
    },
    work: async ({ steps, budget }, ctx) => {
      ctx.expect(budget);
      for (let i = 0; i < steps; i++) {
        await nextGate();
        ctx.progress(i);
      }
      return 'done';
    },
    hang: async ({ budget }, ctx) => {
      ctx.expect(budget);
      return new Promise<never>(() => {});
    },
    wait: ({ budget }, ctx) => {
      ctx.expect(budget);
      return new Promise<never>((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject(new AppError('ABORTED'))),
      );
    },
    tell: async ({ event }) => toOwner(owner)({ kind: event }),
  };
}

afterEach(() => {
  closeChannels();
  gates.length = 0;
});

/** A worker stand-in: its handlers serve on the far end of a channel, reporting life on it as a worker's scope does. */
const fakeWorker = () => fakeWorkerServing((scope) => serve(scope, handlers(scope), { owner: scope }));

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

function supervised(load: { budget: number; hang?: boolean } = { budget: 1_000 }) {
  const { clock, advance } = manualClock();
  const workers: FakeWorker[] = [];
  const prepared: boolean[] = [];
  const lost: AppError[] = [];
  const events: unknown[] = [];
  const model = new ModelWorker<Methods>({
    name: () => 'embedding model "fake/embedder"',
    spawn: () => {
      const w = fakeWorker();
      workers.push(w);
      return w;
    },
    prepare: async (client, again) => {
      expect(await client.call('load', load)).toBe('loaded');
      prepared.push(again);
    },
    lost: (err) => lost.push(err),
    event: (e) => events.push(e),
    clock,
  });
  return { model, workers, prepared, lost, events, advance };
}

describe('ModelWorker', () => {
  it('lets a call run past its budget while it keeps sending progress (a heartbeat)', async () => {
    const s = supervised();
    const client = await s.model.client();
    const seen: number[] = [];
    const call = client.call('work', { steps: 4, budget: 1_000 }, { onProgress: (p) => seen.push(p) });
    await heard(s.workers[0]!, 'work');
    for (let i = 0; i < 4; i++) {
      await s.advance(900);
      await releaseGate();
      // Each step's progress is the heartbeat: let it reach the owner before the clock moves on.
      while (seen.length <= i) await flush();
    }
    await expect(call).resolves.toBe('done');
    expect(seen).toEqual([0, 1, 2, 3]);
    await s.advance(60_000);
    expect(s.workers).toHaveLength(1);
    expect(s.lost).toEqual([]);
  });

  it('ends a worker silent past its budget: calls fail with MODEL_STALLED, a fresh worker reloads and serves', async () => {
    const s = supervised();
    const client = await s.model.client();
    expect(s.model.current).toBe(client);
    const stuck = client.call('hang', { budget: 2_000 }).catch((e: unknown) => e as AppError);
    await heard(s.workers[0]!, 'hang');
    await s.advance(1_999);
    expect(s.workers[0]!.terminated).toBe(false);
    await s.advance(2);
    const err = await stuck;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'MODEL_STALLED', details: { method: 'hang', seconds: 2 } });
    expect(err.message).toContain('embedding model "fake/embedder"');
    expect(s.workers[0]!.terminated).toBe(true);
    expect(s.lost.map((e) => e.code)).toEqual(['MODEL_STALLED']);
    const fresh = await s.model.client();
    expect(fresh).not.toBe(client);
    expect(s.prepared).toEqual([false, true]);
    expect(s.model.current).toBe(fresh);
    await expect(client.call('work', { steps: 0, budget: 1 })).rejects.toMatchObject({ code: 'MODEL_STALLED' });
    const next = fresh.call('work', { steps: 1, budget: 1_000 });
    await releaseGate();
    await expect(next).resolves.toBe('done');
  });

  it('watches calls on lines lent to other workers too', async () => {
    const s = supervised();
    const client = await s.model.client();
    const peer = connectPort<Methods>(client.openPort()) as RpcClient<Methods>;
    const viaPeer = peer.call('hang', { budget: 500 });
    viaPeer.catch(() => {});
    // The call's deadline reaches the owner by way of the worker (peer → worker → owner).
    await heard(s.workers[0]!, 'hang');
    await s.advance(501);
    // The owner fails the lent line (ModelsState tells the search and ingest workers); here, as it would:
    expect(s.lost.map((e) => e.code)).toEqual(['MODEL_STALLED']);
    peer.fail(s.lost[0]!);
    await expect(viaPeer).rejects.toMatchObject({ code: 'MODEL_STALLED' });
    expect(s.workers[0]!.terminated).toBe(true);
    await s.model.client();
    expect(s.workers).toHaveLength(2);
  });

  it('does not respawn a worker that hangs while loading; the next call starts afresh', async () => {
    const s = supervised({ budget: 3_000, hang: true });
    const first = s.model.client();
    first.catch(() => {});
    while (!s.workers.length) await flush();
    await heard(s.workers[0]!, 'load');
    await s.advance(3_001);
    await expect(first).rejects.toMatchObject({ code: 'MODEL_LOAD_STALLED', details: { method: 'load' } });
    expect(s.workers).toHaveLength(1);
    expect(s.workers[0]!.terminated).toBe(true);
    expect(s.lost.map((e) => e.code)).toEqual(['MODEL_LOAD_STALLED']);
    const second = s.model.client();
    second.catch(() => {});
    await flush();
    expect(s.workers).toHaveLength(2);
    await heard(s.workers[1]!, 'load');
    await s.advance(3_001);
    await expect(second).rejects.toMatchObject({ code: 'MODEL_LOAD_STALLED' });
  });

  it('respawns and reloads a worker that crashed after loading', async () => {
    const s = supervised();
    const client = await s.model.client();
    const inFlight = client.call('hang', { budget: 60_000 });
    s.workers[0]!.crash('out of memory');
    await expect(inFlight).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(s.lost.map((e) => e.code)).toEqual(['WORKER_CRASHED']);
    await s.model.client();
    expect(s.prepared).toEqual([false, true]);
  });

  it('a cancelled call ends its deadline with it', async () => {
    const s = supervised();
    const client = await s.model.client();
    const controller = new AbortController();
    const call = client.call('wait', { budget: 1_000 }, { signal: controller.signal });
    await flush();
    controller.abort();
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' });
    await s.advance(10_000);
    expect(s.workers).toHaveLength(1);
    expect(s.lost).toEqual([]);
  });

  it("passes the worker's own events to its owner", async () => {
    const s = supervised();
    await (await s.model.client()).call('tell', { event: 'device-moved' });
    await flush();
    expect(s.events).toEqual([{ kind: 'device-moved' }]);
  });
});
