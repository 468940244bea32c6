// IndexedDB failures become AppErrors: quota -> STORAGE_QUOTA, the rest -> STORAGE_FAILED, with nothing half-written.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  isQuotaError,
  openLecternDB,
  saveDocumentWithChunks,
  setSetting,
  toStorageError,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { makeBatch, uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => {
  vi.restoreAllMocks();
  db.close();
});

async function rowCounts(): Promise<number[]> {
  return [await db.count('documents'), await db.count('chunks'), await db.count('vectors')];
}

describe('toStorageError', () => {
  it('recognizes quota errors by name or legacy code', () => {
    expect(isQuotaError(new DOMException('full', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError({ name: 'NS_ERROR_DOM_QUOTA_REACHED' })).toBe(true);
    expect(isQuotaError(new DOMException('x', 'ConstraintError'))).toBe(false);
    expect(isQuotaError('QuotaExceededError')).toBe(false);
  });

  it('maps quota to STORAGE_QUOTA and anything else to STORAGE_FAILED with the original message', () => {
    const quota = toStorageError(new DOMException('disk full', 'QuotaExceededError'), 'save');
    expect(quota.code).toBe('STORAGE_QUOTA');
    const other = toStorageError(new DOMException('no such store', 'NotFoundError'), 'save');
    expect(other.code).toBe('STORAGE_FAILED');
    expect(other.details).toMatchObject({ operation: 'save', name: 'NotFoundError', cause: 'no such store' });
    expect(toStorageError('weird', 'save').details.cause).toBe('weird');
  });

  it('treats an IDB AbortError as a storage failure, not a user cancel', () => {
    expect(toStorageError(new DOMException('', 'AbortError'), 'save').code).toBe('STORAGE_FAILED');
  });

  it('passes AppErrors through unchanged', () => {
    const original = new AppError('EMBEDDING_DIMS_MISMATCH');
    expect(toStorageError(original, 'load')).toBe(original);
  });
});

describe('quota during a save', () => {
  it('reports STORAGE_QUOTA when a write request fails for quota, and writes nothing', async () => {
    const realAdd = IDBObjectStore.prototype.add;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'add').mockImplementation(function (this: IDBObjectStore, ...args) {
      if (++calls === 3) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return realAdd.apply(this, args);
    });
    const err = await saveDocumentWithChunks(db, ...makeBatch('d1', 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORAGE_QUOTA');
    expect(await rowCounts()).toEqual([0, 0, 0]);
  });

  it('reports STORAGE_QUOTA when the transaction aborts for quota at commit, although requests only saw AbortError', async () => {
    const realPut = IDBObjectStore.prototype.put;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args) {
      const request = realPut.apply(this, args);
      // fake-indexeddb's internal abort-with-error: what a browser does when the commit exceeds quota.
      (this.transaction as unknown as { _abort(name: string): void })._abort('QuotaExceededError');
      return request;
    });
    const err = await saveDocumentWithChunks(db, ...makeBatch('d1', 4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORAGE_QUOTA');
    vi.restoreAllMocks();
    expect(await rowCounts()).toEqual([0, 0, 0]);
  });

  it('maps quota on small writes too', async () => {
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
      throw new DOMException('full', 'QuotaExceededError');
    });
    await expect(setSetting(db, 'k', 1)).rejects.toMatchObject({ code: 'STORAGE_QUOTA' });
  });

  it('maps a closed connection to STORAGE_FAILED', async () => {
    db.close();
    await expect(saveDocumentWithChunks(db, ...makeBatch('d1', 1))).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
