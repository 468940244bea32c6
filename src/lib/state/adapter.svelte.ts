// The relevance adapter as the UI sees it: Train / Stop with progress per epoch, its held-out result, on/off and Reset;
// the work runs in the search worker (pipelines/adapter.ts), reached through a narrow port.
import { AppError, failureOf, isAbortError } from '../errors';
import type { AdapterMethods, AdapterProgress, AdapterSummary } from '../pipelines/adapter';
import type { CallOptions } from '../rpc';

export type { AdapterProgress, AdapterSummary };

export interface AdapterContext {
  /** A call on the adapter in the search worker (ModelsState.adapter). */
  call<K extends keyof AdapterMethods>(
    method: K,
    params: AdapterMethods[K]['params'],
    options?: CallOptions<AdapterMethods[K]['progress']>,
  ): Promise<AdapterMethods[K]['result']>;
  info(text: string): void;
}

export class AdapterState {
  /** The stored adapter of the embedder in use; null when there is none (or search is not open yet). */
  adapter = $state<AdapterSummary | null>(null);
  training = $state(false);
  /** The last epoch of the training in progress. */
  progress = $state<AdapterProgress | null>(null);
  /** A switch or reset under way. */
  busy = $state(false);
  error = $state<AppError | null>(null);

  private controller: AbortController | null = null;

  constructor(private readonly ctx: AdapterContext) {}

  /** Reads the stored adapter again (the view opens, an import brought one); quiet while search is not open. */
  async load(): Promise<void> {
    try {
      this.adapter = await this.ctx.call('loadAdapter', {});
    } catch (err) {
      if (err instanceof AppError && err.code === 'SEARCH_NOT_READY') return;
      this.error = failureOf(err, 'ADAPTER_READ_FAILED');
    }
  }

  async train(): Promise<void> {
    if (this.training) return;
    this.training = true;
    this.progress = null;
    this.error = null;
    this.controller = new AbortController();
    try {
      this.adapter = await this.ctx.call(
        'trainAdapter',
        {},
        { signal: this.controller.signal, onProgress: (p) => (this.progress = p) },
      );
      this.ctx.info(
        this.adapter.enabled
          ? 'The relevance adapter is trained and on.'
          : 'The relevance adapter is trained but kept off: it did not improve your held-out questions.',
      );
    } catch (err) {
      if (isAbortError(err)) this.ctx.info('Training stopped; the adapter is as it was.');
      else this.error = failureOf(err, 'ADAPTER_TRAIN_FAILED');
    } finally {
      this.training = false;
      this.progress = null;
      this.controller = null;
    }
  }

  stop(): void {
    this.controller?.abort();
  }

  /** Switches the stored adapter on or off for every later search. */
  async setEnabled(enabled: boolean): Promise<void> {
    await this.change(async () => {
      this.adapter = await this.ctx.call('setAdapter', { enabled });
      this.ctx.info(enabled ? 'The relevance adapter is on.' : 'The relevance adapter is off.');
    });
  }

  /** Deletes the stored adapter: searches use the embedding model as it is. */
  async reset(): Promise<void> {
    await this.change(async () => {
      await this.ctx.call('resetAdapter', {});
      this.adapter = null;
      this.ctx.info('The relevance adapter was deleted.');
    });
  }

  private async change(run: () => Promise<void>): Promise<void> {
    if (this.busy || this.training) return;
    this.busy = true;
    this.error = null;
    try {
      await run();
    } catch (err) {
      this.error = failureOf(err, 'ADAPTER_SAVE_FAILED');
    } finally {
      this.busy = false;
    }
  }
}
