// Typed key/value settings: reads fall back to a default when a key is unset or holds the wrong shape.
import type { LecternDatabase } from './db';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Accepts a stored value as a T; values rejected (e.g. left by an older version) read as the default. */
export type SettingGuard<T> = (value: unknown) => value is T;

/**
 * The stored value for key, or a copy of defaultValue when unset or invalid. Without `validate`,
 * the stored value must have the default's `typeof` (a null default accepts anything).
 */
export async function getSetting<T>(
  db: LecternDatabase,
  key: string,
  defaultValue: T,
  validate: SettingGuard<T> = sameTypeAs(defaultValue),
): Promise<T> {
  const row = await guardStorage('getSetting', () => db.get('settings', key));
  if (row !== undefined && validate(row.value)) return row.value;
  // A copy, so callers mutating the result cannot change a shared default.
  return structuredClone(defaultValue);
}

/** Stores value (must be structured-cloneable, e.g. a $state.snapshot, not a proxy). */
export async function setSetting<T>(db: LecternDatabase, key: string, value: T): Promise<void> {
  await guardStorage('setSetting', () => {
    const tx = db.transaction('settings', 'readwrite');
    return runInTransaction(tx, 'setSetting', (track) => track(tx.store.put({ key, value })));
  });
}

/**
 * Read-modify-write of one setting in one transaction, so two tabs never both read the same value (a counter
 * handed out once each). `change` gets the stored value (or a copy of the default) and returns the value to store
 * and what to return.
 */
export async function updateSetting<T, R>(
  db: LecternDatabase,
  key: string,
  defaultValue: T,
  change: (current: T) => { value: T; result: R },
  validate: SettingGuard<T> = sameTypeAs(defaultValue),
): Promise<R> {
  return guardStorage('updateSetting', () => {
    const tx = db.transaction('settings', 'readwrite');
    return runInTransaction(tx, 'updateSetting', async (track) => {
      const row = await tx.store.get(key);
      const current = row !== undefined && validate(row.value) ? row.value : structuredClone(defaultValue);
      const { value, result } = change(current);
      track(tx.store.put({ key, value }));
      return result;
    });
  });
}

/** Keys of the settings rows that start with prefix. */
export async function listSettingKeys(db: LecternDatabase, prefix: string): Promise<string[]> {
  return guardStorage('listSettingKeys', () => db.getAllKeys('settings', IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
}

/** Forgets the stored value so the default applies again. */
export async function deleteSetting(db: LecternDatabase, key: string): Promise<void> {
  await guardStorage('deleteSetting', () => {
    const tx = db.transaction('settings', 'readwrite');
    return runInTransaction(tx, 'deleteSetting', (track) => track(tx.store.delete(key)));
  });
}

function sameTypeAs<T>(defaultValue: T): SettingGuard<T> {
  if (defaultValue === null) return (_value: unknown): _value is T => true;
  const type = typeof defaultValue;
  return (value: unknown): value is T => typeof value === type && value !== null;
}
