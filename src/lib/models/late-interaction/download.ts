// Downloads a model file that transformers.js does not load itself, with progress, cached like transformers.js does.
import { isAbortError, causeOf } from '../../errors';
import { downloadError } from '../download-error';

/** transformers.js's default `env.cacheKey`: sharing it keeps every model file in one browser cache. */
export const MODEL_CACHE_NAME = 'transformers-cache';

async function openCache(name: string): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null;
  try {
    return await caches.open(name);
  } catch {
    // Some contexts (opaque origins, private modes) refuse the Cache API; download without it.
    return null;
  }
}

/** Reads a response body, reporting bytes as they arrive. */
async function readBody(
  response: Response,
  onProgress: (loaded: number, total: number) => void,
): Promise<Uint8Array<ArrayBuffer>> {
  const total = Number(response.headers.get('content-length') ?? 0);
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress(bytes.length, bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, Math.max(total, loaded));
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}

/** The file's bytes from the browser cache, or from the network (then cached). Throws on HTTP errors. */
export async function fetchModelFile(
  url: string,
  onProgress: (loaded: number, total: number) => void = () => {},
  signal?: AbortSignal,
  cacheName = MODEL_CACHE_NAME,
): Promise<ArrayBuffer> {
  const cache = await openCache(cacheName);
  const hit = await cache?.match(url).catch(() => undefined);
  if (hit) {
    const buffer = await hit.arrayBuffer();
    onProgress(buffer.byteLength, buffer.byteLength);
    return buffer;
  }
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw downloadError({ url, status: null }, { cause: causeOf(err) });
  }
  if (!response.ok) throw downloadError({ url, status: response.status });
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = await readBody(response, onProgress);
  } catch (err) {
    if (isAbortError(err)) throw err;
    throw downloadError({ url, status: null, cutOff: true }, { cause: causeOf(err) });
  }
  if (cache) {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(bytes.byteLength) };
    // A full quota only costs a re-download next time.
    await cache.put(url, new Response(bytes, { status: 200, headers })).catch(() => {});
  }
  return bytes.buffer;
}
