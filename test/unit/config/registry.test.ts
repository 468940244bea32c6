import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultRegistry,
  dtypeFor,
  fetchRegistry,
  modelKey,
  pickModel,
  validateRegistry,
} from '../../../src/lib/config/registry';
import { chooseDevice, type Capabilities } from '../../../src/lib/config/capabilities';
import type { Registry } from '../../../src/lib/config/registry-types';
import { AppError } from '../../../src/lib/errors';

const clone = (r: Registry): Registry => JSON.parse(JSON.stringify(r)) as Registry;

describe('default registry', () => {
  const reg = defaultRegistry();
  it('offers at least two choices per role', () => {
    for (const role of ['embedder', 'late-interaction', 'generator'] as const) {
      expect(reg.models.filter((m) => m.role === role).length).toBeGreaterThanOrEqual(2);
    }
  });
  it('defaults to the best published models', () => {
    expect(pickModel(reg, 'embedder').id).toBe('Xenova/bge-small-en-v1.5');
    expect(pickModel(reg, 'late-interaction').id).toBe('answerdotai/answerai-colbert-small-v1');
    expect(pickModel(reg, 'generator').id).toBe('onnx-community/Qwen2.5-0.5B-Instruct');
  });
  it('keeps the ColBERT projection outside the ONNX graph, 384 to 96', () => {
    const colbert = pickModel(reg, 'late-interaction');
    expect(colbert.projection).toEqual({
      file: '1_Dense/model.safetensors',
      tensor: 'linear.weight',
      in: 384,
      out: 96,
    });
  });
  it('never asks SmolLM2 for a q8 file it does not ship', () => {
    const smol = reg.models.find((m) => m.id === 'HuggingFaceTB/SmolLM2-135M-Instruct')!;
    expect(['fp32', 'fp16', 'q4', 'q4f16']).toContain(smol.dtype.wasm);
    expect(['fp32', 'fp16', 'q4', 'q4f16']).toContain(smol.dtype.webgpu);
  });
  it('picks q4f16 on WebGPU only with shader-f16', () => {
    const qwen = pickModel(reg, 'generator');
    expect(dtypeFor(qwen, 'webgpu', true)).toBe('q4f16');
    expect(dtypeFor(qwen, 'webgpu', false)).toBe('q4');
    expect(dtypeFor(qwen, 'wasm', true)).toBe('q4');
  });
  it('falls back to the first model of a role for an unknown key', () => {
    expect(modelKey(pickModel(reg, 'embedder', 'nope/nope'))).toBe('Xenova/bge-small-en-v1.5');
  });
});

describe('validateRegistry', () => {
  const base = defaultRegistry();
  const bad = (mutate: (r: Registry & Record<string, unknown>) => void, message: RegExp) => {
    const r = clone(base) as Registry & Record<string, unknown>;
    mutate(r);
    let err: unknown;
    try {
      validateRegistry(r);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('REGISTRY_INVALID');
    expect((err as AppError).message).toMatch(message);
  };

  it('rejects wrong versions, unknown dtypes, missing roles and oversize dims', () => {
    bad((r) => ((r as { version: number }).version = 2), /version/);
    bad((r) => ((r.models[0]!.dtype as { wasm: string }).wasm = 'q3'), /dtype\.wasm/);
    bad((r) => (r.models = r.models.filter((m) => m.role !== 'generator')), /no generator/);
    bad((r) => ((r.models[0] as { dims: number }).dims = 1024), /768/);
    bad((r) => (r.models[0]!.id = 'no-slash'), /org\/name/);
    bad((r) => r.models.push(clone(base).models[0]!), /two entries/);
    bad((r) => {
      const li = r.models.find((m) => m.role === 'late-interaction') as { projection: { out: number } };
      li.projection.out = 128;
    }, /projection\.out/);
  });

  it('resolves a relative modelBaseUrl against the registry URL', () => {
    const r = clone(base);
    r.modelBaseUrl = 'models/';
    expect(validateRegistry(r, 'http://localhost:4173/standin/registry.json').modelBaseUrl).toBe(
      'http://localhost:4173/standin/models/',
    );
  });

  it('accepts the stand-in registry', () => {
    const raw: unknown = JSON.parse(
      readFileSync(new URL('../../fixtures/standin/registry.json', import.meta.url), 'utf8'),
    );
    const reg = validateRegistry(raw, 'http://localhost/standin/registry.json');
    expect(reg.models.map((m) => m.role).sort()).toEqual(['embedder', 'generator', 'late-interaction']);
  });

  it('accepts the real-model registry, with its calibrated dense threshold', () => {
    const raw: unknown = JSON.parse(
      readFileSync(new URL('../../fixtures/real/registry.json', import.meta.url), 'utf8'),
    );
    const reg = validateRegistry(raw, 'http://localhost/real/registry.json');
    const embedder = reg.models.find((m) => m.role === 'embedder');
    expect(embedder).toMatchObject({ id: 'Xenova/all-MiniLM-L6-v2', relevanceThreshold: 0.3 });
  });
});

describe('chooseDevice', () => {
  const caps = (webgpu: boolean): Capabilities => ({
    webgpu,
    adapterName: webgpu ? 'swiftshader' : null,
    shaderF16: false,
    storageQuotaMB: null,
    storageUsageMB: null,
    persistentStorage: false,
    webgpuNote: webgpu ? 'WebGPU adapter found.' : 'This browser has no WebGPU.',
  });
  it('prefers WebGPU when an adapter exists, and says why', () => {
    expect(chooseDevice(caps(true), 'auto').device).toBe('webgpu');
    const noGpu = chooseDevice(caps(false), 'auto');
    expect(noGpu.device).toBe('wasm');
    expect(noGpu.reason).toMatch(/no WebGPU/);
  });
  it('honours a WASM preference and cannot force missing WebGPU', () => {
    expect(chooseDevice(caps(true), 'wasm').device).toBe('wasm');
    expect(chooseDevice(caps(false), 'webgpu').device).toBe('wasm');
  });
});

describe('fetchRegistry', () => {
  afterEach(() => vi.unstubAllGlobals());
  const url = 'https://models.example/registry.json';

  it('names each cause of a failed load by its own code: a bad address, no answer, an HTTP status, not JSON', async () => {
    await expect(fetchRegistry('http://[::1', 'about:blank')).rejects.toMatchObject({
      code: 'REGISTRY_URL_INVALID',
      message: 'The model registry address "http://[::1" is not a valid URL.',
    });
    vi.stubGlobal('fetch', async () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(fetchRegistry(url, url)).rejects.toMatchObject({ code: 'REGISTRY_UNREACHABLE', details: { url } });
    vi.stubGlobal('fetch', async () => new Response('gone', { status: 404 }));
    await expect(fetchRegistry(url, url)).rejects.toMatchObject({
      code: 'REGISTRY_HTTP_ERROR',
      message: `The model registry could not be loaded from ${url} (HTTP 404).`,
    });
    vi.stubGlobal('fetch', async () => new Response('<html>', { status: 200 }));
    await expect(fetchRegistry(url, url)).rejects.toMatchObject({ code: 'REGISTRY_NOT_JSON' });
    vi.stubGlobal('fetch', async () => new Response('{"version": 2}', { status: 200 }));
    await expect(fetchRegistry(url, url)).rejects.toMatchObject({ code: 'REGISTRY_INVALID' });
  });
});
