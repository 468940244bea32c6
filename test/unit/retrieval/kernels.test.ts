// The committed WebAssembly kernels are exactly what their .wat sources compile to (tools/wasm/build.mjs).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernel, kernelNames } from '../../../tools/wasm/build.mjs';

describe('WebAssembly kernels', () => {
  it('match their sources: after editing a .wat, run node tools/wasm/build.mjs', async () => {
    const names = kernelNames();
    expect(names).toContain('dot-i8');
    for (const name of names) {
      const committed = readFileSync(
        new URL(`../../../src/lib/retrieval/kernels/${name}.wasm.ts`, import.meta.url),
        'utf8',
      );
      expect(committed).toBe(await compileKernel(name));
    }
  });
});
