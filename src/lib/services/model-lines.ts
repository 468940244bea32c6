// The ingest worker's lines to the model workers: replaced when a model worker is respawned, awaited meanwhile.
import { AppError, fromWire, type WireError } from '../errors';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import type { IngestModels } from '../pipelines/ingest';
import { connectPort, type RpcClient } from '../rpc';

export type Peer = 'embedder' | 'late';

/**
 * What imports use to reach the models. `attach` sets the lines once the models settled; a model worker that dies
 * fails the calls on its line (`failed`), and imports that start afterwards wait until its successor's line comes
 * (`restored`), or learn why it will not.
 */
export class ModelLines {
  private models: IngestModels | null = null;
  private settled: Promise<IngestModels | AppError>;
  private settle: (m: IngestModels | AppError) => void = () => {};
  private readonly clients: Partial<Record<Peer, RpcClient<EmbedderMethods> | RpcClient<LateInteractionMethods>>> = {};
  private readonly down = new Set<Peer>();

  constructor() {
    this.settled = this.pending();
  }

  /**
   * The models as they are now (again after a retry loaded one); imports waiting for them go on. A model whose worker
   * is being replaced (down) keeps its old entry until `restored` brings its successor's line: the new lines may have
   * been taken while it had none.
   */
  attach(models: IngestModels | AppError, clients: ModelLines['clients'] = {}): void {
    const previous = this.models;
    if (models instanceof AppError || !previous) this.down.clear();
    if (!(models instanceof AppError) && previous) {
      for (const peer of this.down) {
        if (models[peer]) this.down.delete(peer);
        else if (peer === 'embedder') [models.embedder, clients.embedder] = [previous.embedder, this.clients.embedder];
        else [models.late, clients.late] = [previous.late, this.clients.late];
      }
    }
    this.models = models instanceof AppError ? null : models;
    for (const peer of ['embedder', 'late'] as const) this.clients[peer] = clients[peer];
    if (this.down.size && !(models instanceof AppError)) return;
    this.settle(models);
    this.settled = Promise.resolve(models);
  }

  /** The search worker was replaced: imports add to and remove from its successor. */
  reindex(index: IngestModels['index']): void {
    if (this.models) this.models.index = index;
  }

  /** The lines an import uses now; waits while a model worker restarts. */
  async get(): Promise<IngestModels> {
    const m = await this.settled;
    if (m instanceof AppError) throw m;
    return m;
  }

  /** A model worker died: its calls fail, and imports wait for its successor. */
  failed(peer: Peer, error: WireError): void {
    this.clients[peer]?.fail(fromWire(error));
    // A model this worker never had a line to (keyword-only imports) is nothing to wait for.
    if (!this.models || this.down.has(peer) || !this.models[peer]) return;
    this.down.add(peer);
    if (this.down.size === 1) this.settled = this.pending();
  }

  /**
   * The successor's line, or (port null) why there is none: imports then go on without that model (keywords only,
   * when it is the embedder; the backfill adds the vectors once it is back).
   */
  restored(peer: Peer, port: MessagePort | null, _error: WireError | null): void {
    const models = this.models;
    if (!models || !this.down.delete(peer)) return;
    if (peer === 'embedder' && models.embedder) {
      const client = port ? connectPort<EmbedderMethods>(port) : null;
      if (client) this.clients.embedder = client;
      models.embedder = client ? { ...models.embedder, caller: client } : null;
    } else if (models.late) {
      const client = port ? connectPort<LateInteractionMethods>(port) : null;
      if (client) this.clients.late = client;
      models.late = client ? { ...models.late, caller: client } : null;
    }
    if (this.down.size === 0) this.finish(models);
  }

  private finish(m: IngestModels | AppError): void {
    this.down.clear();
    this.settle(m);
  }

  private pending(): Promise<IngestModels | AppError> {
    return new Promise((resolve) => (this.settle = resolve));
  }
}
