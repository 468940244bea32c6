// Consent before models come from a new host: a `?registry=` link names the host, and the user says yes or no first.
import { originOf } from '../config/provenance';

/** Hosts trusted without asking: this page's own, and the Hugging Face hub the built-in registry uses. */
const BUILT_IN = ['https://huggingface.co', 'builtin'];

export interface ConsentContext {
  /** Hosts the user allowed before. */
  trusted(): readonly string[];
  /** Remembers a host the user just allowed. */
  remember(origin: string): Promise<void>;
  info(text: string): void;
}

export class OriginConsent {
  /** The host waiting for the user's answer, and what it would serve; null when nothing is being asked. */
  pending = $state<{ origin: string; what: 'registry' | 'model files' } | null>(null);
  private resolve: (ok: boolean) => void = () => {};

  constructor(private readonly ctx: ConsentContext) {}

  /**
   * Resolves true when `url`'s origin may be used: this page's, the hub, one allowed before, or the user says yes
   * now (remembered). Nothing is fetched from it before that.
   */
  async allow(url: string, what: 'registry' | 'model files'): Promise<boolean> {
    const origin = originOf(url, document.baseURI);
    if (origin === location.origin || BUILT_IN.includes(origin) || this.ctx.trusted().includes(origin)) return true;
    this.pending = { origin, what };
    const ok = await new Promise<boolean>((resolve) => (this.resolve = resolve));
    this.pending = null;
    if (ok) await this.ctx.remember(origin);
    else this.ctx.info(`Not loading anything from ${origin}: using the models in Settings instead.`);
    return ok;
  }

  /** The user's answer to `pending`. */
  answer(ok: boolean): void {
    this.resolve(ok);
  }
}
