// What a first start downloads (each model, its dtype and size on this device) and the user's remembered consent to it.
import { dtypeFor, modelKey, sizeFor } from './registry';
import type { Device, Dtype, ModelRole, ModelSpec } from './registry-types';

/** One model the app would fetch: which, for what, in which precision, how big, and whether it is already here. */
export interface DownloadItem {
  role: ModelRole;
  key: string;
  id: string;
  label: string;
  revision: string;
  dtype: Dtype;
  sizeMB: number;
  /** Its ONNX file for this dtype is in the browser's model cache: nothing to download, nothing to ask. */
  cached: boolean;
}

/** The user's answers, kept in this browser (localStorage): models agreed to, and whether to ask at all. */
export interface ConsentRecord {
  version: 1;
  /** False: download without asking (the user said so). */
  ask: boolean;
  /** `consentId`s of the models the user agreed to download. */
  agreed: string[];
}

export const CONSENT_STORAGE_KEY = 'lectern-download-consent';

/** The Cache Storage cache where unfinished model downloads are kept until they resume (models/resumable-fetch.ts). */
export const PARTIAL_CACHE = 'lectern-downloads';

export const ROLE_NAMES: Record<ModelRole, string> = {
  embedder: 'embedding',
  'late-interaction': 'reranking',
  generator: 'answer',
};

export function emptyConsent(): ConsentRecord {
  return { version: 1, ask: true, agreed: [] };
}

/** Reads a stored record (untrusted JSON: another version or a hand edit gives an empty record). */
export function parseConsent(raw: string | null): ConsentRecord {
  if (!raw) return emptyConsent();
  let o: unknown;
  try {
    o = JSON.parse(raw);
  } catch {
    return emptyConsent();
  }
  const r = o as Partial<ConsentRecord> | null;
  if (!r || r.version !== 1 || !Array.isArray(r.agreed)) return emptyConsent();
  return {
    version: 1,
    ask: r.ask !== false,
    agreed: r.agreed.filter((a): a is string => typeof a === 'string'),
  };
}

/** What consent to one download is given for: the registry, the model and its revision, and the dtype. */
export function consentId(registryUrl: string, item: Pick<DownloadItem, 'id' | 'revision' | 'dtype'>): string {
  return `${registryUrl} ${item.id}@${item.revision} ${item.dtype}`;
}

/** The record with these downloads agreed to (each once). */
export function agree(record: ConsentRecord, registryUrl: string, items: readonly DownloadItem[]): ConsentRecord {
  const ids = items.map((i) => consentId(registryUrl, i));
  return { ...record, agreed: [...new Set([...record.agreed, ...ids])] };
}

/** The record without any yes to this model (every registry, revision and dtype): removed, it is asked for again. */
export function forget(record: ConsentRecord, modelId: string): ConsentRecord {
  const model = (agreed: string) => {
    const at = agreed.split(' ')[1] ?? '';
    return at.slice(0, at.lastIndexOf('@'));
  };
  return { ...record, agreed: record.agreed.filter((a) => model(a) !== modelId) };
}

/** The downloads still needing the user's yes: not cached, not agreed before, unless the user said never to ask. */
export function needsConsent(
  record: ConsentRecord,
  registryUrl: string,
  items: readonly DownloadItem[],
): DownloadItem[] {
  if (!record.ask) return [];
  return items.filter((i) => !i.cached && !record.agreed.includes(consentId(registryUrl, i)));
}

/** The download for one model on this device (not yet checked against the cache). */
export function downloadItem(spec: ModelSpec, device: Device, hasF16: boolean): DownloadItem {
  const dtype = dtypeFor(spec, device, hasF16);
  return {
    role: spec.role,
    key: modelKey(spec),
    id: spec.id,
    label: spec.label,
    revision: spec.revision,
    dtype,
    sizeMB: sizeFor(spec, dtype),
    cached: false,
  };
}

/** MB as the dialog shows them: whole MB from 10 up, one decimal below. */
export function formatMB(mb: number): string {
  return mb >= 10 ? `${Math.round(mb)} MB` : `${mb.toFixed(1)} MB`;
}

/** The total of what is not cached yet. */
export function totalMB(items: readonly DownloadItem[]): number {
  return items.reduce((s, i) => s + (i.cached ? 0 : i.sizeMB), 0);
}
