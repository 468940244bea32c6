// What the browser keeps for offline use (Cache Storage, by cache), how much storage Lectern uses, and clearing it.
import type { Registry } from '../config/registry-types';
import { validateRegistry } from '../config/registry';
import { PARTIAL_CACHE } from '../config/downloads';

/** transformers.js's `env.cacheKey` (and the late-interaction downloader's): every model file is in it. */
export const MODEL_CACHE = 'transformers-cache';
/** The published-library reader's cache of shards (content-addressed, never changing). */
export const PUBLISHED_CACHE = 'lectern-published';
/** This module's own small copies (the last registry that loaded), so a reload without network still finds them. */
export const OFFLINE_CACHE = 'lectern-offline';
/** ONNX Runtime's files, kept by the service worker (public/sw-ort.js). */
export const RUNTIME_CACHE = 'lectern-ort';
/** Text recognition's files (the app's ocr/ folder), kept by the service worker once fetched (public/sw-ort.js). */
export const OCR_CACHE = 'lectern-ocr';
/** Workbox names its precache `<cacheId>-precache-v2-<scope>` (cacheId 'lectern' in vite.config.ts). */
const APP_CACHE_PREFIX = 'lectern-precache-';

export type CacheKind = 'app' | 'models' | 'published' | 'other';

export interface CacheSummary {
  name: string;
  kind: CacheKind;
  entries: number;
  /** Bytes of the stored bodies (from Content-Length, else the body's size). */
  bytes: number;
}

export interface ModelCopy {
  /** The model's id, `org/name`, as in its files' URLs. */
  id: string;
  files: number;
  bytes: number;
}

export interface OfflineInventory {
  caches: CacheSummary[];
  /** Models with files in the model cache, by id. */
  models: ModelCopy[];
  /** ONNX Runtime's own files (ort-wasm-*), wherever they are kept (the service worker's `lectern-ort`). */
  runtime: { files: number; bytes: number };
  /** Published-library files cached, grouped by the folder they came from. */
  published: { source: string; files: number; bytes: number }[];
  /** The browser's estimate for this origin, caches and IndexedDB together; null where it gives none. */
  usage: number | null;
  quota: number | null;
}

export function cacheKind(name: string): CacheKind {
  if (name.startsWith(APP_CACHE_PREFIX) || name === RUNTIME_CACHE || name === OCR_CACHE) return 'app';
  if (name === MODEL_CACHE) return 'models';
  if (name === PUBLISHED_CACHE) return 'published';
  return 'other';
}

/**
 * The model id in a model file's URL: the two path segments before `resolve` (`{base}{org}/{name}/resolve/{rev}/…`,
 * the hub's layout and every self-hosted one's). Null for any other URL. Split, not a regex: the URL is untrusted.
 */
export function modelIdOf(url: string): string | null {
  let parts: string[];
  try {
    parts = new URL(url).pathname.split('/');
  } catch {
    return null;
  }
  const at = parts.lastIndexOf('resolve');
  if (at < 2 || at >= parts.length - 2) return null;
  const org = parts[at - 2]!;
  const name = parts[at - 1]!;
  return org && name ? `${decodeURIComponent(org)}/${decodeURIComponent(name)}` : null;
}

/** ONNX Runtime's wasm or its loader (`…/ort-wasm-simd-threaded.asyncify.wasm`), as the app serves them from ort/. */
export function isRuntimeFile(url: string): boolean {
  return (url.split('?')[0]!.split('/').pop() ?? '').startsWith('ort-wasm-');
}

