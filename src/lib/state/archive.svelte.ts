// Library export and import as the UI sees them: progress, the merge-or-replace choice, the outcome; the ingest worker
// does the work (pipelines/library-archive.ts).
import { AppError, isAbortError, toAppError } from '../errors';
import type { ImportMode } from '../persistence';
import type { DocumentSummary } from '../pipelines/ingest';
import type { ArchiveProgress } from '../pipelines/library-archive';
import type { LibraryChange } from '../pipelines/library-sync';
import type { IngestMethods } from '../pipelines/library-types';
import type { RpcClient } from '../rpc';
import { download } from './download';

export type { ImportMode };

export interface ArchiveContext {
  /** The ingest worker, once the library is open. */
  client(): Promise<RpcClient<IngestMethods>>;
  /** Whether files are still being added (an export or import waits until they are done). */
  importing(): boolean;
  setDocuments(docs: DocumentSummary[]): void;
  /** Brings this tab's search indexes in step with the stored rows of these documents. */
  syncIndex(change: LibraryChange): Promise<unknown>;
  /** Tells the other tabs (ids only). */
  announce(change: LibraryChange): void;
  /** Compares the listed documents with storage and applies any difference (after an import that did not finish). */
  check(): void;
  /** A document left the library: its passages leave the conversation. */
  forget(docId: string): void;
  /** Documents (maybe deleted earlier in this session) are in the library again. */
  back(docIds: string[]): void;
  /** A replace brought the export's settings and conversation: read them again. */
  reloadSaved(): Promise<void>;
  info(text: string): void;
  fail(err: AppError): void;
}

const PHASE_TEXT: Record<ArchiveProgress['phase'], string> = {
  reading: 'Reading your library',
  packing: 'Packing',
  checking: 'Checking the file',
  writing: 'Saving',
};

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

export class ArchiveState {
  /** What runs now; idle when nothing does. */
  running = $state<'idle' | 'export' | 'import'>('idle');
  progress = $state<ArchiveProgress | null>(null);
  /** The file picked for import, waiting for the user to choose merge or replace. */
  chosen = $state<File | null>(null);
  /** The last export or import's failure, shown beside the buttons. */
  error = $state<AppError | null>(null);
  /** The last outcome in words. */
  done = $state('');
  /** Whether Cancel still stops anything (not once the import's single write has begun). */
  cancellable = $derived(this.running !== 'idle' && this.progress?.phase !== 'writing');
  label = $derived(this.progress ? PHASE_TEXT[this.progress.phase] : '');

  private controller: AbortController | null = null;

  constructor(private readonly ctx: ArchiveContext) {}

  private begin(kind: 'export' | 'import'): AbortSignal | null {
    if (this.running !== 'idle') return null;
    this.error = null;
    this.done = '';
    if (this.ctx.importing()) {
      this.failWith(new AppError('LIBRARY_BUSY'));
      return null;
    }
    this.running = kind;
    this.progress = null;
    this.controller = new AbortController();
    return this.controller.signal;
  }

  private end(): void {
    this.running = 'idle';
    this.progress = null;
    this.controller = null;
  }

  private failWith(err: AppError): void {
    this.error = err;
    this.ctx.fail(err);
  }

  /** Packs the library in the worker and downloads it. */
  exportLibrary = async (): Promise<void> => {
    const signal = this.begin('export');
    if (!signal) return;
    try {
      const rpc = await this.ctx.client();
      const out = await rpc.call('exportLibrary', {}, { signal, onProgress: (p) => (this.progress = p) });
      const day = out.manifest.exportedAt.slice(0, 10);
      download(out.blob, `lectern-library-${day}.zip`);
      const { documents, chunks } = out.manifest.counts;
      this.done = `Exported ${plural(documents, 'document')} (${plural(chunks, 'passage')}).`;
      this.ctx.info(this.done);
    } catch (err) {
      if (isAbortError(err)) this.ctx.info('Export cancelled.');
      else this.failWith(toAppError(err, 'STORAGE_FAILED'));
    } finally {
      this.end();
    }
  };

  /** A file was picked: the dialog asks merge or replace. */
  choose = (file: File): void => {
    this.error = null;
    this.chosen = file;
  };

  dismiss = (): void => void (this.chosen = null);

  /** Imports the chosen file: checked completely in the worker, then written in one transaction. */
  importLibrary = async (mode: ImportMode): Promise<void> => {
    const file = this.chosen;
    this.chosen = null;
    if (!file) return;
    const signal = this.begin('import');
    if (!signal) return;
    let settled = false;
    try {
      const rpc = await this.ctx.client();
      const out = await rpc.call('importLibrary', { file, mode }, { signal, onProgress: (p) => (this.progress = p) });
      settled = true;
      const change = { added: out.added, removed: out.removed };
      this.ctx.setDocuments(out.documents);
      // The import is stored whatever happens to search now: a failure here is said, and the next start replays the
      // journal the import wrote.
      await this.ctx.syncIndex(change).catch((err: unknown) => this.ctx.fail(toAppError(err)));
      this.ctx.announce(change);
      const back = new Set(out.added);
      for (const id of out.removed) if (!back.has(id)) this.ctx.forget(id);
      this.ctx.back(out.added);
      if (mode === 'replace') await this.ctx.reloadSaved();
      const skipped = out.skipped ? `; skipped ${out.skipped} already in your library` : '';
      this.done = `Imported ${plural(out.added.length, 'document')}${skipped}.`;
      this.ctx.info(this.done);
    } catch (err) {
      if (isAbortError(err)) this.ctx.info('Import cancelled.');
      else this.failWith(toAppError(err, 'STORAGE_FAILED'));
    } finally {
      // A cancel that came while the write committed (or a failure after it): make the list and indexes agree with storage.
      if (!settled) this.ctx.check();
      this.end();
    }
  };

  cancel = (): void => this.controller?.abort();
}
