import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  forEachKeywordRow,
  getTokenVectors,
  openLecternDB,
  saveDocumentWithChunks,
  type KeywordRecord,
  type LecternDatabase,
  type TokenVectorRecord,
} from '../../../src/lib/persistence';
import { AppError } from '../../../src/lib/errors';
import { makeChunks, makeDoc, uniqueDbName } from './fixtures';

const open: LecternDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

async function db(): Promise<LecternDatabase> {
  const d = await openLecternDB(uniqueDbName());
  open.push(d);
  return d;
}

const keywords = (docId: string, n: number): KeywordRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    chunkId: `${docId}:${i}`,
    docId,
    length: 2,
    terms: ['a', 'b'],
    freqs: [1, 1],
  }));
const tokens = (docId: string, n: number): TokenVectorRecord[] =>
  Array.from({ length: n }, (_, i) => ({
    chunkId: `${docId}:${i}`,
    docId,
    modelId: 'colbert',
    tokens: 2,
    dims: 4,
    data: new Int8Array([1, 2, 3, 4, 5, 6, 7, 8]).buffer,
    scales: new Float32Array([0.1, 0.2]).buffer,
    tokenTexts: ['hello', 'world'],
  }));

describe('derived rows (keywords, token vectors)', () => {
  it('are saved with the document and removed with it, in the same transactions', async () => {
    const d = await db();
    await saveDocumentWithChunks(d, makeDoc('a', { chunkCount: 2 }), makeChunks('a', 2), [], {
      keywords: keywords('a', 2),
      tokenVectors: tokens('a', 2),
    });
    await saveDocumentWithChunks(d, makeDoc('b', { chunkCount: 1 }), makeChunks('b', 1), [], {
      keywords: keywords('b', 1),
    });
    const seen: string[] = [];
    expect(await forEachKeywordRow(d, (r) => seen.push(r.chunkId))).toBe(3);
    expect(seen.sort()).toEqual(['a:0', 'a:1', 'b:0']);
    const [t0, missing] = await getTokenVectors(d, ['a:1', 'b:0']);
    expect(t0?.tokenTexts).toEqual(['hello', 'world']);
    expect(Array.from(new Int8Array(t0!.data))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(missing).toBeUndefined();

    await deleteDocument(d, 'a');
    expect(await d.count('keywords')).toBe(1);
    expect(await d.count('tokenVectors')).toBe(0);
  });

  it("take deep mode's judgments of the document's passages with them, on delete and on replace", async () => {
    const d = await db();
    await saveDocumentWithChunks(d, makeDoc('a', { chunkCount: 1 }), makeChunks('a', 1), []);
    await saveDocumentWithChunks(d, makeDoc('b', { chunkCount: 1 }), makeChunks('b', 1), []);
    const judgment = (docId: string, key: string) => ({
      key,
      chunkId: `${docId}:0`,
      docId,
      model: 'lm',
      prompt: 'relevance-judgment@1',
      probability: 0.8,
      reasoning: 'It quotes the passage.',
      at: 1,
    });
    await d.put('judgments', judgment('a', 'k1'));
    await d.put('judgments', judgment('b', 'k2'));
    await deleteDocument(d, 'a');
    expect(await d.getAllKeys('judgments')).toEqual(['k2']);
    // Saving a document again under its id replaces its passages: judgments of the old ones go.
    await saveDocumentWithChunks(d, makeDoc('b', { chunkCount: 1, hash: 'other' }), makeChunks('b', 1), []);
    expect(await d.count('judgments')).toBe(0);
  });

  it('reject rows that belong to another document, writing nothing', async () => {
    const d = await db();
    const err = await saveDocumentWithChunks(d, makeDoc('a', { chunkCount: 1 }), makeChunks('a', 1), [], {
      keywords: keywords('b', 1),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORAGE_FAILED');
    expect(await d.count('documents')).toBe(0);
    expect(await d.count('chunks')).toBe(0);
  });

  it('abort together with the document when a derived write fails', async () => {
    const d = await db();
    const dup = [...keywords('a', 1), ...keywords('a', 1)];
    await expect(
      saveDocumentWithChunks(d, makeDoc('a', { chunkCount: 1 }), makeChunks('a', 1), [], { keywords: dup }),
    ).rejects.toBeInstanceOf(AppError);
    expect(await d.count('documents')).toBe(0);
    expect(await d.count('keywords')).toBe(0);
  });
});

describe('replacing a document', () => {
  it('swaps the old version for the new one in one transaction', async () => {
    const d = await db();
    await saveDocumentWithChunks(d, makeDoc('old', { chunkCount: 2 }), makeChunks('old', 2), [], {
      keywords: keywords('old', 2),
    });
    await saveDocumentWithChunks(d, makeDoc('new', { chunkCount: 1 }), makeChunks('new', 1), [], {
      keywords: keywords('new', 1),
      replaces: 'old',
    });
    expect(await d.getAllKeys('documents')).toEqual(['new']);
    expect(await d.getAllKeys('chunks')).toEqual(['new:0']);
    expect(await d.getAllKeys('keywords')).toEqual(['new:0']);
  });

  it('keeps the old version when saving the new one fails', async () => {
    const d = await db();
    await saveDocumentWithChunks(d, makeDoc('old', { chunkCount: 1 }), makeChunks('old', 1), []);
    const dup = [...makeChunks('new', 1), ...makeChunks('new', 1)];
    await expect(
      saveDocumentWithChunks(d, makeDoc('new', { chunkCount: 2 }), dup, [], { replaces: 'old' }),
    ).rejects.toBeInstanceOf(AppError);
    expect(await d.getAllKeys('documents')).toEqual(['old']);
    expect(await d.getAllKeys('chunks')).toEqual(['old:0']);
  });
});
