// The model and search workers, owned privately: loading (with the WebGPU self-test) and the lines the pipelines use.
import voyWasmUrl from 'voy-search/voy_search_bg.wasm?url';
import type { Capabilities } from '../config/capabilities';
import type { Settings } from '../config/defaults';
import { provenanceKey } from '../config/provenance';
import { dtypeFor } from '../config/registry';
import type { Device, EmbedderSpec, GeneratorSpec, LateInteractionSpec } from '../config/registry-types';
import { AppError, toAppError, toWire, type WireError } from '../errors';
import type { EmbedderMethods } from '../models/embedder/types';
import type { DeviceMoved } from '../models/gpu-fallback';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import type { RuntimeConfig } from '../models/runtime';
import type { AdapterMethods } from '../pipelines/adapter';
import type { GeneratorAccess, SearchAccess } from '../pipelines/ask';
import type { IngestMethods } from '../pipelines/library-types';
import type { LibraryChange } from '../pipelines/library-sync';
import type { DocumentSummary } from '../pipelines/ingest';
import type { PassageRow, PublishedOpened, SearchMethods, SearchOpened } from '../retrieval/search-types';
import type { DenseIndexKind } from '../retrieval/vector-index';
import type { CallOptions, MethodMap, RpcClient } from '../rpc';
import { AnswerModel } from './answer-model.svelte';
import { ModelSlot } from './model-slot.svelte';
import { ModelWorker } from './model-worker';
import { SearchWorker } from './search-worker';

/** The models picked in the registry for this session. */
export interface ModelSpecs {
  embedder: EmbedderSpec | null;
  late: LateInteractionSpec | null;
  generator: GeneratorSpec | null;
}

export interface ModelsContext {
  settings(): Settings;
  runtime(): RuntimeConfig;
  /** The registry in use (absolute), part of every stored vector's provenance key. */
  registryUrl(): string;
  fail(err: AppError): void;
  /** A model worker died: whoever else holds a line to it must fail its calls. */
  peerFailed(peer: Peer, error: WireError): void;
  /** Its successor loaded: a new line to it (or, port null, why it could not come back). */
  peerRestored(peer: Peer, port: MessagePort | null, error: WireError | null): void;
  /** The search worker was lost (port null: fail the calls on the old line) or its successor reopened (a new line). */
  searchReplaced(port: MessagePort | null, error: WireError | null): void;
  info(text: string): void;
}

type Peer = 'embedder' | 'late';

type Params<M extends keyof IngestMethods> = IngestMethods[M]['params'];

export class ModelsState {
  readonly embedder = new ModelSlot('Embedding model');
  readonly lateInteraction = new ModelSlot('Reranking model');
  private readonly answer = new AnswerModel((slot, event) => this.moved(slot, event));
  readonly generator = this.answer.slot;
  device = $state<Device | null>(null);
  deviceReason = $state('');
  selfTestCosine = $state<number | null>(null);
  /** True once the search indexes are open (keyword search works even without an embedder). */
  searchReady = $state(false);
  /** The dense index engine search opened with (null: keyword-only). */
  denseIndex = $state<DenseIndexKind | null>(null);
  /** How the search indexes opened at start (from their snapshot, rebuilt or repaired), for Settings. */
  indexOpened = $state<SearchOpened | null>(null);
  /** Why search runs on keywords only, when it does. */
  keywordOnlyReason = $state<string | null>(null);
  /** False until the user agrees to download the models (see DownloadsState): nothing is fetched meanwhile. */
  downloadsAllowed = $state(true);

  private readonly search = new SearchWorker({
    spawn: () => new Worker(new URL('../../workers/search.worker.ts', import.meta.url), { type: 'module' }),
    lines: () => this.searchLines(),
    replaced: (port, error) => this.ctx.searchReplaced(port, error),
  });
  private readonly embedderWorker: ModelWorker<EmbedderMethods> = new ModelWorker({
    name: () => `embedding model "${this.specs.embedder?.id}"`,
    spawn: () => new Worker(new URL('../../workers/embedder.worker.ts', import.meta.url), { type: 'module' }),
    prepare: (rpc, again) => this.restored('embedder', rpc, again, this.prepareEmbedder(rpc)),
    lost: (err) => this.crashed('embedder', this.embedder, err),
    gaveUp: (err) => this.ctx.peerRestored('embedder', null, toWire(err)),
    event: (event) => this.moved(this.embedder, event),
  });
  private readonly lateWorker: ModelWorker<LateInteractionMethods> = new ModelWorker({
    name: () => `reranking model "${this.specs.late?.id}"`,
    spawn: () => new Worker(new URL('../../workers/late-interaction.worker.ts', import.meta.url), { type: 'module' }),
    prepare: (rpc, again) => this.restored('late', rpc, again, this.prepareLate(rpc)),
    lost: (err) => this.crashed('late', this.lateInteraction, err),
    gaveUp: (err) => this.ctx.peerRestored('late', null, toWire(err)),
    event: (event) => this.moved(this.lateInteraction, event),
  });
  private specs: ModelSpecs = { embedder: null, late: null, generator: null };
  private caps: Capabilities | null = null;
  private dbName = '';
  private retrying: Promise<boolean> | null = null;
  private settle: () => void = () => {};
  /** Resolves once the embedder, the indexes and the reranker have loaded or failed. */
  readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  constructor(private readonly ctx: ModelsContext) {
    this.search.start();
  }

