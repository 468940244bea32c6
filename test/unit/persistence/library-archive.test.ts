// Library export and import: the zip round-trips every row byte for byte, and a damaged, tampered, truncated or foreign
// file is refused with its own code, nothing written; merge adds only new documents; a failed write leaves no trace;
// feedback and the relevance adapters travel with the library, and an export from before them still imports.
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  DB_VERSION,
  getSetting,
  openLecternDB,
  putAdapter,
  putFeedback,
  readLibraryRows,
  saveDocumentWithChunks,
  setSetting,
  writeLibraryRows,
  findOcrPage,
  type AdapterRecord,
  type LecternDatabase,
  type TokenVectorRecord,
  type VectorRecord,
} from '../../../src/lib/persistence';
import {
  ARCHIVE_SETTINGS,
  exportLibrary,
  importLibrary,
  maxUnzippedBytes,
  type ArchiveManifest,
  type ImportPorts,
} from '../../../src/lib/pipelines/library-archive';
import { makeBatch, makeFeedback, uniqueDbName } from './fixtures';
import type { OcrLine } from '../../../src/lib/ingest/ocr-layout';

const STORES = [
  'documents',
  'chunks',
  'vectors',
  'keywords',
  'tokenVectors',
  'settings',
  'feedback',
  'adapters',
  'ocrPages',
] as const;

let source: LecternDatabase;
let target: LecternDatabase;
beforeEach(async () => {
  source = await openLecternDB(uniqueDbName());
  target = await openLecternDB(uniqueDbName());
});
afterEach(() => {
  source.close();
  target.close();
});

const int8Vector = (chunkId: string, docId: string): VectorRecord => ({
  chunkId,
  docId,
  embedderId: 'emb-a',
  dims: 4,
  data: Int8Array.from([1, -2, 127, -128]).buffer,
  bits: 8,
  scale: 0.0123,
});

const tokenRow = (chunkId: string, docId: string, seed: number): TokenVectorRecord => ({
  chunkId,
  docId,
  modelId: 'late-a',
  tokens: 3,
  dims: 8,
  bits: 6,
  // int6: ceil(3 · 8 · 6 / 8) = 18 bytes; every byte value appears somewhere across rows.
  data: Uint8Array.from({ length: 18 }, (_, i) => (seed * 31 + i * 7) & 0xff).buffer,
  scales: Float32Array.from([0.5, seed, -1e-7]).buffer,
  tokenTexts: ['alpha', 'béta', '"quoted"'],
});

const TURN = {
  question: 'What is a?',
  query: 'What is a?',
  answer: 'A [1].',
  phase: 'done',
  sources: [{ n: 1, docId: 'a', chunkId: 'a:0', text: 'chunk 0 of a' }],
  grounding: [],
  used: [1],
  dropped: [],
  prompt: { name: 'grounded-answer', version: 1 },
};

/** Two documents: float32 and int8 vectors, keyword rows, token vectors; settings, a conversation and a transient row. */
async function fill(db: LecternDatabase): Promise<void> {
  const [a, aChunks, aVectors] = makeBatch('a', 2);
  await saveDocumentWithChunks(db, a, aChunks, aVectors, {
    keywords: aChunks.map((c) => ({ chunkId: c.id, docId: 'a', length: 3, terms: ['x', 'y'], freqs: [1, 2] })),
    tokenVectors: aChunks.map((c, i) => tokenRow(c.id, 'a', i + 1)),
    ocrPages: [PICTURE],
  });
  const [b, bChunks] = makeBatch('b', 1, 4, { kind: 'pdf', pageCount: 3, text: 'B text ✓' });
  await saveDocumentWithChunks(
    db,
    b,
    bChunks,
    bChunks.map((c) => int8Vector(c.id, 'b')),
    { ocrPages: [OCR_PAGE] },
  );
  await setSetting(db, 'settings', { chunkTokens: 200, registryUrl: 'https://elsewhere.example/registry.json' });
  await setSetting(db, 'conversation', [TURN]);
  await setSetting(db, 'conversation-instructions', 'only studies in humans');
  await setSetting(db, 'pendingCurrent:tab-1', 'tab-1:0');
  await putFeedback(db, FEEDBACK);
  await putAdapter(db, ADAPTER);
}

