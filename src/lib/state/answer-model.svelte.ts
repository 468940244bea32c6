// The answer model (generator), owned privately: loaded on first use, shared by later calls, shown in its slot.
import { dtypeFor } from '../config/registry';
import type { Device, GeneratorSpec } from '../config/registry-types';
import { AppError } from '../errors';
import type { GeneratorLoadParams, GeneratorMethods } from '../models/generator/types';
import type { RuntimeConfig } from '../models/runtime';
import type { GeneratorAccess } from '../pipelines/ask';
import { ModelSlot } from './model-slot.svelte';
import { ModelWorker } from './model-worker';

export class AnswerModel {
  readonly slot = new ModelSlot('Answer model');
  /** What the worker loads; a respawned worker loads the same (on WASM once the model moved there). */
  private params: GeneratorLoadParams | null = null;
  private readonly worker = new ModelWorker<GeneratorMethods>({
    name: () => `answer model "${this.params?.spec.id}"`,
    spawn: () => new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module' }),
    prepare: async (rpc) => {
      const params = this.params!;
      await this.slot.load(
        params.spec.id,
        (onProgress) => rpc.call('load', params, { onProgress }),
        (keep) => rpc.call('stopDownload', { model: `the answer model "${params.spec.id}"`, keep }),
      );
    },
    lost: (err) => this.slot.fail(err),
    event: (event) => {
      const e = event as { kind?: string; dtype?: GeneratorLoadParams['dtype'] } | null;
      if (e?.kind === 'device-moved' && this.params && e.dtype)
        this.params = { ...this.params, device: 'wasm', dtype: e.dtype };
      this.onEvent(this.slot, event);
    },
  });

  /** `onEvent`: what the generator worker told its owner (a move to WASM), for the app to show. */
  constructor(private readonly onEvent: (slot: ModelSlot, event: unknown) => void = () => {}) {}

  /** Loads the generator on first use (later calls share the load) and gives the calls the ask pipeline makes. */
  async access(
    spec: GeneratorSpec | null,
    device: Device,
    shaderF16: boolean,
    runtime: RuntimeConfig,
  ): Promise<GeneratorAccess> {
    if (!spec) throw new AppError('MODEL_NOT_FOUND', undefined, { role: 'generator' });
    this.params ??= { spec, device, dtype: dtypeFor(spec, device, shaderF16), runtime };
    const worker = this.worker;
    await worker.client();
    const now = () => this.params;
    return {
      contextLength: spec.contextLength,
      maxNewTokens: spec.maxNewTokens,
      // Read when asked: a move to WASM after loading changes it.
      get runsOn() {
        const p = now();
        return p ? `${p.device}/${p.dtype}` : undefined;
      },
      generate: async (messages, maxNewTokens, signal, onText) =>
        (await worker.client()).call(
          'generate',
          { messages, maxNewTokens },
          { signal, onProgress: onText && ((p) => onText(p.text)) },
        ),
      judge: async (params, signal, onText) =>
        (await worker.client()).call('judge', params, { signal, onProgress: (p) => onText(p.text) }),
      countTokens: async (messages, signal) => (await worker.client()).call('countTokens', { messages }, { signal }),
    };
  }
}
