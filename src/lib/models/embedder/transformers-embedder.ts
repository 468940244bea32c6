// The embedder implemented with transformers.js; runs in-thread or inside the embedder worker.
import {
  AutoModel,
  AutoTokenizer,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { AppError } from '../../errors';
import type { Device, Dtype, EmbedderSpec } from '../../config/registry-types';
import type { Handlers } from '../../rpc';
import { assumedPace, budgets } from '../budgets';
import { GpuFallback, ignoreMoves, type DeviceMoved } from '../gpu-fallback';
import { configureRuntime, loadError, stopDownload } from '../runtime';
import { LoadOnce, loadKey } from '../load-once';
import { padBatch, specialTemplate, wrapInput, type SpecialTemplate } from '../model-input';
import { forwardProgress, type ModelProgress } from '../progress';
import { asFloat32, cosine, normalizeRows, pool, type TensorLike } from '../tensors';
import type { EmbedKind, EmbedderLoadParams, EmbedderLoadResult, EmbedderMethods } from './types';

const SELF_TEST_INPUT = 'Lectern self-test: the quick brown fox jumps over the lazy dog near the river bank.';
const SELF_TEST_MIN_COSINE = 0.99;
export const BATCH = 16;

/** Any text works: only where its ids sit among the special tokens matters. */
const TEMPLATE_PROBE = 'lectern';

interface Encoder {
  spec: EmbedderSpec;
  tokenizer: PreTrainedTokenizer;
  template: SpecialTemplate;
}

interface Loaded extends Encoder {
  model: PreTrainedModel;
  result: EmbedderLoadResult;
}

export class TransformersEmbedder {
  private readonly loads = new LoadOnce<Loaded>();
  readonly gpu: GpuFallback<EmbedderLoadParams>;

  constructor(onMoved: (moved: DeviceMoved) => void = ignoreMoves) {
    this.gpu = new GpuFallback((p) => this.load({ ...p, selfTest: false }), onMoved);
  }

  /** Loads once; concurrent callers share the same promise. */
  load(params: EmbedderLoadParams, onProgress: (p: ModelProgress) => void = () => {}): Promise<Loaded> {
    return this.loads.get(loadKey(params), () => this.doLoad(params, onProgress));
  }

  private async doLoad(params: EmbedderLoadParams, onProgress: (p: ModelProgress) => void): Promise<Loaded> {
    const { spec, runtime } = params;
    const mark = configureRuntime(runtime);
    const progress_callback = forwardProgress(spec.id, onProgress);
    try {
      const tokenizer = await AutoTokenizer.from_pretrained(spec.id, { revision: spec.revision, progress_callback });
      const template = specialTemplate(
        tokenizer.encode(TEMPLATE_PROBE),
        tokenizer.encode(TEMPLATE_PROBE, { add_special_tokens: false }),
        spec.id,
      );
      const encoder: Encoder = { spec, tokenizer, template };
      const open = (device: Device, dtype: Dtype) => {
        onProgress({ status: 'compiling', model: spec.id, device, dtype });
        return AutoModel.from_pretrained(spec.id, { revision: spec.revision, device, dtype, progress_callback });
      };
      let model = await open(params.device, params.dtype);
      let result: EmbedderLoadResult = {
        device: params.device,
        dtype: params.dtype,
        selfTestCosine: null,
        reason: params.device === 'webgpu' ? 'WebGPU adapter available.' : 'WASM chosen.',
      };
      if (params.device === 'webgpu' && params.selfTest) {
        onProgress({ status: 'selftest', model: spec.id });
        const reference = await open('wasm', params.dtype);
        const [gpu, cpu] = [
          await this.run(encoder, model, [SELF_TEST_INPUT], 'document'),
          await this.run(encoder, reference, [SELF_TEST_INPUT], 'document'),
        ];
        const cos = cosine(gpu, cpu);
        if (cos < SELF_TEST_MIN_COSINE) {
          await model.dispose();
          model = reference;
          result = {
            device: 'wasm',
            dtype: params.dtype,
            selfTestCosine: cos,
            reason: `WebGPU gave different numbers from WASM on the self-test (cosine ${cos.toFixed(4)} < ${SELF_TEST_MIN_COSINE}), so WASM is used.`,
          };
        } else {
          await reference.dispose();
          result = {
            ...result,
            selfTestCosine: cos,
            reason: `WebGPU passed the self-test (cosine ${cos.toFixed(4)} with WASM).`,
          };
        }
      }
      onProgress({ status: 'ready', model: spec.id, device: result.device, dtype: result.dtype });
      this.gpu.loaded({ ...params, device: result.device, dtype: result.dtype });
      return { ...encoder, model, result };
    } catch (err) {
      throw loadError(err, spec.id, runtime.modelBaseUrl, mark);
    }
  }

  private async loaded(): Promise<Loaded> {
    const loading = this.loads.current;
    if (!loading) throw new AppError('MODEL_NOT_LOADED', undefined, { role: 'embedding' });
    return loading;
  }

  /**
   * Embeds one batch. Inputs are built by hand so that a text over maxTokens is cut before the closing special token,
   * as sentence-transformers does, rather than losing it (see model-input.ts).
   */
  private async run(
    { spec, tokenizer, template }: Encoder,
    model: PreTrainedModel,
    texts: string[],
    kind: EmbedKind,
  ): Promise<Float32Array> {
    const prefix = kind === 'query' ? spec.queryPrefix : spec.documentPrefix;
    const batch = padBatch(
      texts.map((t) =>
        wrapInput(tokenizer.encode(prefix + t, { add_special_tokens: false }), template, spec.maxTokens),
      ),
      tokenizer.pad_token_id ?? 0,
    );
    const inputs = {
      input_ids: new Tensor('int64', batch.inputIds, [texts.length, batch.seq]),
      attention_mask: new Tensor('int64', batch.attentionMask, [texts.length, batch.seq]),
    };
    const outputs = (await model(inputs)) as Record<string, TensorLike>;
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden) throw new AppError('MODEL_OUTPUT_MISSING', undefined, { model: spec.id, output: 'last_hidden_state' });
    const [rows, seq, dims] = hidden.dims as [number, number, number];
    if (dims !== spec.dims) {
      throw new AppError('MODEL_DIMS_MISMATCH', undefined, {
        model: spec.id,
        got: dims,
        output: 'vectors',
        dims: spec.dims,
      });
    }
    const pooled = pool(asFloat32(hidden), batch.attentionMask, rows, seq, dims, spec.pooling);
    return spec.normalize ? normalizeRows(pooled, dims) : pooled;
  }

  async embed(
    texts: string[],
    kind: EmbedKind,
    signal?: AbortSignal,
    onProgress: (p: { done: number; total: number }) => void = () => {},
    expect: (ms: number) => void = () => {},
  ): Promise<Float32Array> {
    const { spec } = await this.loaded();
    const out = new Float32Array(texts.length * spec.dims);
    for (let i = 0; i < texts.length; i += BATCH) {
      if (signal?.aborted) throw new AppError('ABORTED');
      const batch = texts.slice(i, i + BATCH);
      // Each batch on the model loaded now: after a GPU loss, the rest (and this batch again) run on WASM.
      const vectors = await this.gpu.run(async () => {
        const loaded = await this.loaded();
        try {
          return await this.run(loaded, loaded.model, batch, kind);
        } catch (err) {
          throw err instanceof AppError ? err : new AppError('MODEL_RUN_FAILED', undefined, { cause: String(err) });
        }
      }, expect);
      out.set(vectors, i * spec.dims);
      onProgress({ done: Math.min(texts.length, i + BATCH), total: texts.length });
    }
    return out;
  }

  async countTokens(texts: string[]): Promise<number[]> {
    const { tokenizer } = await this.loaded();
    return texts.map((t) => tokenizer.encode(t, { add_special_tokens: false }).length);
  }
}

/** RPC handlers over one embedder instance: what the worker serves and tests call in-thread. */
export function embedderHandlers(embedder = new TransformersEmbedder()): Handlers<EmbedderMethods> {
  return {
    stopDownload: async ({ model, keep }) => stopDownload(model, keep),
    load: async (params, ctx) => {
      ctx.expect(budgets.load(assumedPace(params.device)));
      return (await embedder.load(params, ctx.progress)).result;
    },
    embed: async ({ texts, kind }, ctx) => {
      // Progress after each batch re-arms the same budget (see serve's owner option).
      ctx.expect(budgets.batch(embedder.gpu.pace, Math.min(BATCH, texts.length)));
      const vectors = await embedder.embed(texts, kind, ctx.signal, ctx.progress, ctx.expect);
      ctx.transfer(vectors.buffer);
      return vectors;
    },
    countTokens: async ({ texts }) => embedder.countTokens(texts),
  };
}