  /** A line to the search worker for another worker (the library's). */
  searchLine(): MessagePort {
    return this.search.line();
  }

  /** Another tab's change, once the indexes are open: the search worker reads the rows itself; null if search is off. */
  async syncIndex(change: LibraryChange): Promise<DocumentSummary[] | null> {
    await this.settled;
    return this.searchReady ? this.search.call('sync', change) : null;
  }

  /** Loads on the device already chosen (`device`); the embedder may fall back to WASM (self-test). */
  async load(dbName: string, specs: ModelSpecs, caps: Capabilities, allowed = true): Promise<void> {
    this.specs = $state.snapshot(specs) as ModelSpecs;
    this.caps = caps;
    this.dbName = dbName;
    this.downloadsAllowed = allowed;
    try {
      if (!allowed) {
        // No download agreed yet: search opens at once on keywords; `retry` loads the models once the user agrees.
        this.keywordOnlyReason = 'The models are not downloaded yet, so search uses keywords only.';
        await this.openSearch(dbName, null);
        return;
      }
      // Search opens beside the embedder's load, not after it: keyword results come at once, and the dense index is
      // built from the vectors already stored under the model's key. Queries use it once the embedder is lent to
      // search (`lend`); if the embedder fails, they stay on keywords.
      const opening = this.openSearch(dbName, specs.embedder);
      await this.loadEmbedder();
      await opening;
      await this.loadLateInteraction();
    } finally {
      this.settle();
    }
  }

  /** The key stored with every vector this model makes: id, revision, file host and registry (config/provenance.ts). */
  key(spec: { id: string; revision: string }): string {
    return provenanceKey(spec, { modelBaseUrl: this.ctx.runtime().modelBaseUrl, registryUrl: this.ctx.registryUrl() });
  }

  /**
   * After `settled`: loads again the embedder and reranker that failed (the hub is back, say), and gives search the
   * embedder's vectors. True when a model loaded that had not: the library then re-attaches and backfills.
   */
  retry(): Promise<boolean> {
    if (!this.downloadsAllowed) return Promise.resolve(false);
    this.retrying ??= (async () => {
      await this.settled;
      let changed = false;
      const notLoaded = ['error', 'idle', 'paused'].includes(this.embedder.status);
      if (notLoaded && (await this.loadEmbedder())) {
        changed = true;
        this.keywordOnlyReason = null;
        await this.useEmbedder();
      }
      const late = this.lateInteraction;
      if (late.status !== 'ready' && this.specs.late && (await this.loadLateInteraction())) changed = true;
      return changed;
    })().finally(() => (this.retrying = null));
    return this.retrying;
  }

  /** Search opened without an embedder: build its dense index now that one loaded. */
  private async useEmbedder(): Promise<void> {
    const spec = this.specs.embedder;
    if (!spec || !this.searchReady) return this.openSearch(this.dbName, spec);
    try {
      const r = await this.search.useEmbedder(this.denseParams(spec));
      this.denseIndex = r.dense;
    } catch (err) {
      this.ctx.fail(toAppError(err, 'SEARCH_OPEN_FAILED'));
    }
  }

  private denseParams(spec: EmbedderSpec | null) {
    return {
      embedder: spec ? { key: this.key(spec), dims: spec.dims } : null,
      voyWasmUrl: new URL(voyWasmUrl, document.baseURI).href,
      denseIndex: this.ctx.settings().denseIndex,
    };
  }

  private async loadEmbedder(): Promise<boolean> {
    if (!this.specs.embedder || !this.device || !this.caps) return false;
    try {
      await this.embedderWorker.client();
      return true;
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.ctx.fail(e);
      // The host's failure is told once, in the app's notice: here only what it means for search.
      const why =
        e.code === 'MODEL_HUB_UNREACHABLE'
          ? 'the model host could not be reached'
          : e.code === 'MODEL_DOWNLOAD_PAUSED'
            ? 'its download is paused'
            : e.code === 'MODEL_DOWNLOAD_CANCELLED'
              ? 'its download was cancelled'
              : e.message;
      this.keywordOnlyReason = `The embedding model could not load, so search uses keywords only (${why}).`;
      return false;
    }
  }

