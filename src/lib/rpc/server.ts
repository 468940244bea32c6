// The worker side of RPC: dispatches requests to handlers, streams progress, honours cancels, serves extra ports.
import { AppError, toAppError, toWire } from '../errors';
import type { Endpoint, Handlers, MethodMap, OwnerMessage, ToMain, ToWorker } from './protocol';

export interface ServeOptions {
  /**
   * Report every call's life to this endpoint (the worker's own scope, read by its owner's watchdog): a deadline when
   * it starts, again on each `expect` and progress, and its end. Calls on connected ports are reported too.
   */
  owner?: Endpoint;
}

/** How long a call may stay silent before its handler has said how long it needs (see HandlerContext.expect). */
export const DEFAULT_WITHIN_MS = 60_000;

/** Numbers the calls of one worker across all its lines, for the owner's watchdog. */
let lifeSeq = 0;

export function serve<M extends MethodMap>(
  endpoint: Endpoint,
  handlers: Handlers<M>,
  options: ServeOptions = {},
): () => void {
  const running = new Map<number, AbortController>();
  const post = (msg: ToMain, transfer: Transferable[] = []) => endpoint.postMessage(msg, transfer);
  const life = (msg: OwnerMessage) => options.owner?.postMessage(msg);

  const onMessage = (ev: MessageEvent) => {
    const msg = ev.data as ToWorker;
    if (msg?.kind === 'connect') {
      // Another worker's line to these same handlers: payloads between workers skip the main thread.
      const port = ev.ports[0];
      if (port) {
        serve(port, handlers, options);
        port.start();
      }
      return;
    }
    if (msg?.kind === 'cancel') {
      running.get(msg.id)?.abort();
      return;
    }
    if (msg?.kind !== 'request') return;
    const { id, method, params } = msg;
    const controller = new AbortController();
    running.set(id, controller);
    const transfer: Transferable[] = [];
    const call = ++lifeSeq;
    let within = DEFAULT_WITHIN_MS;
    // On the owner's own line, the first report names the request: the owner stops waiting for the worker to take it.
    life({ kind: 'life', call, method, within, ...(endpoint === options.owner ? { id } : {}) });
    const handler = (handlers as Record<string, Handlers<M>[keyof M]>)[method];
    const work = handler
      ? Promise.resolve().then(() =>
          handler(params, {
            signal: controller.signal,
            progress: (progress) => {
              if (controller.signal.aborted) return;
              post({ kind: 'progress', id, progress });
              life({ kind: 'life', call, method, within });
            },
            transfer: (t) => transfer.push(t),
            expect: (ms) => {
              within = ms;
              life({ kind: 'life', call, method, within });
            },
          }),
        )
      : Promise.reject(new AppError('RPC_UNKNOWN_METHOD', undefined, { method }));
    work
      .then(
        (result) => {
          if (controller.signal.aborted) post({ kind: 'error', id, error: toWire(new AppError('ABORTED')) });
          else post({ kind: 'result', id, result }, transfer);
        },
        (err: unknown) => {
          const appErr = controller.signal.aborted ? new AppError('ABORTED') : toAppError(err);
          post({ kind: 'error', id, error: toWire(appErr) });
        },
      )
      .finally(() => {
        running.delete(id);
        life({ kind: 'life', call, method, within: null });
      });
  };
  endpoint.addEventListener('message', onMessage);
  return () => endpoint.removeEventListener('message', onMessage);
}

/** Lets a worker's handlers tell its owner about events of their own (see OwnerMessage). */
export function toOwner(owner: Endpoint): (event: unknown) => void {
  return (event) => owner.postMessage({ kind: 'event', event } satisfies OwnerMessage);
}
