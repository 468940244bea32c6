// Adapter state: training shows each epoch and ends with the stored adapter, Stop aborts the call and leaves the adapter
// as it was, a failure keeps its own code, the switch and Reset follow the worker, and a search not open yet is quiet.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { AdapterMethods, AdapterProgress, AdapterSummary } from '../../../src/lib/pipelines/adapter';
import type { CallOptions } from '../../../src/lib/rpc';
import { AdapterState } from '../../../src/lib/state/adapter.svelte';

const SUMMARY: AdapterSummary = {
  embedderId: 'emb',
  dims: 4,
  enabled: false,
  heldOut: { before: 0.5, after: 0.5, queries: 2 },
  trainQueries: 8,
  trainPairs: 8,
  sources: { feedback: 10, synthetic: 0 },
  trainedAt: 1,
};

type Handler = (params: unknown, options: CallOptions<AdapterProgress>) => Promise<unknown>;

function state(handlers: Partial<Record<keyof AdapterMethods, Handler>>) {
  const said: string[] = [];
  const calls: string[] = [];
  const s = new AdapterState({
    call: ((method: keyof AdapterMethods, params: unknown, options: CallOptions<AdapterProgress> = {}) => {
      calls.push(method);
      const h = handlers[method];
      return h ? h(params, options) : Promise.reject(new Error(`no ${method}`));
    }) as never,
    info: (text) => said.push(text),
  });
  return { s, said, calls };
}

describe('adapter state', () => {
  it('shows each epoch while training, then the adapter and whether it was kept off', async () => {
    let release!: () => void;
    const { s, said } = state({
      trainAdapter: async (_p, { onProgress }) => {
        onProgress?.({ epoch: 1, epochs: 20, loss: 2, heldOut: 0.5 });
        await new Promise<void>((r) => (release = r));
        return SUMMARY;
      },
    });
    const run = s.train();
    expect(s.training).toBe(true);
    expect(s.progress).toEqual({ epoch: 1, epochs: 20, loss: 2, heldOut: 0.5 });
    release();
    await run;
    expect(s.training).toBe(false);
    expect(s.progress).toBeNull();
    expect(s.adapter).toEqual(SUMMARY);
    expect(said).toEqual([
      'The relevance adapter is trained but kept off: it did not improve your held-out questions.',
    ]);
  });

  it('Stop aborts the training call and leaves the adapter as it was, without an error', async () => {
    const { s, said } = state({
      trainAdapter: (_p, { signal }) =>
        new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new AppError('ABORTED')))),
    });
    s.adapter = SUMMARY;
    const run = s.train();
    s.stop();
    await run;
    expect(s.error).toBeNull();
    expect(s.adapter).toEqual(SUMMARY);
    expect(said).toEqual(['Training stopped; the adapter is as it was.']);
  });

  it('keeps a failure’s own code (too few questions)', async () => {
    const { s } = state({
      trainAdapter: () => Promise.reject(new AppError('ADAPTER_TOO_FEW_QUERIES', undefined, { queries: 3, needed: 8 })),
    });
    await s.train();
    expect(s.error?.code).toBe('ADAPTER_TOO_FEW_QUERIES');
    expect(s.error?.message).toContain('at least 8; there are 3');
  });

  it('the switch and Reset take what the worker says; a search not open yet leaves it quiet', async () => {
    const { s, calls } = state({
      setAdapter: async (p) => ({ ...SUMMARY, enabled: (p as { enabled: boolean }).enabled }),
      resetAdapter: async () => undefined,
      loadAdapter: () => Promise.reject(new AppError('SEARCH_NOT_READY')),
    });
    await s.load();
    expect(s.error).toBeNull();
    await s.setEnabled(true);
    expect(s.adapter?.enabled).toBe(true);
    await s.reset();
    expect(s.adapter).toBeNull();
    expect(calls).toEqual(['loadAdapter', 'setAdapter', 'resetAdapter']);
  });
});
