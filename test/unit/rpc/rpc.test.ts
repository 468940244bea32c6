import { MessageChannel, type MessagePort as NodePort } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { connectPort, LocalCaller, Latest, RpcClient, serve, type Endpoint, type Handlers } from '../../../src/lib/rpc';

type Methods = {
  echo: { params: { text: string }; result: string; progress: never };
  count: { params: { to: number }; result: number; progress: number };
  fail: { params: { code: 'PDF_NO_TEXT' | 'BOOM' }; result: never; progress: never };
  wait: { params: { ms: number }; result: string; progress: never };
  double: { params: { data: Float32Array }; result: Float32Array; progress: never };
};

const observed = { waitAborted: false };

const handlers: Handlers<Methods> = {
  echo: async ({ text }) => text.toUpperCase(),
  count: async ({ to }, ctx) => {
    for (let i = 1; i <= to; i++) ctx.progress(i);
    return to;
  },
  fail: async ({ code }) => {
    if (code === 'BOOM') throw new TypeError('kaput');
    throw new AppError(code, undefined, { page: 3 });
  },
  wait: ({ ms }, ctx) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => resolve('finished'), ms);
      ctx.signal.addEventListener('abort', () => {
        observed.waitAborted = true;
        clearTimeout(t);
        reject(new AppError('ABORTED'));
      });
    }),
  double: async ({ data }, ctx) => {
    const out = data.map((x) => x * 2);
    ctx.transfer(out.buffer);
    return out;
  },
};

/** Adapts a Node MessagePort to the DOM-style Endpoint the RPC expects. */
function endpoint(port: NodePort): Endpoint {
  const wrapped = new Map<(ev: MessageEvent) => void, (data: unknown) => void>();
  return {
    postMessage: (msg, transfer) => port.postMessage(msg, transfer as never),
    addEventListener: (_type, listener) => {
      const fn = (data: unknown) => listener({ data } as MessageEvent);
      wrapped.set(listener, fn);
      port.on('message', fn);
    },
    removeEventListener: (_type, listener) => {
      const fn = wrapped.get(listener);
      if (fn) port.off('message', fn);
    },
  };
}

const ports: NodePort[] = [];
function pair(): RpcClient<Methods> {
  const { port1, port2 } = new MessageChannel();
  ports.push(port1, port2);
  serve(endpoint(port2), handlers);
  return new RpcClient<Methods>(endpoint(port1));
}

afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});

describe.each([
  ['across a message channel', pair],
  ['in-thread', () => new LocalCaller<Methods>(handlers)],
])('RPC %s', (_name, make) => {
  it('returns results and streams progress in order', async () => {
    const rpc = make();
    expect(await rpc.call('echo', { text: 'hi' })).toBe('HI');
    const seen: number[] = [];
    expect(await rpc.call('count', { to: 4 }, { onProgress: (p) => seen.push(p) })).toBe(4);
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('re-creates errors as AppError with code and details', async () => {
    const rpc = make();
    const err = await rpc.call('fail', { code: 'PDF_NO_TEXT' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('PDF_NO_TEXT');
    expect((err as AppError).details).toEqual({ page: 3 });
    const unknown = await rpc.call('fail', { code: 'BOOM' }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(AppError);
    expect((unknown as AppError).code).toBe('UNKNOWN');
    expect((unknown as AppError).message).toContain('kaput');
  });

  it('cancels with an AbortSignal: the caller rejects with ABORTED and the handler sees the abort', async () => {
    const rpc = make();
    observed.waitAborted = false;
    const controller = new AbortController();
    const pending = rpc.call('wait', { ms: 5_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const err = await pending.catch((e: unknown) => e);
    expect((err as AppError).code).toBe('ABORTED');
    expect(Date.now() - started).toBeLessThan(1_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(observed.waitAborted).toBe(true);
  });

  it('moves typed arrays intact', async () => {
    const rpc = make();
    const out = await rpc.call('double', { data: new Float32Array([1, 2.5, -3]) });
    expect(Array.from(out)).toEqual([2, 5, -6]);
  });
});

describe('RpcClient', () => {
  it('fails pending and later calls once the worker is gone', async () => {
    const rpc = pair();
    const pending = rpc.call('wait', { ms: 5_000 });
    rpc.fail(new AppError('WORKER_CRASHED'));
    expect(((await pending.catch((e: unknown) => e)) as AppError).code).toBe('WORKER_CRASHED');
    expect(((await rpc.call('echo', { text: 'x' }).catch((e: unknown) => e)) as AppError).code).toBe('WORKER_CRASHED');
  });
});

describe('Latest', () => {
  it('drops the stale result of a superseded request', async () => {
    const latest = new Latest();
    const slow = latest.run(
      (signal) =>
        new Promise<string>((resolve) => {
          setTimeout(() => resolve('old'), 50);
          signal.addEventListener('abort', () => undefined);
        }),
    );
    const fast = latest.run(async () => 'new');
    expect(await fast).toBe('new');
    expect(((await slow.catch((e: unknown) => e)) as AppError).code).toBe('ABORTED');
  });
});

describe('RpcClient.openPort', () => {
  it('gives another party its own line to the same handlers, with progress, transfers and cancels', async () => {
    // DOM-style channels (Node's globals): the worker end serves, the main end opens a port for a second worker.
    const worker = new globalThis.MessageChannel();
    const main = new RpcClient<Methods>(worker.port1 as unknown as Endpoint);
    serve(worker.port2 as unknown as Endpoint, handlers);
    worker.port1.start();
    worker.port2.start();
    const port = main.openPort();
    const other = connectPort<Methods>(port);
    try {
      expect(await other.call('echo', { text: 'direct' })).toBe('DIRECT');
      const seen: number[] = [];
      expect(await other.call('count', { to: 3 }, { onProgress: (p) => seen.push(p) })).toBe(3);
      expect(seen).toEqual([1, 2, 3]);
      const data = new Float32Array([1, 2]);
      expect(Array.from(await other.call('double', { data }, { transfer: [data.buffer] }))).toEqual([2, 4]);
      expect(data.length).toBe(0);
      const controller = new AbortController();
      const pending = other.call('wait', { ms: 5_000 }, { signal: controller.signal });
      controller.abort();
      await expect(pending).rejects.toMatchObject({ code: 'ABORTED' });
      // The first line still works beside the second.
      expect(await main.call('echo', { text: 'main' })).toBe('MAIN');
    } finally {
      port.close();
      worker.port1.close();
      worker.port2.close();
    }
  });
});
