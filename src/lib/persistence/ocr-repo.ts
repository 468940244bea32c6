// The recognised pages of scanned PDFs (OCR): the cache lookup by page hash, and the pages of one document for the citation view.
import type { LecternDatabase } from './db';
import type { OcrPageRecord } from './schema';
import { guardStorage } from './storage-errors';

export type { OcrPageRecord };

/** A stored recognition of the page rendered as `hash` (from any document), if any. */
export function findOcrPage(db: LecternDatabase, hash: string): Promise<OcrPageRecord | undefined> {
  return guardStorage('findOcrPage', () => db.getFromIndex('ocrPages', 'byHash', hash));
}

/** Page `page` of document `docId` as recognised, if it was a scanned page. */
export function getOcrPage(db: LecternDatabase, docId: string, page: number): Promise<OcrPageRecord | undefined> {
  return guardStorage('getOcrPage', () => db.get('ocrPages', `${docId}#${page}`));
}
