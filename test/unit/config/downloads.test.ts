// The download consent record: what still needs a yes, what a yes covers, and what removing a model takes back.
import { describe, expect, it } from 'vitest';
import {
  agree,
  downloadItem,
  emptyConsent,
  forget,
  needsConsent,
  parseConsent,
  totalMB,
  type DownloadItem,
} from '../../../src/lib/config/downloads';
import { defaultRegistry, modelsFor } from '../../../src/lib/config/registry';

const REGISTRY = 'builtin:default';
const items = (device: 'wasm' | 'webgpu', f16 = false): DownloadItem[] =>
  (['embedder', 'late-interaction', 'generator'] as const).map((role) =>
    downloadItem(modelsFor(defaultRegistry(), role)[0]!, device, f16),
  );

describe('download consent', () => {
  it('gives the default models their size for the device: the answer model is 483 MB on WebGPU with f16, 786 MB on WASM', () => {
    const gpu = items('webgpu', true);
    const wasm = items('wasm');
    expect(gpu.map((i) => [i.dtype, i.sizeMB])).toEqual([
      ['fp32', 133],
      ['fp32', 133],
      ['q4f16', 483],
    ]);
    expect(wasm.map((i) => [i.dtype, i.sizeMB])).toEqual([
      ['q8', 34],
      ['q8', 34],
      ['q4', 786],
    ]);
    expect(totalMB(wasm)).toBe(854);
    expect(totalMB([{ ...wasm[0]!, cached: true }, wasm[1]!])).toBe(34);
  });

  it('asks for every model until agreed, then only for what the yes did not cover (another dtype, registry or model)', () => {
    const wasm = items('wasm');
    expect(needsConsent(emptyConsent(), REGISTRY, wasm)).toHaveLength(3);
    const record = agree(emptyConsent(), REGISTRY, wasm);
    expect(needsConsent(record, REGISTRY, wasm)).toEqual([]);
    expect(needsConsent(record, 'https://example.org/registry.json', wasm)).toHaveLength(3);
    expect(needsConsent(record, REGISTRY, items('webgpu', true)).map((i) => i.dtype)).toEqual([
      'fp32',
      'fp32',
      'q4f16',
    ]);
    // A cached model needs no yes.
    expect(needsConsent(emptyConsent(), REGISTRY, [{ ...wasm[0]!, cached: true }])).toEqual([]);
  });

  it('keeps a yes once however often it is given, and survives a damaged stored record', () => {
    const wasm = items('wasm');
    const twice = agree(agree(emptyConsent(), REGISTRY, wasm), REGISTRY, wasm);
    expect(twice.agreed).toHaveLength(3);
    expect(parseConsent(JSON.stringify(twice))).toEqual(twice);
    expect(parseConsent('{not json')).toEqual(emptyConsent());
    expect(parseConsent(JSON.stringify({ version: 2, agreed: ['x'] }))).toEqual(emptyConsent());
    expect(parseConsent(JSON.stringify({ version: 1, ask: true, agreed: ['a', 3, null] })).agreed).toEqual(['a']);
  });

  it('forgets the yes to a removed model only, in every dtype, so its next download asks again', () => {
    const record = agree(agree(emptyConsent(), REGISTRY, items('wasm')), REGISTRY, items('webgpu', true));
    const generator = items('wasm')[2]!;
    const left = forget(record, generator.id);
    expect(left.agreed).toHaveLength(4);
    expect(left.agreed.some((a) => a.includes(generator.id))).toBe(false);
    expect(needsConsent(left, REGISTRY, items('wasm')).map((i) => i.id)).toEqual([generator.id]);
    expect(forget(record, 'no/such-model').agreed).toEqual(record.agreed);
  });
});
