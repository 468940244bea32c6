// Consent before models come from a new host: a `?registry=` link names the host, and the user says yes or no first.
import { originOf } from '../config/provenance';

/** Model-file hosts trusted without asking: the Hugging Face hub the built-in registry uses. */
const BUILT_IN_FILES = ['https://huggingface.co'];

export interface ConsentContext {
  /** Registries (full URLs) and model-file hosts (origins) the user allowed before. */
  trusted(): readonly string[];
  /** Remembers a registry or host the user just allowed. */
  remember(allowed: string): Promise<void>;
  info(text: string): void;
}

/** What a link asks to load from another host: a registry, model files, or a published library. */
export type ConsentWhat = 'registry' | 'model files' | 'published library';

export class OriginConsent {
  /** The host waiting for the user's answer, and what it would serve; null when nothing is being asked. */
  pending = $state<{ origin: string; what: ConsentWhat } | null>(null);
  private resolve: (ok: boolean) => void = () => {};

  constructor(private readonly ctx: ConsentContext) {}

  /**
   * Resolves true when models may come from `url`: a registry on this page's own origin (its author's), a model-file
   * host that is this page's or the hub, one allowed before, or the user says yes now (remembered). A registry is
   * allowed by its full URL, never by its host: anyone can publish one on the hub. Nothing is fetched before this.
   */
  async allow(url: string, what: ConsentWhat): Promise<boolean> {
    const origin = originOf(url, document.baseURI);
    const id = what === 'model files' ? origin : new URL(url, document.baseURI).href;
    const builtIn = origin === location.origin || (what === 'model files' && BUILT_IN_FILES.includes(origin));
    if (builtIn || this.ctx.trusted().includes(id)) return true;
    this.pending = { origin, what };
    const ok = await new Promise<boolean>((resolve) => (this.resolve = resolve));
    this.pending = null;
    if (ok) {
      // Not remembered (storage full or closed) still means yes for this visit.
      await this.ctx
        .remember(id)
        .catch(() => this.ctx.info('Could not remember this choice: you will be asked again.'));
    } else if (what === 'published library') this.ctx.info(`Not loading the published library from ${origin}.`);
    else this.ctx.info(`Not loading anything from ${origin}: using the models in Settings instead.`);
    return ok;
  }

  /** The user's answer to `pending`. */
  answer(ok: boolean): void {
    this.resolve(ok);
  }
}
