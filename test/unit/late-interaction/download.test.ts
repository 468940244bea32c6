// Projection file download: progress, the Cache API round trip, and HTTP errors the hub hint can recognise.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchModelFile } from '../../../src/lib/models/late-interaction/download';

/** A Map-backed stand-in for the browser's CacheStorage, enough for match/put. */
function fakeCaches() {
  const store = new Map<string, Response>();
  const cache = {
    match: async (url: string) => store.get(url)?.clone(),
    put: async (url: string, res: Response) => void store.set(url, res),
  };
  return { store, caches: { open: vi.fn(async () => cache) } };
}

afterEach(() => vi.unstubAllGlobals());

describe('fetchModelFile', () => {
  const url = 'http://localhost/models/org/name/resolve/main/1_Dense/model.safetensors';

  it('downloads with progress, caches the bytes, then serves them from the cache', async () => {
    const { store, caches } = fakeCaches();
    vi.stubGlobal('caches', caches);
    const fetch = vi.fn(async () => new Response(new Uint8Array([1, 2, 3, 4, 5]), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    const progress: number[] = [];
    const first = await fetchModelFile(url, (loaded) => progress.push(loaded));
    expect([...new Uint8Array(first)]).toEqual([1, 2, 3, 4, 5]);
    expect(progress.at(-1)).toBe(5);
    expect(caches.open).toHaveBeenCalledWith('transformers-cache');
    expect(store.has(url)).toBe(true);

    const again = await fetchModelFile(url);
    expect([...new Uint8Array(again)]).toEqual([1, 2, 3, 4, 5]);
    expect(fetch).toHaveBeenCalledTimes(1);
  });

  it('works without the Cache API and reports HTTP errors with their status', async () => {
    vi.stubGlobal('caches', undefined);
    vi.stubGlobal('fetch', async () => new Response('Not found', { status: 404 }));
    await expect(fetchModelFile(url)).rejects.toThrow(/HTTP 404/);
    await expect(fetchModelFile(url)).rejects.toMatchObject({ code: 'MODEL_FILE_MISSING', details: { status: 404 } });
    vi.stubGlobal('fetch', async () => new Response('No', { status: 401 }));
    await expect(fetchModelFile(url)).rejects.toMatchObject({ code: 'MODEL_ACCESS_DENIED', details: { status: 401 } });
    vi.stubGlobal('fetch', async () => new Response('Busy', { status: 503 }));
    await expect(fetchModelFile(url)).rejects.toMatchObject({
      code: 'MODEL_HUB_UNREACHABLE',
      details: { status: 503 },
    });
    vi.stubGlobal('fetch', async () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(fetchModelFile(url)).rejects.toMatchObject({ code: 'MODEL_HUB_UNREACHABLE' });
    const cut = () =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new Uint8Array([1]));
          controller.error(new TypeError('network error'));
        },
      });
    vi.stubGlobal('fetch', async () => new Response(cut(), { status: 200 }));
    await expect(fetchModelFile(url)).rejects.toMatchObject({ code: 'MODEL_HUB_UNREACHABLE' });
  });
});
