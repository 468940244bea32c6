// A worker that can be stopped and started again: a stuck or cancelled job is ended by terminating its worker.
import { AppError } from '../errors';
import { RpcClient } from './client';
import type { Endpoint, MethodMap } from './protocol';

/** What the supervisor needs of a worker: an endpoint it can terminate, and its crash event. */
export interface Terminable extends Endpoint {
  terminate(): void;
  addEventListener(type: 'message' | 'error', listener: (ev: MessageEvent & ErrorEvent) => void): void;
}

export interface SupervisorOptions<M extends MethodMap> {
  /** Creates a fresh worker. */
  spawn(): Terminable;
  /** Brings a fresh worker to the state callers expect (open storage, lines to other workers…). */
  prepare(client: RpcClient<M>): Promise<void>;
  /** Told when a worker is replaced (crash or restart), with the error its calls failed with. */
  onRestart?(err: AppError): void;
}

/**
 * Owns one worker at a time. `restart` terminates it (the only way to stop synchronous work such as a runaway
 * parse), fails its in-flight calls with the given error, and starts and prepares a new one; `client()` waits for
 * the worker that is ready. A crash restarts it the same way.
 */
export class Supervisor<M extends MethodMap> {
  private current: { worker: Terminable; client: RpcClient<M>; ready: Promise<void> } | null = null;

  constructor(private readonly options: SupervisorOptions<M>) {}

  /** The live worker's client, once prepared (starting one if none runs). */
  async client(): Promise<RpcClient<M>> {
    const live = this.current ?? this.start();
    await live.ready;
    return live.client;
  }

  /** Whether `client` belongs to the worker that runs now (not to one already replaced). */
  isLive(client: RpcClient<M>): boolean {
    return this.current?.client === client;
  }

  /** Ends the live worker and whatever it was doing; the next `client()` gets a fresh, prepared one. */
  restart(err: AppError): void {
    const old = this.current;
    this.current = null;
    if (old) {
      old.worker.terminate();
      old.client.fail(err);
    }
    this.options.onRestart?.(err);
    this.start();
  }

  private start(): NonNullable<typeof this.current> {
    const worker = this.options.spawn();
    const client = new RpcClient<M>(worker);
    const live = { worker, client, ready: Promise.resolve() };
    worker.addEventListener('error', (ev) => {
      ev.preventDefault?.();
      if (this.current === live) {
        this.restart(new AppError('WORKER_CRASHED', undefined, { reason: ev.message ?? 'error' }));
      }
    });
    live.ready = this.options.prepare(client);
    this.current = live;
    return live;
  }
}
