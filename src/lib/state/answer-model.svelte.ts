// The answer model (generator), owned privately: loaded on first use, shared by later calls, shown in its slot.
import { dtypeFor } from '../config/registry';
import type { Device, GeneratorSpec } from '../config/registry-types';
import { AppError } from '../errors';
import type { GeneratorMethods } from '../models/generator/types';
import type { RuntimeConfig } from '../models/runtime';
import type { GeneratorAccess } from '../pipelines/ask';
import { connectWorker, type RpcClient } from '../rpc';
import { ModelSlot } from './model-slot.svelte';

export class AnswerModel {
  readonly slot = new ModelSlot('Answer model');
  private rpc: RpcClient<GeneratorMethods> | null = null;
  private loading: Promise<void> | null = null;

  /** Loads the generator on first use (later calls share the load) and gives the calls the ask pipeline makes. */
  async access(
    spec: GeneratorSpec | null,
    device: Device,
    shaderF16: boolean,
    runtime: RuntimeConfig,
  ): Promise<GeneratorAccess> {
    if (!spec) throw new AppError('MODEL_NOT_FOUND', undefined, { role: 'generator' });
    if (this.slot.status !== 'ready') {
      this.loading ??= this.load(spec, device, shaderF16, runtime).finally(() => (this.loading = null));
      await this.loading;
    }
    const rpc = this.rpc!;
    return {
      contextLength: spec.contextLength,
      maxNewTokens: spec.maxNewTokens,
      generate: (messages, maxNewTokens, signal, onText) =>
        rpc.call('generate', { messages, maxNewTokens }, { signal, onProgress: onText && ((p) => onText(p.text)) }),
      countTokens: (messages, signal) => rpc.call('countTokens', { messages }, { signal }),
    };
  }

  private async load(spec: GeneratorSpec, device: Device, shaderF16: boolean, runtime: RuntimeConfig): Promise<void> {
    this.rpc ??= connectWorker(
      new Worker(new URL('../../workers/generator.worker.ts', import.meta.url), { type: 'module' }),
    );
    const rpc = this.rpc;
    const params = { spec, device, dtype: dtypeFor(spec, device, shaderF16), runtime };
    await this.slot.load(spec.id, (onProgress) => rpc.call('load', params, { onProgress }));
  }
}
