// The calling side of RPC (main thread, or a worker on another's port): request ids, cancellation, progress, errors.
import { AppError, fromWire } from '../errors';
import type { CallOptions, Caller, Endpoint, MethodMap, Params, Progress, Result, ToMain } from './protocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: AppError) => void;
  onProgress?: (p: unknown) => void;
  cleanup: () => void;
}

export class RpcClient<M extends MethodMap> implements Caller<M> {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private dead: AppError | null = null;

  constructor(private readonly endpoint: Endpoint) {
    endpoint.addEventListener('message', (ev: MessageEvent) => this.onMessage(ev.data as ToMain));
  }

  call<K extends keyof M & string>(
    method: K,
    params: Params<M, K>,
    options: CallOptions<Progress<M, K>> = {},
  ): Promise<Result<M, K>> {
    if (this.dead) return Promise.reject(this.dead);
    const { signal, onProgress, transfer = [] } = options;
    if (signal?.aborted) return Promise.reject(new AppError('ABORTED'));
    const id = this.nextId++;
    return new Promise<Result<M, K>>((resolve, reject) => {
      const onAbort = () => {
        this.endpoint.postMessage({ kind: 'cancel', id });
        // Settle at once: a cancelled caller must not wait for the worker to notice.
        this.settle(id)?.reject(new AppError('ABORTED'));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: resolve as (v: unknown) => void,
        reject,
        onProgress: onProgress as ((p: unknown) => void) | undefined,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      this.endpoint.postMessage({ kind: 'request', id, method, params }, transfer);
    });
  }

  /**
   * A new line to the same handlers, to hand (transferred) to another worker, which wraps it with `connectPort`: the
   * two workers then talk directly, and their payloads never pass through this thread.
   */
  openPort(): MessagePort {
    const channel = new MessageChannel();
    this.endpoint.postMessage({ kind: 'connect' }, [channel.port2]);
    return channel.port1;
  }

  /** Fails every pending and future call, e.g. when the worker crashed. */
  fail(err: AppError): void {
    this.dead = err;
    for (const id of [...this.pending.keys()]) this.settle(id)?.reject(err);
  }

  private settle(id: number): Pending | undefined {
    const p = this.pending.get(id);
    if (!p) return undefined;
    this.pending.delete(id);
    p.cleanup();
    return p;
  }

  private onMessage(msg: ToMain): void {
    if (!msg || typeof msg.id !== 'number') return;
    if (msg.kind === 'progress') {
      this.pending.get(msg.id)?.onProgress?.(msg.progress);
    } else if (msg.kind === 'result') {
      this.settle(msg.id)?.resolve(msg.result);
    } else if (msg.kind === 'error') {
      this.settle(msg.id)?.reject(fromWire(msg.error));
    }
  }
}

/** Wraps a port from `openPort` (received in another worker) in a client. */
export function connectPort<M extends MethodMap>(port: MessagePort): RpcClient<M> {
  const client = new RpcClient<M>(port);
  port.start();
  return client;
}

/**
 * Starts a worker and wraps it in a client; a crash fails its pending calls with WORKER_CRASHED, and `onCrash` lets
 * the owner fail the calls other workers make on their ports to it (a port does not notice its worker dying).
 */
export function connectWorker<M extends MethodMap>(worker: Worker, onCrash?: (err: AppError) => void): RpcClient<M> {
  const client = new RpcClient<M>(worker);
  worker.addEventListener('error', (ev) => {
    ev.preventDefault();
    const err = new AppError('WORKER_CRASHED', undefined, { reason: ev.message ?? 'error' });
    client.fail(err);
    onCrash?.(err);
  });
  return client;
}
