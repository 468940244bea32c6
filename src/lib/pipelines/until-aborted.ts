// Waits for a shared promise (a model load) but gives up with ABORTED as soon as the caller's signal aborts.
import { AppError } from '../errors';

/** `promise`, or ABORTED as soon as `signal` aborts (the promise itself runs on: it is a shared load). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new AppError('ABORTED'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AppError('ABORTED'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
