// Deep mode's ports for the ask pipeline: the answer model's judge, the judgments store, and this device's pace.
import { AppError } from '../errors';
import { getJudgment, getSetting, putJudgment, setSetting, type LecternDatabase } from '../persistence';
import type { GeneratorAccess } from '../pipelines/ask';
import type { DeepRerankPorts } from '../pipelines/deep-rerank';

/** The settings row holding the measured milliseconds per judgment for one model on this device. */
export const deepPaceKey = (model: string): string => `deep-pace:${model}`;

const isPace = (v: unknown): v is number | null => v === null || (typeof v === 'number' && v > 0 && isFinite(v));

/** The ports over an open database and a loaded answer model (`model`: its registry key). */
export function deepPorts(db: LecternDatabase | null, generator: GeneratorAccess, model: string): DeepRerankPorts {
  const judge = generator.judge;
  if (!db) throw new AppError('STORAGE_FAILED');
  if (!judge) throw new AppError('MODEL_NOT_LOADED', undefined, { role: 'answer' });
  return {
    model,
    // "wasm/q4" → wasm: the first run's estimate before this device has a pace of its own.
    ...(generator.runsOn?.startsWith('wasm/') && { device: 'wasm' as const }),
    judge: (params, signal, onText) => judge(params, signal, onText),
    judgments: { get: (key) => getJudgment(db, key), put: (record) => putJudgment(db, record) },
    pace: {
      get: () => getSetting<number | null>(db, deepPaceKey(model), null, isPace),
      set: (ms) => setSetting(db, deepPaceKey(model), ms),
    },
  };
}
