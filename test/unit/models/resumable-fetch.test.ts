// The resumable model-file fetch: continues a broken download with a Range request, keeps parts, falls back on 200.
import { describe, expect, it } from 'vitest';
import {
  parseContentRange,
  resumableFetch,
  type PartialMeta,
  type PartialStore,
} from '../../../src/lib/models/resumable-fetch';

const FILE = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
const URL_ = 'http://host/org/model/resolve/main/onnx/model.onnx';

interface ServerOptions {
  /** Bytes after which each response's body breaks off (per request, in order); undefined: no break. */
  breakAfter?: (number | undefined)[];
  /** Bytes after which each response's body ends cleanly, short of its length (a proxy cutting it off). */
  closeAfter?: (number | undefined)[];
  ranges?: boolean;
  etag?: string;
}

/** A fake host serving FILE in 100-byte chunks, answering Range requests (or not), recording the requests. */
function server(opts: ServerOptions = {}) {
  const requests: { range: string | null; ifRange: string | null }[] = [];
  const fetch = async (_url: string, init?: RequestInit) => {
    const h = new Headers(init?.headers);
    const range = h.get('range');
    requests.push({ range, ifRange: h.get('if-range') });
    const cut = opts.breakAfter?.[requests.length - 1];
    const short = opts.closeAfter?.[requests.length - 1];
    let start = 0;
    let status = 200;
    const headers = new Headers({ etag: opts.etag ?? '"v1"' });
    const m = range ? /^bytes=(\d+)-$/.exec(range) : null;
    if (m && opts.ranges !== false) {
      start = Number(m[1]);
      status = 206;
      headers.set('content-range', `bytes ${start}-${FILE.length - 1}/${FILE.length}`);
    }
    headers.set('content-length', String(FILE.length - start));
    let at = start;
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (cut !== undefined && sent >= cut) return c.error(new TypeError('network error'));
        if (at >= FILE.length || (short !== undefined && sent >= short)) return c.close();
        const chunk = FILE.slice(at, Math.min(at + 100, FILE.length));
        at += chunk.length;
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    return new Response(body, { status, headers });
  };
  return { fetch, requests };
}

function memoryStore() {
  const parts = new Map<string, { meta: PartialMeta; chunks: { offset: number; bytes: Uint8Array }[] }>();
  const store: PartialStore = {
    load: async (url) => {
      const p = parts.get(url);
      return p ? { meta: p.meta, chunks: p.chunks.map((c) => c.bytes) } : null;
    },
    append: async (url, offset, bytes, meta) => {
      const p = parts.get(url) ?? { meta, chunks: [] };
      p.chunks.push({ offset, bytes: bytes.slice() });
      parts.set(url, p);
    },
    drop: async (url) => void parts.delete(url),
  };
  return { store, parts };
}

const bytesOf = async (r: Response) => new Uint8Array(await r.arrayBuffer());