  /** Loads the embedder in a (fresh) worker, on the device chosen now, and lends the search worker a line to it. */
  private async prepareEmbedder(rpc: RpcClient<EmbedderMethods>): Promise<void> {
    const spec = this.specs.embedder!;
    const device = this.device!;
    const dtype = dtypeFor(spec, device, this.caps!.shaderF16);
    const params = { spec, device, dtype, runtime: this.ctx.runtime(), selfTest: device === 'webgpu' };
    const result = await this.embedder.load(
      spec.id,
      (onProgress) => rpc.call('load', params, { onProgress }),
      (keep) => rpc.call('stopDownload', { model: `the embedding model "${spec.id}"`, keep }),
    );
    this.selfTestCosine = result.selfTestCosine;
    if (result.device !== device) {
      this.device = result.device;
      this.deviceReason = result.reason;
    } else if (result.selfTestCosine !== null) {
      this.deviceReason = `${this.deviceReason} ${result.reason}`;
    }
    await this.lend('embedder', rpc);
  }

  /** Gives the search worker its own line to a loaded model worker. */
  private async lend(peer: Peer, rpc: RpcClient<MethodMap>): Promise<void> {
    const port = rpc.openPort();
    const late = peer === 'late' && this.specs.late ? { port, modelId: this.key(this.specs.late) } : null;
    const ports = { embedder: peer === 'embedder' ? port : null, late };
    await this.search
      .call('attach', ports, { transfer: [port] })
      .catch((err: unknown) => this.ctx.fail(toAppError(err)));
  }

  /** Lines to every model worker loaded now, for a search worker that replaces a stuck or dead one. */
  private searchLines(): { params: SearchMethods['attach']['params']; transfer: MessagePort[] } | null {
    const embedderRpc = this.embedder.status === 'ready' ? this.embedderWorker.current : null;
    const lateSpec = this.lateInteraction.status === 'ready' ? this.specs.late : null;
    const lateRpc = lateSpec ? this.lateWorker.current : null;
    const embedder = embedderRpc?.openPort() ?? null;
    const late = lateSpec && lateRpc ? { port: lateRpc.openPort(), modelId: this.key(lateSpec) } : null;
    if (!embedder && !late) return null;
    const transfer = [embedder, late?.port].filter((p): p is MessagePort => p != null);
    return { params: { embedder, late }, transfer };
  }

  /** After a respawned worker's load: the ingest worker gets a line to it, or learns why there is none. */
  private async restored(peer: Peer, rpc: RpcClient<MethodMap>, again: boolean, prepared: Promise<void>) {
    try {
      await prepared;
    } catch (err) {
      if (again) this.ctx.peerRestored(peer, null, toWire(toAppError(err, 'MODEL_LOAD_FAILED')));
      throw err;
    }
    if (again) this.ctx.peerRestored(peer, rpc.openPort(), null);
  }

  /** A model on WebGPU lost its device and reloaded on WASM: the app uses WASM from now on, and says so. */
  private moved(slot: ModelSlot, event: unknown): void {
    const e = event as Partial<DeviceMoved> | null;
    if (e?.kind !== 'device-moved' || !e.dtype || !e.reason) return;
    slot.moved('wasm', e.dtype, e.reason);
    this.device = 'wasm';
    this.deviceReason = `${slot.label} moved to WASM: ${e.reason}.`;
    this.ctx.info(`${slot.label} moved from WebGPU to WASM: ${e.reason}.`);
  }

  /** A model worker died: its slot and the lines other workers hold to it fail, so no call waits forever. */
  private crashed(peer: Peer, slot: ModelSlot, err: AppError): void {
    slot.fail(err);
    this.ctx.fail(err);
    const error = toWire(err);
    this.search.call('peerFailed', { peer, error }).catch((e: unknown) => this.ctx.fail(toAppError(e)));
    this.ctx.peerFailed(peer, error);
  }

  private async openSearch(dbName: string, spec: EmbedderSpec | null): Promise<void> {
    try {
      const opened = await this.search.open({ dbName, ...this.denseParams(spec) });
      this.denseIndex = opened.dense;
      this.indexOpened = opened;
      this.searchReady = true;
    } catch (err) {
      this.ctx.fail(toAppError(err, 'SEARCH_OPEN_FAILED'));
    }
  }

  /** Loads the ColBERT-style reranker; search works without it (fused ranking only). */
  private async loadLateInteraction(): Promise<boolean> {
    if (!this.specs.late || !this.device || !this.caps || this.embedder.status !== 'ready') return false;
    try {
      await this.lateWorker.client();
      return true;
    } catch (err) {
      this.ctx.fail(toAppError(err, 'MODEL_LOAD_FAILED'));
      return false;
    }
  }

