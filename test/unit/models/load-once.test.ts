// LoadOnce: callers with the same key share one load, a new key replaces it, and a failure can be retried.
import { describe, expect, it } from 'vitest';
import { LoadOnce, loadKey } from '../../../src/lib/models/load-once';

const identity = (device: string) => ({
  spec: { id: 'org/model', revision: 'main' },
  device,
  dtype: 'fp32',
  runtime: { modelBaseUrl: '/models/' },
});

describe('LoadOnce', () => {
  it('shares one load per key and starts another for a new key', async () => {
    const once = new LoadOnce<number>();
    let starts = 0;
    const start = () => Promise.resolve(++starts);
    const a = once.get(loadKey(identity('wasm')), start);
    expect(once.get(loadKey(identity('wasm')), start)).toBe(a);
    expect(await a).toBe(1);
    expect(await once.get(loadKey(identity('webgpu')), start)).toBe(2);
    expect(once.current).not.toBe(a);
  });

  it('forgets a failed load so the next call retries', async () => {
    const once = new LoadOnce<string>();
    const failed = once.get('k', () => Promise.reject(new Error('offline')));
    await expect(failed).rejects.toThrow('offline');
    expect(once.current).toBeNull();
    expect(await once.get('k', () => Promise.resolve('ok'))).toBe('ok');
  });

  it('keeps a newer load when an older one fails afterwards', async () => {
    const once = new LoadOnce<string>();
    let fail: (e: Error) => void = () => {};
    const old = once.get('a', () => new Promise<string>((_, reject) => (fail = reject)));
    const newer = once.get('b', () => Promise.resolve('b'));
    fail(new Error('late'));
    await expect(old).rejects.toThrow('late');
    expect(once.current).toBe(newer);
  });
});
