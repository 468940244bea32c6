// Typed settings with defaults.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteSetting,
  getSetting,
  openLecternDB,
  setSetting,
  type LecternDatabase,
} from '../../../src/lib/persistence';
import { uniqueDbName } from './fixtures';

let db: LecternDatabase;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
});
afterEach(() => db.close());

describe('settings', () => {
  it('returns the default until set, then the stored value', async () => {
    expect(await getSetting(db, 'topK', 6)).toBe(6);
    await setSetting(db, 'topK', 10);
    expect(await getSetting(db, 'topK', 6)).toBe(10);
  });

  it('stores objects and hands out copies of the default', async () => {
    const fallback: { theme: string } = { theme: 'light' };
    const first = await getSetting(db, 'ui', fallback);
    first.theme = 'changed';
    expect(fallback.theme).toBe('light');
    await setSetting(db, 'ui', { theme: 'dark' });
    expect(await getSetting(db, 'ui', fallback)).toEqual({ theme: 'dark' });
  });

  it('falls back to the default when the stored value has the wrong shape', async () => {
    await setSetting<unknown>(db, 'topK', 'ten');
    expect(await getSetting(db, 'topK', 6)).toBe(6);
    const isSmall = (v: unknown): v is number => typeof v === 'number' && v < 100;
    await setSetting(db, 'topK', 500);
    expect(await getSetting(db, 'topK', 6, isSmall)).toBe(6);
  });

  it('accepts any stored value for a null default', async () => {
    await setSetting(db, 'embedderKey', 'e5');
    expect(await getSetting<string | null>(db, 'embedderKey', null)).toBe('e5');
  });

  it('forgets a value on delete', async () => {
    await setSetting(db, 'topK', 10);
    await deleteSetting(db, 'topK');
    expect(await getSetting(db, 'topK', 6)).toBe(6);
  });
});
