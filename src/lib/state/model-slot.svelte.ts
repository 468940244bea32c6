// Reactive loading state of one model: per-file download progress, totals, device and errors.
import type { ModelProgress } from '../models/progress';
import { toAppError, type AppError } from '../errors';
import type { Device, Dtype } from '../config/registry-types';

export type SlotStatus = 'idle' | 'loading' | 'paused' | 'ready' | 'error';

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
  done: boolean;
}

export class ModelSlot {
  status = $state<SlotStatus>('idle');
  stage = $state('');
  files = $state<FileProgress[]>([]);
  device = $state<Device | null>(null);
  dtype = $state<Dtype | null>(null);
  error = $state<AppError | null>(null);
  modelId = $state('');
  /** Why the model runs where it does, when that changed after it loaded (a lost GPU). */
  note = $state('');
  /** Pauses (keep: true) or cancels the download under way; set while one runs (see ModelsState). */
  stop = $state<((keep: boolean) => Promise<void>) | null>(null);

  loaded = $derived(this.files.reduce((s, f) => s + f.loaded, 0));
  total = $derived(this.files.reduce((s, f) => s + f.total, 0));
  fraction = $derived(this.total > 0 ? this.loaded / this.total : 0);

  constructor(readonly label: string) {}

  start(modelId: string): void {
    this.modelId = modelId;
    this.status = 'loading';
    this.stage = 'Downloading';
    this.error = null;
    this.files = [];
  }

  onProgress = (p: ModelProgress): void => {
    if (p.status === 'file' || p.status === 'file-done') {
      const existing = this.files.find((f) => f.file === p.file);
      const next: FileProgress =
        p.status === 'file'
          ? { file: p.file, loaded: p.loaded, total: p.total, done: existing?.done ?? false }
          : { file: p.file, loaded: existing?.total ?? 0, total: existing?.total ?? 0, done: true };
      this.files = existing ? this.files.map((f) => (f.file === p.file ? next : f)) : [...this.files, next];
    } else if (p.status === 'compiling') {
      this.stage = `Preparing on ${p.device}`;
    } else if (p.status === 'selftest') {
      this.stage = 'Checking WebGPU numbers against WASM';
    } else if (p.status === 'ready') {
      this.stage = 'Ready';
    }
  };

  /**
   * Runs one load of this slot's model: loading while `run` goes (it gets the progress handler), then ready on the
   * device and dtype it reports, or failed with the error it threw (as an AppError, rethrown).
   */
  async load<R extends { device: Device; dtype: Dtype }>(
    modelId: string,
    run: (onProgress: (p: ModelProgress) => void) => Promise<R>,
    stop: ((keep: boolean) => Promise<void>) | null = null,
  ): Promise<R> {
    this.start(modelId);
    this.stop = stop;
    try {
      const result = await run(this.onProgress);
      this.ready(result.device, result.dtype);
      return result;
    } catch (err) {
      const e = toAppError(err, 'MODEL_LOAD_FAILED');
      this.fail(e);
      throw e;
    } finally {
      this.stop = null;
    }
  }

  ready(device: Device, dtype: Dtype): void {
    this.status = 'ready';
    this.device = device;
    this.dtype = dtype;
    this.stage = 'Ready';
  }

  /** The model reloaded on another device (its GPU was lost), and why. */
  moved(device: Device, dtype: Dtype, reason: string): void {
    this.ready(device, dtype);
    this.note = `Moved to ${device}: ${reason}.`;
  }

  fail(err: AppError): void {
    // A pause is not a failure: the bytes so far are kept, and loading again continues from there.
    this.status = err.code === 'MODEL_DOWNLOAD_PAUSED' ? 'paused' : 'error';
    this.error = err;
    this.stage = '';
  }
}
