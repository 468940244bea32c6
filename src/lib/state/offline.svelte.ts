// The offline copy as the UI sees it: the service worker's state, what is cached and how much storage it takes, clearing.
import { AppError, causeOf } from '../errors';
import type { Registry } from '../config/registry-types';
import { CONSENT_STORAGE_KEY, forget, parseConsent } from '../config/downloads';
import { registerOfflineWorker, unregisterOfflineWorkers, type OfflineWorkerState } from '../offline/register';
import {
  clearCaches,
  loadRegistryCopy,
  offlineInventory,
  removeModelFiles,
  saveRegistryCopy,
  type OfflineInventory,
} from '../offline/storage';

export type { OfflineWorkerState, OfflineInventory };

export interface OfflineContext {
  info(text: string): void;
}

/** The yes given to a model's download, taken back once its files are removed: the next download asks again. */
function forgetConsent(modelId: string): void {
  try {
    const record = forget(parseConsent(localStorage.getItem(CONSENT_STORAGE_KEY)), modelId);
    localStorage.setItem(CONSENT_STORAGE_KEY, JSON.stringify(record));
  } catch {
    // Storage blocked: nothing was remembered either.
  }
}

export class OfflineState {
  worker = $state<OfflineWorkerState>('installing');
  /** Why the worker could not be set up, or the last inventory or clearing failure; null when none. */
  error = $state<AppError | null>(null);
  inventory = $state<OfflineInventory | null>(null);
  /** Reading the inventory or clearing is under way. */
  busy = $state(false);

  constructor(private readonly ctx: OfflineContext) {}

  /** Registers the service worker (production builds only). Never throws: without it the app works online. */
  async start(production = import.meta.env.PROD): Promise<void> {
    await registerOfflineWorker({
      production,
      scriptUrl: new URL('sw.js', document.baseURI).href,
      onState: (state, error) => {
        this.worker = state;
        if (state === 'failed') this.error = new AppError('OFFLINE_SETUP_FAILED', undefined, { cause: causeOf(error) });
      },
    });
  }

  /** Reads what is cached and the storage estimate again. */
  async refresh(): Promise<void> {
    this.busy = true;
    try {
      this.inventory = await offlineInventory();
      if (this.error?.code === 'OFFLINE_INVENTORY_FAILED') this.error = null;
    } catch (err) {
      this.error = new AppError('OFFLINE_INVENTORY_FAILED', undefined, { cause: causeOf(err) });
    } finally {
      this.busy = false;
    }
  }

  /** Deletes a model's files from the browser's cache (and the yes to its download: its next use asks again). */
  async removeModel(id: string): Promise<void> {
    this.busy = true;
    try {
      const files = await removeModelFiles(id);
      forgetConsent(id);
      this.ctx.info(`Removed ${id} from this browser (${files} file${files === 1 ? '' : 's'}).`);
    } catch (err) {
      this.error = new AppError('MODEL_REMOVE_FAILED', undefined, { model: id, cause: causeOf(err) });
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  /**
   * Deletes every offline copy (the app's files, models, published libraries) and unregisters the service worker.
   * The library in IndexedDB stays. The next visit online downloads and caches everything again.
   */
  async clear(): Promise<void> {
    this.busy = true;
    try {
      await unregisterOfflineWorkers();
      await clearCaches();
      if (this.worker !== 'unsupported' && this.worker !== 'development') this.worker = 'cleared';
      this.error = null;
      this.ctx.info('Offline copies cleared. Your next visit, online, downloads the app and the models again.');
    } catch (err) {
      this.error = new AppError('OFFLINE_CLEAR_FAILED', undefined, { cause: causeOf(err) });
    } finally {
      this.busy = false;
    }
    await this.refresh();
  }

  /**
   * Fetches the registry with `load`; keeps a copy when it loads, and when the network fails (REGISTRY_UNREACHABLE)
   * uses the copy from the last visit instead, so the app starts offline with the models it had.
   */
  async registry(url: string, load: () => Promise<Registry>): Promise<Registry> {
    const absolute =
      URL.canParse(url, document.baseURI) && !url.startsWith('builtin:') ? new URL(url, document.baseURI).href : null;
    try {
      const registry = await load();
      if (absolute) void saveRegistryCopy(absolute, registry);
      return registry;
    } catch (err) {
      const copy = absolute && err instanceof AppError && err.code === 'REGISTRY_UNREACHABLE';
      const kept = copy ? await loadRegistryCopy(absolute) : null;
      if (!kept) throw err;
      this.ctx.info('Offline: using the model registry saved on your last visit.');
      return kept;
    }
  }
}
