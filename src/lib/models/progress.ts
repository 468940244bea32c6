// A typed progress union for model loading, modelled on transformers.js's ProgressInfo.
import type { Device, Dtype } from '../config/registry-types';

export type ModelProgress =
  | { status: 'file'; model: string; file: string; loaded: number; total: number }
  | { status: 'file-done'; model: string; file: string }
  | { status: 'compiling'; model: string; device: Device; dtype: Dtype }
  | { status: 'selftest'; model: string }
  | { status: 'ready'; model: string; device: Device; dtype: Dtype };

interface TransformersProgress {
  status: string;
  name?: string;
  file?: string;
  loaded?: number;
  total?: number;
}

/** Adapts transformers.js progress callbacks to ModelProgress. */
export function forwardProgress(model: string, emit: (p: ModelProgress) => void) {
  return (info: TransformersProgress) => {
    if (info.status === 'progress' && info.file) {
      emit({ status: 'file', model, file: info.file, loaded: info.loaded ?? 0, total: info.total ?? 0 });
    } else if (info.status === 'done' && info.file) {
      emit({ status: 'file-done', model, file: info.file });
    }
  };
}
