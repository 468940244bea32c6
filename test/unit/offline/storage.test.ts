// The offline inventory: caches by kind and size, models by id, published files by folder, the estimate, clearing, and the registry copy.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  cacheKind,
  clearCaches,
  folderOf,
  isRuntimeFile,
  loadRegistryCopy,
  modelIdOf,
  offlineInventory,
  saveRegistryCopy,
} from '../../../src/lib/offline/storage';
import { defaultRegistry } from '../../../src/lib/config/registry';

/** A Map-backed stand-in for CacheStorage: named caches of url → Response. */
function fakeCaches(initial: Record<string, Record<string, Response>> = {}) {
  const stores = new Map<string, Map<string, Response>>(
    Object.entries(initial).map(([name, entries]) => [name, new Map(Object.entries(entries))]),
  );
  const open = async (name: string) => {
    if (!stores.has(name)) stores.set(name, new Map());
    const store = stores.get(name)!;
    return {
      keys: async () => [...store.keys()].map((url) => new Request(url)),
      match: async (req: Request | string) => store.get(typeof req === 'string' ? req : req.url)?.clone(),
      put: async (url: string, res: Response) => void store.set(url, res),
    };
  };
  return {
    stores,
    caches: {
      keys: async () => [...stores.keys()],
      open,
      delete: async (name: string) => stores.delete(name),
    },
  };
}

const sized = (bytes: number, withLength = true) =>
  new Response(new Uint8Array(bytes), { headers: withLength ? { 'content-length': String(bytes) } : {} });

afterEach(() => vi.unstubAllGlobals());

describe('offline storage', () => {
  it('reads model ids from hub-layout URLs only, without trusting the rest of the URL', () => {
    expect(modelIdOf('https://huggingface.co/Xenova/bge-small-en-v1.5/resolve/main/onnx/model_quantized.onnx')).toBe(
      'Xenova/bge-small-en-v1.5',
    );
    expect(modelIdOf('http://localhost:4302/standin/models/lectern-standin/lm/resolve/main/config.json')).toBe(
      'lectern-standin/lm',
    );
    expect(modelIdOf('http://localhost/ort/ort-wasm-simd-threaded.asyncify.wasm')).toBeNull();
    expect(modelIdOf('http://localhost/resolve/main/x')).toBeNull();
    expect(modelIdOf('http://localhost/a/b/resolve/')).toBeNull();
    expect(modelIdOf('not a url')).toBeNull();
    expect(isRuntimeFile('http://localhost/app/ort/ort-wasm-simd-threaded.asyncify.mjs')).toBe(true);
    expect(isRuntimeFile('http://localhost/org/lm/resolve/main/onnx/model.onnx')).toBe(false);
    expect(folderOf('https://docs.example.org/site/shards/ab12.bin')).toBe('https://docs.example.org/site/shards/');
    expect(cacheKind('lectern-precache-v2-http://localhost/')).toBe('app');
    expect(cacheKind('transformers-cache')).toBe('models');
    expect(cacheKind('lectern-published')).toBe('published');
    expect(cacheKind('lectern-offline')).toBe('other');
  });

  it('lists every cache with its size, the models by id and published files by folder, and the estimate', async () => {
    const { caches } = fakeCaches({
      'lectern-precache-v2-http://localhost/': { 'http://localhost/index.html': sized(100) },
      'transformers-cache': {
        'http://localhost/standin/models/org/emb/resolve/main/config.json': sized(10),
        'http://localhost/standin/models/org/emb/resolve/main/onnx/model.onnx': sized(1000, false),
        'https://huggingface.co/org/lm/resolve/main/config.json': sized(20),
        'http://localhost/ort/ort-wasm-simd-threaded.asyncify.wasm': sized(300),
      },
      'lectern-published': {
        'https://docs.example.org/site/shards/a.bin': sized(5),
        'https://docs.example.org/site/shards/b.bin': sized(7),
      },
      'someone-else': {},
    });
    vi.stubGlobal('caches', caches);
    vi.stubGlobal('navigator', { storage: { estimate: async () => ({ usage: 4321, quota: 1e9 }) } });
    const inv = await offlineInventory();
    expect(inv.caches).toEqual([
      { name: 'lectern-precache-v2-http://localhost/', kind: 'app', entries: 1, bytes: 100 },
      { name: 'transformers-cache', kind: 'models', entries: 4, bytes: 1330 },
      { name: 'lectern-published', kind: 'published', entries: 2, bytes: 12 },
      { name: 'someone-else', kind: 'other', entries: 0, bytes: 0 },
    ]);
    expect(inv.models).toEqual([
      { id: 'org/emb', files: 2, bytes: 1010 },
      { id: 'org/lm', files: 1, bytes: 20 },
    ]);
    expect(inv.runtime).toEqual({ files: 1, bytes: 300 });
    expect(inv.published).toEqual([{ source: 'https://docs.example.org/site/shards/', files: 2, bytes: 12 }]);
    expect([inv.usage, inv.quota]).toEqual([4321, 1e9]);

    await clearCaches();
    // Another app's cache on the same origin is not Lectern's to clear.
    expect(await caches.keys()).toEqual(['someone-else']);
  });

  it('works without the Cache API or a storage estimate', async () => {
    vi.stubGlobal('caches', undefined);
    vi.stubGlobal('navigator', {});
    expect(await offlineInventory()).toEqual({
      caches: [],
      models: [],
      runtime: { files: 0, bytes: 0 },
      published: [],
      usage: null,
      quota: null,
    });
    await expect(clearCaches()).resolves.toBeUndefined();
    expect(await loadRegistryCopy('http://localhost/r.json')).toBeNull();
  });

  it('keeps the last registry per URL and checks it again when read back', async () => {
    const { caches, stores } = fakeCaches();
    vi.stubGlobal('caches', caches);
    const url = 'http://localhost/standin/registry.json';
    expect(await loadRegistryCopy(url)).toBeNull();
    const registry = defaultRegistry();
    await saveRegistryCopy(url, registry);
    expect(await loadRegistryCopy(url)).toEqual(registry);
    expect(await loadRegistryCopy('http://localhost/other.json')).toBeNull();
    // A copy that no longer validates (edited storage) is not used.
    stores.get('lectern-offline')!.set(url, new Response('{"version":2}'));
    expect(await loadRegistryCopy(url)).toBeNull();
  });
});
