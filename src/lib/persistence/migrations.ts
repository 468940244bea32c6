// Ordered schema migrations run in `upgrade`; append one entry per new DB_VERSION, never edit old ones.
import type { IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { LecternDB } from './schema';

export type UpgradeTx = IDBPTransaction<LecternDB, StoreNames<LecternDB>[], 'versionchange'>;

/**
 * Moves the schema from version `index` to `index + 1`. Runs synchronously inside the upgrade
 * transaction: issue requests through `tx` only, never await other work, or the transaction ends.
 * `oldVersion` is the version the database was opened at (0 for a fresh one).
 */
export type Migration = (db: IDBPDatabase<LecternDB>, tx: UpgradeTx, oldVersion: number) => void;

/** The settings-key prefix under which v3 kept each tab's unfinished file names. */
const LEGACY_PENDING = 'pendingImports:';
/** A request whose failure aborts the upgrade transaction (and so the open): its own rejection needs no handler. */
const quiet = (request: Promise<unknown>): void => void request.catch(() => {});

/** MIGRATIONS[i] upgrades version i to i + 1, so MIGRATIONS.length is the latest version. */
export const MIGRATIONS: readonly Migration[] = [
  // v1: documents, their chunks and vectors, and key/value settings.
  (db) => {
    const documents = db.createObjectStore('documents', { keyPath: 'id' });
    documents.createIndex('byHash', 'hash');
    documents.createIndex('byName', 'name');
    db.createObjectStore('chunks', { keyPath: 'id' }).createIndex('byDoc', 'docId');
    db.createObjectStore('vectors', { keyPath: 'chunkId' }).createIndex('byDoc', 'docId');
    db.createObjectStore('settings', { keyPath: 'key' });
  },
  // v2: per-chunk keyword counts (BM25) and late-interaction token vectors.
  (db) => {
    db.createObjectStore('keywords', { keyPath: 'chunkId' }).createIndex('byDoc', 'docId');
    db.createObjectStore('tokenVectors', { keyPath: 'chunkId' }).createIndex('byDoc', 'docId');
  },
  // v3: a journal of changed documents and a snapshot of the search indexes, so opening is a few large reads; vectors
  // by embedder, so the start-up check counts one model's rows without reading them.
  (db, tx) => {
    db.createObjectStore('journal', { keyPath: 'seq', autoIncrement: true });
    db.createObjectStore('snapshot', { keyPath: 'key' });
    tx.objectStore('vectors').createIndex('byEmbedder', 'embedderId');
  },
  // v4: the files a tab queued and has not finished, so a later start resumes them. The names v3 kept per tab in
  // settings (`pendingImports:<tab id>`) move over as rows without bytes: the next start still names them.
  (db, tx) => {
    db.createObjectStore('pendingFiles', { keyPath: 'id' }).createIndex('byTab', 'tabId');
    const settings = tx.objectStore('settings');
    const files = tx.objectStore('pendingFiles');
    const legacy = settings.getAll(IDBKeyRange.bound(LEGACY_PENDING, `${LEGACY_PENDING}\uffff`));
    quiet(
      legacy.then((rows) => {
        for (const { key, value } of rows) {
          const tabId = key.slice(LEGACY_PENDING.length);
          const names = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
          names.forEach((name, seq) => {
            const row = { id: `${tabId}:${seq}`, tabId, seq, queuedAt: 0, name, type: '', size: 0, lastModified: 0 };
            quiet(files.put({ ...row, file: null }));
          });
          quiet(settings.delete(key));
        }
      }),
    );
  },
  // v5: the improvement loop, all local: feedback on answers and sources with what the search ranked, the evaluation
  // set (synthetic and user-written questions with their gold passages), evaluation runs, and each prompt version's
  // running figures.
  (db) => {
    db.createObjectStore('feedback', { keyPath: 'id' }).createIndex('byAt', 'at');
    db.createObjectStore('evalQuestions', { keyPath: 'id' }).createIndex('byDoc', 'docId');
    db.createObjectStore('evalRuns', { keyPath: 'id' }).createIndex('byAt', 'at');
    db.createObjectStore('promptStats', { keyPath: 'key' });
  },
  // v6: search that adapts and reasons: the query adapter trained on the user's judgments (one per embedder), and deep
  // mode's relevance judgments, cached per question, passage, model and prompt version and removed with the document.
  (db) => {
    db.createObjectStore('adapters', { keyPath: 'embedderId' });
    db.createObjectStore('judgments', { keyPath: 'key' }).createIndex('byDoc', 'docId');
  },
  // v7: the recognised text of scanned pages (OCR), with each page's image for the citation view; by document (they
  // leave with it) and by page hash (the cache that spares recognising a page again).
  (db) => {
    const pages = db.createObjectStore('ocrPages', { keyPath: 'id' });
    pages.createIndex('byDoc', 'docId');
    pages.createIndex('byHash', 'hash');
  },
];

/** Applies every migration after oldVersion up to newVersion, in order. */
export function runMigrations(
  db: IDBPDatabase<LecternDB>,
  tx: UpgradeTx,
  oldVersion: number,
  newVersion: number,
): void {
  // A failed upgrade already rejects the open; keep the aborted tx.done from also surfacing as unhandled.
  tx.done.catch(() => {});
  for (let version = oldVersion; version < newVersion; version++) {
    const migration = MIGRATIONS[version];
    // Throwing aborts the upgrade, so the database stays at oldVersion.
    if (!migration) throw new Error(`No migration from schema version ${version} to ${version + 1}.`);
    migration(db, tx, oldVersion);
  }
}
