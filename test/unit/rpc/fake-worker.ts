// A worker stand-in for unit tests: handlers served on the far end of a MessageChannel, with crash, freeze and its life.
import type { Endpoint, Terminable } from '../../../src/lib/rpc';

export interface FakeWorker extends Terminable {
  terminated: boolean;
  /** Every `life` message its owner has received so far (deadlines the watchdog reads), in order. */
  lives: { method: string; within: number | null }[];
  /** Fires its error listeners, as a worker whose script threw or ran out of memory. */
  crash(message: string): void;
  /** Stops taking messages without a word, as a worker that spins in a loop or closed itself. */
  freeze(): void;
}

const channels: MessageChannel[] = [];

/** A channel that closeChannels closes: the fake workers' own, and any other a test opens (a stand-in embedder). */
export function openChannel(): MessageChannel {
  const c = new MessageChannel();
  channels.push(c);
  return c;
}

/** Closes every channel opened since the last call, so that no test's ports outlive it: call it after each test. */
export function closeChannels(): void {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
}

/**
 * A worker stand-in: `serveOn` serves handlers on the far end of a channel (the worker's scope; pass it as `owner` to
 * report life on it, as a worker's scope does); terminate closes the channel.
 */
export function fakeWorker(serveOn: (scope: Endpoint) => void): FakeWorker {
  const c = openChannel();
  serveOn(c.port2 as unknown as Endpoint);
  c.port2.start();
  c.port1.start();
  const errorListeners: ((ev: MessageEvent & ErrorEvent) => void)[] = [];
  const lives: FakeWorker['lives'] = [];
  c.port1.addEventListener('message', (ev: MessageEvent) => {
    const msg = ev.data as { kind?: string; method: string; within: number | null } | null;
    if (msg?.kind === 'life') lives.push({ method: msg.method, within: msg.within });
  });
  const worker: FakeWorker = {
    terminated: false,
    lives,
    postMessage: (msg, transfer) => c.port1.postMessage(msg, transfer ?? []),
    addEventListener: (type: string, listener: (ev: MessageEvent & ErrorEvent) => void) => {
      if (type === 'error') errorListeners.push(listener);
      else c.port1.addEventListener('message', listener as (ev: MessageEvent) => void);
    },
    removeEventListener: (_type: string, listener: (ev: MessageEvent) => void) =>
      c.port1.removeEventListener('message', listener),
    terminate: () => {
      worker.terminated = true;
      c.port1.close();
      c.port2.close();
    },
    freeze: () => c.port2.close(),
    crash: (message) => {
      for (const l of errorListeners) l({ message, preventDefault: () => {} } as unknown as MessageEvent & ErrorEvent);
    },
  };
  return worker;
}
