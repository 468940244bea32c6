// Keeps the files each open tab is still importing, so the next start resumes the ones a closed tab left unfinished.
import type { ErrorCode } from '../errors';
import {
  countPendingAttempt,
  deleteSetting,
  deletePendingFiles,
  getSetting,
  listSettingKeys,
  setSetting,
  getPendingFiles,
  listPendingTabs,
  putPendingFiles,
  type LecternDatabase,
  type PendingFileRecord,
} from '../persistence';

const LOCK_PREFIX = 'lectern-tab:';
/** Settings key of the row id a tab is importing now (`<prefix><tab id>`). */
const CURRENT_PREFIX = 'pendingCurrent:';
const isId = (v: unknown): v is string | null => v === null || typeof v === 'string';
/** Starts that may resume one file: a file that takes the tab down with it is named as lost after this many. */
export const MAX_ATTEMPTS = 2;

/**
 * Whether an import that failed with this code ends the file's stored copy: yes when the file itself is at fault
 * (unreadable, too large, a wrong password, no text); no when the app or browser is (storage, models, the worker),
 * where the next start tries it again.
 */
export function endsPending(code: ErrorCode): boolean {
  return /^(FILE|PDF|DOCX|EPUB|PPTX|ODT|RTF|XLSX|ODS|SPREADSHEET)_/.test(code) || code === 'NO_TEXT';
}
/** Files written per transaction: a few puts at a time, so the first import starts soon and the tab stays responsive. */
export const PENDING_BATCH = 100;

/** One queued file's row: its id, and a promise that settles (never rejects) once the row is written or given up. */
export interface PendingFile {
  id: string;
  stored: Promise<void>;
}

/** What a closed tab left: files to import again (in its queue's order), and the names of those it could not keep. */
export interface RecoveredImports {
  files: { pending: PendingFile; file: File }[];
  /** Files whose bytes there was no room to keep: they are lost, and only named (their rows are removed). */
  lost: string[];
}

/** Several closed tabs' files: the earlier batch first, then each tab's own order. */
const queueOrder = (a: PendingFileRecord, b: PendingFileRecord): number =>
  a.queuedAt - b.queuedAt || (a.tabId < b.tabId ? -1 : a.tabId > b.tabId ? 1 : 0) || a.seq - b.seq;

/** The stored bytes as the File they were queued as (no copy: the new File refers to the same blob). */
const asFile = (row: PendingFileRecord & { file: Blob }): File =>
  new File([row.file], row.name, { type: row.type, lastModified: row.lastModified });

/**
 * One row per queued file (persistence `pendingFiles`), keyed by the tab that queued it. Each tab holds a Web Lock
 * named after its id for as long as it lives, so rows whose lock nobody holds were left by a tab that closed or
 * crashed. A starting tab adopts such a tab by taking its lock (only one tab can), then resumes its files; rows of a
 * tab that is still open are left alone. Writes and removals are chained, in the order they were asked for.
 */
export class PendingImports {
  readonly tabId = crypto.randomUUID();
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  /** Ids of finished files the last queued removal will delete (one transaction for all); null once it ran or a write
   * was queued after it (a file of that write must be removed after it, not before). */
  private finished: string[] | null = null;

  constructor() {
    // Never released: the browser drops it when the tab goes away.
    void globalThis.navigator?.locks?.request(LOCK_PREFIX + this.tabId, () => new Promise<never>(() => {}));
  }

  /**
   * Adopts every tab that is gone and has pending files: returns its files to import again (their rows stay until
   * each finishes) and the names of those without bytes (their rows are removed). Never throws: best effort.
   */
  async recover(db: LecternDatabase): Promise<RecoveredImports> {
    const rows: PendingFileRecord[] = [];
    try {
      // Tabs with files of their own, and tabs that were importing files resumed from others (their rows keep the
      // first tab's id). Every adopted tab's unfinished try is counted before any row is read.
      const current = (await listSettingKeys(db, CURRENT_PREFIX)).map((k) => k.slice(CURRENT_PREFIX.length));
      const adopted: string[] = [];
      for (const tab of new Set([...(await listPendingTabs(db)), ...current])) {
        if (tab === this.tabId || !(await this.adopt(tab))) continue;
        adopted.push(tab);
        // The file that tab was importing when it went away: one try that did not finish.
        const id = await getSetting<string | null>(db, CURRENT_PREFIX + tab, null, isId);
        if (id !== null) {
          await countPendingAttempt(db, id);
          await deleteSetting(db, CURRENT_PREFIX + tab);
        }
      }
      for (const tab of adopted) rows.push(...(await getPendingFiles(db, tab)));
    } catch {
      // Storage failed: what was read so far is still resumed; the rest stays for a later start.
    }
    rows.sort(queueOrder);
    // Without bytes, or tried MAX_ATTEMPTS times without finishing (its tab died during it, or it failed for a reason
    // outside the file): named, not resumed.
    const lost: PendingFileRecord[] = [];
    const retry: PendingFileRecord[] = [];
    for (const r of rows) (r.file === null || (r.attempts ?? 0) >= MAX_ATTEMPTS ? lost : retry).push(r);
    if (lost.length)
      this.forgetAll(
        db,
        lost.map((r) => r.id),
      );
    const stored = Promise.resolve();
    return {
      files: retry.flatMap((r) =>
        r.file ? [{ pending: { id: r.id, stored }, file: asFile({ ...r, file: r.file }) }] : [],
      ),
      lost: lost.map((r) => r.name),
    };
  }

