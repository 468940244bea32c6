// Remembers which files each open tab is still importing, so the next start can name the ones a closed tab lost.
import { deleteSetting, getSetting, listSettingKeys, setSetting, type LecternDatabase } from '../persistence';

const KEY_PREFIX = 'pendingImports:';
const LOCK_PREFIX = 'lectern-tab:';
const isNameList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * One settings row per tab (`pendingImports:<tab id>`). Each tab holds a Web Lock named after its id for as long as
 * it lives, so a row whose lock nobody holds was left by a tab that closed or crashed mid-import, while a row of
 * another open tab is left alone. Writes are chained: the last recorded state always wins.
 */
export class PendingImports {
  readonly tabId = crypto.randomUUID();
  private chain: Promise<void> = Promise.resolve();

  constructor() {
    // Never released: the browser drops it when the tab goes away.
    void globalThis.navigator?.locks?.request(LOCK_PREFIX + this.tabId, () => new Promise<never>(() => {}));
  }

  /** Names left by tabs that are gone, whose rows are removed; never throws (the notice is best effort). */
  recover(db: LecternDatabase): Promise<string[]> {
    const run = this.chain.then(async () => {
      const keys = (await listSettingKeys(db, KEY_PREFIX)).filter((k) => k !== KEY_PREFIX + this.tabId);
      const snapshot = await globalThis.navigator?.locks?.query();
      const alive = new Set((snapshot?.held ?? []).map((l) => l.name));
      const names: string[] = [];
      for (const key of keys) {
        if (alive.has(LOCK_PREFIX + key.slice(KEY_PREFIX.length))) continue;
        names.push(...(await getSetting<string[]>(db, key, [], isNameList)));
        await deleteSetting(db, key);
      }
      return names;
    });
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run.catch(() => []);
  }

  /** Stores this tab's unfinished names (none: removes its row). */
  record(db: LecternDatabase, names: readonly string[]): void {
    const key = KEY_PREFIX + this.tabId;
    this.chain = this.chain
      .then(() => (names.length ? setSetting(db, key, [...names]) : deleteSetting(db, key)))
      .catch(() => {
        // Best effort: losing this row only loses the notice, never data.
      });
  }
}
