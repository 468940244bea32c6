// The publish cache's key: every input the cached rows depend on, the Lectern version among them, changes it.
import { describe, expect, it } from 'vitest';
import { cacheKey } from '../../../tools/publish/cache';

const BASE = {
  hash: 'a'.repeat(64),
  path: 'guide/notes.md',
  models: '["local files"]',
  chunking: { maxTokens: 256, overlapTokens: 32 },
  version: '0.1.0',
};

describe('cacheKey', () => {
  it('is the same for the same inputs and differs when any of them, the version included, changes', async () => {
    const key = await cacheKey(BASE);
    expect(await cacheKey({ ...BASE })).toBe(key);
    const changed = [
      { ...BASE, version: '0.2.0' },
      { ...BASE, hash: 'b'.repeat(64) },
      { ...BASE, path: 'guide/other.md' },
      { ...BASE, models: '["https://huggingface.co"]' },
      { ...BASE, chunking: { maxTokens: 256, overlapTokens: 0 } },
    ];
    const keys = await Promise.all(changed.map((c) => cacheKey(c)));
    for (const k of keys) expect(k).not.toBe(key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
