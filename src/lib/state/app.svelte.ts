// The root app state: settings, registry, capabilities, device, and the workers it owns.
import type { IDBPDatabase } from 'idb';
import voyWasmUrl from 'voy-search/voy_search_bg.wasm?url';
import { AppError, toAppError } from '../errors';
import { chooseDevice, detectCapabilities, type Capabilities } from '../config/capabilities';
import { DEFAULT_SETTINGS, type Settings } from '../config/defaults';
import { defaultRegistry, dtypeFor, fetchRegistry, pickModel } from '../config/registry';
import type { Device, EmbedderSpec, GeneratorSpec, Registry } from '../config/registry-types';
import { connectWorker, type RpcClient } from '../rpc';
import type { EmbedderMethods } from '../models/embedder/types';
import type { GeneratorMethods } from '../models/generator/types';
import type { RuntimeConfig } from '../models/runtime';
import type { IndexMethods } from '../services/index-service';
import type { IngestMethods } from '../services/ingest-service';
import { DB_NAME, type LecternDB } from '../persistence/schema';
import { getSetting, openLecternDB, repairOnStartup, setSetting } from '../persistence';
import { ModelSlot } from './model-slot.svelte';
import { LibraryState } from './library.svelte';
import { ChatState } from './chat.svelte';

const SETTINGS_KEY = 'settings';

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
  indexReady = $state(false);
  started = $state(false);

  readonly embedder = new ModelSlot('Embedding model');
  readonly generator = new ModelSlot('Answer model');
  readonly library: LibraryState;
  readonly chat: ChatState;

  embedderSpec = $derived(this.registry ? pickModel(this.registry, 'embedder', this.settings.embedderKey) : null);
  generatorSpec = $derived(this.registry ? pickModel(this.registry, 'generator', this.settings.generatorKey) : null);

  db: IDBPDatabase<LecternDB> | null = null;
  embedderRpc: RpcClient<EmbedderMethods> | null = null;
  generatorRpc: RpcClient<GeneratorMethods> | null = null;
  indexRpc: RpcClient<IndexMethods> | null = null;
  ingestRpc: RpcClient<IngestMethods> | null = null;
  private generatorLoading: Promise<void> | null = null;
  private registryOverride: string | null = null;

  constructor(private readonly dbName = DB_NAME) {
    this.library = new LibraryState(this);
    this.chat = new ChatState(this);
  }

  /** Starts the app: storage, settings, registry, capabilities, then the embedder and index. */
  async start(url: URL): Promise<void> {
    this.registryOverride = url.searchParams.get('registry');
    try {
      this.db = await openLecternDB(this.dbName);
      const repaired = await repairOnStartup(this.db);
      const saved = await getSetting<Partial<Settings>>(this.db, SETTINGS_KEY, {});
      this.settings = { ...DEFAULT_SETTINGS, ...saved };
      await this.library.refresh();
      if (repaired.removedChunks || repaired.removedVectors) {
        this.info(`Cleaned up ${repaired.removedChunks} chunks left by an interrupted import.`);
      }
    } catch (err) {
      this.fail(toAppError(err, 'STORAGE_FAILED'));
    }
    this.ingestRpc = connectWorker(
      new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.indexRpc = connectWorker(
      new Worker(new URL('../../workers/index.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.caps = await detectCapabilities();
    const choice = chooseDevice(this.caps, this.settings.device);
    this.device = choice.device;
    this.deviceReason = choice.reason;
    await this.loadRegistry();
    this.started = true;
    void this.loadEmbedder();
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

  /** Loads the embedder (with the WebGPU self-test) and opens the dense index for its vectors. */
  async loadEmbedder(): Promise<void> {
    const spec = this.embedderSpec;
    if (!spec || !this.device || !this.caps) return;
    this.embedderRpc ??= connectWorker(
      new Worker(new URL('../../workers/embedder.worker.ts', import.meta.url), { type: 'module' }),
    );
    this.embedder.start(spec.id);
    this.indexReady = false;
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
      await this.openIndex(spec);
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.embedder.fail(e);
      this.fail(e);
    }
  }

  private async openIndex(spec: EmbedderSpec): Promise<void> {
    if (!this.indexRpc) return;
    await this.indexRpc.call('open', {
      dbName: this.dbName,
      embedderId: spec.id,
      dims: spec.dims,
      voyWasmUrl: new URL(voyWasmUrl, document.baseURI).href,
    });
    this.indexReady = true;
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
    const modelsChanged =
      next.registryUrl !== this.settings.registryUrl ||
      next.modelBaseUrl !== this.settings.modelBaseUrl ||
      next.embedderKey !== this.settings.embedderKey ||
      next.generatorKey !== this.settings.generatorKey ||
      next.device !== this.settings.device;
    this.settings = { ...next };
    if (this.db) await setSetting(this.db, SETTINGS_KEY, $state.snapshot(this.settings));
    this.info('Settings saved.');
    if (modelsChanged) location.reload();
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
