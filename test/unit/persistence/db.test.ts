// Opening, migrating and yielding the Lectern database to other tabs' upgrades.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import {
  DB_VERSION,
  MIGRATIONS,
  openLecternDB,
  type LecternDB,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { runMigrations } from '../../../src/lib/persistence/migrations';
import { makeDoc, uniqueDbName } from './fixtures';

const open: LecternDatabase[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

describe('openLecternDB', () => {
  it('has one migration per schema version', () => {
    expect(MIGRATIONS).toHaveLength(DB_VERSION);
  });

  it('creates every store and index on an empty database', async () => {
    const db = await openLecternDB(uniqueDbName());
    open.push(db);
    expect(db.version).toBe(DB_VERSION);
    expect([...db.objectStoreNames].sort()).toEqual([
      'adapters',
      'chunks',
      'documents',
      'evalQuestions',
      'evalRuns',
      'feedback',
      'journal',
      'judgments',
      'keywords',
      'ocrPages',
      'pendingFiles',
      'promptStats',
      'settings',
      'snapshot',
      'tokenVectors',
      'vectors',
    ]);
    const v2 = db.transaction(['keywords', 'tokenVectors']);
    expect(v2.objectStore('keywords').keyPath).toBe('chunkId');
    expect(v2.objectStore('keywords').index('byDoc').keyPath).toBe('docId');
    expect(v2.objectStore('tokenVectors').keyPath).toBe('chunkId');
    expect(v2.objectStore('tokenVectors').index('byDoc').keyPath).toBe('docId');
    await v2.done;
    const tx = db.transaction(['documents', 'chunks', 'vectors', 'settings']);
    const documents = tx.objectStore('documents');
    expect(documents.keyPath).toBe('id');
    expect([...documents.indexNames].sort()).toEqual(['byHash', 'byName']);
    expect(documents.index('byHash').keyPath).toBe('hash');
    expect(documents.index('byName').keyPath).toBe('name');
    expect(tx.objectStore('chunks').keyPath).toBe('id');
    expect(tx.objectStore('chunks').index('byDoc').keyPath).toBe('docId');
    expect(tx.objectStore('vectors').keyPath).toBe('chunkId');
    expect(tx.objectStore('vectors').index('byDoc').keyPath).toBe('docId');
    expect(tx.objectStore('settings').keyPath).toBe('key');
    await tx.done;
    const v4 = db.transaction('pendingFiles');
    expect(v4.store.keyPath).toBe('id');
    expect([...v4.store.indexNames]).toEqual(['byTab']);
    expect(v4.store.index('byTab').keyPath).toBe('tabId');
    await v4.done;
    const v5 = db.transaction(['feedback', 'evalQuestions', 'evalRuns', 'promptStats']);
    expect(v5.objectStore('feedback').keyPath).toBe('id');
    expect(v5.objectStore('feedback').index('byAt').keyPath).toBe('at');
    expect(v5.objectStore('evalQuestions').keyPath).toBe('id');
    expect(v5.objectStore('evalQuestions').index('byDoc').keyPath).toBe('docId');
    expect(v5.objectStore('evalRuns').index('byAt').keyPath).toBe('at');
    expect(v5.objectStore('promptStats').keyPath).toBe('key');
    await v5.done;
    const v6 = db.transaction(['adapters', 'judgments']);
    expect(v6.objectStore('adapters').keyPath).toBe('embedderId');
    expect(v6.objectStore('judgments').keyPath).toBe('key');
    expect(v6.objectStore('judgments').index('byDoc').keyPath).toBe('docId');
    await v6.done;
    const v7 = db.transaction('ocrPages');
    expect(v7.store.keyPath).toBe('id');
    expect([...v7.store.indexNames].sort()).toEqual(['byDoc', 'byHash']);
    expect(v7.store.index('byDoc').keyPath).toBe('docId');
    expect(v7.store.index('byHash').keyPath).toBe('hash');
    await v7.done;
  });

  it('reopens an existing database without migrating again', async () => {
    const name = uniqueDbName();
    (await openLecternDB(name)).close();
    const db = await openLecternDB(name);
    open.push(db);
    expect(db.objectStoreNames).toHaveLength(16);
  });

  it('aborts the upgrade when a migration is missing, leaving no half-built version', async () => {
    const name = uniqueDbName();
    const upgrade = openDB<LecternDB>(name, DB_VERSION + 1, {
      upgrade: (db, oldVersion, newVersion, tx) => runMigrations(db, tx, oldVersion, newVersion ?? 0),
    });
    await expect(upgrade).rejects.toBeDefined();
    const db = await openLecternDB(name);
    open.push(db);
    expect(db.version).toBe(DB_VERSION);
  });

  it('closes itself when another tab upgrades, so that upgrade is not blocked', async () => {
    const name = uniqueDbName();
    const onClosed = vi.fn();
    open.push(await openLecternDB(name, { onClosed }));
    const newer = await openDB(name, DB_VERSION + 1);
    expect(newer.version).toBe(DB_VERSION + 1);
    expect(onClosed).toHaveBeenCalledWith('versionchange');
    newer.close();
  });

  it('maps open failures (a newer database on disk) to STORAGE_FAILED', async () => {
    const name = uniqueDbName();
    (await openDB(name, DB_VERSION + 5)).close();
    const err = await openLecternDB(name).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('STORAGE_FAILED');
    expect((err as AppError).details.name).toBe('VersionError');
  });
});

describe('migration v1 → v2', () => {
  it('keeps v1 rows and adds the keyword and token-vector stores', async () => {
    const name = uniqueDbName();
    const v1 = await openDB(name, 1, {
      upgrade: (db, _old, _new, tx) => MIGRATIONS[0]!(db as never, tx as never, 0),
    });
    await v1.put('settings', { key: 'k', value: 42 });
    v1.close();
    const db = await openLecternDB(name);
    open.push(db);
    expect(db.version).toBe(DB_VERSION);
    expect(await db.get('settings', 'k')).toEqual({ key: 'k', value: 42 });
    expect(await db.count('keywords')).toBe(0);
    expect(await db.count('tokenVectors')).toBe(0);
  });
});

describe('migration v2 → v3', () => {
  it('keeps v2 rows and adds an empty journal (auto-increment) and snapshot store', async () => {
    const name = uniqueDbName();
    const v2 = await openDB(name, 2, {
      upgrade: (db, oldVersion, _new, tx) => {
        for (let v = oldVersion; v < 2; v++) MIGRATIONS[v]!(db as never, tx as never, oldVersion);
      },
    });
    await v2.put('keywords', { chunkId: 'd:0', docId: 'd', length: 1, terms: ['t'], freqs: [1] });
    v2.close();
    const db = await openLecternDB(name);
    open.push(db);
    expect(db.version).toBe(DB_VERSION);
    expect(await db.get('keywords', 'd:0')).toMatchObject({ terms: ['t'] });
    expect(await db.count('journal')).toBe(0);
    expect(await db.count('snapshot')).toBe(0);
    expect([await db.add('journal', { docId: 'a' }), await db.add('journal', { docId: 'b' })]).toEqual([1, 2]);
  });
});

describe('migration v3 → v4', () => {
  it("keeps v3 rows, adds the pending-file store, and moves v3's per-tab file names into it as rows without bytes", async () => {
    const name = uniqueDbName();
    const v3 = await openDB(name, 3, {
      upgrade: (db, oldVersion, _new, tx) => {
        for (let v = oldVersion; v < 3; v++) MIGRATIONS[v]!(db as never, tx as never, oldVersion);
      },
    });
    await v3.put('documents', makeDoc('d1'));
    await v3.put('settings', { key: 'settings', value: { chunkTokens: 200 } });
    await v3.put('settings', { key: 'pendingImports:tab-a', value: ['b.pdf', 'a.md'] });
    await v3.put('settings', { key: 'pendingImports:tab-b', value: ['c.txt'] });
    await v3.put('snapshot', {
      key: 'head',
      format: 1,
      gen: 'g',
      seq: 0,
      chunks: 0,
      docs: 0,
      dense: false,
      createdAt: 0,
    });
    await v3.add('journal', { docId: 'd1' });
    v3.close();

    const db = await openLecternDB(name);
    open.push(db);
    expect(db.version).toBe(DB_VERSION);
    expect(await db.get('documents', 'd1')).toEqual(makeDoc('d1'));
    expect(await db.getAll('settings')).toEqual([{ key: 'settings', value: { chunkTokens: 200 } }]);
    expect(await db.count('snapshot')).toBe(1);
    expect(await db.getAll('journal')).toEqual([{ seq: 1, docId: 'd1' }]);
    const moved = await db.getAll('pendingFiles');
    expect(moved.map(({ tabId, seq, name, file }) => ({ tabId, seq, name, file }))).toEqual([
      { tabId: 'tab-a', seq: 0, name: 'b.pdf', file: null },
      { tabId: 'tab-a', seq: 1, name: 'a.md', file: null },
      { tabId: 'tab-b', seq: 0, name: 'c.txt', file: null },
    ]);
    expect(await db.getAllKeysFromIndex('pendingFiles', 'byTab', 'tab-b')).toEqual(['tab-b:0']);
  });
});