  /**
   * Remembers files just queued, in batches of PENDING_BATCH (one transaction each). Where the bytes do not fit
   * (quota), the batch keeps only the names, and the import goes on regardless.
   */
  keep(db: LecternDatabase, files: readonly File[]): PendingFile[] {
    const queuedAt = Date.now();
    // Without Web Locks (an insecure context) no tab can tell an open tab from a closed one, so nothing is kept: a
    // start could otherwise take a live tab's files for lost ones.
    if (!globalThis.navigator?.locks) return [];
    const rows = files.map((file): PendingFileRecord => {
      const seq = this.seq++;
      const { name, type, size, lastModified } = file;
      return { id: `${this.tabId}:${seq}`, tabId: this.tabId, seq, queuedAt, name, type, size, lastModified, file };
    });
    const kept: PendingFile[] = [];
    for (let i = 0; i < rows.length; i += PENDING_BATCH) {
      const batch = rows.slice(i, i + PENDING_BATCH);
      const stored = (this.chain = this.chain.then(() => write(db, batch)));
      this.finished = null;
      for (const row of batch) kept.push({ id: row.id, stored });
    }
    return kept;
  }

  /**
   * The file (its row id) this tab starts importing now, or null once it ends: a start after this tab dies counts one
   * unfinished try of it. One small settings row per tab, written in order with the rest.
   */
  importing(db: LecternDatabase, id: string | null): void {
    const key = CURRENT_PREFIX + this.tabId;
    this.chain = this.chain
      .then(() => (id === null ? deleteSetting(db, key) : setSetting(db, key, id)))
      .catch(() => {
        // Best effort: without it a file that kills the tab is retried at each start, never lost.
      });
    this.finished = null;
  }

  /** The file failed for a reason outside it (storage, models): kept for the next start, with one try counted. */
  failed(db: LecternDatabase, id: string): void {
    this.chain = this.chain.then(() => countPendingAttempt(db, id)).catch(() => {});
    this.finished = null;
  }

  /** The file reached an end (added, failed, cancelled, skipped): its row goes, after any write queued before. */
  forget(db: LecternDatabase, id: string): void {
    this.forgetAll(db, [id]);
  }

  private forgetAll(db: LecternDatabase, ids: readonly string[]): void {
    // A removal queued and not yet run takes these too: cancelling 10,000 waiting files is one transaction.
    if (this.finished) {
      this.finished.push(...ids);
      return;
    }
    const batch = (this.finished = [...ids]);
    this.chain = this.chain.then(() => {
      if (this.finished === batch) this.finished = null;
      return deletePendingFiles(db, batch).catch(() => {
        // Best effort: a row left behind resumes a file that had ended (a saved one is never left: see save).
      });
    });
  }

  /** Resolves once every write and removal asked for so far has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Takes the lock of a tab that is gone, for as long as this tab lives; false when that tab (or another) holds it. */
  private adopt(tabId: string): Promise<boolean> {
    const locks = globalThis.navigator?.locks;
    // No Web Locks: no way to tell an open tab from a closed one, so every other tab's files count as left behind.
    if (!locks) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      locks
        .request(LOCK_PREFIX + tabId, { ifAvailable: true }, (lock) => {
          resolve(lock !== null);
          return lock ? new Promise<never>(() => {}) : undefined;
        })
        .catch(() => resolve(false));
    });
  }
}

/**
 * Writes one batch; when the bytes cannot be kept (no room, a browser that cannot store blobs, a storage failure),
 * keeps the names. Never throws (losing a row loses a resume, not data).
 */
async function write(db: LecternDatabase, batch: readonly PendingFileRecord[]): Promise<void> {
  try {
    await putPendingFiles(db, batch);
  } catch {
    await putPendingFiles(
      db,
      batch.map((row) => ({ ...row, file: null })),
    ).catch(() => {});
  }
}
