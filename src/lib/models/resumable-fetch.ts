// A fetch for model files that keeps what arrived and continues with a Range request after a break or a pause.

/** What is kept of an unfinished download: its bytes so far, the total and the validator of the bytes' version. */
export interface PartialMeta {
  total: number;
  /** ETag (or Last-Modified) of the response the bytes came from: a resume asks for the rest of that same version. */
  validator: string | null;
}

/** Where partial downloads are kept between attempts (Cache Storage in the browser, memory in tests). */
export interface PartialStore {
  /** The bytes kept for `url`, in order from byte 0, and what they are part of; null when none. */
  load(url: string): Promise<{ meta: PartialMeta; chunks: Uint8Array[] } | null>;
  /** Keeps `bytes` as the part of `url` starting at `offset` (every earlier part is already kept). */
  append(url: string, offset: number, bytes: Uint8Array, meta: PartialMeta): Promise<void>;
  drop(url: string): Promise<void>;
}

/** Pauses a download: its request is aborted and, on resume, a Range request continues where it stopped. */
export interface DownloadGate {
  /** Resolves at once when running; while paused, when resumed. Rejects when cancelled. */
  wait(): Promise<void>;
  /** Aborted when the user pauses or cancels (a fresh signal after each resume). */
  signal(): AbortSignal;
  /** True when the bytes kept so far should go (a cancel), false when they stay for a resume (a pause). */
  discard?(): boolean;
}

export interface ResumableOptions {
  /** Breaks survived within one download (each continues with a Range request); default 3. */
  retries?: number;
  /** Bytes gathered before they are kept in the store (so a closed tab loses at most this much); default 16 MB. */
  checkpointBytes?: number;
  gate?: (url: string) => DownloadGate | null;
  /** Whether a request is one this fetch handles (model files); others go straight to `fetch`. */
  handles?: (url: string) => boolean;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const validatorOf = (r: Response) => r.headers.get('etag') ?? r.headers.get('last-modified');

/** `bytes N-M/T` of a 206: the start and the total, or null when it is not the rest from `offset`. */
export function parseContentRange(header: string | null, offset: number): { total: number } | null {
  const m = header ? /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim()) : null;
  if (!m) return null;
  const [start, end, total] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start === offset && end === total - 1 ? { total } : null;
}

/**
 * Wraps `fetch` for model-file downloads: a GET that breaks off (or is paused) continues from the last byte received
 * with `Range: bytes=N-`, using a 206 whose Content-Range and ETag match what is kept (a file replaced meanwhile is
 * fetched whole) and otherwise skipping the first N bytes of a full 200 of the same version. Bytes are kept in `store` as they arrive, so a
 * later attempt (a retry, the next visit) resumes too. The caller sees one 200 response with the whole body.
 */
