// Backfill state: adds the vectors stored documents lack once the models are there, with progress and its outcome.
import { AppError, isAbortError, toAppError } from '../errors';
import type { BackfillProgress } from '../pipelines/backfill';
import type { IngestMethods } from '../pipelines/library-types';
import type { RpcClient } from '../rpc';

export interface BackfillContext {
  /** A document got vectors: the list shows its new model keys. */
  updated(doc: BackfillProgress['doc']): void;
  info(text: string): void;
  fail(err: AppError): void;
}

/** Errors a run ends with when its worker was replaced under it; the fresh worker starts its own run. */
const REPLACED = ['ABORTED', 'IMPORT_STALLED', 'WORKER_CRASHED'];

export class BackfillState {
  running = $state(false);
  done = $state(0);
  total = $state(0);
  failed = $state(0);
  /** Why the last run stopped early, if it did. */
  error = $state<AppError | null>(null);

  private controller: AbortController | null = null;

  constructor(private readonly ctx: BackfillContext) {}

  /**
   * Runs on the worker's current models, replacing a run already going (the models changed under it); `replace` also
   * re-indexes documents whose vectors come from other models.
   */
  async run(rpc: RpcClient<IngestMethods>, replace: boolean): Promise<void> {
    this.controller?.abort();
    const controller = (this.controller = new AbortController());
    Object.assign(this, { running: true, done: 0, total: 0, failed: 0, error: null });
    const onProgress = (p: BackfillProgress) => {
      Object.assign(this, { done: p.done, total: p.total });
      if (p.error) this.failed++;
      else this.ctx.updated(p.doc);
    };
    try {
      const out = await rpc.call('backfill', { replace }, { signal: controller.signal, onProgress });
      if (out.done) {
        const failed = out.failed ? ` ${out.failed} could not be done and stay searchable by keywords only.` : '';
        this.ctx.info(`Added the missing vectors to ${out.done} document${out.done === 1 ? '' : 's'}.${failed}`);
      }
    } catch (err) {
      const e = toAppError(err);
      if (controller.signal.aborted || isAbortError(err) || REPLACED.includes(e.code)) return;
      this.error = new AppError('BACKFILL_STOPPED', undefined, { cause: e.message });
      this.ctx.fail(this.error);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.running = false;
      }
    }
  }
}
