// Consent before model downloads: what the models picked would fetch on this device, the user's yes or "Not now", remembered.
import {
  agree,
  CONSENT_STORAGE_KEY,
  downloadItem,
  emptyConsent,
  needsConsent,
  parseConsent,
  type ConsentRecord,
  type DownloadItem,
} from '../config/downloads';
import { modelsFor, onnxFileFor } from '../config/registry';
import type { Device, ModelRole, Registry } from '../config/registry-types';
import { isModelFileCached } from '../offline/storage';

export type { DownloadItem };

export const ROLES: readonly ModelRole[] = ['embedder', 'late-interaction', 'generator'];

export type ModelChoice = Record<ModelRole, string>;

export interface DownloadsContext {
  registry(): Registry | null;
  /** The registry in use, absolute: consent is given per registry. */
  registryUrl(): string;
  /** Base of the model files' URLs (`{base}{id}/resolve/{revision}/…`). */
  modelBaseUrl(): string;
  device(): Device;
  shaderF16(): boolean;
  /** The model picked per role now (Settings). */
  chosen(): ModelChoice;
  /** Saves other models picked in the dialog (Settings; the page restarts with them). */
  choose(choice: ModelChoice): Promise<void>;
}

function readRecord(): ConsentRecord {
  try {
    return parseConsent(localStorage.getItem(CONSENT_STORAGE_KEY));
  } catch {
    return emptyConsent();
  }
}

export class DownloadsState {
  /** The dialog is open, waiting for the user's answer. */
  asking = $state(false);
  /** The user said "Not now" (or closed the dialog): search runs on keywords only until they download. */
  declined = $state(false);
  /** The model picked per role in the dialog (starts as Settings' choice). */
  choice = $state<ModelChoice>({ embedder: '', 'late-interaction': '', generator: '' });
  /** Files of these model keys are already in the browser's cache. */
  cachedKeys = $state<string[]>([]);
  /** The downloads the choice makes on this device, with their sizes; cached ones marked. */
  items = $derived.by(() => ROLES.flatMap((role) => this.options(role).filter((o) => o.key === this.choice[role])));

  private resolve: (ok: boolean) => void = () => {};

  constructor(private readonly ctx: DownloadsContext) {}

  /** Every model of a role the registry offers, as this device would download it. */
  options(role: ModelRole): DownloadItem[] {
    const registry = this.ctx.registry();
    if (!registry) return [];
    return modelsFor(registry, role).map((spec) => {
      const item = downloadItem(spec, this.ctx.device(), this.ctx.shaderF16());
      return { ...item, cached: this.cachedKeys.includes(item.key) };
    });
  }

  /**
   * Whether the models picked may be downloaded without asking: each is cached, agreed to before for this registry
   * and dtype, or the user said not to ask. Reads the cache, so it takes a moment.
   */
  async allowedNow(): Promise<boolean> {
    this.choice = { ...this.ctx.chosen() };
    await this.readCache();
    return needsConsent(readRecord(), this.ctx.registryUrl(), this.items).length === 0;
  }

  /** Opens the dialog; resolves true once the user agrees (remembered), false on "Not now". */
  ask(): Promise<boolean> {
    this.choice = { ...this.ctx.chosen() };
    void this.readCache();
    this.asking = true;
    return new Promise<boolean>((resolve) => (this.resolve = resolve));
  }

  /** The user's answer to the dialog. Another model picked restarts the page with it (see AppState.saveSettings). */
  async answer(ok: boolean): Promise<void> {
    this.asking = false;
    this.declined = !ok;
    if (ok) {
      const items = this.items;
      try {
        localStorage.setItem(CONSENT_STORAGE_KEY, JSON.stringify(agree(readRecord(), this.ctx.registryUrl(), items)));
      } catch {
        // Not remembered (storage blocked) still means yes for this visit.
      }
      const chosen = this.ctx.chosen();
      if (ROLES.some((r) => chosen[r] !== this.choice[r])) {
        await this.ctx.choose({ ...this.choice });
        return;
      }
    }
    this.resolve(ok);
  }

  /** Which of the registry's models have their ONNX file (for this device's dtype) in the browser's cache. */
  private async readCache(): Promise<void> {
    const base = this.ctx.modelBaseUrl();
    const all = ROLES.flatMap((role) => this.options(role));
    const hits = await Promise.all(
      all.map((i) => isModelFileCached(`${base}${i.id}/resolve/${i.revision}/${onnxFileFor(i.dtype)}`)),
    );
    this.cachedKeys = all.filter((_, n) => hits[n]).map((i) => i.key);
  }
}
