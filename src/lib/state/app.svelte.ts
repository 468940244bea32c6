// The root app state: settings, registry, capabilities, device, and the workers it owns.
import type { IDBPDatabase } from 'idb';
import voyWasmUrl from 'voy-search/voy_search_bg.wasm?url';
import type { DenseIndexKind } from '../retrieval/vector-index';
import { AppError, toAppError } from '../errors';
import { chooseDevice, detectCapabilities, type Capabilities } from '../config/capabilities';
import { DEFAULT_SETTINGS, type Settings } from '../config/defaults';
import { defaultRegistry, dtypeFor, fetchRegistry, pickModel } from '../config/registry';
import type { Device, EmbedderSpec, GeneratorSpec, LateInteractionSpec, Registry } from '../config/registry-types';
import { connectWorker, type RpcClient } from '../rpc';
import type { EmbedderMethods } from '../models/embedder/types';
import type { GeneratorMethods } from '../models/generator/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import type { RuntimeConfig } from '../models/runtime';
import type { SearchMethods } from '../services/search-service';
import type { IngestMethods } from '../services/ingest-service';
import { DB_NAME, type LecternDB } from '../persistence/schema';
import { getSetting, openLecternDB, repairOnStartup, setSetting } from '../persistence';
import { ModelSlot } from './model-slot.svelte';
import { LibraryState } from './library.svelte';
import { ChatState } from './chat.svelte';

const SETTINGS_KEY = 'settings';

// Workers are created inline as `new Worker(new URL(…, import.meta.url))`: the form Vite bundles.
export class AppState {
  settings = $state<Settings>({ ...DEFAULT_SETTINGS });
  registry = $state<Registry | null>(null);
  registryError = $state<AppError | null>(null);
  caps = $state<Capabilities | null>(null);
  device = $state<Device | null>(null);
  deviceReason = $state('');
  selfTestCosine = $state<number | null>(null);
  /** The latest progress or confirmation line (role=status). */
  status = $state('');
  /** The latest error (role=alert); stays until dismissed or replaced by another error. */
  error = $state<AppError | null>(null);
  /** True once the search indexes are open (keyword search works even without an embedder). */
  searchReady = $state(false);
  /** The dense index engine search opened with (null: keyword-only). */
  denseIndex = $state<DenseIndexKind | null>(null);
  /** Why search runs on keywords only, when it does. */
  keywordOnlyReason = $state<string | null>(null);
  started = $state(false);

  readonly embedder = new ModelSlot('Embedding model');
  readonly lateInteraction = new ModelSlot('Reranking model');
  readonly generator = new ModelSlot('Answer model');
  readonly library: LibraryState;
  readonly chat: ChatState;

  embedderSpec = $derived(this.registry ? pickModel(this.registry, 'embedder', this.settings.embedderKey) : null);
  lateSpec = $derived(
    this.registry ? pickModel(this.registry, 'late-interaction', this.settings.lateInteractionKey) : null,
  );
  generatorSpec = $derived(this.registry ? pickModel(this.registry, 'generator', this.settings.generatorKey) : null);

  db: IDBPDatabase<LecternDB> | null = null;
  embedderRpc: RpcClient<EmbedderMethods> | null = null;
  lateRpc: RpcClient<LateInteractionMethods> | null = null;
  generatorRpc: RpcClient<GeneratorMethods> | null = null;
  searchRpc: RpcClient<SearchMethods> | null = null;
  ingestRpc: RpcClient<IngestMethods> | null = null;
  private generatorLoading: Promise<void> | null = null;
  private settle: () => void = () => {};
  /** Resolves once the embedder, the indexes and the reranker have loaded or failed. */
  readonly modelsSettled = new Promise<void>((resolve) => (this.settle = resolve));
  private registryOverride: string | null = null;

  constructor(private readonly dbName = DB_NAME) {
    this.library = new LibraryState(this);
    this.chat = new ChatState(this);
  }

