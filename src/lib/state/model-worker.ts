// A model (or search) worker under supervision: calls watched for a deadline, a stuck or crashed one respawned.
import { AppError } from '../errors';
import { Supervisor, Watchdog, realClock, type Clock, type MethodMap, type Overrun, type RpcClient } from '../rpc';
import type { Terminable } from '../rpc';

export interface ModelWorkerOptions<M extends MethodMap> {
  /** The model as the user knows it, for messages: e.g. `embedding model "Xenova/bge-small-en-v1.5"`. */
  name(): string;
  /** A fresh worker (a Worker, or a fake with the same surface in tests). */
  spawn(): Terminable | Worker;
  /** Loads the model in a fresh worker and lends its lines; `again` for a worker that replaces a stuck or dead one. */
  prepare(client: RpcClient<M>, again: boolean): Promise<void>;
  /** The worker was replaced or ended: whoever holds a line to it must fail the calls on it. */
  lost(err: AppError): void;
  /** Something the worker's handlers told their owner (a model that moved to WASM). */
  event(event: unknown): void;
  /** No worker will come back after a loss (restarted too often): whoever waits for one must stop waiting. */
  gaveUp?(err: AppError): void;
  /**
   * The error a stuck worker's calls fail with (`loading`: it hung in `prepare`, and is not respawned); default
   * MODEL_STALLED and MODEL_LOAD_STALLED, naming the model.
   */
  stalled?(stall: Stall, loading: boolean): AppError;
  clock?: Clock;
}

/** What a stuck worker was doing, for its error's details. */
export interface Stall {
  method: string;
  seconds: number;
}

/**
 * Owns one model worker at a time (through a Supervisor). Every call on any of its lines reports a deadline for its
 * next sign of life (see serve's `owner` option and src/lib/models/budgets.ts); one that passes it means the worker
 * is stuck: it is terminated, its calls fail with MODEL_STALLED, `lost` lets the other workers fail theirs, and a
 * fresh worker loads the model again (`prepare`, which lends new lines). A worker that hangs while loading is not
 * respawned (MODEL_LOAD_STALLED): it would only hang again.
 */
export class ModelWorker<M extends MethodMap> {
  private supervisor: Supervisor<M>;
  private dog: Watchdog | null = null;
  private spawned = 0;
  /** The live worker's client once its model loaded; null before, and while a replacement loads. */
  current: RpcClient<M> | null = null;

  constructor(private readonly options: ModelWorkerOptions<M>) {
    this.supervisor = this.supervise();
  }

  /**
   * The live worker now, loaded or not (starting one if none runs, or afresh when the last one was given up): for a
   * line another worker keeps from the start.
   */
  line(): RpcClient<M> {
    try {
      return this.supervisor.live();
    } catch {
      this.supervisor = this.supervise();
      return this.supervisor.live();
    }
  }

  /** The live worker, once its model loaded (starting and loading one if none runs). */
  async client(): Promise<RpcClient<M>> {
    for (let attempt = 0; ; attempt++) {
      const supervisor = this.supervisor;
      // A supervisor that gave up before this call holds an old failure: the first try goes to a fresh one.
      const stale = supervisor.hasFailed;
      try {
        return await supervisor.client();
      } catch (err) {
        // A load that failed (or hung) ends its worker; the next call starts afresh, as a user retrying expects.
        if (this.supervisor === supervisor) {
          supervisor.giveUp(err as AppError);
          this.supervisor = this.supervise();
        }
        if (stale && attempt === 0) continue;
        throw err;
      }
    }
  }

  private supervise(): Supervisor<M> {
    return new Supervisor<M>({
      spawn: () => this.spawn(),
      prepare: async (client) => {
        await this.options.prepare(client, this.spawned > 1);
        if (this.supervisor.isLive(client)) this.current = client;
      },
      onRestart: (err) => {
        this.current = null;
        this.options.lost(err);
      },
      onGiveUp: (err) => this.options.gaveUp?.(err),
    });
  }

  private spawn(): Terminable {
    this.dog?.stop();
    const worker = this.options.spawn() as Terminable;
    this.spawned++;
    const dog = new Watchdog((overrun) => this.stuck(dog, overrun), this.options.clock ?? realClock);
    this.dog = dog;
    // Requests on the owner's line are watched until the worker takes them up (a silently dead or spinning worker).
    const watched: Terminable = {
      postMessage: (msg, transfer) => {
        if (this.dog === dog) dog.sent(msg);
        worker.postMessage(msg, transfer);
      },
      addEventListener: (type, listener) => worker.addEventListener(type, listener),
      removeEventListener: (type, listener) => worker.removeEventListener(type, listener),
      terminate: () => worker.terminate(),
    };
    worker.addEventListener('message', (ev) => {
      if (this.dog !== dog) return;
      dog.read(ev.data);
      const msg = ev.data as { kind?: string; event?: unknown } | null;
      if (msg?.kind === 'event') this.options.event(msg.event);
    });
    return watched;
  }

  private stuck(dog: Watchdog, overrun: Overrun): void {
    if (this.dog !== dog) return;
    const stall = { method: overrun.method, seconds: Math.round(overrun.budgetMs / 1000) };
    const error = this.options.stalled ?? ((s: Stall, loading: boolean) => this.modelStalled(s, loading));
    if (this.current) return this.supervisor.restart(error(stall, false));
    const err = error(stall, true);
    this.supervisor.giveUp(err);
    this.options.lost(err);
  }

  private modelStalled({ method, seconds }: Stall, loading: boolean): AppError {
    const model = this.options.name();
    return new AppError(loading ? 'MODEL_LOAD_STALLED' : 'MODEL_STALLED', undefined, { model, method, seconds });
  }
}
