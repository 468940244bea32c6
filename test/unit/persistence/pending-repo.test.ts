// The pending-import rows: batch writes, removal, tabs listed once, a tab's files in its order, and the save that removes one.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  deletePendingFiles,
  getPendingFiles,
  listPendingTabs,
  openLecternDB,
  putPendingFiles,
  saveDocumentWithChunks,
  type LecternDatabase,
  type PendingFileRecord,
} from '../../../src/lib/persistence';
import { makeBatch, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

const row = (tabId: string, seq: number, text = `${tabId}-${seq}`): PendingFileRecord => ({
  ...{ id: `${tabId}:${seq}`, tabId, seq, queuedAt: 1_000, name: `${text}.txt`, type: 'text/plain' },
  ...{ size: text.length, lastModified: 5, file: new Blob([text], { type: 'text/plain' }) },
});

describe('pending files', () => {
  it('stores a batch with its bytes and reads one tab’s files back in queue order', async () => {
    // Written out of order, and with seq 10 after 9 (a string key would put it before 2).
    await putPendingFiles(db, [row('a', 10), row('a', 2), row('b', 0), row('a', 9)]);
    const files = await getPendingFiles(db, 'a');
    expect(files.map((r) => r.seq)).toEqual([2, 9, 10]);
    expect(files.map((r) => r.name)).toEqual(['a-2.txt', 'a-9.txt', 'a-10.txt']);
    expect(await files[0]!.file!.text()).toBe('a-2');
    expect(await getPendingFiles(db, 'nobody')).toEqual([]);
  });

  it('lists each tab with pending files once', async () => {
    await putPendingFiles(db, [row('b', 0), row('a', 0), row('b', 1), row('a', 1)]);
    expect((await listPendingTabs(db)).sort()).toEqual(['a', 'b']);
    await deletePendingFiles(db, ['b:0', 'b:1', 'missing']);
    expect(await listPendingTabs(db)).toEqual(['a']);
  });

  it('writes none of a batch when one row cannot be stored', async () => {
    const bad = Object.assign(row('a', 1), { extra: () => 1 });
    const err = await putPendingFiles(db, [row('a', 0), bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORAGE_FAILED');
    expect(await db.count('pendingFiles')).toBe(0);
  });

  it('keeps a row without bytes (no room for them): the name is still known', async () => {
    await putPendingFiles(db, [{ ...row('a', 0), file: null }]);
    expect(await getPendingFiles(db, 'a')).toMatchObject([{ name: 'a-0.txt', file: null }]);
  });
});

describe('saving the document of a pending file', () => {
  it('removes its row in the same transaction, and keeps it when the save fails', async () => {
    await putPendingFiles(db, [row('t', 0), row('t', 1)]);
    await saveDocumentWithChunks(db, ...makeBatch('d1', 2, 4, { hash: 'h1' }), { pending: 't:0' });
    expect((await getPendingFiles(db, 't')).map((r) => r.id)).toEqual(['t:1']);

    // Same bytes as d1: the save aborts, so the file is still pending (the tab removes it as failed, not the save).
    const err = await saveDocumentWithChunks(db, ...makeBatch('d2', 1, 4, { hash: 'h1' }), { pending: 't:1' }).catch(
      (e: unknown) => e as AppError,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('FILE_DUPLICATE');
    expect((await getPendingFiles(db, 't')).map((r) => r.id)).toEqual(['t:1']);
    expect(await db.get('documents', 'd2')).toBeUndefined();
  });
});