/** Page 2 of document b as recognised (a scanned page): its lines, boxes and JPEG image. */
const OCR_PAGE = {
  id: 'b#2',
  docId: 'b',
  page: 2,
  hash: 'f00d:tesseract eng layout 1',
  width: 1224,
  height: 1584,
  lines: [
    {
      text: 'Chipper 20,843',
      box: [0.1, 0.3, 0.6, 0.33],
      baseline: 0.325,
      height: 0.02,
      words: [{ text: 'Chipper', box: [0.1, 0.3, 0.3, 0.33] }],
    },
  ] as OcrLine[],
  image: new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3])], { type: 'image/jpeg' }),
};

/** Document a's first picture as recognised (a DOCX's, no page): its lines, and no image (a picture's is never shown). */
const PICTURE = {
  ...OCR_PAGE,
  id: 'a#picture-1',
  docId: 'a',
  page: 0,
  hash: 'beef:tesseract eng layout 1',
  image: new Blob([], { type: 'image/jpeg' }),
};

/** A trained relevance adapter (2 × 2 weights, one of them not exactly representable in decimal). */
const ADAPTER: AdapterRecord = {
  embedderId: 'emb-a',
  dims: 2,
  weights: Float32Array.from([1.0625, -0.1, 0.25, 0.9]),
  enabled: true,
  heldOut: { before: 0.5, after: 0.625, queries: 2 },
  trainQueries: 8,
  trainedOn: ['feedback:how far is the beam seen', 'synthetic:q-1'],
  trainPairs: 9,
  sources: { feedback: 6, synthetic: 4 },
  trainedAt: 1_700_000_000_000,
};

/** Feedback on a question, with a thumb, a reason and marks (one on a passage of no document: it stays). */
const FEEDBACK = makeFeedback('turn-1', {
  thumbs: 'up',
  reason: 'clear “answer”',
  cited: ['a:0'],
  sources: { 'a:0': 'relevant', 'gone:3': 'not-relevant' },
  opened: ['a:0'],
  copied: true,
});

const ports = (db: LecternDatabase): ImportPorts => ({
  write: (rows, mode, keys, step) => writeLibraryRows(db, rows, mode, keys, step),
  setting: async (key) => (await db.get('settings', key))?.value,
  schemaVersion: DB_VERSION,
});

async function exported(db: LecternDatabase): Promise<Uint8Array> {
  const { blob } = await exportLibrary({
    read: (keys) => readLibraryRows(db, keys),
    schemaVersion: DB_VERSION,
    appVersion: '9.9.9',
  });
  return new Uint8Array(await blob.arrayBuffer());
}

/** Every row of the exported stores, binary fields as hex (so equality is byte-exact), sorted by key. */
async function dump(db: LecternDatabase): Promise<Record<string, unknown[]>> {
  const hexed = async (v: unknown): Promise<unknown> =>
    v instanceof ArrayBuffer
      ? `hex:${Buffer.from(v).toString('hex')}`
      : v instanceof Blob
        ? `${v.type}:${Buffer.from(await v.arrayBuffer()).toString('hex')}`
        : v;
  const out: Record<string, unknown[]> = {};
  for (const store of STORES) {
    const rows = (await db.getAll(store)) as unknown as Record<string, unknown>[];
    out[store] = await Promise.all(
      rows.map(async (r) =>
        Object.fromEntries(await Promise.all(Object.entries(r).map(async ([k, v]) => [k, await hexed(v)]))),
      ),
    );
  }
  out.settings = (out.settings as Record<string, unknown>[]).filter((r) =>
    (ARCHIVE_SETTINGS as readonly string[]).includes(r.key as string),
  );
  return out;
}

const flip = (bytes: Uint8Array, at: number) => void (bytes[at] = bytes[at]! ^ 1);

/** Unpacks an export, lets `edit` change its entries, and packs it again. */
function repack(bytes: Uint8Array, edit: (files: Record<string, Uint8Array>) => void): Uint8Array {
  const files = unzipSync(bytes);
  edit(files);
  return zipSync(files);
}