/** The folder a cached file came from (its URL up to the last `/`). */
export function folderOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname.slice(0, u.pathname.lastIndexOf('/') + 1)}`;
  } catch {
    return url;
  }
}

async function bodySize(response: Response | undefined): Promise<number> {
  if (!response) return 0;
  const length = Number(response.headers.get('content-length'));
  if (Number.isFinite(length) && length > 0) return length;
  // Opaque responses report no size; a cached body's blob is a handle to its stored bytes, not a copy.
  return response.type === 'opaque' ? 0 : (await response.blob()).size;
}

function add<T extends { files: number; bytes: number }>(
  map: Map<string, T>,
  key: string,
  bytes: number,
  make: () => T,
) {
  const entry = map.get(key) ?? make();
  entry.files++;
  entry.bytes += bytes;
  map.set(key, entry);
}

/** Lists every cache of this origin with its size, the models and published-library files among them, and the estimate. */
export async function offlineInventory(): Promise<OfflineInventory> {
  const inventory: OfflineInventory = {
    caches: [],
    models: [],
    runtime: { files: 0, bytes: 0 },
    published: [],
    usage: null,
    quota: null,
  };
  const models = new Map<string, ModelCopy>();
  const published = new Map<string, { source: string; files: number; bytes: number }>();
  if (typeof caches !== 'undefined') {
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      const kind = cacheKind(name);
      const summary: CacheSummary = { name, kind, entries: 0, bytes: 0 };
      for (const request of await cache.keys()) {
        const bytes = await bodySize(await cache.match(request));
        summary.entries++;
        summary.bytes += bytes;
        const id = kind === 'models' ? modelIdOf(request.url) : null;
        if (id) add(models, id, bytes, () => ({ id, files: 0, bytes: 0 }));
        else if ((kind === 'models' || name === RUNTIME_CACHE) && isRuntimeFile(request.url)) {
          inventory.runtime.files++;
          inventory.runtime.bytes += bytes;
        }
        if (kind === 'published') {
          const source = folderOf(request.url);
          add(published, source, bytes, () => ({ source, files: 0, bytes: 0 }));
        }
      }
      inventory.caches.push(summary);
    }
  }
  inventory.models = [...models.values()].sort((a, b) => a.id.localeCompare(b.id));
  inventory.published = [...published.values()].sort((a, b) => a.source.localeCompare(b.source));
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  inventory.usage = estimate?.usage ?? null;
  inventory.quota = estimate?.quota ?? null;
  return inventory;
}

/** Deletes Lectern's caches of this origin: the app's files, the models, published libraries and the registry copy. */
export async function clearCaches(): Promise<void> {
  if (typeof caches === 'undefined') return;
  // Only Lectern's own: another app on the same origin (a shared host's other pages) keeps its caches.
  for (const name of await caches.keys())
    if (cacheKind(name) !== 'other' || name === OFFLINE_CACHE || name === PARTIAL_CACHE) await caches.delete(name);
}

async function offlineCache(): Promise<Cache | null> {
  if (typeof caches === 'undefined') return null;
  return caches.open(OFFLINE_CACHE).catch(() => null);
}

/** Keeps the registry that just loaded from `url` (absolute), for a later start without network. Best effort. */
export async function saveRegistryCopy(url: string, registry: Registry): Promise<void> {
  const cache = await offlineCache();
  const body = JSON.stringify(registry);
  await cache?.put(url, new Response(body, { headers: { 'content-type': 'application/json' } })).catch(() => {});
}

/** The registry last loaded from `url`, checked again as when it was fetched; null when none was kept. */
export async function loadRegistryCopy(url: string): Promise<Registry | null> {
  const cache = await offlineCache();
  const hit = await cache?.match(url).catch(() => undefined);
  if (!hit) return null;
  try {
    return validateRegistry(await hit.json(), url);
  } catch {
    return null;
  }
}

/** Whether the model cache holds the file at `url` (a model's ONNX file: the bulk of its download). */
export async function isModelFileCached(url: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  try {
    if (!(await caches.has(MODEL_CACHE))) return false;
    return (await (await caches.open(MODEL_CACHE)).match(url)) !== undefined;
  } catch {
    return false;
  }
}

/** Deletes every file of model `id` (`org/name`) from the model cache; the next use downloads it again. */
export async function removeModelFiles(id: string): Promise<number> {
  if (typeof caches === 'undefined' || !(await caches.has(MODEL_CACHE))) return 0;
  const cache = await caches.open(MODEL_CACHE);
  let removed = 0;
  for (const request of await cache.keys()) {
    if (modelIdOf(request.url) === id && (await cache.delete(request))) removed++;
  }
  return removed;
}
