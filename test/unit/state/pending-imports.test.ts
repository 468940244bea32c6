// PendingImports: a closed tab's unfinished files are resumed once, in order; an open tab's never, nor this tab's own.
import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import * as persistence from '../../../src/lib/persistence';
import { openLecternDB, type LecternDatabase } from '../../../src/lib/persistence';
import { endsPending, MAX_ATTEMPTS, PENDING_BATCH, PendingImports } from '../../../src/lib/state/pending-imports';
import { uniqueDbName } from '../persistence/fixtures';

vi.mock('../../../src/lib/persistence', async (importOriginal) => {
  const actual = await importOriginal<typeof persistence>();
  return { ...actual, putPendingFiles: vi.fn(actual.putPendingFiles) };
});

/**
 * Web Locks as the browser keeps them, shared by every tab of an origin: a lock is held until `close(tab)` (the tab
 * going away) drops the locks that tab took, its own and those it adopted.
 */
class FakeLocks {
  /** Lock name → the tab (its id) holding it. */
  held = new Map<string, string>();
  /** The tab whose code runs now: locks requested are its own. */
  current = '';
  request(name: string, ...args: unknown[]): Promise<unknown> {
    const options = args.length > 1 ? (args[0] as { ifAvailable?: boolean }) : {};
    const callback = args[args.length - 1] as (lock: { name: string } | null) => unknown;
    if (this.held.has(name)) {
      if (!options.ifAvailable) throw new Error('a queued request is not modelled');
      return Promise.resolve(callback(null));
    }
    this.held.set(name, this.current);
    return Promise.resolve(callback({ name }));
  }
  /** Starts a tab: the locks it requests while starting are its own. */
  open(): PendingImports {
    this.current = 'starting';
    const tab = new PendingImports();
    this.current = tab.tabId;
    this.held.set(`lectern-tab:${tab.tabId}`, tab.tabId);
    return tab;
  }
  close(tab: PendingImports): void {
    for (const [name, owner] of this.held) if (owner === tab.tabId) this.held.delete(name);
  }
  /** Runs `fn` as the given tab. */
  async as<T>(tab: PendingImports, fn: () => Promise<T>): Promise<T> {
    this.current = tab.tabId;
    return fn();
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
  vi.mocked(persistence.putPendingFiles).mockClear();
  db.close();
});

const file = (name: string, text = `text of ${name}`) =>
  new File([text], name, { type: 'text/plain', lastModified: 7 });

/** Lets the tab's queued writes and removals land. */
const settle = (tab: PendingImports) => tab.idle();

