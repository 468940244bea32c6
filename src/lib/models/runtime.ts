// Points transformers.js at the model host and the self-hosted ONNX Runtime binaries, once per worker.
import { env, ModelFileNotFoundError } from '@huggingface/transformers';
import { AppError, isAbortError, toAppError, causeOf } from '../errors';
import { PARTIAL_CACHE } from '../config/downloads';
import { downloadError, type DownloadFailure } from './download-error';
import { cachePartialStore, resumableFetch, type DownloadGate, type PartialStore } from './resumable-fetch';

/** Model weights (ONNX graphs and their external data): the files big enough to resume. */
const isWeights = (url: string) => /\.onnx(_data(_\d+)?)?$/.test(url.split('?')[0]!);

const NO_STORE: PartialStore = { load: async () => null, append: async () => {}, drop: async () => {} };

/**
 * Stops this worker's weight downloads on the user's word: a pause keeps the bytes so far (the next load continues
 * with a Range request), a cancel drops them. Either makes the load fail with its own code; the next load runs.
 */
class DownloadSwitch implements DownloadGate {
  private controller = new AbortController();
  private stopped: AppError | null = null;
  private drop = false;

  wait(): Promise<void> {
    const stopped = this.stopped;
    if (!stopped) return Promise.resolve();
    // Told once, to the load it stopped: a later load starts afresh.
    this.stopped = null;
    this.controller = new AbortController();
    return Promise.reject(stopped);
  }

  signal(): AbortSignal {
    return this.controller.signal;
  }

  discard(): boolean {
    return this.drop;
  }

  /** A new load: a stop left from before (pressed while nothing was being downloaded) is not this load's. */
  reset(): void {
    if (this.stopped) this.controller = new AbortController();
    this.stopped = null;
    this.drop = false;
  }

  stop(model: string, keep: boolean): void {
    this.drop = !keep;
    this.stopped = new AppError(keep ? 'MODEL_DOWNLOAD_PAUSED' : 'MODEL_DOWNLOAD_CANCELLED', undefined, { model });
    this.controller.abort(this.stopped);
  }
}

const gate = new DownloadSwitch();

/** Pauses (keep: the bytes stay for a resume) or cancels this worker's model download; see DownloadSwitch. */
export function stopDownload(model: string, keep: boolean): void {
  gate.stop(model, keep);
}

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

/** A model-host request that failed: an HTTP error status, or no response or a broken body (status null). */
interface Failure extends DownloadFailure {
  seq: number;
  error?: unknown;
  /** A size check (one-byte range request): transformers.js usually shrugs off its failure. */
  probe?: boolean;
}

/** Requests numbered in this worker, so a load reads only failures after its own mark. */
let seq = 0;
const failures: Failure[] = [];
const KEPT = 64;
let recording = false;

function remember(failure: Omit<Failure, 'seq'>): void {
  failures.push({ seq: ++seq, ...failure });
  if (failures.length > KEPT) failures.shift();
}

