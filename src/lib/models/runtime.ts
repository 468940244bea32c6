// Points transformers.js at the model host and the self-hosted ONNX Runtime binaries, once per worker.
import { env } from '@huggingface/transformers';
import { AppError, isAbortError, toAppError } from '../errors';

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

/** The last model-file response or network failure this worker saw, numbered so a load can tell if it is its own. */
interface FetchEvent {
  seq: number;
  url: string;
  /** HTTP status; null when no response came (a network failure, thrown as `error`). */
  status: number | null;
  error?: unknown;
}

let seq = 0;
let last: FetchEvent | null = null;
let recording = false;

/** Wraps transformers.js's fetch, once per worker, so load failures are classified by status, not message text. */
function recordFetches(): void {
  if (recording) return;
  recording = true;
  const base = env.fetch;
  env.fetch = async (input: string | URL, init?: unknown) => {
    const url = String(input);
    try {
      const response = (await base(input, init)) as Response;
      last = { seq: ++seq, url, status: response.status };
      return response;
    } catch (error) {
      if (!isAbortError(error)) last = { seq: ++seq, url, status: null, error };
      throw error;
    }
  };
}

/**
 * Points transformers.js at the model host and ORT files. Returns a mark to pass to `loadError`, so that it only
 * reads requests made after this call.
 */
export function configureRuntime(config: RuntimeConfig): number {
  recordFetches();
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
  return seq;
}

const SELF_HOST_HINT =
  'If you are offline or that host is blocked, self-host the model files (same layout as the Hugging Face hub) and set their base URL in Settings.';

/**
 * Maps a model-loading failure to a user-facing error, by what the last request since `mark` (from
 * configureRuntime) got: no response at all is an unreachable host; a 404 right before the failure is a missing file
 * (transformers.js gives up on the first required file it cannot get; an optional file's 404 is followed by more
 * requests); another HTTP error is a host that refused. Anything else failed after the download.
 */
export function loadError(err: unknown, modelId: string, baseUrl: string, mark = 0): AppError {
  if (err instanceof AppError) return err;
  const cause = err instanceof Error ? err.message : String(err);
  const event = last !== null && last.seq > mark ? last : null;
  if (event && (event.status === null || event.error === err)) {
    return new AppError(
      'MODEL_HUB_UNREACHABLE',
      `The model "${modelId}" could not be downloaded from ${baseUrl}. ${SELF_HOST_HINT}`,
      { model: modelId, url: event.url, cause },
    );
  }
  if (event && event.status === 404) {
    return new AppError(
      'MODEL_FILE_MISSING',
      `The model "${modelId}" has no file at ${event.url} (HTTP 404). The registry may name a file or precision that its model host does not have.`,
      { model: modelId, url: event.url, status: 404, cause },
    );
  }
  if (event && event.status !== null && event.status >= 400) {
    return new AppError(
      'MODEL_HUB_UNREACHABLE',
      `The model "${modelId}" could not be downloaded from ${baseUrl}: the host answered HTTP ${event.status}. ${SELF_HOST_HINT}`,
      { model: modelId, url: event.url, status: event.status, cause },
    );
  }
  return toAppError(err, 'MODEL_LOAD_FAILED');
}
