// Training-data export: mine the stored feedback, read the passages' texts now, and pack the JSONL files and a README.
import { strToU8, zipSync } from 'fflate';
import { AppError } from '../errors';
import { toJsonl, trainingRows } from '../learn/format';
import { mineFeedback } from '../learn/mine';
import { trainingReadme } from '../learn/readme';
import type { FeedbackRecord } from '../persistence/feedback-schema';

export interface TrainingExportPorts {
  feedback(): Promise<FeedbackRecord[]>;
  /** The passages' texts by chunk id, as stored now (undefined: its document was deleted). */
  texts(ids: string[]): Promise<(string | undefined)[]>;
  now?: () => Date;
}

export interface TrainingExport {
  /** pairs.jsonl, triplets.jsonl, colbert.jsonl and README.md, by name. */
  files: Record<string, string>;
  zip: Blob;
  counts: { records: number; queries: number; pairs: number; triplets: number; colbert: number; missing: number };
}

/** The file names in the zip. */
export const TRAINING_FILES = ['pairs.jsonl', 'triplets.jsonl', 'colbert.jsonl', 'README.md'] as const;

/**
 * Builds the export. Throws TRAINING_EXPORT_NO_FEEDBACK when nothing was given feedback yet, and
 * TRAINING_EXPORT_NO_POSITIVES when no feedback says which passage answers a question.
 */
export async function exportTrainingData(ports: TrainingExportPorts): Promise<TrainingExport> {
  const records = await ports.feedback();
  if (!records.length) throw new AppError('TRAINING_EXPORT_NO_FEEDBACK');
  const mined = mineFeedback(records);
  const ids = [...new Set(mined.flatMap((q) => [...q.positives, ...q.negatives.map((n) => n.id)]))];
  const found = await ports.texts(ids);
  const byId = new Map(ids.map((id, i) => [id, found[i]]));
  const rows = trainingRows(mined, (id) => byId.get(id));
  if (!rows.pairs.length) throw new AppError('TRAINING_EXPORT_NO_POSITIVES');
  const models = [
    ...new Set(records.flatMap((r) => r.models.map((m) => `${m.role}: ${m.id}${m.revision ? `@${m.revision}` : ''}`))),
  ].sort();
  const counts = {
    records: records.length,
    queries: rows.queries,
    pairs: rows.pairs.length,
    triplets: rows.triplets.length,
    colbert: rows.colbert.length,
    missing: rows.missing,
  };
  const files: Record<string, string> = {
    'pairs.jsonl': toJsonl(rows.pairs),
    'triplets.jsonl': toJsonl(rows.triplets),
    'colbert.jsonl': toJsonl(rows.colbert),
    'README.md': trainingReadme({ exportedAt: (ports.now?.() ?? new Date()).toISOString(), models, ...counts }),
  };
  const zipped = zipSync(Object.fromEntries(TRAINING_FILES.map((name) => [name, strToU8(files[name]!)])), {
    level: 6,
  });
  return { files, zip: new Blob([zipped as Uint8Array<ArrayBuffer>], { type: 'application/zip' }), counts };
}
