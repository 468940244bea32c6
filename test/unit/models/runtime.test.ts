// Model-load failures classified by what the model host answered (status, or no answer), never by message text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { env } from '@huggingface/transformers';
import { AppError } from '../../../src/lib/errors';
import { configureRuntime, loadError } from '../../../src/lib/models/runtime';

const BASE = 'https://models.example/';
const runtime = { modelBaseUrl: BASE, wasmBaseUrl: 'https://app.example/ort/' };
const original = env.fetch;
/** What the fake host does with each request. */
let answer: (url: string) => Promise<Response>;

beforeAll(() => {
  env.fetch = (input: string | URL) => answer(String(input));
});
afterAll(() => {
  env.fetch = original;
});

/** Configures the runtime, makes `requests` through transformers.js's fetch, and returns the load mark. */
async function load(requests: [string, number | 'offline'][]): Promise<{ mark: number; thrown: unknown[] }> {
  const mark = configureRuntime(runtime);
  const thrown: unknown[] = [];
  for (const [file, status] of requests) {
    answer = async () => {
      if (status === 'offline') throw new TypeError('Failed to fetch');
      return new Response('x', { status });
    };
    try {
      await env.fetch(`${BASE}m/resolve/main/${file}`);
    } catch (err) {
      thrown.push(err);
    }
  }
  return { mark, thrown };
}

describe('loadError', () => {
  it('names the missing file when the last request before the failure got a 404', async () => {
    const { mark } = await load([
      ['config.json', 200],
      ['onnx/model_q4f16.onnx', 404],
    ]);
    const e = loadError(new Error('Could not locate file'), 'm', BASE, mark);
    expect(e.code).toBe('MODEL_FILE_MISSING');
    expect(e.message).toContain(`${BASE}m/resolve/main/onnx/model_q4f16.onnx`);
    expect(e.details).toMatchObject({ status: 404, model: 'm' });
  });

  it('does not blame an optional file whose 404 was followed by more downloads', async () => {
    const { mark } = await load([
      ['generation_config.json', 404],
      ['onnx/model.onnx', 200],
    ]);
    expect(loadError(new Error('invalid protobuf'), 'm', BASE, mark).code).toBe('MODEL_LOAD_FAILED');
  });

  it('says the host is unreachable with the self-hosting hint when no response came, whatever the message', async () => {
    const { mark, thrown } = await load([['config.json', 'offline']]);
    for (const err of [thrown[0], new Error('something unrelated')]) {
      const e = loadError(err, 'm', BASE, mark);
      expect(e.code).toBe('MODEL_HUB_UNREACHABLE');
      expect(e.message).toMatch(/self-host/);
    }
  });

  it('reports another HTTP error with its status', async () => {
    const { mark } = await load([['tokenizer.json', 403]]);
    const e = loadError(new Error('Unauthorized access to file'), 'm', BASE, mark);
    expect(e.code).toBe('MODEL_HUB_UNREACHABLE');
    expect(e.message).toContain('HTTP 403');
  });

  it('ignores requests from before this load, and keeps AppErrors as they are', async () => {
    await load([['onnx/model.onnx', 404]]);
    const { mark } = await load([]);
    // A message that the old text matching took for a network failure is not one.
    expect(loadError(new Error('ERR_ 404 fetch'), 'm', BASE, mark).code).toBe('MODEL_LOAD_FAILED');
    const own = new AppError('EMBEDDING_DIMS_MISMATCH');
    expect(loadError(own, 'm', BASE, mark)).toBe(own);
  });
});
