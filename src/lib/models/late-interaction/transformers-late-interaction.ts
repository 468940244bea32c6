// The ColBERT encoder implemented with transformers.js plus a safetensors projection; runs in-thread or in its worker.
import {
  AutoModel,
  AutoTokenizer,
  Tensor,
  type PreTrainedModel,
  type PreTrainedTokenizer,
} from '@huggingface/transformers';
import { AppError, causeOf } from '../../errors';
import type { LateInteractionSpec } from '../../config/registry-types';
import type { Handlers } from '../../rpc';
import { assumedPace, budgets } from '../budgets';
import { GpuFallback, ignoreMoves, type DeviceMoved } from '../gpu-fallback';
import { configureRuntime, loadError, type RuntimeConfig, stopDownload } from '../runtime';
import { LoadOnce, loadKey } from '../load-once';
import { forwardProgress, type ModelProgress } from '../progress';
import { asFloat32, type TensorLike } from '../tensors';
import { fetchModelFile } from './download';
import {
  buildDocumentInput,
  buildQueryInput,
  documentPositions,
  queryPositions,
  skiplistIds,
  type SpecialIds,
} from './inputs';
import { padBatch, type ModelInput } from '../model-input';
import { tokenVectors, type Projection } from './project';
import { parseSafetensors, readTensor } from './safetensors';
import type {
  LateInteractionLoadParams,
  LateInteractionLoadResult,
  LateInteractionMethods,
  TokenVectors,
} from './types';

export const BATCH = 8;

interface Loaded {
  spec: LateInteractionSpec;
  tokenizer: PreTrainedTokenizer;
  model: PreTrainedModel;
  projection: Projection | null;
  query: SpecialIds;
  document: SpecialIds;
  skip: Set<number>;
  /** Token text by id, for explanations. */
  vocab: string[];
  result: LateInteractionLoadResult;
}

/** Downloads and checks the projection: weight [out × in] matching the registry's dims. */
async function loadProjection(
  spec: LateInteractionSpec,
  runtime: RuntimeConfig,
  onProgress: (p: ModelProgress) => void,
): Promise<Projection | null> {
  const p = spec.projection;
  if (!p) return null;
  const url = `${runtime.modelBaseUrl}${spec.id}/resolve/${spec.revision}/${p.file}`;
  const bytes = await fetchModelFile(url, (loaded, total) =>
    onProgress({ status: 'file', model: spec.id, file: p.file, loaded, total }),
  );
  onProgress({ status: 'file-done', model: spec.id, file: p.file });
  let tensor: { shape: number[]; data: Float32Array };
  try {
    tensor = readTensor(parseSafetensors(bytes), p.tensor);
  } catch (err) {
    throw new AppError('MODEL_INCOMPATIBLE', undefined, {
      model: spec.id,
      why: `its projection file ${p.file} could not be read`,
      cause: causeOf(err),
    });
  }
  const [out, inn] = tensor.shape;
  if (tensor.shape.length !== 2 || out !== p.out || inn !== p.in || out !== spec.dims || inn !== spec.hiddenSize) {
    throw new AppError('MODEL_INCOMPATIBLE', undefined, {
      model: spec.id,
      why: `its projection ${p.tensor} has shape [${tensor.shape.join(', ')}] but the registry says [${spec.dims}, ${spec.hiddenSize}]`,
    });
  }
  return { weight: tensor.data, in: inn, out };
}

/** The template, marker and expansion ids from the tokenizer, checked so a wrong registry entry fails at load. */
export function specialIds(
  tokenizer: PreTrainedTokenizer,
  spec: LateInteractionSpec,
): { query: SpecialIds; document: SpecialIds } {
  const template = tokenizer.encode('');
  if (template.length !== 2) {
    throw new AppError('MODEL_INCOMPATIBLE', undefined, {
      model: spec.id,
      why: 'its tokenizer does not wrap text as [CLS] … [SEP]',
    });
  }
  const [cls, sep] = template as [number, number];
  const t = tokenizer as PreTrainedTokenizer & { mask_token_id?: number; eos_token_id?: number; pad_token_id?: number };
  // PyLate's expansion/pad token: the mask token, else EOS, else the pad token.
  const mask = t.mask_token_id ?? t.eos_token_id ?? t.pad_token_id;
  if (mask === undefined || mask === null) {
    throw new AppError('MODEL_INCOMPATIBLE', undefined, {
      model: spec.id,
      why: 'its tokenizer has no mask token for query expansion',
    });
  }
  const marker = (token: string): number | null => {
    if (token === '') return null;
    const id = tokenizer.convert_tokens_to_ids(token) as number | undefined;
    if (id === undefined || id === null) {
      throw new AppError('MODEL_INCOMPATIBLE', undefined, {
        model: spec.id,
        why: `the marker token "${token}" is not in the vocabulary`,
      });
    }
    return id;
  };
  return {
    query: { cls, sep, mask, marker: marker(spec.queryMarker) },
    document: { cls, sep, mask, marker: marker(spec.documentMarker) },
  };
}

