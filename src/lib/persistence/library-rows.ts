// The whole library's rows for export, read in one transaction, and an import's rows written in one transaction.
import { AppError } from '../errors';
import type { LecternDatabase } from './db';
import { DERIVED_STORES, journal } from './documents-repo';
import type {
  AdapterRecord,
  ChunkRecord,
  DocumentRecord,
  FeedbackRecord,
  KeywordRecord,
  OcrPageRecord,
  SettingRecord,
  TokenVectorRecord,
  VectorRecord,
} from './schema';
import { guardStorage } from './storage-errors';
import { runInTransaction } from './transaction';

/** Every durable row of a library: its documents with all their derived rows, and the chosen settings rows. */
export interface LibraryRows {
  documents: DocumentRecord[];
  chunks: ChunkRecord[];
  vectors: VectorRecord[];
  keywords: KeywordRecord[];
  tokenVectors: TokenVectorRecord[];
  settings: SettingRecord[];
  /** Feedback on answers (v5); chunk ids in it may name passages of documents no longer in the library. */
  feedback: FeedbackRecord[];
  /** The relevance adapters (v6), one per embedder. */
  adapters: AdapterRecord[];
  /** Scanned pages and pictures as recognised (v7): their lines, boxes and images, for the citation view and the cache. */
  ocrPages: OcrPageRecord[];
}

/** What an import changed: documents written, documents removed (replace), documents skipped as already present. */
export interface LibraryWriteOutcome {
  added: string[];
  removed: string[];
  skipped: number;
}

/**
 * Merge adds the documents whose id and file hash are both new (with their rows) and leaves settings alone; replace
 * clears every document first and puts the given settings rows in place of those under the exported keys.
 */
export type ImportMode = 'merge' | 'replace';

const ROW_STORES = ['documents', ...DERIVED_STORES] as const;

/**
 * Every document and derived row, and the settings rows under `settingKeys`, from one read transaction: an export
 * never mixes rows from before and after another tab's save.
 */
export async function readLibraryRows(db: LecternDatabase, settingKeys: readonly string[]): Promise<LibraryRows> {
  return guardStorage('exportLibrary', async () => {
    const tx = db.transaction([...ROW_STORES, 'settings', 'feedback', 'adapters']);
    const [documents, chunks, vectors, keywords, tokenVectors, settings, feedback, adapters, ocrPages] =
      await Promise.all([
        tx.objectStore('documents').getAll(),
        tx.objectStore('chunks').getAll(),
        tx.objectStore('vectors').getAll(),
        tx.objectStore('keywords').getAll(),
        tx.objectStore('tokenVectors').getAll(),
        Promise.all(settingKeys.map((key) => tx.objectStore('settings').get(key))),
        tx.objectStore('feedback').getAll(),
        tx.objectStore('adapters').getAll(),
        tx.objectStore('ocrPages').getAll(),
        tx.done,
      ]);
    return {
      documents,
      chunks,
      vectors,
      keywords,
      tokenVectors,
      settings: settings.filter((row): row is SettingRecord => row !== undefined),
      feedback,
      adapters,
      ocrPages,
    };
  });
}

/**
 * Writes an import in ONE readwrite transaction across the document stores, settings and the journal: a crash, a
 * reload or a failed request leaves the library exactly as it was. Every document written or removed gets a journal
 * entry in the same transaction, so a search snapshot stored before it is brought up to date by replaying them (see
 * snapshot-repo.ts). `step` is told each document as its rows are issued.
 */
export async function writeLibraryRows(
  db: LecternDatabase,
  rows: LibraryRows,
  mode: ImportMode,
  settingKeys: readonly string[],
  step: (done: number, total: number) => void = () => {},
): Promise<LibraryWriteOutcome> {
  return guardStorage('importLibrary', () => {
    const tx = db.transaction(
      [...ROW_STORES, 'settings', 'journal', 'feedback', 'evalQuestions', 'judgments', 'adapters'],
      'readwrite',
    );
    return runInTransaction(tx, 'importLibrary', async (track) => {
      const store = <S extends (typeof ROW_STORES)[number]>(name: S) => tx.objectStore(name);
      let removed: string[] = [];
      const keep = new Set<string>();
      if (mode === 'replace') {
        removed = await store('documents').getAllKeys();
        for (const name of ROW_STORES) track(store(name).clear());
        // Deep mode's judgments are a cache about passages that are all replaced now (and may come back changed
        // under the same ids): they go too.
        track(tx.objectStore('judgments').clear());
      } else {
        const present = new Set(await store('documents').getAllKeys());
        const byHash = await Promise.all(rows.documents.map((d) => store('documents').index('byHash').getKey(d.hash)));
        rows.documents.forEach((d, i) => {
          if (!present.has(d.id) && byHash[i] === undefined) keep.add(d.id);
        });
      }
      const wanted = (docId: string) => mode === 'replace' || keep.has(docId);
      const documents = rows.documents.filter((d) => wanted(d.id));
      const seen = new Set<string>();
      for (const d of documents) {
        if (seen.has(d.hash)) throw invalid(`two documents have the same file hash (${d.name})`);
        seen.add(d.hash);
      }
      // add, not put: a chunk id already stored (another document's) is a conflict that aborts the whole import.
      for (const row of rows.chunks) if (wanted(row.docId)) track(store('chunks').add(row));
      for (const row of rows.vectors) if (wanted(row.docId)) track(store('vectors').add(row));
      for (const row of rows.keywords) if (wanted(row.docId)) track(store('keywords').add(row));
      for (const row of rows.tokenVectors) if (wanted(row.docId)) track(store('tokenVectors').add(row));
      for (const row of rows.ocrPages) if (wanted(row.docId)) track(store('ocrPages').add(row));
      documents.forEach((d, i) => {
        track(store('documents').add(d));
        journal(tx, d.id, track);
        step(i + 1, documents.length);
      });
      for (const id of removed) journal(tx, id, track);
      // The evaluation set's questions about a document the replace removed go with it (same transaction).
      const now = new Set(documents.map((d) => d.id));
      const questions = tx.objectStore('evalQuestions');
      for (const id of removed) {
        if (now.has(id)) continue;
        for (const key of await questions.index('byDoc').getAllKeys(id)) track(questions.delete(key));
      }
      if (mode === 'replace') {
        // The export's settings rows replace these keys; a key it lacks goes (no conversation about removed documents).
        for (const key of settingKeys) track(tx.objectStore('settings').delete(key));
        for (const row of rows.settings) track(tx.objectStore('settings').put(row));
      }
      // Feedback: replace puts the export's in place of this browser's; merge adds the records not here yet.
      const feedback = tx.objectStore('feedback');
      if (mode === 'replace') track(feedback.clear());
      const known = new Set(mode === 'replace' ? [] : await feedback.getAllKeys());
      for (const row of rows.feedback) if (!known.has(row.id)) track(feedback.put(row));
      // Adapters, likewise: replace puts the export's in place of this browser's; merge keeps an embedder's own here.
      const adapters = tx.objectStore('adapters');
      if (mode === 'replace') track(adapters.clear());
      const trained = new Set(mode === 'replace' ? [] : await adapters.getAllKeys());
      for (const row of rows.adapters) if (!trained.has(row.embedderId)) track(adapters.put(row));
      return {
        added: documents.map((d) => d.id),
        removed,
        skipped: rows.documents.length - documents.length,
      };
    });
  });
}

const invalid = (why: string) => new AppError('ARCHIVE_INVALID', undefined, { why });
