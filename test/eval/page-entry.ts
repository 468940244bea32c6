// Browser entry of `npm run eval`: starts the app's embedder and late-interaction workers on a registry's models, as the app does.
import { detectCapabilities } from '../../src/lib/config/capabilities';
import { dtypeFor, fetchRegistry, pickModel } from '../../src/lib/config/registry';
import type { Device, Dtype } from '../../src/lib/config/registry-types';
import type { EmbedKind, EmbedderMethods } from '../../src/lib/models/embedder/types';
import type { ChatMessage, GeneratorMethods, JudgeParams, JudgeResult } from '../../src/lib/models/generator/types';
import type { LateInteractionMethods } from '../../src/lib/models/late-interaction/types';
import type { RuntimeConfig } from '../../src/lib/models/runtime';
import { connectWorker, type RpcClient } from '../../src/lib/rpc';

export interface OpenOptions {
  /** Registry URL, absolute or relative to the page. */
  registryUrl: string;
  device: Device;
  /** Also load the registry's late-interaction (reranking) model. */
  lateInteraction: boolean;
  /** Also load the registry's generator (the multi-query rows of --ablation). */
  generator?: boolean;
  /** Embedder dtype instead of the registry's for this device (diagnosis only, e.g. fp32 vs q8). */
  dtype?: Dtype;
}

export interface LoadedModel {
  id: string;
  /** The device it runs on; the embedder may fall back from webgpu to wasm after its self-test. */
  device: Device;
  dtype: Dtype;
  dims: number;
}

export interface OpenResult {
  embedder: LoadedModel & { selfTestCosine: number | null; reason: string; registryDtype: Dtype };
  lateInteraction: LoadedModel | null;
  generator: Omit<LoadedModel, 'dims'> | null;
}

/** One text's token vectors, without the token ids and texts the app keeps for explanations. */
export interface Tokens {
  data: Float32Array;
  tokens: number;
  dims: number;
}

let embedder: RpcClient<EmbedderMethods> | null = null;
let late: RpcClient<LateInteractionMethods> | null = null;
let generator: RpcClient<GeneratorMethods> | null = null;

/** Loads the registry, picks its first embedder (and reranker) and loads them in the app's workers. */
async function open(o: OpenOptions): Promise<OpenResult> {
  const registry = await fetchRegistry(o.registryUrl, location.href);
  const caps = await detectCapabilities();
  if (o.device === 'webgpu' && !caps.webgpu) throw new Error(`--device webgpu: ${caps.webgpuNote}`);
  // As App.runtime(): the registry's model base (already absolute) and the self-hosted ONNX Runtime under ort/.
  const runtime: RuntimeConfig = {
    modelBaseUrl: registry.modelBaseUrl,
    wasmBaseUrl: new URL('/ort/', location.href).href,
  };
  const spec = pickModel(registry, 'embedder');
  const registryDtype = dtypeFor(spec, o.device, caps.shaderF16);
  embedder = connectWorker<EmbedderMethods>(
    new Worker(new URL('../../src/workers/embedder.worker.ts', import.meta.url), { type: 'module' }),
  );
  const loaded = await embedder.call('load', {
    spec,
    device: o.device,
    dtype: o.dtype ?? registryDtype,
    runtime,
    selfTest: o.device === 'webgpu',
  });
  const result: OpenResult = {
    embedder: {
      id: spec.id,
      device: loaded.device,
      dtype: loaded.dtype,
      dims: spec.dims,
      selfTestCosine: loaded.selfTestCosine,
      reason: loaded.reason,
      registryDtype,
    },
    lateInteraction: null,
    generator: null,
  };
  if (o.generator) {
    // As AnswerModel.access(): the registry's generator on the embedder's device.
    const genSpec = pickModel(registry, 'generator');
    generator = connectWorker<GeneratorMethods>(
      new Worker(new URL('../../src/workers/generator.worker.ts', import.meta.url), { type: 'module' }),
    );
    const genLoaded = await generator.call('load', {
      spec: genSpec,
      device: loaded.device,
      dtype: dtypeFor(genSpec, loaded.device, caps.shaderF16),
      runtime,
    });
    result.generator = { id: genSpec.id, device: genLoaded.device, dtype: genLoaded.dtype };
  }
  if (!o.lateInteraction) return result;
  // The reranker follows the embedder's device, as in App.loadLateInteraction().
  const lateSpec = pickModel(registry, 'late-interaction');
  const device = loaded.device;
  late = connectWorker<LateInteractionMethods>(
    new Worker(new URL('../../src/workers/late-interaction.worker.ts', import.meta.url), { type: 'module' }),
  );
  const lateLoaded = await late.call('load', {
    spec: lateSpec,
    device,
    dtype: dtypeFor(lateSpec, device, caps.shaderF16),
    runtime,
  });
  result.lateInteraction = {
    id: lateSpec.id,
    device: lateLoaded.device,
    dtype: lateLoaded.dtype,
    dims: lateLoaded.dims,
  };
  return result;
}

/**
 * Row-major L2-normalized vectors, texts.length × dims. Documents go to the worker in one call (it batches them as
 * the app's ingest does); queries one call each, as the app embeds a query at search time.
 */
async function embed(texts: string[], kind: EmbedKind): Promise<Float32Array> {
  if (!embedder) throw new Error('open() first');
  if (kind === 'document') return embedder.call('embed', { texts, kind });
  const parts: Float32Array[] = [];
  for (const t of texts) parts.push(await embedder.call('embed', { texts: [t], kind }));
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Token vectors per text: encodeQuery per query, encodeDocuments for documents (the app's two calls). */
async function embedTokens(texts: string[], kind: EmbedKind): Promise<Tokens[]> {
  if (!late) throw new Error('open() with lateInteraction first');
  const strip = ({ data, tokens, dims }: Tokens): Tokens => ({ data, tokens, dims });
  if (kind === 'document') return (await late.call('encodeDocuments', { texts })).map(strip);
  const out: Tokens[] = [];
  for (const text of texts) out.push(strip(await late.call('encodeQuery', { text })));
  return out;
}

/** One completion by the generator, as the app's multi-query step asks for it. */
async function complete(messages: ChatMessage[], maxNewTokens: number): Promise<string> {
  if (!generator) throw new Error('open() with generator first');
  return (await generator.call('generate', { messages, maxNewTokens })).text;
}

/** One deep-mode judgment by the generator, as the app's deep stage asks for it. */
async function judge(params: JudgeParams): Promise<JudgeResult> {
  if (!generator) throw new Error('open() with generator first');
  return generator.call('judge', params);
}

const lecternEval = { open, embed, embedTokens, complete, judge };
export type LecternEval = typeof lecternEval;

(globalThis as unknown as { lecternEval: LecternEval }).lecternEval = lecternEval;