export function resumableFetch(fetch: Fetch, store: PartialStore, options: ResumableOptions = {}): Fetch {
  const retries = options.retries ?? 3;
  const checkpoint = options.checkpointBytes ?? 16 * 1024 * 1024;
  return async (url, init) => {
    const headers = new Headers(init?.headers);
    if ((init?.method && init.method !== 'GET') || headers.has('range') || !(options.handles?.(url) ?? true))
      return fetch(url, init);
    const gate = options.gate?.(url) ?? null;
    const kept = await store.load(url).catch(() => null);
    let offset = kept ? kept.chunks.reduce((s, c) => s + c.length, 0) : 0;
    let meta: PartialMeta | null = kept?.meta ?? null;

    /** Requests the bytes from `offset` on; returns the body's reader positioned at `offset`, or the response as is. */
    /** `midStream`: bytes already went to the caller, so anything but the rest of the same file is an error. */
    const request = async (
      midStream = false,
    ): Promise<{ response: Response; reader: ReadableStreamDefaultReader<Uint8Array> | null }> => {
      try {
        await gate?.wait();
      } catch (stop) {
        if (gate?.discard?.()) await store.drop(url).catch(() => {});
        throw stop;
      }
      const h = new Headers(headers);
      // Range alone (no If-Range, which would cost a CORS preflight on another host): the answer's validator and
      // total are checked instead.
      if (offset > 0) h.set('range', `bytes=${offset}-`);
      let response: Response;
      try {
        response = await fetch(url, { ...init, headers: h, signal: gate?.signal() ?? init?.signal });
      } catch (err) {
        // Paused or cancelled before the answer came: fail with the user's reason, not the abort.
        if (!gate?.signal().aborted) throw err;
        return request(midStream);
      }
      if (offset > 0 && response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'), offset);
        const validator = validatorOf(response);
        const same =
          range && range.total === meta?.total && (!meta.validator || !validator || validator === meta.validator);
        if (same) return { response, reader: response.body!.getReader() };
      }
      if (response.status === 416 || (offset > 0 && response.status === 206)) {
        // Not the rest of what is kept (another version, another range): start over.
        await response.body?.cancel();
        await store.drop(url).catch(() => {});
        if (midStream) throw new Error(`${url} changed during its download`);
        offset = 0;
        meta = null;
        kept?.chunks.splice(0);
        return request();
      }
      if (response.status !== 200 || !response.body) {
        if (midStream) throw new Error(`${url} answered HTTP ${response.status} when resumed`);
        return { response, reader: null };
      }
      const total = Number(response.headers.get('content-length'));
      const validator = validatorOf(response);
      if (offset > 0 && (!Number.isFinite(total) || total !== meta?.total || validator !== meta?.validator)) {
        // Another version of the file (or a host that hides its size): the kept bytes do not belong to it.
        await store.drop(url).catch(() => {});
        if (midStream) {
          await response.body.cancel();
          throw new Error(`${url} changed during its download`);
        }
        offset = 0;
        kept?.chunks.splice(0);
      }
      meta = { total: Number.isFinite(total) && total > 0 ? total : 0, validator };
      const reader = response.body.getReader();
      // A full answer to a resumed download: skip the bytes already here.
      let skip = offset;
      while (skip > 0) {
        const { done, value } = await reader.read();
        // Shorter than the bytes already here: not the file they came from.
        if (done) throw new Error(`${url} ended before the ${offset} bytes already downloaded`);
        if (value.length > skip) return { response, reader: prefixed(reader, value.subarray(skip)) };
        skip -= value.length;
      }
      return { response, reader };
    };

    const first = await request();
    if (!first.reader) return first.response;
    let reader = first.reader;
    const head = first.response;
    const total = meta!.total;
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let breaks = 0;
    const save = async () => {
      if (!pendingBytes || !meta) return;
      const bytes = concat(pending, pendingBytes);
      const at = offset - pendingBytes;
      pending = [];
      pendingBytes = 0;
      await store.append(url, at, bytes, meta).catch(() => {});
    };
    // Moved out, not copied: each kept chunk is held once, and let go once handed on.
    const replay = kept ? kept.chunks.splice(0) : [];
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const early = replay.shift();
          if (early) return controller.enqueue(early);
          for (;;) {
            let chunk: ReadableStreamReadResult<Uint8Array>;
            try {
              chunk = await reader.read();
              // A body that ends short of its length is a break, not the file: resume it (or fail), never hand it on.
              if (chunk.done && total > 0 && offset < total) {
                throw new Error(`${url} ended at byte ${offset} of ${total}`);
              }
            } catch (err) {
              await save();
              const paused = gate?.signal().aborted ?? false;
              if (paused || breaks++ < retries) {
                try {
                  const next = await request(true);
                  if (next.reader) {
                    reader = next.reader;
                    continue;
                  }
                } catch (again) {
                  return controller.error(again);
                }
              }
              return controller.error(err);
            }
            if (chunk.done) {
              await store.drop(url).catch(() => {});
              return controller.close();
            }
            offset += chunk.value.length;
            pending.push(chunk.value);
            pendingBytes += chunk.value.length;
            if (pendingBytes >= checkpoint) await save();
            return controller.enqueue(chunk.value);
          }
        },
        async cancel(reason) {
          await save();
          await reader.cancel(reason).catch(() => {});
        },
      },
      // Nothing read ahead: a pause stops at what the caller has taken.
      { highWaterMark: 0 },
    );
    const out = new Headers(head.headers);
    out.delete('content-range');
    if (total > 0) out.set('content-length', String(total));
    return new Response(body, { status: 200, statusText: 'OK', headers: out });
  };
}

function concat(parts: Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A reader that first gives `first`, then the rest of `reader`. */
function prefixed(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  first: Uint8Array,
): ReadableStreamDefaultReader<Uint8Array> {
  let given = false;
  return {
    read: () => (given ? reader.read() : ((given = true), Promise.resolve({ done: false as const, value: first }))),
    cancel: (r?: unknown) => reader.cancel(r),
    releaseLock: () => reader.releaseLock(),
    closed: reader.closed,
  } as ReadableStreamDefaultReader<Uint8Array>;
}

/** Keeps partial downloads in a Cache Storage cache, one entry per part (`?lectern-part=<offset>`) plus a meta entry. */
export function cachePartialStore(cacheName: string): PartialStore {
  const open = () => caches.open(cacheName);
  const metaKey = (url: string) => `${url}${url.includes('?') ? '&' : '?'}lectern-part=meta`;
  const partKey = (url: string, offset: number) => `${url}${url.includes('?') ? '&' : '?'}lectern-part=${offset}`;
  return {
    async load(url) {
      if (typeof caches === 'undefined') return null;
      const cache = await open();
      const metaHit = await cache.match(metaKey(url));
      if (!metaHit) return null;
      const { meta, parts } = (await metaHit.json()) as { meta: PartialMeta; parts: number[] };
      const chunks: Uint8Array[] = [];
      let at = 0;
      for (const offset of parts) {
        const hit = await cache.match(partKey(url, offset));
        // A gap (a part evicted) ends what can be used.
        if (!hit || offset !== at) break;
        const bytes = new Uint8Array(await hit.arrayBuffer());
        chunks.push(bytes);
        at += bytes.length;
      }
      return chunks.length ? { meta, chunks } : null;
    },
    async append(url, offset, bytes, meta) {
      if (typeof caches === 'undefined') return;
      const cache = await open();
      const metaHit = await cache.match(metaKey(url));
      const parts = metaHit ? ((await metaHit.json()) as { parts: number[] }).parts : [];
      await cache.put(partKey(url, offset), new Response(bytes.slice().buffer));
      await cache.put(metaKey(url), new Response(JSON.stringify({ meta, parts: [...parts, offset] })));
    },
    async drop(url) {
      if (typeof caches === 'undefined') return;
      const cache = await open();
      const prefix = `${url}${url.includes('?') ? '&' : '?'}lectern-part=`;
      for (const request of await cache.keys()) if (request.url.startsWith(prefix)) await cache.delete(request);
    },
  };
}
