// The recognised pages of scanned PDFs (OCR): the cache lookup by page hash, and the pages of one document for the citation view.
import type { LecternDatabase } from './db';
import type { OcrPageRecord } from './schema';
import { guardStorage } from './storage-errors';

export type { OcrPageRecord };

/** The id of a document's recognised page `page` (a scanned PDF page). */
export const ocrPageId = (docId: string, page: number): string => `${docId}#${page}`;
/** The id of a document's `n`-th recognised picture (in a DOCX, PPTX or EPUB file), from 1. */
export const ocrPictureId = (docId: string, n: number): string => `${docId}#picture-${n}`;

/** Whether a recognised row is one of document `docId`'s: under its page's id, or one of its pictures'. */
export function isOcrRowOf(docId: string, row: Pick<OcrPageRecord, 'id' | 'docId' | 'page'>): boolean {
  if (row.docId !== docId) return false;
  if (row.id === ocrPageId(docId, row.page)) return true;
  const prefix = ocrPictureId(docId, 0).slice(0, -1);
  return row.id.startsWith(prefix) && /^[1-9]\d{0,5}$/.test(row.id.slice(prefix.length));
}

/** A stored recognition of the page rendered as `hash` (from any document), if any. */
export function findOcrPage(db: LecternDatabase, hash: string): Promise<OcrPageRecord | undefined> {
  return guardStorage('findOcrPage', () => db.getFromIndex('ocrPages', 'byHash', hash));
}

/** Page `page` of document `docId` as recognised, if it was a scanned page. */
export function getOcrPage(db: LecternDatabase, docId: string, page: number): Promise<OcrPageRecord | undefined> {
  return guardStorage('getOcrPage', () => db.get('ocrPages', ocrPageId(docId, page)));
}
