// Stale-result dropping: only the newest of overlapping requests resolves; older ones are aborted.
import { AppError } from '../errors';

export class Latest {
  private current: AbortController | null = null;

  /** Runs `task`, aborting the previous one; a superseded task rejects with ABORTED. */
  async run<T>(task: (signal: AbortSignal) => Promise<T>): Promise<T> {
    this.current?.abort();
    const controller = new AbortController();
    this.current = controller;
    const result = await task(controller.signal);
    if (this.current !== controller || controller.signal.aborted) throw new AppError('ABORTED');
    this.current = null;
    return result;
  }

  cancel(): void {
    this.current?.abort();
    this.current = null;
  }
}
