// Deep mode's ports over a real (fake-indexeddb) database: the judgment cache, the pace per model, and what is missing.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openLecternDB, setSetting, type LecternDatabase } from '../../../src/lib/persistence';
import type { GeneratorAccess } from '../../../src/lib/pipelines/ask';
import { deepPaceKey, deepPorts } from '../../../src/lib/state/deep-ports';
import { uniqueDbName } from '../persistence/fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const generator = (judge?: GeneratorAccess['judge']): GeneratorAccess => ({
  contextLength: 2048,
  maxNewTokens: 64,
  generate: async () => ({ text: '', tokens: 0, firstTokenMs: 0, totalMs: 0 }),
  countTokens: async () => 0,
  ...(judge ? { judge } : {}),
});

const judge: GeneratorAccess['judge'] = async () => ({
  reasoning: 'r',
  verdict: { yes: [-1], no: [-2], yesIds: [1], noIds: [2] },
  tokens: 1,
  ms: 5,
});

describe('deep ports', () => {
  it('keeps the pace per model, and reads a stored value that is not a pace as none', async () => {
    const a = deepPorts(db, generator(judge), 'lm-a@main');
    const b = deepPorts(db, generator(judge), 'lm-b@main');
    expect(await a.pace.get()).toBeNull();
    await a.pace.set(700);
    expect(await a.pace.get()).toBe(700);
    expect(await b.pace.get()).toBeNull();
    await setSetting(db, deepPaceKey('lm-b@main'), -3);
    expect(await b.pace.get()).toBeNull();
  });

  it('says WASM when the answer model runs there, for the first run’s estimate', () => {
    expect(deepPorts(db, { ...generator(judge), runsOn: 'wasm/q4' }, 'lm').device).toBe('wasm');
    expect(deepPorts(db, { ...generator(judge), runsOn: 'webgpu/q4f16' }, 'lm').device).toBeUndefined();
  });

  it('reads back the judgments it stores', async () => {
    const ports = deepPorts(db, generator(judge), 'lm');
    const record = {
      key: 'k',
      chunkId: 'd:0',
      docId: 'd',
      model: 'lm',
      prompt: 'relevance-judgment@1',
      probability: 0.7,
      reasoning: 'r',
      at: 1,
    };
    await ports.judgments.put(record);
    expect(await ports.judgments.get('k')).toEqual(record);
  });

  it('fails with its own codes without storage or without a judge', () => {
    expect(() => deepPorts(null, generator(judge), 'lm')).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED' }));
    expect(() => deepPorts(db, generator(), 'lm')).toThrow(expect.objectContaining({ code: 'MODEL_NOT_LOADED' }));
  });
});
