// The worker side of RPC: dispatches requests to handlers, streams progress, honours cancels, serves extra ports.
import { AppError, toAppError, toWire } from '../errors';
import type { Endpoint, Handlers, MethodMap, ToMain, ToWorker } from './protocol';

export function serve<M extends MethodMap>(endpoint: Endpoint, handlers: Handlers<M>): () => void {
  const running = new Map<number, AbortController>();
  const post = (msg: ToMain, transfer: Transferable[] = []) => endpoint.postMessage(msg, transfer);

  const onMessage = (ev: MessageEvent) => {
    const msg = ev.data as ToWorker;
    if (msg?.kind === 'connect') {
      // Another worker's line to these same handlers: payloads between workers skip the main thread.
      const port = ev.ports[0];
      if (port) {
        serve(port, handlers);
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
    const handler = (handlers as Record<string, Handlers<M>[keyof M]>)[method];
    const work = handler
      ? Promise.resolve().then(() =>
          handler(params, {
            signal: controller.signal,
            progress: (progress) => {
              if (!controller.signal.aborted) post({ kind: 'progress', id, progress });
            },
            transfer: (t) => transfer.push(t),
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
      .finally(() => running.delete(id));
  };
  endpoint.addEventListener('message', onMessage);
  return () => endpoint.removeEventListener('message', onMessage);
}