  private async prepareLate(rpc: RpcClient<LateInteractionMethods>): Promise<void> {
    const spec = this.specs.late!;
    const dtype = dtypeFor(spec, this.device!, this.caps!.shaderF16);
    const params = { spec, device: this.device!, dtype, runtime: this.ctx.runtime() };
    await this.lateInteraction.load(
      spec.id,
      (onProgress) => rpc.call('load', params, { onProgress }),
      (keep) => rpc.call('stopDownload', { model: `the reranking model "${spec.id}"`, keep }),
    );
    await this.lend('late', rpc);
  }

  /**
   * After `settled`: the ingest worker's lines to the models that loaded, with their keys (no embedder: files are
   * indexed by keywords only), or why files cannot be imported (search did not open).
   */
  ingestLines(): { params: Params<'attach'>; transfer: Transferable[] } {
    const { embedder: e, late: l } = this.specs;
    const embedderRpc = this.embedderWorker.current;
    const lateRpc = this.lateWorker.current;
    const embedder =
      this.searchReady && e && this.embedder.status === 'ready' && embedderRpc
        ? { port: embedderRpc.openPort(), key: this.key(e) }
        : null;
    const late =
      embedder && l && this.lateInteraction.status === 'ready' && lateRpc
        ? { port: lateRpc.openPort(), modelId: this.key(l) }
        : null;
    const unavailable = this.searchReady ? null : toWire(new AppError('SEARCH_NOT_READY'));
    return {
      params: { embedder, late, runtime: this.downloadsAllowed ? this.ctx.runtime() : null, unavailable },
      transfer: [embedder?.port, late?.port].filter((p): p is MessagePort => p !== undefined),
    };
  }

  /**
   * Once `load` has begun: opens a published library beside the private one, while the models load, naming the models
   * this app picked, so one made with another embedder is searched by keywords only (and one made with another
   * reranker is not reranked). A model that then fails to load takes no part either way (no query vector or tokens).
   */
  async openPublished(url: string): Promise<PublishedOpened> {
    const { embedder: e, late: l } = this.specs;
    const ref = (s: EmbedderSpec | LateInteractionSpec | null) =>
      s ? { id: s.id, revision: s.revision, dims: s.dims, spec: { ...s } as Record<string, unknown> } : null;
    return this.search.openPublished({ url, embedder: ref(e), late: ref(l) });
  }

  /** Reads the rest of the published library's index in the background: keyword buckets, then its vectors. */
  loadPublished(onProgress: (p: { done: number; total: number }) => void): Promise<{ passages: number }> {
    return this.search.call('loadPublished', {}, { onProgress });
  }

  /** The published library's passages behind `ids`. */
  publishedPassages(ids: string[]): Promise<(PassageRow | undefined)[]> {
    return this.search.call('publishedPassages', { ids });
  }

  /** A call on the relevance adapter (pipelines/adapter.ts) in the search worker; SEARCH_NOT_READY until it opened. */
  adapter<K extends keyof AdapterMethods>(
    method: K,
    params: AdapterMethods[K]['params'],
    options?: CallOptions<AdapterMethods[K]['progress']>,
  ): Promise<AdapterMethods[K]['result']> {
    if (!this.searchReady) return Promise.reject(new AppError('SEARCH_NOT_READY'));
    return this.search.call(method, params, options);
  }

  /** After `settled`: what search can use (see pipelines/ask.ts). */
  searchAccess(): SearchAccess {
    const { embedder, late } = this.specs;
    const lateReady = this.lateInteraction.status === 'ready' && late;
    return {
      retrieve: this.searchReady
        ? (req, signal) => this.search.call('retrieve', $state.snapshot(req) as typeof req, { signal })
        : null,
      embedder:
        this.embedder.status === 'ready' && embedder
          ? { instructions: embedder.instructions, relevanceThreshold: embedder.relevanceThreshold }
          : null,
      late: lateReady
        ? { skiplist: [...late.skiplist], relevanceThreshold: late.relevanceThreshold, gpu: this.device === 'webgpu' }
        : null,
      keywordOnlyReason: this.keywordOnlyReason,
    };
  }

  /** Loads the answer model now (its download resumed, or asked for ahead of a question); failures show in its slot. */
  loadAnswerModel(): void {
    this.generatorAccess().catch(() => {});
  }

  /** Loads the answer model on first use (see AnswerModel), on the device the embedder settled on. */
  generatorAccess(): Promise<GeneratorAccess> {
    if (!this.downloadsAllowed) return Promise.reject(new AppError('MODEL_DOWNLOAD_DECLINED'));
    const device = this.device ?? 'wasm';
    return this.answer.access(this.specs.generator, device, this.caps?.shaderF16 ?? false, this.ctx.runtime());
  }
}
