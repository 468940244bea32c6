// Prompt figures per template version: updated after each answer, read by Settings → Prompts (with the thumbs, which
// are counted from the feedback store itself, so they can never drift from it).
import type { LecternDatabase } from './db';
import type { EvalRunRecord } from './eval-schema';
import type { FeedbackRecord } from './feedback-schema';
import type { PromptStatsRecord, RunningMean } from './prompt-schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

export type { PromptStatsRecord, RunningMean };

/** A template version, as turns and feedback records name it. */
export interface PromptRef {
  name: string;
  version: number;
}

/** What one answer adds to its version's figures. */
export interface PromptUse extends PromptRef {
  firstTokenMs: number;
  totalMs: number;
  /** Tokens of the fitted prompt, and of the answer. */
  tokensIn: number;
  tokensOut: number;
  /** Share of checked sentences supported; null when none was checked (a refusal, an empty answer). */
  grounding: number | null;
  /** The model declined to answer. */
  refused: boolean;
}

export const promptStatsKey = (p: PromptRef): string => `${p.name}@${p.version}`;

const NO_MEAN: RunningMean = { n: 0, mean: 0 };

/** A version's figures before any answer. */
export function emptyPromptStats(p: PromptRef, now = Date.now()): PromptStatsRecord {
  return {
    key: promptStatsKey(p),
    name: p.name,
    version: p.version,
    uses: 0,
    refusals: 0,
    firstTokenMs: NO_MEAN,
    totalMs: NO_MEAN,
    tokensIn: NO_MEAN,
    tokensOut: NO_MEAN,
    grounding: NO_MEAN,
    updatedAt: now,
  };
}

/** The mean with one more value; a missing or non-finite value (a figure not measured) leaves it as it was. */
export function addToMean(m: RunningMean, value: number | null): RunningMean {
  if (value === null || !Number.isFinite(value)) return m;
  const n = m.n + 1;
  return { n, mean: m.mean + (value - m.mean) / n };
}

/** The figures with one more answer counted (pure: the repo's transaction and the tests both use it). */
export function applyPromptUse(record: PromptStatsRecord, use: PromptUse, now = Date.now()): PromptStatsRecord {
  return {
    ...record,
    uses: record.uses + 1,
    refusals: record.refusals + (use.refused ? 1 : 0),
    firstTokenMs: addToMean(record.firstTokenMs, use.firstTokenMs),
    totalMs: addToMean(record.totalMs, use.totalMs),
    tokensIn: addToMean(record.tokensIn, use.tokensIn),
    tokensOut: addToMean(record.tokensOut, use.tokensOut),
    grounding: addToMean(record.grounding, use.grounding),
    updatedAt: now,
  };
}

/** Read-modify-write of one version's record in one transaction, so two tabs answering at once both count. */
async function update(
  db: LecternDatabase,
  operation: string,
  p: PromptRef,
  change: (record: PromptStatsRecord) => PromptStatsRecord,
): Promise<PromptStatsRecord> {
  return guardStorage(operation, () => {
    const tx = db.transaction('promptStats', 'readwrite');
    return runInTransaction(tx, operation, async (track) => {
      const next = change((await tx.store.get(promptStatsKey(p))) ?? emptyPromptStats(p));
      track(tx.store.put(next));
      return next;
    });
  });
}

/** Counts one answer in its version's figures. */
export function recordPromptUse(db: LecternDatabase, use: PromptUse, now = Date.now()): Promise<PromptStatsRecord> {
  return update(db, 'recordPromptUse', use, (r) => applyPromptUse(r, use, now));
}

/** Every version's figures (of one template when `name` is given). */
export async function listPromptStats(db: LecternDatabase, name?: string): Promise<PromptStatsRecord[]> {
  const all = await guardStorage('listPromptStats', () => db.getAll('promptStats'));
  return name === undefined ? all : all.filter((r) => r.name === name);
}

/** The newest evaluation runs first (read-only: the evaluation part owns their shape and writes them). */
export async function recentEvalRuns(db: LecternDatabase, limit = 50): Promise<EvalRunRecord[]> {
  return guardStorage('recentEvalRuns', async () => {
    const runs: EvalRunRecord[] = [];
    let cursor = await db.transaction('evalRuns').store.index('byAt').openCursor(null, 'prev');
    while (cursor && runs.length < limit) {
      runs.push(cursor.value);
      cursor = await cursor.continue();
    }
    return runs;
  });
}

/** Thumbs up and down per template version (`name@version`), counted over the feedback records. */
export function countThumbs(records: readonly Pick<FeedbackRecord, 'prompt' | 'thumbs'>[]): Map<string, ThumbCounts> {
  const out = new Map<string, ThumbCounts>();
  for (const r of records) {
    if (!r.prompt || !r.thumbs) continue;
    const key = promptStatsKey(r.prompt);
    const c = out.get(key) ?? { up: 0, down: 0 };
    c[r.thumbs]++;
    out.set(key, c);
  }
  return out;
}

export interface ThumbCounts {
  up: number;
  down: number;
}

/** The thumbs of every feedback record, per template version (read in one pass over the feedback store). */
export async function thumbsByPrompt(db: LecternDatabase): Promise<Map<string, ThumbCounts>> {
  return countThumbs(await guardStorage('thumbsByPrompt', () => db.getAll('feedback')));
}
