// GPU fallback: a run that fails on WebGPU with a GPU error reloads the model on WASM, says so, and runs again.
import { describe, expect, it } from 'vitest';
import type { Dtype } from '../../../src/lib/config/registry-types';
import { AppError } from '../../../src/lib/errors';
import { assumedPace, budgets } from '../../../src/lib/models/budgets';
import { GpuFallback, type DeviceMoved } from '../../../src/lib/models/gpu-fallback';

type Params = { device: 'webgpu' | 'wasm'; dtype: Dtype; spec: { id: string; dtype: { wasm: Dtype } } };
const onGpu: Params = { device: 'webgpu', dtype: 'fp32', spec: { id: 'fake/model', dtype: { wasm: 'q8' } } };

function fallback(params: Params) {
  const reloads: Params[] = [];
  const moves: DeviceMoved[] = [];
  const gpu = new GpuFallback<Params>(
    async (p) => reloads.push(p),
    (m) => moves.push(m),
  );
  gpu.loaded(params);
  return { gpu, reloads, moves };
}

/** A run that fails the first time with `err`, then succeeds. */
function failingOnce(err: unknown) {
  let calls = 0;
  const run = async () => {
    calls++;
    if (calls === 1) throw err;
    return 'ok';
  };
  return { run, calls: () => calls };
}

describe('GpuFallback', () => {
  it('moves to WASM and retries when a WebGPU run fails with a GPU error', async () => {
    const f = fallback(onGpu);
    const cause = 'Failed to execute mapAsync on GPUBuffer: Device is lost';
    const job = failingOnce(new AppError('MODEL_RUN_FAILED', undefined, { cause }));
    const budgetsSet: number[] = [];
    await expect(f.gpu.run(job.run, (ms) => budgetsSet.push(ms))).resolves.toBe('ok');
    expect(job.calls()).toBe(2);
    // While it waits for the reload, the call has a load's budget rather than a batch's.
    expect(budgetsSet).toEqual([budgets.load(assumedPace('wasm'))]);
    expect(f.reloads).toEqual([{ ...onGpu, device: 'wasm', dtype: 'q8' }]);
    expect(f.moves).toHaveLength(1);
    expect(f.moves[0]).toMatchObject({ kind: 'device-moved', model: 'fake/model', device: 'wasm', dtype: 'q8' });
    expect(f.moves[0]!.reason).toContain('Device is lost');
    expect(f.gpu.pace.device).toBe('wasm');
  });

  it('does not retry a failure that is not the GPU, nor one on WASM', async () => {
    const gpu = fallback(onGpu);
    const notGpu = failingOnce(new AppError('MODEL_OUTPUT_MISSING', undefined, { model: 'm', output: 'x' }));
    await expect(gpu.gpu.run(notGpu.run)).rejects.toMatchObject({ code: 'MODEL_OUTPUT_MISSING' });
    expect(gpu.reloads).toEqual([]);

    const cpu = fallback({ ...onGpu, device: 'wasm', dtype: 'q8' });
    const lost = failingOnce(new Error('GPUDevice lost'));
    await expect(cpu.gpu.run(lost.run)).rejects.toThrow('GPUDevice lost');
    expect(cpu.reloads).toEqual([]);
    expect(cpu.moves).toEqual([]);
  });

  it('runs calls that fail together on one WASM reload, and tells the owner once', async () => {
    const f = fallback(onGpu);
    const a = failingOnce(new Error('WebGPU device was lost'));
    const b = failingOnce(new Error('WebGPU device was lost'));
    await expect(Promise.all([f.gpu.run(a.run), f.gpu.run(b.run)])).resolves.toEqual(['ok', 'ok']);
    expect(f.moves).toHaveLength(1);
    expect(f.reloads.every((p) => p.device === 'wasm')).toBe(true);
  });
});