describe('PendingImports', () => {
  it("resumes a closed tab's unfinished files once, in its order, with their bytes, names and types", async () => {
    const closed = locks.open();
    const kept = closed.keep(db, [file('b.md'), file('a.pdf'), file('c.txt')]);
    await Promise.all(kept.map((k) => k.stored));
    locks.close(closed);

    const next = locks.open();
    const { files, lost } = await next.recover(db);
    expect(lost).toEqual([]);
    expect(files.map((f) => f.file.name)).toEqual(['b.md', 'a.pdf', 'c.txt']);
    expect(files.map((f) => f.pending.id)).toEqual(kept.map((k) => k.id));
    expect(files[1]!.file.type).toBe('text/plain');
    expect(files[1]!.file.lastModified).toBe(7);
    expect(await files[1]!.file.text()).toBe('text of a.pdf');
    // Adopted: a second look (this tab or another) finds nothing to resume.
    expect((await next.recover(db)).files).toEqual([]);
    expect((await locks.open().recover(db)).files).toEqual([]);
  });

  it('leaves the files of a tab that is still open, and never resumes this tab’s own', async () => {
    const other = locks.open();
    await Promise.all(other.keep(db, [file('still-going.pdf')]).map((k) => k.stored));
    const me = locks.open();
    await Promise.all(me.keep(db, [file('mine.pdf')]).map((k) => k.stored));
    expect(await me.recover(db)).toEqual({ files: [], lost: [] });
    expect(await db.count('pendingFiles')).toBe(2);
  });

  it('picks only the closed tabs among several, earlier batches first', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000 });
    try {
      const first = locks.open();
      const open = locks.open();
      const second = locks.open();
      await Promise.all(first.keep(db, [file('1a'), file('1b')]).map((k) => k.stored));
      vi.setSystemTime(2_000);
      await Promise.all(second.keep(db, [file('2a')]).map((k) => k.stored));
      await Promise.all(open.keep(db, [file('open')]).map((k) => k.stored));
      vi.setSystemTime(3_000);
      await Promise.all(first.keep(db, [file('1c')]).map((k) => k.stored));
      locks.close(second);
      locks.close(first);
      const { files } = await locks.open().recover(db);
      expect(files.map((f) => f.file.name)).toEqual(['1a', '1b', '2a', '1c']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a tab that resumed files and closed too hands them on to the next start', async () => {
    const crashed = locks.open();
    await Promise.all(crashed.keep(db, [file('x.txt'), file('y.txt')]).map((k) => k.stored));
    locks.close(crashed);
    const resumer = locks.open();
    const { files } = await locks.as(resumer, () => resumer.recover(db));
    resumer.forget(db, files[0]!.pending.id);
    await settle(resumer);
    locks.close(resumer);
    const last = locks.open();
    expect((await last.recover(db)).files.map((f) => f.file.name)).toEqual(['y.txt']);
  });

  it('forgets a finished file, and a file cancelled before its batch was written does not come back', async () => {
    const tab = locks.open();
    const [a, b] = tab.keep(db, [file('a'), file('b')]);
    // Cancelled at once: the removal is queued after the write, so it runs after it.
    tab.forget(db, b!.id);
    await a!.stored;
    const [c] = tab.keep(db, [file('c')]);
    tab.forget(db, a!.id);
    await settle(tab);
    expect((await db.getAll('pendingFiles')).map((r) => r.id)).toEqual([c!.id]);
    locks.close(tab);
    expect((await locks.open().recover(db)).files.map((f) => f.file.name)).toEqual(['c']);
  });

  it('a removal asked for before a later batch was queued never runs ahead of that batch’s write', async () => {
    const tab = locks.open();
    const [a] = tab.keep(db, [file('a')]);
    await a!.stored;
    tab.forget(db, a!.id); // queued, not run yet
    const [d] = tab.keep(db, [file('d')]);
    tab.forget(db, d!.id); // must not join the removal queued before d's write
    await settle(tab);
    expect(await db.count('pendingFiles')).toBe(0);
  });

  it(`writes ${PENDING_BATCH} files a transaction`, async () => {
    const tab = locks.open();
    const kept = tab.keep(
      db,
      Array.from({ length: PENDING_BATCH * 2 + 1 }, (_, i) => file(`f${i}`)),
    );
    await Promise.all(kept.map((k) => k.stored));
    const sizes = vi.mocked(persistence.putPendingFiles).mock.calls.map(([, rows]) => rows.length);
    expect(sizes).toEqual([PENDING_BATCH, PENDING_BATCH, 1]);
    expect(await db.count('pendingFiles')).toBe(PENDING_BATCH * 2 + 1);
  });

  it('keeps only the names when the bytes do not fit, and names those files once at the next start', async () => {
    const quota = new AppError('STORAGE_QUOTA');
    vi.mocked(persistence.putPendingFiles).mockRejectedValueOnce(quota);
    const tab = locks.open();
    const kept = tab.keep(db, [file('big.pdf'), file('huge.pdf')]);
    await expect(Promise.all(kept.map((k) => k.stored))).resolves.toBeDefined();
    expect((await db.getAll('pendingFiles')).map((r) => [r.name, r.file])).toEqual([
      ['big.pdf', null],
      ['huge.pdf', null],
    ]);
    locks.close(tab);
    const next = locks.open();
    expect(await next.recover(db)).toEqual({ files: [], lost: ['big.pdf', 'huge.pdf'] });
    await settle(next);
    expect(await db.count('pendingFiles')).toBe(0);
  });

  it('keeps the names when the bytes cannot be written for another reason too (a storage failure)', async () => {
    vi.mocked(persistence.putPendingFiles).mockRejectedValueOnce(new AppError('STORAGE_FAILED'));
    const tab = locks.open();
    const [k] = tab.keep(db, [file('a')]);
    await expect(k!.stored).resolves.toBeUndefined();
    expect((await db.getAll('pendingFiles')).map((r) => [r.name, r.file])).toEqual([['a', null]]);
  });

  it('goes on (nothing kept) when not even the names can be written', async () => {
    vi.mocked(persistence.putPendingFiles)
      .mockRejectedValueOnce(new AppError('STORAGE_FAILED'))
      .mockRejectedValueOnce(new AppError('STORAGE_FAILED'));
    const tab = locks.open();
    const [k] = tab.keep(db, [file('a')]);
    await expect(k!.stored).resolves.toBeUndefined();
    expect(await db.count('pendingFiles')).toBe(0);
  });

  it(`names a file lost after ${MAX_ATTEMPTS} unfinished tries; files that only waited are resumed every time`, async () => {
    const first = locks.open();
    const [crash, fine, waiting] = first.keep(db, [file('crashes.pdf'), file('fine.txt'), file('waiting.txt')]);
    await Promise.all([crash, fine, waiting].map((k) => k!.stored));
    // The tab dies while importing crashes.pdf.
    first.importing(db, crash!.id);
    await settle(first);
    locks.close(first);

    const second = locks.open();
    const resumed = await locks.as(second, () => second.recover(db));
    expect(resumed.lost).toEqual([]);
    expect(resumed.files.map((f) => f.file.name)).toEqual(['crashes.pdf', 'fine.txt', 'waiting.txt']);
    // fine.txt ends at once; the tab dies again in crashes.pdf; waiting.txt never starts.
    second.importing(db, resumed.files[1]!.pending.id);
    second.importing(db, null);
    second.forget(db, resumed.files[1]!.pending.id);
    second.importing(db, resumed.files[0]!.pending.id);
    await settle(second);
    locks.close(second);

    const third = locks.open();
    expect(await locks.as(third, () => third.recover(db))).toMatchObject({ lost: ['crashes.pdf'] });
    await settle(third);
    expect((await db.getAll('pendingFiles')).map((r) => [r.name, r.attempts ?? 0])).toEqual([['waiting.txt', 0]]);
  });

  it('counts a try of a file that failed for a reason outside it, and keeps its row', async () => {
    const tab = locks.open();
    const [k] = tab.keep(db, [file('a.pdf')]);
    await k!.stored;
    tab.failed(db, k!.id);
    tab.failed(db, k!.id);
    await settle(tab);
    locks.close(tab);
    expect(await locks.open().recover(db)).toMatchObject({ files: [], lost: ['a.pdf'] });
  });

  it('keeps nothing where Web Locks are missing (no tab can tell an open tab from a closed one)', async () => {
    vi.stubGlobal('navigator', {});
    const tab = new PendingImports();
    expect(tab.keep(db, [file('a')])).toEqual([]);
    await settle(tab);
    expect(await db.count('pendingFiles')).toBe(0);
  });
});

describe('endsPending', () => {
  it('ends the stored copy for faults of the file, keeps it for faults of the app or the browser', () => {
    for (const code of ['FILE_TOO_LARGE', 'FILE_UNSUPPORTED_TYPE', 'PDF_INVALID', 'DOCX_INVALID', 'NO_TEXT'] as const)
      expect(endsPending(code), code).toBe(true);
    // Every parser's own codes: a damaged e-book, deck, spreadsheet or OpenDocument file is the file's fault too.
    for (const format of ['DOCX', 'EPUB', 'PPTX', 'ODT', 'XLSX', 'ODS'] as const)
      for (const code of [`${format}_INVALID`, `${format}_TOO_LARGE_UNCOMPRESSED`] as const)
        expect(endsPending(code), code).toBe(true);
    expect(endsPending('SPREADSHEET_TOO_LARGE')).toBe(true);
    for (const code of ['STORAGE_QUOTA', 'STORAGE_FAILED', 'MODEL_NOT_FOUND', 'WORKER_CRASHED', 'UNKNOWN'] as const)
      expect(endsPending(code), code).toBe(false);
  });
});
