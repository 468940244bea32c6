// Points transformers.js at the model host and the self-hosted ONNX Runtime binaries, once per worker.
import { env } from '@huggingface/transformers';
import { AppError, toAppError } from '../errors';

export interface RuntimeConfig {
  /** Base of `{model}/resolve/{revision}/` URLs: the hub or a self-hosted folder. */
  modelBaseUrl: string;
  /** Absolute URL of the folder holding the self-hosted ort-wasm files. */
  wasmBaseUrl: string;
}

export const ORT_WASM_FILES = {
  mjs: 'ort-wasm-simd-threaded.asyncify.mjs',
  wasm: 'ort-wasm-simd-threaded.asyncify.wasm',
} as const;

export function configureRuntime(config: RuntimeConfig): void {
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = config.modelBaseUrl;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.useBrowserCache = typeof caches !== 'undefined';
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown; numThreads?: number } };
  if (onnx.wasm) {
    // Never fall back to a CDN: the app must work offline from its own files.
    onnx.wasm.wasmPaths = {
      mjs: new URL(ORT_WASM_FILES.mjs, config.wasmBaseUrl).href,
      wasm: new URL(ORT_WASM_FILES.wasm, config.wasmBaseUrl).href,
    };
    if (typeof crossOriginIsolated === 'undefined' || !crossOriginIsolated) onnx.wasm.numThreads = 1;
  }
}

/** Maps a model-loading failure to a user-facing error; network failures get the self-hosting hint. */
export function loadError(err: unknown, modelId: string, baseUrl: string): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const network = /fetch|network|Could not locate file|404|ERR_|Load failed|CORS/i.test(message);
  if (network) {
    return new AppError(
      'MODEL_HUB_UNREACHABLE',
      `The model "${modelId}" could not be downloaded from ${baseUrl}. If you are offline or that host is blocked, self-host the model files (same layout as the Hugging Face hub) and set their base URL in Settings.`,
      { model: modelId, cause: message },
    );
  }
  return toAppError(err, 'MODEL_LOAD_FAILED');
}
