// Opt-in disk cache of deep-mode judgments (--judgments-cache): a long --deep run can be stopped and resumed, each judgment kept with the milliseconds it took.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { JudgmentRecord } from '../../src/lib/persistence/schema';

/** A judgment as stored: the app's record and the model time it took when it was made. */
export interface StoredJudgment extends JudgmentRecord {
  ms: number;
}

export interface JudgmentCache {
  get(key: string): StoredJudgment | undefined;
  /** Appends one judgment (one JSON line, so a run killed mid-write loses at most that line). */
  put(record: JudgmentRecord, ms: number): void;
  /** Judgments read from the file when it was opened. */
  readonly loaded: number;
}

const isStored = (v: unknown): v is StoredJudgment => {
  const r = v as Partial<StoredJudgment> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.key === 'string' &&
    typeof r.probability === 'number' &&
    Number.isFinite(r.probability) &&
    typeof r.ms === 'number' &&
    Number.isFinite(r.ms)
  );
};

/** Opens (or starts) the JSON-lines file at `file`; lines that do not parse as a judgment (a cut-off last line) are skipped. */
export function openJudgmentCache(file: string): JudgmentCache {
  const byKey = new Map<string, StoredJudgment>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r: unknown = JSON.parse(line);
        if (isStored(r)) byKey.set(r.key, r);
      } catch {
        // A line cut off by a killed run: that judgment is made again.
      }
    }
  } else {
    mkdirSync(dirname(file), { recursive: true });
  }
  const loaded = byKey.size;
  return {
    loaded,
    get: (key) => byKey.get(key),
    put: (record, ms) => {
      const stored: StoredJudgment = { ...record, ms };
      byKey.set(record.key, stored);
      appendFileSync(file, `\n${JSON.stringify(stored)}\n`);
    },
  };
}
