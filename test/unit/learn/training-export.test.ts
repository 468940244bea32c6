// The training-data export: golden files for pairs, triplets, ColBERT rows and the README, and its plain refusals.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { exportTrainingData, TRAINING_FILES } from '../../../src/lib/pipelines/training-export';
import { makeFeedback } from '../persistence/fixtures';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
// UPDATE_GOLDEN=1 rewrites the golden files instead of comparing (review the diff).
const update = process.env.UPDATE_GOLDEN === '1';

const TEXTS: Record<string, string> = {
  'own:0': 'Each value in Rust has an owner.',
  'own:1': 'There can only be one owner at a time.',
  'own:2': 'When the owner goes out of scope, the value will be dropped.',
  'ref:0': 'A reference is like a pointer: an address we can follow.',
  'ref:1': 'Mutable references have one big restriction: "one at a time".',
  'heap:0': 'The stack stores values in the order it gets them.',
};
const final = (ids: string[]) => ({ ids, scores: ids.map((_, i) => 1 - i / 10) });
const stages = (ids: string[]) => ({
  dense: final(ids),
  keyword: null,
  fused: final(ids),
  reranked: null,
  final: final(ids),
});
const MODELS = [
  { role: 'embedder' as const, id: 'org/embedder', revision: 'e1' },
  { role: 'generator' as const, id: 'org/generator', revision: null },
];

/** Three questions: a thumbs-up answer, one with marks, the first asked again, and one from a deleted document. */
const RECORDS = [
  makeFeedback('t1', {
    at: 1,
    query: 'What is ownership?',
    stages: stages(['heap:0', 'own:0', 'ref:0', 'own:1']),
    cited: ['own:0', 'own:1'],
    thumbs: 'up',
    opened: ['ref:0'],
    models: MODELS,
  }),
  makeFeedback('t2', {
    at: 2,
    query: 'How many mutable references?',
    stages: stages(['ref:0', 'ref:1', 'own:2']),
    sources: { 'ref:1': 'relevant', 'ref:0': 'not-relevant', 'own:2': 'not-relevant' },
    thumbs: 'down',
    reason: 'missed the rule',
    models: MODELS,
  }),
  makeFeedback('t3', {
    at: 3,
    query: 'what is  OWNERSHIP?',
    stages: stages(['own:2', 'own:0']),
    sources: { 'own:2': 'relevant', 'heap:0': 'not-relevant' },
    models: MODELS,
  }),
  makeFeedback('t4', {
    at: 4,
    query: 'Deleted?',
    stages: stages(['gone:0', 'gone:1']),
    sources: { 'gone:0': 'relevant', 'gone:1': 'not-relevant' },
    models: MODELS,
  }),
];

const ports = (records = RECORDS) => ({
  feedback: async () => records,
  texts: async (ids: string[]) => ids.map((id) => TEXTS[id]),
  now: () => new Date('2026-12-03T08:00:00Z'),
});

describe('training-data export', () => {
  it('matches the golden files, in the zip and as text', async () => {
    const out = await exportTrainingData(ports());
    const zipped = unzipSync(new Uint8Array(await out.zip.arrayBuffer()));
    expect(Object.keys(zipped).sort()).toEqual([...TRAINING_FILES].sort());
    for (const name of TRAINING_FILES) {
      const path = join(GOLDEN, name);
      if (update) {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(path, out.files[name]!);
      }
      expect(strFromU8(zipped[name]!), name).toBe(readFileSync(path, 'utf8'));
    }
    expect(out.counts).toEqual({ records: 4, queries: 2, pairs: 4, triplets: 5, colbert: 4, missing: 2 });
  });

  it('every JSONL line is one JSON object with the layout its file names', async () => {
    const { files } = await exportTrainingData(ports());
    const keys = { 'pairs.jsonl': 'query,positive', 'triplets.jsonl': 'query,positive,negative' } as const;
    for (const [name, layout] of Object.entries(keys)) {
      for (const line of files[name]!.trimEnd().split('\n')) expect(Object.keys(JSON.parse(line)).join()).toBe(layout);
    }
    for (const line of files['colbert.jsonl']!.trimEnd().split('\n')) {
      const row = JSON.parse(line) as { negatives: string[] };
      expect(Object.keys(row).join()).toBe('query,positive,negatives');
      expect(row.negatives.length).toBeGreaterThan(0);
    }
  });

  it('says there is nothing to export without feedback, or without a positive', async () => {
    const none = await exportTrainingData(ports([])).catch((e: unknown) => e);
    expect((none as AppError).code).toBe('TRAINING_EXPORT_NO_FEEDBACK');
    const downOnly = await exportTrainingData(
      ports([RECORDS[0]!].map((r) => ({ ...r, thumbs: 'down' as const }))),
    ).catch((e: unknown) => e);
    expect((downOnly as AppError).code).toBe('TRAINING_EXPORT_NO_POSITIVES');
  });
});
