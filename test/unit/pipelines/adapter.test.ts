// The relevance adapter's training data: mined feedback and synthetic questions as rows of the stored vectors, the
// too-few check before any embedding, abort, and which stored adapter searches apply.
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import type { AdapterRecord, EvalQuestionRecord } from '../../../src/lib/persistence';
import {
  activeAdapter,
  assembleAdapterData,
  trainAdapterRecord,
  type AdapterDataPorts,
} from '../../../src/lib/pipelines/adapter';
import { makeFeedback } from '../persistence/fixtures';

const DIMS = 3;
const IDS = ['a:0', 'a:1', 'a:2', 'b:0', 'b:1'];

function question(
  id: string,
  chunkIds: string[],
  origin: EvalQuestionRecord['origin'] = 'synthetic',
): EvalQuestionRecord {
  return { id, text: `What is ${id}?`, docId: chunkIds[0]?.split(':')[0] ?? 'a', chunkIds, origin, createdAt: 1 };
}

function ports(over: Partial<AdapterDataPorts> = {}, embedded: string[][] = []): AdapterDataPorts {
  return {
    feedback: async () => [],
    questions: async () => [],
    vectors: async () => ({
      ids: IDS,
      dims: DIMS,
      data: Float32Array.from({ length: IDS.length * DIMS }, (_, i) =>
        i % DIMS === Math.floor(i / DIMS) % DIMS ? 1 : 0,
      ),
    }),
    embedQueries: async (texts) => {
      embedded.push(texts);
      return Float32Array.from({ length: texts.length * DIMS }, (_, i) => (i % DIMS === 0 ? 1 : 0));
    },
    ...over,
  };
}

const signal = new AbortController().signal;

describe('the adapter training data', () => {
  it('takes mined feedback and synthetic questions as rows of the stored vectors, by where they came from', async () => {
    const feedback = [
      makeFeedback('f1', {
        query: 'Where is b?',
        stages: {
          dense: null,
          keyword: null,
          fused: { ids: ['a:0', 'b:1'], scores: [1, 0.5] },
          reranked: null,
          final: { ids: ['a:0', 'b:1'], scores: [1, 0.5] },
        },
        sources: { 'b:1': 'relevant', 'a:0': 'not-relevant' },
      }),
      // Its only positive has no stored vector (a deleted document): left out.
      makeFeedback('f2', { query: 'Gone?', sources: { 'gone:0': 'relevant' } }),
    ];
    const questions = [
      question('s1', ['a:2']),
      question('s2', ['gone:1', 'b:0']),
      question('u1', ['a:1'], 'user'),
      question('s3', ['gone:2']),
    ];
    const q = [...questions, ...Array.from({ length: 6 }, (_, i) => question(`x${i}`, ['a:1']))];
    const embedded: string[][] = [];
    const { set, sources } = await assembleAdapterData(
      ports({ feedback: async () => feedback, questions: async () => q }, embedded),
      signal,
    );
    expect(sources).toEqual({ feedback: 1, synthetic: 8 });
    expect(set.dims).toBe(DIMS);
    expect(set.docs).toHaveLength(IDS.length * DIMS);
    const byKey = Object.fromEntries(set.examples.map((e) => [e.key, e]));
    expect(byKey['feedback:where is b?']).toMatchObject({ positives: [4], negatives: [0] });
    expect(byKey['synthetic:s1']).toMatchObject({ positives: [2], negatives: [] });
    expect(byKey['synthetic:s2']).toMatchObject({ positives: [3] });
    expect(byKey['synthetic:u1']).toBeUndefined();
    expect(byKey['synthetic:s3']).toBeUndefined();
    // Embedded in batches of 16 at most, in order, one query vector per example.
    expect(embedded.flat()).toEqual(
      set.examples.map((e) => (e.key.startsWith('feedback') ? 'Where is b?' : `What is ${e.key.slice(10)}?`)),
    );
    expect(set.examples.every((e) => e.query.length === DIMS && e.query[0] === 1)).toBe(true);
  });

  it('with fewer than 8 questions says so and embeds nothing', async () => {
    const embedded: string[][] = [];
    const q = Array.from({ length: 7 }, (_, i) => question(`s${i}`, ['a:0']));
    const err = await assembleAdapterData(ports({ questions: async () => q }, embedded), signal).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('ADAPTER_TOO_FEW_QUERIES');
    expect((err as AppError).details).toEqual({ queries: 7, needed: 8 });
    expect(embedded).toEqual([]);
  });

  it('trains a record for the embedder, and stops with ABORTED when aborted mid-training', async () => {
    const q = Array.from({ length: 10 }, (_, i) => question(`s${i}`, [IDS[i % IDS.length]!]));
    const record = await trainAdapterRecord(
      'emb',
      ports({ questions: async () => q }),
      { signal, now: () => 42 },
      { epochs: 2 },
    );
    expect(record).toMatchObject({
      embedderId: 'emb',
      dims: DIMS,
      trainedAt: 42,
      sources: { feedback: 0, synthetic: 10 },
    });
    expect(record.weights).toHaveLength(DIMS * DIMS);
    const controller = new AbortController();
    const err = await trainAdapterRecord(
      'emb',
      ports({ questions: async () => q }),
      { signal: controller.signal, onProgress: () => controller.abort() },
      { epochs: 3 },
    ).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('ABORTED');
  });
});

describe('the adapter searches apply', () => {
  const record: AdapterRecord = {
    embedderId: 'emb',
    dims: 2,
    weights: Float32Array.from([0, 1, 1, 0]),
    enabled: true,
    heldOut: { before: 0, after: 1, queries: 2 },
    trainQueries: 8,
    trainPairs: 8,
    sources: { feedback: 8, synthetic: 0 },
    trainedAt: 1,
  };

  it('is the stored one when it is on and fits the embedder; none when off, absent or of other dimensions', () => {
    expect(activeAdapter(record, 2)?.weights).toBe(record.weights);
    expect(activeAdapter({ ...record, enabled: false }, 2)).toBeNull();
    expect(activeAdapter(null, 2)).toBeNull();
    expect(activeAdapter(record, 3)).toBeNull();
    expect(activeAdapter({ ...record, weights: new Float32Array(3) }, 2)).toBeNull();
  });
});