/** The same response, with a body that records a read error (a connection lost mid-download) before passing it on. */
function watchBody(response: Response, url: string): Response {
  if (!response.body) return response;
  const reader = response.body.getReader();
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (!cancelled && !isAbortError(error)) remember({ url, status: null, cutOff: true, error });
        controller.error(error);
        return;
      }
      if (cancelled) return;
      if (chunk.done) controller.close();
      else controller.enqueue(chunk.value);
    },
    cancel: (reason) => {
      cancelled = true;
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/** transformers.js's size checks (a one-byte range request) mostly fail quietly, so they rarely take the blame. */
function isRangeProbe(init: unknown): boolean {
  const headers = (init as { headers?: HeadersInit } | undefined)?.headers;
  return headers !== undefined && new Headers(headers).has('range');
}

/**
 * Wraps transformers.js's fetch, once per worker, to record failed downloads from the model host (not the ORT files),
 * so load failures are classified by status and error identity rather than message text.
 */
function recordFetches(): void {
  if (recording) return;
  recording = true;
  // Weights resume after a break (or a pause) where the host answers Range requests; partial bytes are kept.
  const store = typeof caches === 'undefined' ? NO_STORE : cachePartialStore(PARTIAL_CACHE);
  const plain = env.fetch as (input: string, init?: RequestInit) => Promise<Response>;
  const base = resumableFetch((input, init) => plain(input, init), store, {
    handles: (url) => typeof env.remoteHost === 'string' && url.startsWith(env.remoteHost) && isWeights(url),
    gate: () => gate,
  }) as unknown as typeof env.fetch;
  env.fetch = async (input: string | URL, init?: unknown) => {
    const url = String(input);
    const watched = typeof env.remoteHost === 'string' && url.startsWith(env.remoteHost);
    const probe = isRangeProbe(init);
    try {
      const response = (await base(url, init)) as Response;
      seq++;
      if (!watched || probe) return response;
      if (!response.ok) remember({ url, status: response.status });
      return watchBody(response, url);
    } catch (error) {
      // A size check's network failure is kept too, but only blamed when it is the very error the load threw.
      if (watched && !isAbortError(error)) remember({ url, status: null, error, probe });
      else seq++;
      throw error;
    }
  };
}

/**
 * Points transformers.js at the model host and ORT files. Returns a mark to pass to `loadError`, so that it only
 * reads requests made after this call.
 */
export function configureRuntime(config: RuntimeConfig): number {
  gate.reset();
  recordFetches();
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = config.modelBaseUrl;
  env.remotePathTemplate = '{model}/resolve/{revision}/';
  env.useBrowserCache = typeof caches !== 'undefined';
  // ONNX Runtime's own files load from ort/ by URL like any app file, not from a copy in transformers.js's cache: the
  // service worker keeps them for offline use, refreshed with each version (public/sw-ort.js), so an update never
  // pairs new code with an old wasm kept under the same URL, and the 27 MB binary is not stored twice.
  env.useWasmCache = false;
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

/**
 * Maps a model-loading failure to a user-facing error, from the failed model-host requests since `mark` (from
 * configureRuntime) and the error's type:
 * - the error is a recorded network failure (no response, or a body cut off), or one happened during this load and
 *   transformers.js did not report a missing file: the host is unreachable;
 * - transformers.js's ModelFileNotFoundError with a status: 404 is a missing file, named; 401 and 403 a refusal
 *   (the hub answers 401 for a repository that does not exist);
 * - another HTTP error on a file the error names: the host failed, with its status;
 * - anything else failed after the download (a bad graph, WebGPU, memory).
 */
export function loadError(err: unknown, modelId: string, baseUrl: string, mark = 0): AppError {
  if (err instanceof AppError) return err;
  const cause = causeOf(err);
  // This load's own downloads: after its mark and under its model's folder (another load may share the worker).
  const mine = failures.filter((f) => f.seq > mark && f.url.startsWith(`${baseUrl}${modelId}/`));
  /**
   * The recorded failure whose URL the error quotes, as transformers.js's HTTP errors do: they carry no URL field, so
   * this only tells which request failed; what failed is read from its recorded status.
   */
  const quoted = (list: Failure[]) => list.findLast((f) => cause.includes(`"${f.url}"`));
  const notFound = err instanceof ModelFileNotFoundError;
  const network =
    mine.find((f) => f.error === err) ?? (notFound ? undefined : mine.findLast((f) => f.status === null && !f.probe));
  if (network) return downloadError(network, { model: modelId, cause });
  const status = notFound ? (err as { status?: number | null }).status : null;
  if (typeof status === 'number') {
    const url = quoted(mine.filter((f) => f.status === status))?.url ?? `${baseUrl}${modelId}/`;
    return downloadError({ url, status }, { model: modelId, cause });
  }
  const http = quoted(mine.filter((f) => f.status !== null));
  if (http) return downloadError(http, { model: modelId, cause });
  return toAppError(err, 'MODEL_LOAD_FAILED');
}
