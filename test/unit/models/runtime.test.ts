// Model-load failures classified by what the model host answered (status, no answer, a cut-off body) and the error's
// type, never by message text; checked through transformers.js's own loader against a fake host.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { AppError } from '../../../src/lib/errors';
import { configureRuntime, loadError } from '../../../src/lib/models/runtime';

const BASE = 'https://models.example/';
const MODEL = 'lectern-standin/bert-embedder';
const FILES = new URL(`../../fixtures/models/${MODEL}/`, import.meta.url);
const runtime = { modelBaseUrl: BASE, wasmBaseUrl: 'https://app.example/ort/' };
const original = { fetch: env.fetch, useFSCache: env.useFSCache };

/**
 * How the fake host answers a file of the model: a status, 'offline' (no response), 'cut' (the body breaks) or
 * 'slow' (a body whose one chunk takes 20 ms).
 */
type Answer = number | 'offline' | 'cut' | 'slow';
let host: (file: string) => Answer = () => 200;

async function fakeFetch(input: string | URL): Promise<Response> {
  const url = String(input);
  if (!url.startsWith(BASE)) throw new TypeError('Failed to fetch');
  const file = url.slice(`${BASE}${MODEL}/resolve/main/`.length);
  const answer = host(file);
  if (answer === 'offline') throw new TypeError('Failed to fetch');
  if (answer === 'cut') {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new Uint8Array([123]));
        controller.error(new TypeError('network error'));
      },
    });
    return new Response(body, { status: 200 });
  }
  if (answer === 'slow') {
    const body = new ReadableStream({
      async pull(controller) {
        await new Promise((r) => setTimeout(r, 20));
        controller.enqueue(new Uint8Array([1]));
        controller.close();
      },
    });
    return new Response(body, { status: 200 });
  }
  if (answer !== 200) return new Response('no', { status: answer });
  return new Response(readFileSync(new URL(file, FILES)), { status: 200 });
}

beforeAll(() => {
  env.fetch = fakeFetch;
  env.useFSCache = false;
});
afterAll(() => {
  env.fetch = original.fetch;
  env.useFSCache = original.useFSCache;
});

/** Loads the stand-in's tokenizer from the fake host through transformers.js, as the app's workers do. */
async function loadTokenizer(answer: (file: string) => Answer): Promise<AppError | null> {
  host = answer;
  const mark = configureRuntime(runtime);
  try {
    await AutoTokenizer.from_pretrained(MODEL);
    return null;
  } catch (err) {
    return loadError(err, MODEL, BASE, mark);
  }
}

describe('loadError through the transformers.js loader', () => {
  it('loads when the host has every file', async () => {
    expect(await loadTokenizer(() => 200)).toBeNull();
  });

  it('names the missing file on a 404', async () => {
    const e = await loadTokenizer((f) => (f === 'tokenizer.json' ? 404 : 200));
    expect(e?.code).toBe('MODEL_FILE_MISSING');
    expect(e?.message).toContain(`${BASE}${MODEL}/resolve/main/tokenizer.json (HTTP 404)`);
    expect(e?.details).toMatchObject({ status: 404, model: MODEL });
  });

  it('says the host refused on a 401 (the hub answers 401 for a repository that does not exist)', async () => {
    const e = await loadTokenizer(() => 401);
    expect(e?.code).toBe('MODEL_ACCESS_DENIED');
    expect(e?.message).toContain('HTTP 401');
  });

  it('says the host is unreachable, with the self-hosting hint, when it does not answer', async () => {
    const e = await loadTokenizer(() => 'offline');
    expect(e?.code).toBe('MODEL_HUB_UNREACHABLE');
    expect(e?.message).toMatch(/self-host/);
  });

  it('says the host is unreachable when a download breaks off mid-file', async () => {
    const e = await loadTokenizer((f) => (f === 'tokenizer.json' ? 'cut' : 200));
    expect(e?.code).toBe('MODEL_HUB_UNREACHABLE');
    expect(e?.details).toMatchObject({ url: `${BASE}${MODEL}/resolve/main/tokenizer.json` });
  });

  it('reports another HTTP error on a file the error names with its status', async () => {
    const e = await loadTokenizer((f) => (f === 'tokenizer.json' ? 503 : 200));
    expect(e?.code).toBe('MODEL_HUB_UNREACHABLE');
    expect(e?.message).toContain('HTTP 503');
  });
});

describe('loadError, what it must not blame', () => {
  it("does not blame an optional file's 404 for a failure after the download", async () => {
    host = (f) => (f === 'generation_config.json' ? 404 : 200);
    const mark = configureRuntime(runtime);
    await env.fetch(`${BASE}${MODEL}/resolve/main/generation_config.json`);
    expect(loadError(new Error('protobuf parsing failed'), MODEL, BASE, mark).code).toBe('MODEL_LOAD_FAILED');
  });

  it('ignores requests that are not to the model host (the ORT files) and requests from before the load', async () => {
    const before = configureRuntime(runtime);
    host = () => 'offline';
    await env.fetch(`${BASE}${MODEL}/resolve/main/config.json`).catch(() => {});
    const mark = configureRuntime(runtime);
    await env.fetch('https://app.example/ort/ort-wasm-simd-threaded.asyncify.mjs').catch(() => {});
    expect(loadError(new Error('ERR_ 404 fetch'), MODEL, BASE, mark).code).toBe('MODEL_LOAD_FAILED');
    expect(loadError(new Error('anything'), MODEL, BASE, before).code).toBe('MODEL_HUB_UNREACHABLE');
    // Another model loading in the same worker: its failures are its own.
    const other = configureRuntime(runtime);
    await env.fetch(`${BASE}other/model/resolve/main/config.json`).catch(() => {});
    expect(loadError(new Error('invalid graph'), MODEL, BASE, other).code).toBe('MODEL_LOAD_FAILED');
    const own = new AppError('EMBEDDING_DIMS_MISMATCH');
    expect(loadError(own, MODEL, BASE, mark)).toBe(own);
  });
});

describe('loadError, what transformers.js itself shrugs off', () => {
  const url = `${BASE}${MODEL}/resolve/main/onnx/model.onnx`;

  it('does not blame a failed size check (a one-byte range request) unless it is what the load threw', async () => {
    host = () => 'offline';
    const mark = configureRuntime(runtime);
    const thrown = await env.fetch(url, { headers: { Range: 'bytes=0-0' } }).catch((e: unknown) => e);
    expect(loadError(new Error('invalid graph'), MODEL, BASE, mark).code).toBe('MODEL_LOAD_FAILED');
    // The tokenizer's own check of tokenizer_config.json lets the error through: then it is the cause.
    expect(loadError(thrown, MODEL, BASE, mark).code).toBe('MODEL_HUB_UNREACHABLE');
  });

  it('does not blame a body it cancelled while a chunk was on its way', async () => {
    host = () => 'slow';
    const mark = configureRuntime(runtime);
    const response = (await env.fetch(url)) as Response;
    const reader = response.body!.getReader();
    const pending = reader.read(); // the wrapper is now waiting on the slow source
    await reader.cancel('size known');
    await pending;
    await new Promise((r) => setTimeout(r, 40)); // the slow chunk arrives after the cancel
    expect(loadError(new Error('invalid graph'), MODEL, BASE, mark).code).toBe('MODEL_LOAD_FAILED');
  });
});
