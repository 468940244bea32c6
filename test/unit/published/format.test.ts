// A published model's fingerprint: the registry fields that change its vectors change it; a label, size or license does not.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EmbedderSpec, LateInteractionSpec, Registry } from '../../../src/lib/config/registry-types';
import { modelFingerprint } from '../../../src/lib/published/format';
import { repoRoot } from '../ingest/helpers';

const registry = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/standin/registry.json'), 'utf8')) as Registry;
const embedder = registry.models.find((m) => m.role === 'embedder') as EmbedderSpec;
const late = registry.models.find((m) => m.role === 'late-interaction') as LateInteractionSpec;

describe('modelFingerprint', () => {
  it('is the hex SHA-256 of an embedder’s vector-shaping fields, whatever their order', async () => {
    const fp = await modelFingerprint(embedder);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    const reordered = Object.fromEntries(Object.entries(embedder).reverse()) as unknown as EmbedderSpec;
    expect(await modelFingerprint(reordered)).toBe(fp);
  });

  it('changes with pooling, normalization, a prefix or the token limit of an embedder', async () => {
    const fp = await modelFingerprint(embedder);
    const variants: Partial<EmbedderSpec>[] = [
      { pooling: embedder.pooling === 'mean' ? 'cls' : 'mean' },
      { normalize: !embedder.normalize },
      { queryPrefix: `${embedder.queryPrefix}query: ` },
      { documentPrefix: `${embedder.documentPrefix}passage: ` },
      { maxTokens: embedder.maxTokens + 1 },
      { revision: 'other' },
    ];
    for (const v of variants) expect(await modelFingerprint({ ...embedder, ...v }), JSON.stringify(v)).not.toBe(fp);
  });

  it('does not change with the label, size, license, dtype or instructions flag', async () => {
    const fp = await modelFingerprint(embedder);
    const same = {
      ...embedder,
      label: 'Another name',
      sizeMB: embedder.sizeMB + 100,
      license: 'other',
      dtype: { webgpu: 'fp16', wasm: 'q8' },
      instructions: !embedder.instructions,
      relevanceThreshold: 0.9,
    } satisfies EmbedderSpec;
    expect(await modelFingerprint(same)).toBe(fp);
  });

  it('changes with a late-interaction model’s markers, lengths or projection, not its label or skiplist', async () => {
    expect(late.projection).not.toBeNull();
    const fp = await modelFingerprint(late);
    const variants: Partial<LateInteractionSpec>[] = [
      { queryMarker: '[Q2]' },
      { documentMarker: '[D2]' },
      { queryLength: late.queryLength + 1 },
      { documentLength: late.documentLength + 1 },
      { hiddenSize: late.hiddenSize + 1 },
      { projection: null },
      { projection: { ...late.projection!, tensor: 'other' } },
    ];
    for (const v of variants) expect(await modelFingerprint({ ...late, ...v }), JSON.stringify(v)).not.toBe(fp);
    const same = { ...late, label: 'x', sizeMB: 1, skiplist: [] } satisfies LateInteractionSpec;
    expect(await modelFingerprint(same)).toBe(fp);
    expect(await modelFingerprint({ ...late, projection: { ...late.projection! } })).toBe(fp);
  });
});