/**
 * Rewrites the uncompressed size the central directory declares for every JSON entry but the manifest, leaving the
 * data as it is (fflate sizes its output buffer from it): a zip bomb's shape without its megabytes.
 */
function declareSizes(bytes: Uint8Array, size: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  for (let at = 0; at + 46 <= out.length; at++) {
    if (view.getUint32(at, true) !== 0x02014b50) continue;
    const name = strFromU8(out.subarray(at + 46, at + 46 + view.getUint16(at + 28, true)));
    if (name.endsWith('.json') && name !== 'manifest.json') view.setUint32(at + 24, size, true);
  }
  return out;
}

const editManifest = (files: Record<string, Uint8Array>, edit: (m: ArchiveManifest) => void) => {
  const m = JSON.parse(strFromU8(files['manifest.json']!)) as ArchiveManifest;
  edit(m);
  files['manifest.json'] = strToU8(JSON.stringify(m));
};

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('library export', () => {
  it('writes a manifest with versions, counts and the SHA-256 of every entry', async () => {
    await fill(source);
    const files = unzipSync(await exported(source));
    const manifest = JSON.parse(strFromU8(files['manifest.json']!)) as ArchiveManifest;
    expect(manifest).toMatchObject({
      kind: 'lectern-library',
      format: 1,
      schemaVersion: DB_VERSION,
      appVersion: '9.9.9',
    });
    expect(manifest.counts).toEqual({
      documents: 2,
      chunks: 3,
      vectors: 3,
      keywords: 2,
      tokenVectors: 2,
      settings: 3,
      feedback: 1,
      adapters: 1,
      ocrPages: 2,
    });
    const names = Object.keys(files).filter((n) => n !== 'manifest.json');
    expect(Object.keys(manifest.entries).sort()).toEqual(names.sort());
    for (const name of names) {
      const digest = Buffer.from(
        await crypto.subtle.digest('SHA-256', files[name] as Uint8Array<ArrayBuffer>),
      ).toString('hex');
      expect(manifest.entries[name], name).toEqual({ bytes: files[name]!.length, sha256: digest });
    }
    // Binary fields travel as raw bytes, never as JSON number arrays.
    expect(strFromU8(files['token-vectors.json']!)).not.toMatch(/\[\d+,\d+,\d+/);
    expect(files['token-vectors.bin']!.length).toBe(2 * (18 + 12));
    expect(strFromU8(files['adapters.json']!)).not.toContain('1.0625');
    expect(files['adapters.bin']!.length).toBe(4 * 4);
    // Page images travel as their JPEG bytes.
    expect(files['ocr-pages.bin']).toEqual(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
  });
});

describe('library import', () => {
  it('replace: round-trips every row and settings byte for byte, and journals each document', async () => {
    await fill(source);
    const [old, oldChunks, oldVectors] = makeBatch('old', 1);
    await saveDocumentWithChunks(target, old, oldChunks, oldVectors);
    // An evaluation question about the document the replace removes goes with it, in the import's transaction.
    const q = { text: 'Q?', chunkIds: ['old:0'], origin: 'user' as const, createdAt: 1 };
    await target.put('evalQuestions', { id: 'q-old', docId: 'old', ...q });
    // Deep mode's cached judgments are about passages the replace removes: they are cleared with them.
    const judged = { chunkId: 'old:0', docId: 'old', model: 'lm', prompt: 'relevance-judgment@1', probability: 1 };
    await target.put('judgments', { key: 'j-old', ...judged, reasoning: 'Quotes it.', at: 1 });
    await setSetting(target, 'settings', { registryUrl: 'mine.json', trustedOrigins: ['https://mine.example'] });
    await setSetting(target, 'conversation-instructions', 'mine');
    const seen: number[] = [];
    const out = await importLibrary(await exported(source), 'replace', ports(target), {
      progress: (p) => p.phase === 'writing' && seen.push(p.fraction),
    });
    expect(out).toMatchObject({ added: ['a', 'b'], removed: ['old'], skipped: 0 });
    expect(seen.at(-1)).toBe(1);
    const [want, got] = [await dump(source), await dump(target)];
    // Recognised pages come back marked as imported (never an OCR cache hit), the rest as they were.
    want.ocrPages = want.ocrPages!.map((r) => ({ ...(r as object), hash: `imported:${(r as { hash: string }).hash}` }));
    for (const store of STORES.filter((s) => s !== 'settings')) expect(got[store], store).toEqual(want[store]);
    // Where models come from stays this browser's; the rest of the settings and the conversation come over.
    expect(await getSetting(target, 'settings', {})).toEqual({
      chunkTokens: 200,
      registryUrl: 'mine.json',
      trustedOrigins: ['https://mine.example'],
    });
    expect(await getSetting(target, 'conversation', [])).toEqual([TURN]);
    // The conversation's Instructions field comes with it (not this browser's, which went with its conversation).
    expect(await getSetting(target, 'conversation-instructions', '')).toBe('only studies in humans');
    expect(await target.getAll('feedback')).toEqual([FEEDBACK]);
    expect(await target.count('evalQuestions')).toBe(0);
    expect(await target.count('judgments')).toBe(0);
    const journaled = (await target.getAll('journal')).map((e) => e.docId);
    expect(journaled).toEqual(expect.arrayContaining(['a', 'b', 'old']));
  });

  it('merge: adds only documents new by id and by file hash, and keeps this browser’s settings', async () => {
    await fill(source);
    const [a] = makeBatch('a', 0);
    await saveDocumentWithChunks(target, { ...a, hash: 'other' }, [], []);
    const [twin] = makeBatch('twin', 0, 4, { hash: 'hash-b' });
    await saveDocumentWithChunks(target, twin, [], []);
    await setSetting(target, 'conversation', [{ ...TURN, question: 'kept' }]);
    await setSetting(target, 'conversation-instructions', 'kept too');
    const out = await importLibrary(await exported(source), 'merge', ports(target));
    expect(out).toMatchObject({ added: [], removed: [], skipped: 2 });
    expect(await target.count('chunks')).toBe(0);
    expect(await getSetting(target, 'conversation', [])).toEqual([{ ...TURN, question: 'kept' }]);
    expect(await getSetting(target, 'conversation-instructions', '')).toBe('kept too');
    const fresh = await openLecternDB(uniqueDbName());
    const added = await importLibrary(await exported(source), 'merge', ports(fresh));
    expect(added).toMatchObject({ added: ['a', 'b'], skipped: 0 });
    expect(await fresh.count('tokenVectors')).toBe(2);
    fresh.close();
  });

  it('an export from before feedback (no feedback.json) imports, with no feedback; replace clears this browser’s', async () => {
    await fill(source);
    await putFeedback(target, makeFeedback('mine'));
    const old = repack(await exported(source), (f) => {
      delete f['feedback.json'];
      editManifest(f, (m) => {
        delete (m.counts as Partial<ArchiveManifest['counts']>).feedback;
        delete m.entries['feedback.json'];
      });
    });
    const fresh = await openLecternDB(uniqueDbName());
    expect(await importLibrary(old, 'merge', ports(fresh))).toMatchObject({ added: ['a', 'b'] });
    expect(await fresh.count('feedback')).toBe(0);
    fresh.close();
    await importLibrary(old, 'replace', ports(target));
    expect(await target.count('feedback')).toBe(0);
    expect(await target.count('documents')).toBe(2);
  });

  it('the adapter comes back with its exact weights; an export from before adapters imports with none', async () => {
    await fill(source);
    await importLibrary(await exported(source), 'replace', ports(target));
    const [back] = await target.getAll('adapters');
    expect(back).toEqual(ADAPTER);
    expect(back!.weights).toBeInstanceOf(Float32Array);
    const old = repack(await exported(source), (f) => {
      delete f['adapters.json'];
      delete f['adapters.bin'];
      editManifest(f, (m) => {
        delete (m.counts as Partial<ArchiveManifest['counts']>).adapters;
        delete m.entries['adapters.json'];
        delete m.entries['adapters.bin'];
      });
    });
    const fresh = await openLecternDB(uniqueDbName());
    expect(await importLibrary(old, 'merge', ports(fresh))).toMatchObject({ added: ['a', 'b'] });
    expect(await fresh.count('adapters')).toBe(0);
    fresh.close();
    // Replace puts the export's adapters (none) in place of this browser's.
    await importLibrary(old, 'replace', ports(target));
    expect(await target.count('adapters')).toBe(0);
  });

  it('a scanned page’s recognition comes back with its image; a forged one is refused; an export from before them imports with none', async () => {
    await fill(source);
    await importLibrary(await exported(source), 'replace', ports(target));
    const back = await target.get('ocrPages', 'b#2');
    expect({ ...back, image: undefined }).toEqual({ ...OCR_PAGE, hash: `imported:${OCR_PAGE.hash}`, image: undefined });
    // So the page an export says it read is never taken from the cache for a file of this browser's own.
    expect(await findOcrPage(target, OCR_PAGE.hash)).toBeUndefined();
    // Exported again, it keeps one mark.
    const twice = new Uint8Array(
      await (
        await exportLibrary({
          read: (keys) => readLibraryRows(target, keys),
          schemaVersion: DB_VERSION,
          appVersion: '9.9.9',
        })
      ).blob.arrayBuffer(),
    );
    const third = await openLecternDB(uniqueDbName());
    await importLibrary(twice, 'replace', ports(third));
    expect((await third.get('ocrPages', 'b#2'))!.hash).toBe(`imported:${OCR_PAGE.hash}`);
    expect((await third.get('ocrPages', 'a#picture-1'))!.lines).toEqual(PICTURE.lines);
    third.close();
    expect(back!.image.type).toBe('image/jpeg');
    expect(new Uint8Array(await back!.image.arrayBuffer())).toEqual(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    // Rows are checked before anything is written: a page of a document not in the export, or a box off the page.
    const exported_ = await exported(source);
    const sha256Of = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
    const forge = (edit: (row: Record<string, unknown>) => void) =>
      repack(exported_, (f) => {
        const rows = JSON.parse(strFromU8(f['ocr-pages.json']!)) as Record<string, unknown>[];
        edit(rows[0]!);
        f['ocr-pages.json'] = strToU8(JSON.stringify(rows));
        editManifest(f, (m) => {
          m.entries['ocr-pages.json'] = { bytes: f['ocr-pages.json']!.length, sha256: sha256Of(f['ocr-pages.json']!) };
        });
      });
    const fresh = await openLecternDB(uniqueDbName());
    for (const edit of [
      (r: Record<string, unknown>) => void ((r.docId = 'zz'), (r.id = 'zz#2')),
      (r: Record<string, unknown>) => void (r.id = 'a#2'),
      (r: Record<string, unknown>) => void ((r.lines as { box: number[] }[])[0]!.box = [0, 0, 2, 1]),
      (r: Record<string, unknown>) => void (r.image = [0, 99]),
    ]) {
      expect((await refusal(importLibrary(forge(edit), 'merge', ports(fresh)))).code).toBe('ARCHIVE_INVALID');
    }
    expect(await fresh.count('documents')).toBe(0);
    const old = repack(exported_, (f) => {
      delete f['ocr-pages.json'];
      delete f['ocr-pages.bin'];
      editManifest(f, (m) => {
        delete (m.counts as Partial<ArchiveManifest['counts']>).ocrPages;
        delete m.entries['ocr-pages.json'];
        delete m.entries['ocr-pages.bin'];
      });
    });
    expect(await importLibrary(old, 'merge', ports(fresh))).toMatchObject({ added: ['a', 'b'] });
    expect(await fresh.count('ocrPages')).toBe(0);
    fresh.close();
  });

  it('merge keeps the adapter trained here for an embedder and adds the others', async () => {
    await fill(source);
    await putAdapter(source, { ...ADAPTER, embedderId: 'emb-b', enabled: false });
    const mine = { ...ADAPTER, weights: Float32Array.from([1, 0, 0, 1]) };
    await putAdapter(target, mine);
    await importLibrary(await exported(source), 'merge', ports(target));
    const rows = await target.getAll('adapters');
    expect(rows.map((r) => [r.embedderId, Array.from(r.weights), r.enabled])).toEqual([
      ['emb-a', [1, 0, 0, 1], true],
      ['emb-b', Array.from(ADAPTER.weights), false],
    ]);
  });

  it('refuses an adapter whose weights do not fit its dimensions, writing nothing', async () => {
    await fill(source);
    await putAdapter(source, { ...ADAPTER, embedderId: 'emb-c', dims: 3 });
    const err = await importLibrary(await exported(source), 'replace', ports(target)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('ARCHIVE_INVALID');
    expect((err as AppError).message).toContain('the adapter of emb-c does not have 3×3 finite weights');
    expect(await target.count('documents')).toBe(0);
    expect(await target.count('adapters')).toBe(0);
  });

  it('refuses an adapter whose training keys are not a list of strings', async () => {
    await fill(source);
    await putAdapter(source, { ...ADAPTER, embedderId: 'emb-d', trainedOn: [1, 2] as unknown as string[] });
    const err = await importLibrary(await exported(source), 'replace', ports(target)).catch((e: unknown) => e);
    expect((err as AppError).code).toBe('ARCHIVE_INVALID');
    expect((err as AppError).message).toContain('has no valid "trainedOn"');
    expect(await target.count('adapters')).toBe(0);
  });

  it('refuses an adapter with a weight far past what training makes, writing nothing', async () => {
    await fill(source);
    await putAdapter(source, { ...ADAPTER, embedderId: 'emb-d', weights: Float32Array.from([1, 0, -1e4, 1]) });
    const err = await importLibrary(await exported(source), 'merge', ports(target)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('ARCHIVE_INVALID');
    expect((err as AppError).message).toContain('the adapter of emb-d has a weight beyond ±1000');
    expect(await target.count('documents')).toBe(0);
    expect(await target.count('adapters')).toBe(0);
  });

  it('merge adds the feedback records not here yet and keeps those here as they are', async () => {
    await fill(source);
    await putFeedback(source, makeFeedback('turn-2', { thumbs: 'down' }));
    const mine = { ...FEEDBACK, reason: 'my own reason' };
    await putFeedback(target, mine);
    await importLibrary(await exported(source), 'merge', ports(target));
    const rows = await target.getAll('feedback');
    expect(rows.map((r) => [r.id, r.reason, r.thumbs])).toEqual([
      ['turn-1', 'my own reason', 'up'],
      ['turn-2', '', 'down'],
    ]);
  });

  it('a write that fails part-way leaves the library exactly as it was', async () => {
    await fill(source);
    // A stored chunk with an id the export also uses, under another document: the add conflicts.
    const [other, , vectors] = makeBatch('other', 1);
    const clash = { ...makeBatch('a', 1)[1][0]!, docId: 'other' };
    await saveDocumentWithChunks(target, other, [clash], [{ ...vectors[0]!, chunkId: clash.id }]);
    const before = await dump(target);
    const err = await refusal(importLibrary(await exported(source), 'merge', ports(target)));
    expect(err.code).toBe('STORAGE_FAILED');
    expect(await dump(target)).toEqual(before);
    expect(await target.count('journal')).toBe(1);
  });

  describe('refuses a file that is not a sound export, writing nothing', () => {
    const cases: [string, (bytes: Uint8Array) => Uint8Array, string][] = [
      ['truncated', (b) => b.slice(0, Math.floor(b.length * 0.6)), 'ARCHIVE_DAMAGED'],
      ['not a zip', () => strToU8('hello'), 'ARCHIVE_DAMAGED'],
      ['a changed byte in the vectors', (b) => repack(b, (f) => flip(f['vectors.bin']!, 3)), 'ARCHIVE_TAMPERED'],
      [
        'an edited document',
        (b) =>
          repack(b, (f) => {
            f['documents.json'] = strToU8(strFromU8(f['documents.json']!).replace('B text', 'C text'));
          }),
        'ARCHIVE_TAMPERED',
      ],
      ['another format version', (b) => repack(b, (f) => editManifest(f, (m) => (m.format = 2))), 'ARCHIVE_VERSION'],
      [
        'a newer storage version',
        (b) => repack(b, (f) => editManifest(f, (m) => (m.schemaVersion = DB_VERSION + 1))),
        'ARCHIVE_SCHEMA_NEWER',
      ],
      ['no manifest', (b) => repack(b, (f) => delete f['manifest.json']), 'ARCHIVE_DAMAGED'],
      ['a wrong count', (b) => repack(b, (f) => editManifest(f, (m) => (m.counts.chunks = 9))), 'ARCHIVE_INVALID'],
      [
        'a feedback count without its entry',
        (b) =>
          repack(b, (f) => {
            delete f['feedback.json'];
            editManifest(f, (m) => delete m.entries['feedback.json']);
          }),
        'ARCHIVE_INVALID',
      ],
      // Six entries of 40 MiB each: every one under the per-entry cap, together far past the budget of a small file.
      [
        'entries that declare too many bytes in all (a zip bomb)',
        (b) => declareSizes(b, 40 * 2 ** 20),
        'ARCHIVE_DAMAGED',
      ],
    ];
    for (const [what, damage, code] of cases) {
      it(what, async () => {
        await fill(source);
        await fill(target);
        const before = await dump(target);
        const journal = await target.count('journal');
        const err = await refusal(importLibrary(damage(await exported(source)), 'replace', ports(target)));
        expect(err.code).toBe(code);
        expect(err.message).toMatch(/Nothing was imported\.$/);
        expect(await dump(target)).toEqual(before);
        expect(await target.count('journal')).toBe(journal);
      });
    }

    it('allows a small file 64 MiB uncompressed in all, a larger one 64 times its size, and none over 4 GiB', () => {
      expect(maxUnzippedBytes(3_000)).toBe(64 * 2 ** 20);
      expect(maxUnzippedBytes(10 * 2 ** 20)).toBe(640 * 2 ** 20);
      expect(maxUnzippedBytes(2 ** 30)).toBe(4 * 2 ** 30);
    });

    it('rows that break the library’s invariants (a document without its passages)', async () => {
      await fill(source);
      const files = unzipSync(await exported(source));
      const chunks = JSON.parse(strFromU8(files['chunks.json']!)) as unknown[];
      files['chunks.json'] = strToU8(JSON.stringify(chunks.slice(1)));
      // The count and the checksum agree with the edit: a hand-made file that hashes right still fails the row checks.
      const sha256 = Buffer.from(
        await crypto.subtle.digest('SHA-256', files['chunks.json'] as Uint8Array<ArrayBuffer>),
      ).toString('hex');
      editManifest(files, (m) => {
        m.counts.chunks -= 1;
        m.entries['chunks.json'] = { bytes: files['chunks.json']!.length, sha256 };
      });
      const signed = zipSync(files);
      const err = await refusal(importLibrary(signed, 'replace', ports(target)));
      expect(err.code).toBe('ARCHIVE_INVALID');
      expect(await target.count('documents')).toBe(0);
    });

    it('a feedback record of the wrong shape, even with a checksum that agrees', async () => {
      await fill(source);
      const files = unzipSync(await exported(source));
      const rows = JSON.parse(strFromU8(files['feedback.json']!)) as Record<string, unknown>[];
      files['feedback.json'] = strToU8(JSON.stringify([{ ...rows[0], sources: { 'a:0': 'maybe' } }]));
      const sha256 = Buffer.from(
        await crypto.subtle.digest('SHA-256', files['feedback.json'] as Uint8Array<ArrayBuffer>),
      ).toString('hex');
      editManifest(files, (m) => (m.entries['feedback.json'] = { bytes: files['feedback.json']!.length, sha256 }));
      const err = await refusal(importLibrary(zipSync(files), 'replace', ports(target)));
      expect(err.code).toBe('ARCHIVE_INVALID');
      expect(err.message).toContain('feedback row 0 has no valid "sources"');
      expect(await target.count('feedback')).toBe(0);
    });
  });
});