describe('resumableFetch', () => {
  it('takes a body that ends short of its length as a break, never as the file', async () => {
    const host = server({ closeAfter: [300] });
    const { store } = memoryStore();
    const get = resumableFetch(host.fetch, store, { checkpointBytes: 100 });
    expect(await bytesOf(await get(URL_))).toEqual(FILE);
    expect(host.requests.map((r) => r.range)).toEqual([null, 'bytes=300-']);
  });

  it('continues a broken download with Range: bytes=N-, and gives the whole file once', async () => {
    const host = server({ breakAfter: [300] });
    const { store, parts } = memoryStore();
    const get = resumableFetch(host.fetch, store, { checkpointBytes: 100 });
    const res = await get(URL_);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('1000');
    expect(await bytesOf(res)).toEqual(FILE);
    expect(host.requests).toEqual([
      { range: null, ifRange: null },
      { range: 'bytes=300-', ifRange: null },
    ]);
    // Done: nothing partial is kept.
    expect(parts.size).toBe(0);
  });

  it('keeps the bytes of a download that breaks for good, and the next attempt asks only for the rest', async () => {
    const host = server({ breakAfter: [400, 0, 0, 0] });
    const { store, parts } = memoryStore();
    const get = resumableFetch(host.fetch, store, { checkpointBytes: 1 << 20 });
    await expect(get(URL_).then(bytesOf)).rejects.toThrow('network error');
    expect(parts.get(URL_)!.chunks.reduce((s, c) => s + c.bytes.length, 0)).toBe(400);

    const again = server();
    const res = await resumableFetch(again.fetch, store)(URL_);
    expect(await bytesOf(res)).toEqual(FILE);
    expect(again.requests).toEqual([{ range: 'bytes=400-', ifRange: null }]);
  });

  it('falls back to the full file when the host ignores Range (200), skipping the bytes already given', async () => {
    const host = server({ breakAfter: [300], ranges: false });
    const { store } = memoryStore();
    const res = await resumableFetch(host.fetch, store)(URL_);
    expect(await bytesOf(res)).toEqual(FILE);
    expect(host.requests[1]!.range).toBe('bytes=300-');
  });

  it('starts again when the kept bytes belong to another version of the file', async () => {
    const { store } = memoryStore();
    await store.append(
      URL_,
      0,
      FILE.slice(0, 200).map((b) => 255 - b),
      { total: 1000, validator: '"old"' },
    );
    const host = server({ etag: '"v2"' });
    const res = await resumableFetch(host.fetch, store)(URL_);
    expect(await bytesOf(res)).toEqual(FILE);
    // The 206 came with another ETag: the kept bytes are dropped and the whole file fetched.
    expect(host.requests.map((r) => r.range)).toEqual(['bytes=200-', null]);
  });

  it('leaves size probes and other requests to the plain fetch', async () => {
    const host = server();
    const { store } = memoryStore();
    const get = resumableFetch(host.fetch, store, { handles: (u) => u.endsWith('.onnx') });
    await get(URL_, { headers: { range: 'bytes=0-0' } });
    await get('http://host/org/model/resolve/main/config.json');
    expect(host.requests.map((r) => r.range)).toEqual(['bytes=0-0', null]);
  });

  it('pauses by aborting the request and resumes with a Range request', async () => {
    const host = server();
    const { store } = memoryStore();
    let controller = new AbortController();
    let resume: () => void = () => {};
    let paused: Promise<void> | null = null;
    const gate = {
      wait: () => paused ?? Promise.resolve(),
      signal: () => controller.signal,
    };
    // Fake host bodies do not see the signal: abort by erroring the read, as a browser does.
    const abortable = async (url: string, init?: RequestInit) => {
      const res = await host.fetch(url, init);
      const reader = res.body!.getReader();
      const signal = init?.signal;
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (signal?.aborted) return c.error(new DOMException('aborted', 'AbortError'));
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const res = await resumableFetch(abortable, store, { gate: () => gate })(URL_);
    const reader = res.body!.getReader();
    let got = 0;
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await reader.read();
      chunks.push(r.value!);
      got += r.value!.length;
    }
    paused = new Promise<void>((r) => (resume = r));
    controller.abort();
    const rest = (async () => {
      for (;;) {
        const r = await reader.read();
        if (r.done) return;
        chunks.push(r.value);
      }
    })();
    await new Promise((r) => setTimeout(r, 10));
    // Paused: no request, and the caller holds every byte read before the pause.
    expect(host.requests).toHaveLength(1);
    const before = chunks.reduce((s, c) => s + c.length, 0);
    controller = new AbortController();
    paused = null;
    resume();
    await rest;
    const all = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    expect(got).toBe(300);
    expect(all).toEqual(FILE);
    expect(host.requests[1]!.range).toBe(`bytes=${before}-`);
  });

  it('a cancel fails the download with its reason and drops the bytes kept', async () => {
    const host = server();
    const { store, parts } = memoryStore();
    const controller = new AbortController();
    let stopped: Error | null = null;
    const gate = {
      wait: () => (stopped ? Promise.reject(stopped) : Promise.resolve()),
      signal: () => controller.signal,
      discard: () => true,
    };
    const failing = async (url: string, init?: RequestInit) => {
      const res = await host.fetch(url, init);
      const reader = res.body!.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(c) {
          if (init?.signal?.aborted) return c.error(new DOMException('aborted', 'AbortError'));
          const r = await reader.read();
          if (r.done) c.close();
          else c.enqueue(r.value);
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const res = await resumableFetch(failing, store, { gate: () => gate, checkpointBytes: 100 })(URL_);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    expect(parts.size).toBe(1);
    stopped = new Error('cancelled by the user');
    controller.abort();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow('cancelled by the user');
    expect(parts.size).toBe(0);
    expect(host.requests).toHaveLength(1);
  });

  it('reads only a Content-Range that is the rest from the offset', () => {
    expect(parseContentRange('bytes 300-999/1000', 300)).toEqual({ total: 1000 });
    expect(parseContentRange('bytes 0-999/1000', 300)).toBeNull();
    expect(parseContentRange('bytes 300-500/1000', 300)).toBeNull();
    expect(parseContentRange(null, 0)).toBeNull();
  });
});
