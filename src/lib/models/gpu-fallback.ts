// WebGPU device loss for one model in its worker: watch the device ONNX Runtime uses, reload on WASM, retry the run.
import { env } from '@huggingface/transformers';
import type { Device, Dtype } from '../config/registry-types';
import { AppError, causeOf } from '../errors';
import { assumedPace, budgets, type Pace } from './budgets';

/** Told to the worker's owner when a model left WebGPU for WASM. */
export interface DeviceMoved {
  kind: 'device-moved';
  model: string;
  device: 'wasm';
  dtype: Dtype;
  reason: string;
}

/**
 * What ONNX Runtime's WebGPU backend and Chromium say when the GPU went away (matched on text: these are plain Errors
 * or strings from the runtime, with no code to check).
 */
const GPU_LOSS =
  /device (is |was )?lost|lost device|GPUDevice|webgpu|mapAsync|instance reference|GPUBuffer|GPU process/i;

/** The text of a failure, including the cause an AppError('MODEL_RUN_FAILED') carries. */
function failureText(err: unknown): string {
  return err instanceof AppError ? `${err.message} ${String(err.details.cause ?? '')}` : causeOf(err);
}

/** The part of a GPUDevice watched here (TypeScript's DOM lib has no WebGPU types). */
interface WatchedDevice {
  lost: Promise<{ reason: string; message: string }>;
  adapterInfo?: { vendor?: string; architecture?: string; description?: string };
}

interface FallbackParams {
  device: Device;
  dtype: Dtype;
  spec: { id: string; dtype: { wasm: Dtype } };
}

/**
 * Keeps one model's load parameters; once it ran on WebGPU, a lost device (its `lost` promise, or a run that fails
 * with a GPU error) reloads it on WASM through `reload` (the model's own LoadOnce load), tells the owner, and `run`
 * retries the failed call there.
 */
export class GpuFallback<P extends FallbackParams> {
  private params: P | null = null;
  private lostReason: string | null = null;
  private generation = 0;
  /** The reload on WASM while it runs. */
  private reloading: Promise<unknown> | null = null;
  /** The speed of the device the model runs on, for its budgets. */
  pace: Pace = assumedPace('wasm');

  constructor(
    private readonly reload: (params: P) => Promise<unknown>,
    private readonly notify: (moved: DeviceMoved) => void,
  ) {}

  /** Call once a load succeeded with the device it actually used. */
  loaded(params: P): void {
    this.params = params;
    const generation = ++this.generation;
    const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
    this.pace = { device: params.device, softwareGpu: false, cores };
    if (params.device !== 'webgpu') return;
    this.pace = assumedPace('webgpu', cores);
    void this.watch(generation, cores);
  }

  private async watch(generation: number, cores: number): Promise<void> {
    let device: WatchedDevice;
    try {
      device = (await env.backends.onnx.webgpu?.device) as unknown as WatchedDevice;
    } catch {
      return;
    }
    if (!device?.lost) return;
    const info = device.adapterInfo;
    const software = /swiftshader|llvmpipe|software/i.test(`${info?.architecture} ${info?.description}`);
    if (this.generation === generation) this.pace = { device: 'webgpu', softwareGpu: software, cores };
    const lost = await device.lost;
    if (this.generation !== generation || lost.reason === 'destroyed') return;
    this.lostReason = `the GPU device was lost (${lost.message || lost.reason})`;
    this.fallBack(this.lostReason).catch(() => {
      // The next call retries the load, and reports its failure to its caller.
    });
  }

  /** Reloads on WASM (concurrent callers share the load) and tells the owner why. */
  fallBack(reason: string): Promise<unknown> {
    const params = this.params;
    if (!params) return Promise.reject(new AppError('MODEL_NOT_LOADED', undefined, { role: 'current' }));
    if (params.device === 'wasm') return this.reload(params);
    const next = { ...params, device: 'wasm', dtype: params.spec.dtype.wasm } as P;
    this.params = next;
    this.generation++;
    this.pace = { ...this.pace, device: 'wasm', softwareGpu: false };
    this.notify({ kind: 'device-moved', model: params.spec.id, device: 'wasm', dtype: next.dtype, reason });
    const reloading = this.reload(next).finally(() => {
      if (this.reloading === reloading) this.reloading = null;
    });
    this.reloading = reloading;
    return reloading;
  }

  /**
   * Runs `fn`; when it fails on WebGPU because the GPU went away, moves the model to WASM and runs it once more.
   * `expect` (the call's HandlerContext.expect) is given a load's budget while the call waits for the reload.
   */
  async run<R>(fn: () => Promise<R>, expect: (ms: number) => void = () => {}): Promise<R> {
    if (this.reloading) expect(budgets.load(assumedPace('wasm')));
    const device = this.params?.device;
    try {
      return await fn();
    } catch (err) {
      const text = failureText(err);
      if (device !== 'webgpu' || (this.lostReason === null && !GPU_LOSS.test(text))) throw err;
      expect(budgets.load(assumedPace('wasm')));
      await this.fallBack(this.lostReason ?? `a run failed on the GPU (${text.trim()})`);
      return fn();
    }
  }
}

/** For handlers whose worker has no owner to tell. */
export const ignoreMoves = (_moved: DeviceMoved): void => {};
