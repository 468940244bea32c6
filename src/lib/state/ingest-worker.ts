// The ingest worker under supervision: opened and given its lines again whenever it is replaced, plus a stall watch.
import { AppError, toAppError } from '../errors';
import type { DocumentSummary, QueueStage } from '../pipelines/ingest';
import type { IngestMethods } from '../pipelines/library-types';
import { Supervisor, type RpcClient, type Terminable } from '../rpc';

export type ModelLines = { params: IngestMethods['attach']['params']; transfer: Transferable[] };

export interface IngestWorkerContext {
  dbName: string;
  /** The app's ocr/ folder (absolute): where text recognition loads from. */
  ocrBaseUrl?: string;
  /** A fresh line to the search worker. */
  searchLine(): MessagePort;
  /** Fresh lines to the model workers, once the models have settled (or why there are none). */
  modelLines(): Promise<ModelLines>;
  /** The documents the worker listed when it opened. */
  listed(docs: DocumentSummary[]): void;
  /** The worker holds its lines to the models (after each start, and after `reattach`). */
  attached(client: RpcClient<IngestMethods>): void;
  fail(err: AppError): void;
}

/** Stages where the ingest worker itself computes (reading, parsing, chunking): a hang there is the worker's. */
export const WORKER_STAGES: readonly QueueStage[] = ['reading', 'parsing', 'chunking'];

/** How long a file may stay in one of WORKER_STAGES: generous, since a stall is a bug or a hostile file. */
export function stallBudgetMs(bytes: number): number {
  return 30_000 + 15_000 * (bytes / (1024 * 1024));
}

/** The errors a call fails with when its worker was replaced under it (see LibraryState.cancel and watch). */
const replacedUnder = (err: unknown) =>
  err instanceof AppError && ['ABORTED', 'IMPORT_STALLED', 'WORKER_CRASHED'].includes(err.code);

export class IngestWorker {
  private readonly supervisor: Supervisor<IngestMethods>;

  constructor(ctx: IngestWorkerContext) {
    this.ctx = ctx;
    this.supervisor = new Supervisor<IngestMethods>({
      spawn: () =>
        new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), {
          type: 'module',
        }) as unknown as Terminable,
      prepare: async (client) => {
        const search = ctx.searchLine();
        const params = { dbName: ctx.dbName, search, ...(ctx.ocrBaseUrl && { ocrBaseUrl: ctx.ocrBaseUrl }) };
        ctx.listed(await client.call('open', params, { transfer: [search] }));
        // Not awaited: storage is usable at once; imports wait inside the worker until the models have settled.
        void this.attach(client);
      },
    });
  }

  private readonly ctx: IngestWorkerContext;

  private async attach(client: RpcClient<IngestMethods>): Promise<void> {
    try {
      const lines = await this.ctx.modelLines();
      await client.call('attach', lines.params, { transfer: lines.transfer });
      if (this.supervisor.isLive(client)) this.ctx.attached(client);
    } catch (err) {
      // A worker replaced before its lines came needs none (its successor gets its own); a live one must say.
      if (this.supervisor.isLive(client)) this.ctx.fail(toAppError(err));
    }
  }

  /** The models changed (a retry loaded one): give the live worker fresh lines to them. */
  async reattach(): Promise<void> {
    await this.attach(await this.client());
  }

  /** The live, opened worker. */
  client(): Promise<RpcClient<IngestMethods>> {
    return this.supervisor.client();
  }

  /** Deletes a document; a worker replaced mid-call (a stalled import) fails it, and deleting again is safe. */
  async remove(docId: string): Promise<void> {
    const once = async () => (await this.client()).call('remove', { docId });
    await once().catch((err: unknown) => (replacedUnder(err) ? once() : Promise.reject(err)));
  }

  /** Ends whatever the worker is doing (a stalled or cancelled parse) and starts a fresh one. */
  restart(err: AppError): void {
    this.supervisor.restart(err);
  }

  /**
   * Restarts the worker when a file stays in one stage of WORKER_STAGES past its budget, failing that import with
   * IMPORT_STALLED. Call `stage` on every stage change and `stop` when the import ends.
   */
  watch(fileName: string, bytes: number): { stage(stage: QueueStage): void; stop(): void } {
    const budget = stallBudgetMs(bytes);
    let current: QueueStage = 'waiting';
    let since = Date.now();
    const timer = setInterval(() => {
      if (!WORKER_STAGES.includes(current) || Date.now() - since < budget) return;
      clearInterval(timer);
      this.restart(new AppError('IMPORT_STALLED', undefined, { fileName, seconds: Math.round(budget / 1000) }));
    }, 1_000);
    return {
      stage: (stage) => {
        if (stage !== current) [current, since] = [stage, Date.now()];
      },
      stop: () => clearInterval(timer),
    };
  }
}
