// The registries' per-dtype download sizes: looked up with a fallback, and (fixtures) matching the files on disk.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODEL_SETS } from '../../fixtures/model-sets.mjs';
import { defaultRegistry, dtypeFor, onnxFileFor, sizeFor, validateRegistry } from '../../../src/lib/config/registry';
import type { Dtype, ModelSpec } from '../../../src/lib/config/registry-types';

const reg = defaultRegistry();
const byKey = (key: string) => reg.models.find((m) => (m.key ?? m.id) === key)!;

describe('sizeFor', () => {
  it('gives the size of the dtype each device loads, as the hub publishes it', () => {
    const qwen = byKey('onnx-community/Qwen2.5-0.5B-Instruct');
    expect(sizeFor(qwen, dtypeFor(qwen, 'webgpu', true))).toBe(483);
    expect(sizeFor(qwen, dtypeFor(qwen, 'webgpu', false))).toBe(786);
    expect(sizeFor(qwen, dtypeFor(qwen, 'wasm', true))).toBe(786);
    const bge = byKey('Xenova/bge-small-en-v1.5');
    expect(sizeFor(bge, dtypeFor(bge, 'webgpu', true))).toBe(133);
    expect(sizeFor(bge, dtypeFor(bge, 'wasm', true))).toBe(34);
  });
  it('falls back to sizeMB for a dtype the registry gives no size for', () => {
    const smol = byKey('HuggingFaceTB/SmolLM2-135M-Instruct');
    expect(sizeFor(smol, 'q8')).toBe(smol.sizeMB);
    expect(sizeFor({ ...smol, sizes: undefined }, 'q4f16')).toBe(smol.sizeMB);
  });
  it('rejects sizes that are not positive numbers keyed by a known dtype', () => {
    const raw = JSON.parse(JSON.stringify(reg)) as { models: Record<string, unknown>[] };
    raw.models[0]!.sizes = { fp33: 10 };
    expect(() => validateRegistry(raw)).toThrow(/sizes\.fp33/);
    raw.models[0]!.sizes = { fp32: -1 };
    expect(() => validateRegistry(raw)).toThrow(/sizes/);
    raw.models[0]!.sizes = [1];
    expect(() => validateRegistry(raw)).toThrow(/sizes/);
  });
  it('names the ONNX file of each dtype as transformers.js does', () => {
    expect(onnxFileFor('fp32')).toBe('onnx/model.onnx');
    expect(onnxFileFor('q8')).toBe('onnx/model_quantized.onnx');
    expect(onnxFileFor('q4f16')).toBe('onnx/model_q4f16.onnx');
  });
});

/** The model's ONNX file for the dtype in the first folder of the set that has it; null when not made here. */
function onnxOnDisk(folders: string[], spec: ModelSpec, dtype: Dtype): string | null {
  for (const dir of folders) {
    const file = join(dir, spec.id, onnxFileFor(dtype));
    if (existsSync(file)) return file;
  }
  return null;
}

describe.each(Object.entries(MODEL_SETS))('the %s registry', (_name, set) => {
  const registry = validateRegistry(JSON.parse(readFileSync(set.registry, 'utf8')));
  it('gives a size for every dtype it names', () => {
    for (const m of registry.models) {
      const dtypes = new Set(Object.values(m.dtype));
      for (const d of dtypes) expect(m.sizes?.[d], `${m.id} ${d}`).toBeGreaterThan(0);
    }
  });
  const present = registry.models.flatMap((m) =>
    [...new Set(Object.values(m.dtype))].flatMap((d) => {
      const file = onnxOnDisk(set.models, m, d);
      return file ? [{ m, d, file }] : [];
    }),
  );
  it.runIf(present.length > 0)('matches the ONNX files on disk, within rounding', () => {
    for (const { m, d, file } of present) {
      const mb = statSync(file).size / 1e6;
      const stated = m.sizes![d]!;
      // Whole MB are rounded to the MB, others to a tenth.
      const within = Number.isInteger(stated) ? 0.5 : 0.05;
      expect(
        Math.abs(stated - mb),
        `${m.id} ${d}: ${stated} MB stated, ${mb.toFixed(2)} MB on disk`,
      ).toBeLessThanOrEqual(within);
    }
  });
});
