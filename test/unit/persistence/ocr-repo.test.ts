// Recognised pages (OCR) in storage: saved with their document in its transaction, found by page hash (the cache), gone with the document on delete and replace.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteDocument,
  findOcrPage,
  getOcrPage,
  ocrPictureId,
  openLecternDB,
  saveDocumentWithChunks,
  type LecternDatabase,
  type OcrPageRecord,
} from '../../../src/lib/persistence';
import { makeChunks, makeDoc, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const page = (docId: string, n: number, hash: string): OcrPageRecord => ({
  id: `${docId}#${n}`,
  docId,
  page: n,
  hash,
  width: 1224,
  height: 1584,
  lines: [{ text: 'Chipper 20,843', box: [0.1, 0.4, 0.6, 0.42], baseline: 0.418, height: 0.02, words: [] }],
  image: new Blob(['jpeg']),
});

const save = (docId: string, pages: OcrPageRecord[], replaces?: string) =>
  saveDocumentWithChunks(db, makeDoc(docId, { chunkCount: 1, hash: `file-${docId}` }), makeChunks(docId, 1), [], {
    ocrPages: pages,
    ...(replaces && { replaces }),
  });

describe('recognised pages', () => {
  it('are saved with their document, read by page, and found by page hash', async () => {
    await save('d1', [page('d1', 2, 'h2'), page('d1', 3, 'h3')]);
    expect((await getOcrPage(db, 'd1', 2))?.hash).toBe('h2');
    expect(await getOcrPage(db, 'd1', 1)).toBeUndefined();
    const hit = await findOcrPage(db, 'h3');
    expect(hit).toMatchObject({ docId: 'd1', page: 3, lines: [{ text: 'Chipper 20,843' }] });
    expect(await findOcrPage(db, 'nope')).toBeUndefined();
  });

  it('leave with their document, on delete and on replace', async () => {
    await save('d1', [page('d1', 1, 'h1')]);
    await save('d2', [page('d2', 1, 'h1')], 'd1');
    expect(await getOcrPage(db, 'd1', 1)).toBeUndefined();
    expect((await findOcrPage(db, 'h1'))?.docId).toBe('d2');
    await deleteDocument(db, 'd2');
    expect(await findOcrPage(db, 'h1')).toBeUndefined();
    expect(await db.count('ocrPages')).toBe(0);
  });

  it("refuses a page that is not the document's: nothing of the save is written", async () => {
    await expect(save('d1', [page('d9', 1, 'h1')])).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    await expect(save('d1', [{ ...page('d1', 1, 'h1'), id: 'd1#2' }])).rejects.toMatchObject({
      code: 'STORAGE_FAILED',
    });
    for (const id of ['d1#picture-0', 'd1#picture-', 'd1#picture-1x', 'd10#picture-1'])
      await expect(save('d1', [{ ...page('d1', 1, 'h1'), id }])).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
    expect(await db.count('documents')).toBe(0);
    expect(await db.count('ocrPages')).toBe(0);
  });

  it('pictures of a DOCX, PPTX or EPUB file are stored as the document’s numbered pictures, never as its pages', async () => {
    await save('d1', [
      { ...page('d1', 3, 'hp'), id: ocrPictureId('d1', 1) },
      { ...page('d1', 0, 'hq'), id: ocrPictureId('d1', 2) },
    ]);
    expect((await findOcrPage(db, 'hq'))?.id).toBe('d1#picture-2');
    // The citation view asks for pages: a slide's picture is not its page image.
    expect(await getOcrPage(db, 'd1', 3)).toBeUndefined();
    await deleteDocument(db, 'd1');
    expect(await db.count('ocrPages')).toBe(0);
  });
});