function invertVocab(tokenizer: PreTrainedTokenizer): string[] {
  const vocab: string[] = [];
  for (const [text, id] of tokenizer.get_vocab()) vocab[id] = text;
  return vocab;
}

export class TransformersLateInteraction {
  private readonly loads = new LoadOnce<Loaded>();
  /** ONNX Runtime sessions are not re-entrant, so model runs queue here. */
  private running: Promise<unknown> = Promise.resolve();
  readonly gpu: GpuFallback<LateInteractionLoadParams>;

  constructor(onMoved: (moved: DeviceMoved) => void = ignoreMoves) {
    this.gpu = new GpuFallback((p) => this.load(p), onMoved);
  }

  /** Loads once; concurrent callers share the same promise. */
  load(params: LateInteractionLoadParams, onProgress: (p: ModelProgress) => void = () => {}): Promise<Loaded> {
    return this.loads.get(loadKey(params), () => this.doLoad(params, onProgress));
  }

  private async doLoad(params: LateInteractionLoadParams, onProgress: (p: ModelProgress) => void): Promise<Loaded> {
    const { spec, runtime, device, dtype } = params;
    const mark = configureRuntime(runtime);
    const progress_callback = forwardProgress(spec.id, onProgress);
    try {
      const [tokenizer, projection] = await Promise.all([
        AutoTokenizer.from_pretrained(spec.id, { revision: spec.revision, progress_callback }),
        loadProjection(spec, runtime, onProgress),
      ]);
      const ids = specialIds(tokenizer, spec);
      onProgress({ status: 'compiling', model: spec.id, device, dtype });
      const model = await AutoModel.from_pretrained(spec.id, {
        revision: spec.revision,
        device,
        dtype,
        progress_callback,
      });
      onProgress({ status: 'ready', model: spec.id, device, dtype });
      this.gpu.loaded(params);
      return {
        spec,
        tokenizer,
        model,
        projection,
        ...ids,
        skip: skiplistIds(spec.skiplist, (w) => tokenizer.convert_tokens_to_ids(w) as number | undefined),
        vocab: invertVocab(tokenizer),
        result: { device, dtype, dims: spec.dims },
      };
    } catch (err) {
      throw loadError(err, spec.id, runtime.modelBaseUrl, mark);
    }
  }

  private async loaded(): Promise<Loaded> {
    const loading = this.loads.current;
    if (!loading) throw new AppError('MODEL_NOT_LOADED', undefined, { role: 'reranking' });
    return loading;
  }

  /**
   * Runs one padded batch and keeps, per input, the rows at `positions[i]`, on the model loaded now: after a GPU loss
   * the batch runs again on WASM (the tokenizer and projection are the same, so `inputs` still hold).
   */
  private run(inputs: ModelInput[], positions: number[][], expect?: (ms: number) => void): Promise<TokenVectors[]> {
    const job = this.running.then(() =>
      this.gpu.run(async () => this.runNow(await this.loaded(), inputs, positions), expect),
    );
    this.running = job.catch(() => {});
    return job;
  }

