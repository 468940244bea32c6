// PendingImports: a closed tab's unfinished files are reported once, an open tab's never, and this tab's own never.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listSettingKeys, openLecternDB, type LecternDatabase } from '../../../src/lib/persistence';
import { PendingImports } from '../../../src/lib/state/pending-imports';
import { uniqueDbName } from '../persistence/fixtures';

/** Web Locks as the browser keeps them: a tab's lock is held until `close(tab)` (the tab going away). */
class FakeLocks {
  held = new Set<string>();
  request(name: string): Promise<never> {
    this.held.add(name);
    return new Promise<never>(() => {});
  }
  query(): Promise<{ held: { name: string }[] }> {
    return Promise.resolve({ held: [...this.held].map((name) => ({ name })) });
  }
  close(tab: PendingImports): void {
    this.held.delete(`lectern-tab:${tab.tabId}`);
  }
}

let db: LecternDatabase;
let locks: FakeLocks;
beforeEach(async () => {
  db = await openLecternDB(uniqueDbName());
  locks = new FakeLocks();
  vi.stubGlobal('navigator', { locks });
});
afterEach(() => {
  vi.unstubAllGlobals();
  db.close();
});

/** Lets chained writes land. */
const settle = (p: PendingImports) => p.recover(db);

describe('PendingImports', () => {
  it("reports a closed tab's unfinished files once, then forgets them", async () => {
    const closed = new PendingImports();
    closed.record(db, ['a.pdf', 'b.md']);
    await settle(closed);
    locks.close(closed);
    const next = new PendingImports();
    expect(await next.recover(db)).toEqual(['a.pdf', 'b.md']);
    expect(await next.recover(db)).toEqual([]);
    expect(await listSettingKeys(db, 'pendingImports:')).toEqual([]);
  });

  it("leaves the rows of a tab that is still open, and never reports this tab's own", async () => {
    const other = new PendingImports();
    other.record(db, ['still-going.pdf']);
    await settle(other);
    const me = new PendingImports();
    me.record(db, ['mine.pdf']);
    expect(await me.recover(db)).toEqual([]);
    expect((await listSettingKeys(db, 'pendingImports:')).sort()).toEqual(
      [`pendingImports:${me.tabId}`, `pendingImports:${other.tabId}`].sort(),
    );
  });

  it('removes the row when nothing is left at risk', async () => {
    const tab = new PendingImports();
    tab.record(db, ['x.txt']);
    tab.record(db, []);
    await settle(tab);
    locks.close(tab);
    expect(await new PendingImports().recover(db)).toEqual([]);
  });

  it('recovers before writes queued after it, so a file added at start is not read back as lost', async () => {
    const closed = new PendingImports();
    closed.record(db, ['lost.pdf']);
    await settle(closed);
    locks.close(closed);
    const tab = new PendingImports();
    const recovered = tab.recover(db);
    tab.record(db, ['new.pdf']);
    expect(await recovered).toEqual(['lost.pdf']);
    await settle(tab);
    expect(await listSettingKeys(db, 'pendingImports:')).toEqual([`pendingImports:${tab.tabId}`]);
  });
});
