// Opens the Lectern IndexedDB database, running migrations and yielding to upgrades from other tabs.
import { openDB, type IDBPDatabase } from 'idb';
import { MIGRATIONS, runMigrations } from './migrations';
import { DB_NAME, DB_VERSION, type LecternDB } from './schema';
import { guardStorage } from './storage-errors';

export type LecternDatabase = IDBPDatabase<LecternDB>;

export interface OpenHooks {
  /** Another tab holds an older version open; the open waits until it closes. */
  onBlocked?: () => void;
  /** This connection was closed: another tab upgrades/deletes the DB, or the browser dropped it. Reload to continue. */
  onClosed?: (reason: 'versionchange' | 'terminated') => void;
}

export async function openLecternDB(name: string = DB_NAME, hooks: OpenHooks = {}): Promise<LecternDatabase> {
  return guardStorage('open', () => {
    if (MIGRATIONS.length !== DB_VERSION) {
      throw new Error(`DB_VERSION is ${DB_VERSION} but ${MIGRATIONS.length} migrations are defined.`);
    }
    return openDB<LecternDB>(name, DB_VERSION, {
      upgrade(db, oldVersion, newVersion, tx) {
        runMigrations(db, tx, oldVersion, newVersion ?? DB_VERSION);
      },
      blocked() {
        hooks.onBlocked?.();
      },
      blocking(_current, _blocked, event) {
        // Close so the other tab's upgrade can proceed instead of hanging on us.
        (event.target as IDBDatabase).close();
        hooks.onClosed?.('versionchange');
      },
      terminated() {
        hooks.onClosed?.('terminated');
      },
    });
  });
}