  private async runNow(loaded: Loaded, inputs: ModelInput[], positions: number[][]): Promise<TokenVectors[]> {
    const { spec, model, projection, vocab } = loaded;
    const { inputIds, attentionMask, seq } = padBatch(inputs, loaded.query.mask);
    const batch = inputs.length;
    let outputs: Record<string, TensorLike>;
    try {
      outputs = (await model({
        input_ids: new Tensor('int64', inputIds, [batch, seq]),
        attention_mask: new Tensor('int64', attentionMask, [batch, seq]),
      })) as Record<string, TensorLike>;
    } catch (err) {
      throw new AppError('MODEL_RUN_FAILED', undefined, { cause: causeOf(err) });
    }
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden) throw new AppError('MODEL_OUTPUT_MISSING', undefined, { model: spec.id, output: 'last_hidden_state' });
    const hiddenSize = hidden.dims[2]!;
    const expected = projection ? projection.in : spec.dims;
    if (hiddenSize !== expected) {
      throw new AppError('MODEL_DIMS_MISMATCH', undefined, {
        model: spec.id,
        got: hiddenSize,
        output: 'hidden states',
        dims: expected,
      });
    }
    const h = asFloat32(hidden);
    return inputs.map((input, b) => {
      const rows = positions[b]!;
      const tokenIds = Int32Array.from(rows, (p) => input.inputIds[p]!);
      return {
        data: tokenVectors(h, b * seq * hiddenSize, hiddenSize, rows, projection),
        tokens: rows.length,
        dims: spec.dims,
        tokenIds,
        tokenTexts: Array.from(tokenIds, (id) => vocab[id] ?? `[${id}]`),
      };
    });
  }

  async encodeQuery(text: string, expect?: (ms: number) => void): Promise<TokenVectors> {
    const loaded = await this.loaded();
    const { spec, tokenizer } = loaded;
    const input = buildQueryInput(
      tokenizer.encode(text, { add_special_tokens: false }),
      loaded.query,
      spec.queryLength,
    );
    const [result] = await this.run([input], [queryPositions(input)], expect);
    return result!;
  }

  async encodeDocuments(
    texts: string[],
    signal?: AbortSignal,
    onProgress: (p: { done: number; total: number }) => void = () => {},
    expect?: (ms: number) => void,
  ): Promise<TokenVectors[]> {
    const loaded = await this.loaded();
    const { spec, tokenizer, skip } = loaded;
    const inputs = texts.map((t) =>
      buildDocumentInput(tokenizer.encode(t, { add_special_tokens: false }), loaded.document, spec.documentLength),
    );
    // Longest first, as PyLate does, so each batch pads little.
    const order = inputs.map((_, i) => i).sort((a, b) => inputs[b]!.inputIds.length - inputs[a]!.inputIds.length);
    const out = new Array<TokenVectors>(texts.length);
    for (let i = 0; i < order.length; i += BATCH) {
      if (signal?.aborted) throw new AppError('ABORTED');
      const idx = order.slice(i, i + BATCH);
      const batch = idx.map((j) => inputs[j]!);
      const vectors = await this.run(
        batch,
        batch.map((x) => documentPositions(x, skip)),
        expect,
      );
      idx.forEach((j, k) => (out[j] = vectors[k]!));
      onProgress({ done: Math.min(texts.length, i + BATCH), total: texts.length });
    }
    return out;
  }
}

/** RPC handlers over one encoder instance: what the worker serves and tests call in-thread. */
export function lateInteractionHandlers(encoder = new TransformersLateInteraction()): Handlers<LateInteractionMethods> {
  // Every result owns its buffers, so they can be transferred rather than copied.
  const transfer = (v: TokenVectors, ctx: { transfer: (t: Transferable) => void }) => {
    ctx.transfer(v.data.buffer);
    ctx.transfer(v.tokenIds.buffer);
  };
  return {
    stopDownload: async ({ model, keep }) => stopDownload(model, keep),
    load: async (params, ctx) => {
      ctx.expect(budgets.load(assumedPace(params.device)));
      return (await encoder.load(params, ctx.progress)).result;
    },
    encodeQuery: async ({ text }, ctx) => {
      ctx.expect(budgets.batch(encoder.gpu.pace, 1));
      const vectors = await encoder.encodeQuery(text, ctx.expect);
      transfer(vectors, ctx);
      return vectors;
    },
    encodeDocuments: async ({ texts }, ctx) => {
      // Progress after each batch re-arms the same budget (see serve's owner option).
      ctx.expect(budgets.batch(encoder.gpu.pace, Math.min(BATCH, texts.length)));
      const list = await encoder.encodeDocuments(texts, ctx.signal, ctx.progress, ctx.expect);
      for (const v of list) transfer(v, ctx);
      return list;
    },
  };
}
