// A published library's files over the network: the manifest, then shards verified by SHA-256 and kept in Cache Storage.
import { AppError, toAppError } from '../errors';
import { sha256Hex } from '../ingest/hash';
import { checkManifest, type ShardLoader } from '../published/library';
import type { PublishedManifest, ShardRef } from '../published/format';

/** The Cache Storage cache a published library's shards are kept in once verified (they are immutable: named by hash). */
export const PUBLISHED_CACHE = 'lectern-published';

/** Bytes read from the network and from the cache, for progress and the benchmarks. */
export interface FetchCounts {
  network: number;
  cached: number;
  shards: number;
}

async function openCache(): Promise<Cache | null> {
  try {
    return typeof caches === 'undefined' ? null : await caches.open(PUBLISHED_CACHE);
  } catch {
    // Storage refused (private mode, quota): the library still works, from the network only.
    return null;
  }
}

/** A URL the app may fetch a library from: http(s) only. */
export function libraryUrl(url: string, base?: string): URL {
  let u: URL;
  try {
    u = new URL(url, base);
  } catch {
    throw new AppError('PUBLISHED_URL_INVALID', undefined, { url });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new AppError('PUBLISHED_URL_INVALID', undefined, { url });
  return u;
}

/** A file of a published library that has not fully arrived after this long is given up (the network, a stuck host). */
export const FETCH_TIMEOUT_MS = 60_000;
/** The slowest link a file is waited for, on top of FETCH_TIMEOUT_MS: 32 KB/s (a 2 MB shard gets 60 s more). */
const SLOWEST_BYTES_PER_MS = 32;

/** The response's bytes, the whole request bounded by FETCH_TIMEOUT_MS plus its size at the slowest link. */
async function getBytes(url: URL, init?: RequestInit, size = 0): Promise<{ res: Response; bytes: Uint8Array }> {
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS + Math.ceil(size / SLOWEST_BYTES_PER_MS));
  try {
    const res = await fetch(url, { ...init, signal });
    if (!res.ok) throw new AppError('PUBLISHED_HTTP_ERROR', undefined, { url: url.href, status: res.status });
    return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
  } catch (err) {
    if (err instanceof AppError) throw err;
    // A cross-origin host without CORS, a CSP that does not list it and a dropped network all look alike here.
    const reason = signal.aborted ? 'no complete answer in time' : toAppError(err).message;
    throw new AppError('PUBLISHED_UNREACHABLE', undefined, { url: url.href, reason });
  }
}

function parseManifest(bytes: Uint8Array, url: URL): PublishedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new AppError('PUBLISHED_MANIFEST_INVALID', undefined, { url: url.href, why: 'not JSON' });
  }
  return checkManifest(raw, url.href);
}

/**
 * The manifest at `url`: from the network when it answers (a republished library replaces it); when the network
 * cannot be reached, the copy kept when it was last read, so a library opened once opens offline. An answer from the
 * host (a 404: the library was taken down) is never covered up by the kept copy, and only a valid manifest is kept.
 */
export async function fetchManifest(url: URL): Promise<PublishedManifest> {
  const cache = await openCache();
  let bytes: Uint8Array;
  try {
    bytes = (await getBytes(url, { cache: 'no-cache' })).bytes;
  } catch (err) {
    const kept = toAppError(err).code === 'PUBLISHED_UNREACHABLE' ? await cache?.match(url) : undefined;
    if (!kept) throw err;
    return parseManifest(new Uint8Array(await kept.arrayBuffer()), url);
  }
  const manifest = parseManifest(bytes, url);
  await cache
    ?.put(url, new Response(bytes.slice(), { headers: { 'Content-Type': 'application/json' } }))
    .catch(() => {});
  return manifest;
}

/**
 * Reads shards relative to the manifest's URL. Each is checked against the manifest's SHA-256 before use, whether it
 * came from the network or the cache; one that does not match is dropped from the cache and refused
 * (PUBLISHED_SHARD_TAMPERED), and only verified shards are kept.
 */
export function shardLoader(manifestUrl: URL, counts: FetchCounts): ShardLoader {
  const cachePromise = openCache();
  return async (ref: ShardRef) => {
    const url = new URL(ref.file, manifestUrl);
    const cache = await cachePromise;
    const kept = await cache?.match(url).catch(() => undefined);
    if (kept) {
      const bytes = new Uint8Array(await kept.arrayBuffer());
      if ((await sha256Hex(bytes)) === ref.sha256) {
        counts.cached += bytes.length;
        counts.shards++;
        return bytes;
      }
      await cache?.delete(url).catch(() => false);
    }
    const { bytes } = await getBytes(url, undefined, ref.bytes);
    counts.network += bytes.length;
    if ((await sha256Hex(bytes)) !== ref.sha256)
      throw new AppError('PUBLISHED_SHARD_TAMPERED', undefined, { file: ref.file });
    counts.shards++;
    await cache
      ?.put(url, new Response(bytes.slice(), { headers: { 'Content-Type': 'application/octet-stream' } }))
      .catch(() => {});
    return bytes;
  };
}
