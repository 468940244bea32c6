// The supervisor: a restart ends the worker and fails its calls, then a fresh, prepared worker takes over; so does a crash.
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { MAX_RESTARTS, serve, Supervisor, type Handlers } from '../../../src/lib/rpc';
import { closeChannels, fakeWorker as fakeWorkerServing, type FakeWorker } from './fake-worker';

type Methods = {
  echo: { params: { text: string }; result: string; progress: never };
  hang: { params: Record<string, never>; result: never; progress: never };
};

const handlers: Handlers<Methods> = {
  echo: async ({ text }) => text.toUpperCase(),
  hang: () => new Promise<never>(() => {}),
};

afterEach(closeChannels);

/** A worker stand-in: its handlers serve on the far end of a channel; terminate closes it. */
const fakeWorker = () => fakeWorkerServing((scope) => serve(scope, handlers));

function supervised() {
  const workers: FakeWorker[] = [];
  const restarts: string[] = [];
  const gaveUp: string[] = [];
  let prepared = 0;
  const supervisor = new Supervisor<Methods>({
    spawn: () => {
      const w = fakeWorker();
      workers.push(w);
      return w;
    },
    prepare: async (client) => {
      expect(await client.call('echo', { text: 'ready?' })).toBe('READY?');
      prepared++;
    },
    onRestart: (err) => restarts.push(err.code),
    onGiveUp: (err) => gaveUp.push(err.code),
  });
  return { supervisor, workers, restarts, gaveUp, prepared: () => prepared };
}

describe('Supervisor', () => {
  it('starts one prepared worker and reuses it', async () => {
    const s = supervised();
    expect(await (await s.supervisor.client()).call('echo', { text: 'a' })).toBe('A');
    expect(await (await s.supervisor.client()).call('echo', { text: 'b' })).toBe('B');
    expect(s.workers).toHaveLength(1);
    expect(s.prepared()).toBe(1);
  });

  it('ends a stuck job by terminating its worker: the call fails with the reason, the next one runs on a fresh worker', async () => {
    const s = supervised();
    const stuck = (await s.supervisor.client()).call('hang', {});
    s.supervisor.restart(new AppError('WORKER_CRASHED', undefined, { reason: 'test' }));
    await expect(stuck).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(s.workers[0]!.terminated).toBe(true);
    expect(await (await s.supervisor.client()).call('echo', { text: 'next' })).toBe('NEXT');
    expect(s.workers).toHaveLength(2);
    expect(s.prepared()).toBe(2);
    expect(s.supervisor.isLive(await s.supervisor.client())).toBe(true);
    expect(s.restarts).toEqual(['WORKER_CRASHED']);
  });

  it('replaces a crashed worker the same way, failing what it had in flight', async () => {
    const s = supervised();
    const pending = (await s.supervisor.client()).call('hang', {});
    s.workers[0]!.crash('boom');
    await expect(pending).rejects.toMatchObject({ code: 'WORKER_CRASHED', details: { reason: 'boom' } });
    expect(await (await s.supervisor.client()).call('echo', { text: 'again' })).toBe('AGAIN');
    expect(s.workers).toHaveLength(2);
    // A late error from the old worker does not restart the new one.
    s.workers[0]!.crash('late');
    expect(s.workers).toHaveLength(2);
  });

  it('does not respawn a worker that crashes while starting, and gives up after too many restarts', async () => {
    const workers: FakeWorker[] = [];
    const broken = new Supervisor<Methods>({
      spawn: () => {
        const w = fakeWorker();
        workers.push(w);
        return w;
      },
      prepare: async (client) => {
        setTimeout(() => workers.at(-1)!.crash('script failed to load'), 0);
        await client.call('hang', {});
      },
    });
    await expect(broken.client()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    await expect(broken.client()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(workers).toHaveLength(1);

    const s = supervised();
    await s.supervisor.client();
    for (let i = 0; i <= MAX_RESTARTS; i++) s.supervisor.restart(new AppError('ABORTED'));
    await expect(s.supervisor.client()).rejects.toMatchObject({ code: 'WORKER_CRASHED' });
    expect(s.workers).toHaveLength(MAX_RESTARTS + 1);
    // Whoever waits for a successor is told none will come (imports waiting on a model worker's line).
    expect(s.gaveUp).toEqual(['WORKER_CRASHED']);
    expect(s.supervisor.hasFailed).toBe(true);
  });
});