  /** Starts the app: storage, settings, registry, capabilities, then the models and the indexes. */
  async start(url: URL): Promise<void> {
    this.registryOverride = url.searchParams.get('registry');
    try {
      this.db = await openLecternDB(this.dbName);
      // First, before any file can be queued, so this tab's own marker is never read back as lost.
      await this.library.recoverInterrupted();
      const repaired = await repairOnStartup(this.db);
      const saved = await getSetting<Partial<Settings>>(this.db, SETTINGS_KEY, {});
      this.settings = { ...DEFAULT_SETTINGS, ...saved };
      await this.library.refresh();
      if (repaired.orphanDocIds.length) {
        this.info(`Removed ${repaired.orphanDocIds.length} incomplete import(s) left by an interrupted session.`);
      }
      await this.chat.restore();
    } catch (err) {
      this.fail(toAppError(err, 'STORAGE_FAILED'));
    }
    this.ingestRpc = connectWorker(
      new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.searchRpc = connectWorker(
      new Worker(new URL('../../workers/search.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.caps = await detectCapabilities();
    const choice = chooseDevice(this.caps, this.settings.device);
    this.device = choice.device;
    this.deviceReason = choice.reason;
    await this.loadRegistry();
    this.started = true;
    void this.loadModels();
  }

  get registryUrl(): string {
    return this.registryOverride ?? this.settings.registryUrl;
  }

  runtime(): RuntimeConfig {
    const base = this.settings.modelBaseUrl.trim() || this.registry?.modelBaseUrl || 'https://huggingface.co/';
    return {
      modelBaseUrl: new URL(base.endsWith('/') ? base : `${base}/`, document.baseURI).href,
      wasmBaseUrl: new URL('ort/', document.baseURI).href,
    };
  }

  private async loadRegistry(): Promise<void> {
    try {
      this.registry = await fetchRegistry(this.registryUrl, document.baseURI);
      this.registryError = null;
    } catch (err) {
      this.registryError = toAppError(err, 'REGISTRY_FETCH_FAILED');
      this.fail(this.registryError);
      this.registry = defaultRegistry();
    }
  }

  /** The embedder decides the device (self-test); then the reranker loads and the indexes open. */
  private async loadModels(): Promise<void> {
    try {
      const embedded = await this.loadEmbedder();
      await this.openSearch(embedded ? this.embedderSpec : null);
      await this.loadLateInteraction();
    } finally {
      this.settle();
    }
  }

  /** Loads the embedder (with the WebGPU self-test); false when it cannot load. */
  private async loadEmbedder(): Promise<boolean> {
    const spec = this.embedderSpec;
    if (!spec || !this.device || !this.caps) return false;
    this.embedderRpc ??= connectWorker(
      new Worker(new URL('../../workers/embedder.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.embedder.start(spec.id);
    try {
      const result = await this.embedderRpc.call(
        'load',
        {
          spec: $state.snapshot(spec) as EmbedderSpec,
          device: this.device,
          dtype: dtypeFor(spec, this.device, this.caps.shaderF16),
          runtime: this.runtime(),
          selfTest: this.device === 'webgpu',
        },
        { onProgress: this.embedder.onProgress },
      );
      this.embedder.ready(result.device, result.dtype);
      this.selfTestCosine = result.selfTestCosine;
      if (result.device !== this.device) {
        this.device = result.device;
        this.deviceReason = result.reason;
      } else if (result.selfTestCosine !== null) {
        this.deviceReason = `${this.deviceReason} ${result.reason}`;
      }
      return true;
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.embedder.fail(e);
      this.fail(e);
      this.keywordOnlyReason = `The embedding model could not load, so search uses keywords only. ${e.message}`;
      return false;
    }
  }

  private async openSearch(spec: EmbedderSpec | null): Promise<void> {
    if (!this.searchRpc) return;
    try {
      const opened = await this.searchRpc.call('open', {
        dbName: this.dbName,
        embedder: spec ? { id: spec.id, dims: spec.dims } : null,
        voyWasmUrl: new URL(voyWasmUrl, document.baseURI).href,
        denseIndex: this.settings.denseIndex,
      });
      this.denseIndex = opened.dense;
      this.searchReady = true;
    } catch (err) {
      this.fail(toAppError(err, 'STORAGE_FAILED'));
    }
  }

  /** Loads the ColBERT-style reranker; search works without it (fused ranking only). */
  private async loadLateInteraction(): Promise<void> {
    const spec = this.lateSpec;
    if (!spec || !this.device || !this.caps || this.embedder.status !== 'ready') return;
    this.lateRpc ??= connectWorker(
      new Worker(new URL('../../workers/late-interaction.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.lateInteraction.start(spec.id);
    const device = this.device;
    try {
      const result = await this.lateRpc.call(
        'load',
        {
          spec: $state.snapshot(spec) as LateInteractionSpec,
          device,
          dtype: dtypeFor(spec, device, this.caps.shaderF16),
          runtime: this.runtime(),
        },
        { onProgress: this.lateInteraction.onProgress },
      );
      this.lateInteraction.ready(result.device, result.dtype);
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.lateInteraction.fail(e);
      this.fail(e);
    }
  }

  /** Loads the generator on first use; later calls share the same load. */
  ensureGenerator(): Promise<void> {
    const spec = this.generatorSpec;
    if (!spec || !this.device || !this.caps) return Promise.reject(new AppError('MODEL_NOT_FOUND'));
    if (this.generator.status === 'ready') return Promise.resolve();
    this.generatorLoading ??= this.loadGenerator(spec).finally(() => {
      this.generatorLoading = null;
    });
    return this.generatorLoading;
  }

  private async loadGenerator(spec: GeneratorSpec): Promise<void> {
    this.generatorRpc ??= connectWorker(
      new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.generator.start(spec.id);
    const device = this.device ?? 'wasm';
    try {
      const result = await this.generatorRpc.call(
        'load',
        {
          spec: $state.snapshot(spec) as GeneratorSpec,
          device,
          dtype: dtypeFor(spec, device, this.caps?.shaderF16 ?? false),
          runtime: this.runtime(),
        },
        { onProgress: this.generator.onProgress },
      );
      this.generator.ready(result.device, result.dtype);
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.generator.fail(e);
      throw e;
    }
  }

  async saveSettings(next: Settings): Promise<void> {
    const reload =
      next.registryUrl !== this.settings.registryUrl ||
      next.modelBaseUrl !== this.settings.modelBaseUrl ||
      next.embedderKey !== this.settings.embedderKey ||
      next.lateInteractionKey !== this.settings.lateInteractionKey ||
      next.generatorKey !== this.settings.generatorKey ||
      next.device !== this.settings.device ||
      next.denseIndex !== this.settings.denseIndex;
    this.settings = { ...next };
    if (this.db) await setSetting(this.db, SETTINGS_KEY, $state.snapshot(this.settings));
    this.info('Settings saved.');
    // Models live in workers created at start: a clean restart is the simplest correct switch.
    if (reload) location.reload();
  }

  info(text: string): void {
    this.status = text;
  }

  fail(err: AppError): void {
    this.error = err;
  }

  dismissError(): void {
    this.error = null;
  }
}
