// In-thread RPC: calls handlers directly with the same contract as a worker (for tests and fallbacks).
import { AppError, toAppError } from '../errors';
import type { CallOptions, Caller, Handlers, MethodMap, Params, Progress, Result } from './protocol';

export class LocalCaller<M extends MethodMap> implements Caller<M> {
  constructor(private readonly handlers: Handlers<M>) {}

  async call<K extends keyof M & string>(
    method: K,
    params: Params<M, K>,
    options: CallOptions<Progress<M, K>> = {},
  ): Promise<Result<M, K>> {
    const controller = new AbortController();
    const outer = options.signal;
    if (outer?.aborted) throw new AppError('ABORTED');
    const onAbort = () => controller.abort();
    outer?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await this.handlers[method](params, {
        signal: controller.signal,
        progress: (p) => options.onProgress?.(p),
        transfer: () => {},
        expect: () => {},
      });
      if (controller.signal.aborted) throw new AppError('ABORTED');
      return result;
    } catch (err) {
      throw controller.signal.aborted ? new AppError('ABORTED') : toAppError(err);
    } finally {
      outer?.removeEventListener('abort', onAbort);
    }
  }
}
