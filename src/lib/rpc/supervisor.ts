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
  /** Told when a restart does not bring a worker back (too many in a minute, or it cannot spawn): none will come. */
  onGiveUp?(err: AppError): void;
}

/** Restarts allowed within RESTART_WINDOW_MS before the supervisor gives up (a worker that cannot start). */
export const MAX_RESTARTS = 3;
export const RESTART_WINDOW_MS = 60_000;

interface Live<M extends MethodMap> {
  worker: Terminable;
  client: RpcClient<M>;
  ready: Promise<void>;
}

/**
 * Owns one worker at a time. `restart` terminates it (the only way to stop synchronous work such as a runaway
 * parse), fails its in-flight calls with the given error, and starts and prepares a new one; `client()` waits for
 * the worker that is ready. A crash after the worker was ready restarts it the same way; a worker that crashes while
 * starting, or too many restarts in a minute, leaves the supervisor failed with that error instead of respawning
 * forever.
 */
export class Supervisor<M extends MethodMap> {
  private current: Live<M> | null = null;
  private failed: AppError | null = null;
  private restarts: number[] = [];

  constructor(private readonly options: SupervisorOptions<M>) {}

  /** The live worker's client, once prepared (starting one if none runs). */
  async client(): Promise<RpcClient<M>> {
    for (;;) {
      if (this.failed) throw this.failed;
      const live = this.current ?? this.start();
      try {
        await live.ready;
      } catch (err) {
        // Replaced while it was starting: wait for its successor instead.
        if (this.current !== live) continue;
        throw err;
      }
      if (this.current === live) return live.client;
    }
  }

  /** Whether this supervisor has given up (client() throws why). */
  get hasFailed(): boolean {
    return this.failed !== null;
  }

  /**
   * The live worker's client now, prepared or not (starting one if none runs): for a line another worker keeps, whose
   * calls may wait for what `prepare` brings. Throws why the supervisor gave up, if it did.
   */
  live(): RpcClient<M> {
    if (this.failed) throw this.failed;
    return (this.current ?? this.start()).client;
  }

  /** Whether `client` belongs to the worker that runs now (not to one already replaced). */
  isLive(client: RpcClient<M>): boolean {
    return this.current?.client === client;
  }

  /** Ends the live worker and whatever it was doing; the next `client()` gets a fresh, prepared one. */
  restart(err: AppError): void {
    this.stop(err);
    this.options.onRestart?.(err);
    const now = Date.now();
    this.restarts = [...this.restarts.filter((t) => now - t < RESTART_WINDOW_MS), now];
    if (this.restarts.length > MAX_RESTARTS) {
      this.failed = new AppError('WORKER_CRASHED', undefined, {
        reason: `restarted ${MAX_RESTARTS} times in a minute`,
      });
      this.options.onGiveUp?.(this.failed);
      return;
    }
    try {
      this.start();
    } catch (spawnErr) {
      this.failed = new AppError('WORKER_CRASHED', undefined, { reason: String(spawnErr) });
      this.options.onGiveUp?.(this.failed);
    }
  }

  /** Ends the live worker for good (one that hangs while starting would only hang again): `client()` throws `err`. */
  giveUp(err: AppError): void {
    this.stop(err);
    this.failed = err;
  }

  private stop(err: AppError): void {
    const old = this.current;
    this.current = null;
    if (!old) return;
    old.worker.terminate();
    old.client.fail(err);
  }

  private start(): Live<M> {
    const worker = this.options.spawn();
    const client = new RpcClient<M>(worker);
    const live: Live<M> = { worker, client, ready: Promise.resolve() };
    let started = false;
    worker.addEventListener('error', (ev) => {
      ev.preventDefault?.();
      if (this.current !== live) return;
      const err = new AppError('WORKER_CRASHED', undefined, { reason: ev.message ?? 'error' });
      if (started) return this.restart(err);
      // It cannot even start (a missing script, a failing open): respawning would only fail again.
      this.stop(err);
      this.failed = err;
    });
    live.ready = this.options.prepare(client).then(() => {
      started = true;
    });
    live.ready.catch(() => {
      // Awaited by client(); a replaced worker's failure is nobody's concern.
    });
    this.current = live;
    return live;
  }
}
