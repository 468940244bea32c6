// The search worker under supervision: a stuck or crashed one is replaced, reopened on the same library, relinked.
import { AppError, toWire, type WireError } from '../errors';
import type { AdapterMethods } from '../pipelines/adapter';
import type { IndexSyncMethods } from '../pipelines/library-sync';
import type { OpenPublishedParams, PublishedOpened, SearchMethods, SearchOpenParams } from '../retrieval/search-types';
import type { CallOptions, Clock, RpcClient, Terminable } from '../rpc';
import { ModelWorker } from './model-worker';

export type SearchRpc = SearchMethods & IndexSyncMethods & AdapterMethods;

type Method = keyof SearchRpc & string;

/** The errors a call fails with when its worker was replaced under it. */
const replacedUnder = (err: unknown) =>
  err instanceof AppError && (err.code === 'SEARCH_STALLED' || err.code === 'WORKER_CRASHED');

export interface SearchWorkerOptions {
  /** A fresh worker (a Worker, or a fake with the same surface in tests). */
  spawn(): Terminable | Worker;
  /** Fresh lines to the model workers loaded now, for a successor (null: none is). */
  lines(): { params: SearchMethods['attach']['params']; transfer: Transferable[] } | null;
  /**
   * For the ingest worker's line: the worker was lost (port null: calls on the old line must fail, with `error`), or
   * its successor is open and linked (a new line).
   */
  replaced(port: MessagePort | null, error: WireError | null): void;
  clock?: Clock;
}

/**
 * Owns the search worker through a ModelWorker: its handlers report deadlines (services/search-service.ts), and one
 * that overruns its deadline, or crashes, is terminated; its calls fail with SEARCH_STALLED (or WORKER_CRASHED), and a
 * fresh worker is opened with the same parameters and given new lines to the models and to the ingest worker before
 * the next call runs. A worker that hangs while reopening is not respawned until the next call (SEARCH_OPEN_STALLED).
 */
export class SearchWorker {
  private readonly worker: ModelWorker<SearchRpc>;
  /** What the indexes were opened with; null until the first open succeeded (the first worker waits for it). */
  private opened: SearchOpenParams | null = null;
  /** The published library opened beside them, if any: a successor opens it again (and reads its vectors again). */
  private published: OpenPublishedParams | null = null;

  constructor(private readonly options: SearchWorkerOptions) {
    this.worker = new ModelWorker<SearchRpc>({
      name: () => 'search',
      spawn: () => options.spawn(),
      prepare: (rpc) => this.reopen(rpc),
      lost: (err) => options.replaced(null, toWire(err)),
      event: () => {},
      stalled: ({ method, seconds }, loading) =>
        new AppError(loading ? 'SEARCH_OPEN_STALLED' : 'SEARCH_STALLED', undefined, { method, seconds }),
      clock: options.clock,
    });
  }

  /** Starts the worker now, so its script loads while the page starts rather than when first called. */
  start(): void {
    this.worker.line();
  }

  /** A line to the live worker for another worker, at once (the ingest worker's first, before search opens). */
  line(): MessagePort {
    return this.worker.line().openPort();
  }

  /** A call on the live worker; while a successor reopens, it waits for it. */
  async call<K extends Method>(
    method: K,
    params: SearchRpc[K]['params'],
    options?: CallOptions<SearchRpc[K]['progress']>,
  ): Promise<SearchRpc[K]['result']> {
    return (await this.worker.client()).call(method, params, options);
  }

  /**
   * Opens the indexes; a successor is opened with the same parameters. A worker replaced under the first open (stuck
   * or crashed) leaves a fresh one that nothing opens: the open is tried once more on it.
   */
  async open(params: SearchOpenParams): Promise<SearchRpc['open']['result']> {
    const open = () => this.call('open', params);
    // The models may have lent their lines to the worker replaced (they load beside the open): lend them again.
    const again = async () => {
      const result = await open();
      const lines = this.options.lines();
      if (lines) await this.call('attach', lines.params, { transfer: lines.transfer });
      return result;
    };
    const opened = await open().catch((err: unknown) => (replacedUnder(err) ? again() : Promise.reject(err)));
    this.opened = params;
    return opened;
  }

  /** Builds the dense index for an embedder loaded after `open`; a successor opens with it too. */
  useEmbedder(params: SearchRpc['useEmbedder']['params']): Promise<SearchRpc['useEmbedder']['result']> {
    if (this.opened) this.opened = { ...this.opened, ...params };
    return this.call('useEmbedder', params);
  }

  /** Opens a published library beside the private one; a successor opens it too. */
  async openPublished(params: OpenPublishedParams): Promise<PublishedOpened> {
    const opened = await this.call('openPublished', params);
    this.published = params;
    return opened;
  }

  /** A fresh worker: the first waits for `open`; a successor reopens, takes the model lines, then lends the ingest one. */
  private async reopen(rpc: RpcClient<SearchRpc>): Promise<void> {
    const params = this.opened;
    if (params) await rpc.call('open', params);
    const published = this.published;
    if (published) {
      // Not waited for: the private library comes back at once, even when the published one's host is stuck.
      void rpc
        .call('openPublished', published)
        .then(() => rpc.call('loadPublished', {}))
        .catch(() => {});
    }
    if (!params) return;
    const lines = this.options.lines();
    if (lines) await rpc.call('attach', lines.params, { transfer: lines.transfer });
    this.options.replaced(rpc.openPort(), null);
  }
}
