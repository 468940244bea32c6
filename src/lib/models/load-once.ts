// Load-once memo shared by the model classes: concurrent callers share one load; a failed load can be retried.

/** What identifies a loaded model: the same key means the same weights on the same device. */
export interface LoadIdentity {
  spec: { id: string; revision: string };
  device: string;
  dtype: string;
  runtime: { modelBaseUrl: string };
}

export function loadKey(p: LoadIdentity): string {
  return `${p.spec.id}|${p.spec.revision}|${p.device}|${p.dtype}|${p.runtime.modelBaseUrl}`;
}

export class LoadOnce<T> {
  private loading: Promise<T> | null = null;
  private key = '';

  /** The latest load, or null before the first and after a failure. */
  get current(): Promise<T> | null {
    return this.loading;
  }

  /** The current load when `key` matches it, else a new one from `start` (which replaces the old). */
  get(key: string, start: () => Promise<T>): Promise<T> {
    if (this.loading && this.key === key) return this.loading;
    const loading = start();
    this.key = key;
    this.loading = loading;
    // Forget a failure so the next call retries, unless another load has replaced this one meanwhile.
    loading.catch(() => {
      if (this.loading === loading) this.loading = null;
    });
    return loading;
  }
}
