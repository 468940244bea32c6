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

  attach(models: IngestModels | AppError, clients: ModelLines['clients'] = {}): void {
    if (!(models instanceof AppError)) this.models = models;
    Object.assign(this.clients, clients);
    this.settle(models);
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
    if (!this.models || this.down.has(peer)) return;
    this.down.add(peer);
    if (this.down.size === 1) this.settled = this.pending();
  }

  /** The successor's line, or (port null) why there is none: imports go on without a reranker, not an embedder. */
  restored(peer: Peer, port: MessagePort | null, error: WireError | null): void {
    const models = this.models;
    if (!models || !this.down.delete(peer)) return;
    if (peer === 'embedder') {
      if (!port) return this.finish(error ? fromWire(error) : new AppError('EMBEDDER_NOT_READY'));
      const client = connectPort<EmbedderMethods>(port);
      this.clients.embedder = client;
      models.embedder = client;
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
