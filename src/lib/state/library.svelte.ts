// Library state: the documents list and the import queue; the ingest worker (its own) runs the ingest pipeline.
import type { Settings } from '../config/defaults';
import type { EmbedderSpec } from '../config/registry-types';
import { AppError, isAbortError, toAppError, type WireError } from '../errors';
import type {
  DocumentSummary,
  ImportOutcome,
  ImportRequest,
  PromptAnswer,
  QueuePrompt,
  QueueStage,
} from '../pipelines/ingest';
import { STAGE_START } from '../pipelines/ingest';
import { applyToList, type LibraryChange } from '../pipelines/library-sync';
import type { ImportProgress, IngestMethods } from '../pipelines/library-types';
import type { LecternDatabase } from '../persistence';
import { ocrLanguagesOf } from '../config/ocr-languages';
import type { RpcClient } from '../rpc';
import { BackfillState } from './backfill.svelte';
import { IngestWorker, WORKER_STAGES, type ModelLines } from './ingest-worker';
import { ImportQueue, isFinished } from './import-queue';
import { QUEUE_ROWS } from './queue-view';
import { endsPending, PendingImports, type PendingFile } from './pending-imports';

export type { DocumentSummary, PromptAnswer, QueuePrompt, QueueStage };

export interface QueueItem {
  key: number;
  name: string;
  size: number;
  stage: QueueStage;
  /** 0..1 within the whole file's work. */
  fraction: number;
  error: AppError | null;
  prompt: QueuePrompt | null;
  /** performance.now() when the worker began the file; null until then (or never, if cancelled while waiting). */
  startedAt: number | null;
  /** performance.now() when the file finished; null while it is not. */
  finishedAt: number | null;
}

export interface LibraryContext {
  db(): LecternDatabase | null;
  settings(): Settings;
  /** The embedder the registry names, once the registry has loaded. */
  embedderSpec(): Promise<EmbedderSpec | null>;
  info(text: string): void;
  fail(err: AppError): void;
  searchLine(): MessagePort;
  modelLines(): Promise<ModelLines>;
  /** A document left the library (deleted or replaced): nothing else may keep its text. */
  removed(docId: string): void;
  /** Whether other models' vectors are replaced without asking (the user's own models; not a link's visit). */
  reindexOnAttach(): boolean;
  /** This tab saved or deleted documents: other tabs are told (ids only). */
  changed(change: LibraryChange): void;
}

let nextKey = 1;

/** Asks the browser not to evict the library (after the first import) and reports whether it will keep it. */
async function keepStorage(report: (kept: boolean) => void): Promise<void> {
  const storage = globalThis.navigator?.storage;
  try {
    report((await storage?.persisted?.()) || ((await storage?.persist?.()) ?? false));
  } catch {
    report(false);
  }
}

const importRequest = (docId: string, file: File, embedder: EmbedderSpec, s: Settings): ImportRequest => ({
  ...{ docId, file, name: file.name, mimeType: file.type, embedder, maxFileMB: s.maxFileMB },
  ocrLanguages: ocrLanguagesOf(s.ocrLanguages),
  ocrPictures: s.ocrPictures === true,
  chunk: { maxTokens: s.chunkTokens, overlapTokens: s.chunkOverlapTokens },
});

/** What the status line says about a file just added. */
function addedLine(out: ImportOutcome & { kind: 'added' | 'replaced' }, name: string): string {
  const warn = out.warnings.map((code) => ` ${new AppError(code).message}`).join('');
  const n = out.doc.chunkCount;
  const keywordsOnly =
    out.doc.embedderId === null ? ' Searchable by keywords only until the embedding model loads.' : '';
  return `${out.replaced ? 'Replaced' : 'Added'} "${name}" (${n} passage${n === 1 ? '' : 's'}).${keywordsOnly}${warn}`;
}

const newItem = (file: File): QueueItem => ({
  key: nextKey++,
  ...{ name: file.name, size: file.size, stage: 'waiting', fraction: 0, error: null, prompt: null },
  ...{ startedAt: null, finishedAt: null },
});

export class LibraryState {
  /** Replaced whole on every change (never edited in place), so 10,000 rows are not each wrapped in a proxy. */
  documents = $state.raw<DocumentSummary[]>([]);
  /** True once the ingest worker has listed the stored documents (an empty list before that says nothing). */
  listed = $state(false);
  /**
   * The import queue: plain, immutable items (a changed one is replaced, never edited), its rate sums and row indexes
   * kept as they change. `version` is what the views depend on: one bump per change, so a progress message or a
   * finished file costs O(1), and adding 10,000 files one pass with no reactive writes per file.
   */
  private readonly items = new ImportQueue<QueueItem>();
  private version = $state(0);
  /** How many files the queue lists. */
  queueLength = $derived.by(() => {
    void this.version;
    return this.items.length;
  });
  /** The queue's rows to draw: all of a short queue; of a long one, those needing the user's eyes, then waiting ones. */
  queueRows = $derived.by(() => {
    void this.version;
    return this.items.view(QUEUE_ROWS);
  });
  /** The queue's files done of total, overall fraction, throughput and time left (kept as files change, not recounted). */
  rate = $derived.by(() => {
    void this.version;
    return this.items.rate();
  });
  busy = $derived(this.rate.done < this.rate.total);
  totalFraction = $derived(this.rate.fraction);
  /** Files that were still being added when a tab closed and whose bytes could not be kept (no room): lost, named. */
  interrupted = $state<string[]>([]);
  /** How many files a closed tab left unfinished were queued again at start (0: none). */
  resumed = $state(0);
  private resumedLeft = $state(0);
  /** Whether some of those resumed files are still waiting or being imported (the notice offers Cancel then). */
  resumedBusy = $derived(this.resumedLeft > 0);
  /** Whether the browser keeps the library when it runs short of space (asked after the first import); null: not asked. */
  persisted = $state<boolean | null>(null);
  /** Adds the vectors documents lack (indexed by keywords only, or with other models) whenever the models attach. */
  readonly backfill = new BackfillState({
    updated: (doc) => {
      this.documents = this.documents.map((d) => (d.id === doc.id ? { ...d, ...doc } : d));
      // Other tabs add the new vectors to their indexes too.
      this.ctx.changed({ added: [doc.id], removed: [] });
    },
    info: (text) => this.ctx.info(text),
    fail: (err) => this.ctx.fail(err),
  });

  private worker: IngestWorker | null = null;
  private openResult: (err: AppError | null) => void = () => {};
  /** Settles once the documents are listed: null, or why the library could not open. */
  private readonly opened = new Promise<AppError | null>((resolve) => (this.openResult = resolve));
  private readonly controllers = new Map<number, AbortController>();
  private readonly answers = new Map<number, (a: PromptAnswer) => void>();
  private running: Promise<void> = Promise.resolve();
  private readonly pending = new PendingImports();
  /** Queue keys whose document is already saved: cancelling no longer stops anything. */
  private readonly saved = new Set<number>();
  /** Queue keys of the files resumed from a closed tab. */
  private readonly resumedKeys = new Set<number>();
  /** Each waiting or running file's pending-import row (none when storage is unavailable). */
  private readonly rows = new Map<number, PendingFile>();

  constructor(private readonly ctx: LibraryContext) {}

  /** Starts the supervised ingest worker on the database and lists the documents (files added meanwhile wait). */
  open(dbName: string): void {
    const { searchLine, modelLines, fail } = this.ctx;
    const listed = (docs: DocumentSummary[]) => {
      this.documents = docs;
      this.listed = true;
    };
    const attached = (rpc: RpcClient<IngestMethods>) => void this.backfill.run(rpc, this.ctx.reindexOnAttach());
    // Text recognition loads from the app's own ocr/ folder (vite.config.ts), never from a CDN.
    const ocrBaseUrl = new URL('ocr/', document.baseURI).href;
    this.worker = new IngestWorker({ dbName, ocrBaseUrl, searchLine, modelLines, listed, attached, fail });
    this.worker.client().then(
      () => this.openResult(null),
      (err: unknown) => this.unavailable(toAppError(err, 'STORAGE_FAILED')),
    );
  }

  /** The library cannot open (storage failed): imports and questions fail with this reason instead of waiting. */
  unavailable(err: AppError): void {
    this.ctx.fail(err);
    this.openResult(err);
  }

  /** Resolves once the documents are listed; throws why the library could not open. */
  async ready(): Promise<void> {
    const err = await this.opened;
    if (err) throw err;
  }

  /** The live ingest worker, once the library is open (library export and import run there). */
  client = async (): Promise<RpcClient<IngestMethods>> => {
    await this.ready();
    if (!this.worker) throw new AppError('STORAGE_FAILED');
    return this.worker.client();
  };

  /** A model loaded after the others had settled (a retry): imports and the backfill use it from now on. */
  modelsChanged = (): void => void this.worker?.reattach();

  /** Re-indexes the documents whose vectors come from other models, with the models in use (the user asked). */
  reindex = async (): Promise<void> => {
    if (this.worker) await this.backfill.run(await this.worker.client(), true);
  };

  /** A model worker died: the ingest worker's line to it fails its calls instead of waiting forever. */
  peerFailed(peer: 'embedder' | 'late', error: WireError): void {
    this.worker
      ?.client()
      .then((rpc) => rpc.call('peerFailed', { peer, error }))
      .catch((err: unknown) => this.ctx.fail(toAppError(err)));
  }

  /** A respawned model worker's line for the ingest worker (or, port null, why it could not come back). */
  peerRestored(peer: 'embedder' | 'late', port: MessagePort | null, error: WireError | null): void {
    this.worker
      ?.client()
      .then((rpc) => rpc.call('peerRestored', { peer, port, error }, { transfer: port ? [port] : [] }))
      .catch((err: unknown) => this.ctx.fail(toAppError(err)));
  }

  /** The search worker was lost (port null: the ingest worker's line fails its calls) or replaced (its new line). */
  searchReplaced(port: MessagePort | null, error: WireError | null): void {
    this.worker
      ?.client()
      .then((rpc) => rpc.call('attachSearch', { port, error }, { transfer: port ? [port] : [] }))
      .catch((err: unknown) => this.ctx.fail(toAppError(err)));
  }

  /**
   * Queues again, first and in their order, the files closed tabs left unfinished (saves are atomic and remove the
   * file's row: a saved file is never among them), and names those whose bytes there was no room to keep. Call before
   * any file is added.
   */
  async resumeInterrupted(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    const { files, lost } = await this.pending.recover(db);
    if (lost.length) this.interrupted = lost;
    if (!files.length) return;
    this.resumed = files.length;
    for (const key of this.enqueue(files)) this.resumedKeys.add(key);
    this.resumedLeft = this.resumedKeys.size;
  }

  dismissInterrupted = (): void => void (this.interrupted = []);

  dismissResumed = (): void => void (this.resumed = 0);

  /** Cancels the resumed files not yet finished (the user does not want them after all). */
  cancelResumed = (): void => {
    for (const key of this.resumedKeys) this.cancel(key);
    this.resumed = 0;
  };

  /** Queues files; they are processed one at a time so the tab stays responsive. Each is kept until it finishes, so a
   * start after this tab closes resumes it. */
  add(files: File[]): void {
    const db = this.ctx.db();
    const kept = db ? this.pending.keep(db, files) : [];
    this.enqueue(files.map((file, i) => ({ file, pending: kept[i] ?? null })));
  }

  /** Resolves once every queued file has reached its end (files queued meanwhile included). */
  async settled(): Promise<void> {
    let last: Promise<void>;
    do {
      last = this.running;
      await last;
    } while (last !== this.running);
  }

  private enqueue(files: { file: File; pending: PendingFile | null }[]): number[] {
    const items = files.map(({ file, pending }) => {
      const item = newItem(file);
      if (pending) this.rows.set(item.key, pending);
      const controller = new AbortController();
      this.controllers.set(item.key, controller);
      this.running = this.running.then(() => this.process(item.key, file, controller.signal));
      return item;
    });
    this.items.add(items);
    this.version++;
    return items.map((item) => item.key);
  }

  /** A resumed file reached its end. */
  private settleResumed(key: number): void {
    if (this.resumedKeys.delete(key)) this.resumedLeft = Math.max(0, this.resumedLeft - 1);
  }

  /** The file reached an end: its pending-import row goes (a saved one's went with the save already). */
  private forget(key: number): void {
    const row = this.rows.get(key);
    const db = this.ctx.db();
    this.rows.delete(key);
    if (row && db) this.pending.forget(db, row.id);
  }

  cancel(key: number): void {
    this.controllers.get(key)?.abort();
    const item = this.items.get(key);
    // Parsing runs synchronously in the worker: only ending the worker stops it.
    if (item && WORKER_STAGES.includes(item.stage) && !this.saved.has(key))
      this.worker?.restart(new AppError('ABORTED'));
    if (item?.stage === 'waiting') {
      this.update(key, { stage: 'cancelled', fraction: 1 });
      this.forget(key);
      this.settleResumed(key);
    }
  }

  /** The UI's answer to a queue prompt (replace a changed file? the PDF's password?). */
  answer(key: number, answer: PromptAnswer): void {
    this.answers.get(key)?.(answer);
  }

  clearFinished(): void {
    this.items.retain((q) => !isFinished(q));
    this.version++;
  }

  async remove(docId: string): Promise<void> {
    if (!this.worker) return;
    const name = this.documents.find((d) => d.id === docId)?.name ?? 'Document';
    try {
      await this.worker.remove(docId);
    } catch (err) {
      this.ctx.fail(toAppError(err, 'STORAGE_FAILED'));
      return;
    }
    this.documents = this.documents.filter((d) => d.id !== docId);
    this.ctx.changed({ added: [], removed: [docId] });
    this.ctx.removed(docId);
    this.ctx.info(`Deleted "${name}".`);
  }

  /** Replaces one item with its patched copy (O(1): the queue keeps its sums and indexes). A started file's end is
   * timed here. */
  private update(key: number, patch: Partial<QueueItem>): void {
    const item = this.items.get(key);
    if (!item) return;
    const ends = patch.stage !== undefined && isFinished({ stage: patch.stage }) && item.startedAt !== null;
    this.items.replace({
      ...item,
      ...patch,
      ...(ends && item.finishedAt === null ? { finishedAt: performance.now() } : {}),
    });
    this.version++;
  }

  /** Shows the worker's question on the item and sends the user's answer back. */
  private ask(key: number, docId: string, prompt: QueuePrompt, rpc: RpcClient<IngestMethods>): void {
    this.update(key, { stage: 'asking', fraction: STAGE_START.asking, prompt });
    this.answers.set(key, (a) => {
      this.answers.delete(key);
      this.update(key, { prompt: null });
      rpc.call('answer', { docId, answer: a }).catch((err: unknown) => this.ctx.fail(toAppError(err)));
    });
  }

  private onProgress(key: number, docId: string, p: ImportProgress, rpc: RpcClient<IngestMethods>): void {
    if (p.kind === 'stage') this.update(key, { stage: p.stage, fraction: p.fraction });
    else if (p.kind === 'ask') this.ask(key, docId, p.prompt, rpc);
    else if (p.kind === 'saved') this.saved.add(key);
  }

  private async process(key: number, file: File, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let watch: ReturnType<IngestWorker['watch']> | undefined;
    let keepRow = false;
    const row = this.rows.get(key);
    try {
      // Written before the worker may remove it with the document's save: never left behind for a saved file.
      await row?.stored;
      await this.ready();
      const spec = await this.ctx.embedderSpec();
      if (!this.worker) throw new AppError('STORAGE_FAILED');
      if (!spec) throw new AppError('MODEL_NOT_FOUND', undefined, { role: 'embedder' });
      const rpc = await this.worker.client();
      const db = this.ctx.db();
      if (row && db) this.pending.importing(db, row.id);
      this.update(key, { startedAt: performance.now() });
      const stall = (watch = this.worker.watch(file.name, file.size));
      const docId = crypto.randomUUID();
      const request = importRequest(docId, file, $state.snapshot(spec) as EmbedderSpec, this.ctx.settings());
      request.pendingId = row?.id;
      const onProgress = (p: ImportProgress) => {
        // The stall clock runs only while the worker itself computes: not while asking the user or awaiting models.
        stall.stage(p.kind === 'stage' ? p.stage : p.kind === 'saved' ? 'saving' : 'asking');
        this.onProgress(key, docId, p, rpc);
      };
      const out = await rpc.call('import', request, { signal, onProgress });
      if (out.kind === 'skipped') {
        this.update(key, { stage: 'skipped', fraction: 1 });
        return;
      }
      // Once only, even if a consistency check (TabSync) listed it first.
      this.documents = applyToList(this.documents, [out.doc], out.replaced ? [out.replaced] : []);
      this.ctx.changed({ added: [out.doc.id], removed: out.replaced ? [out.replaced] : [] });
      if (this.persisted === null) void keepStorage((kept) => (this.persisted = kept));
      if (out.replaced) this.ctx.removed(out.replaced);
      this.update(key, { stage: 'done', fraction: 1 });
      this.ctx.info(addedLine(out, file.name));
    } catch (err) {
      if (isAbortError(err) || signal.aborted) {
        this.update(key, { stage: 'cancelled', fraction: 1, prompt: null });
        return;
      }
      const e = toAppError(err);
      // A failure of the app or the browser, not of this file (storage, models, the worker): its stored copy stays, so
      // the next start tries it again (at most MAX_ATTEMPTS starts in all).
      if (!endsPending(e.code)) keepRow = true;
      // A resumed file already in the library (the user added it again meanwhile): nothing to say, nothing lost.
      if (e.code === 'FILE_DUPLICATE' && this.resumedKeys.has(key)) {
        this.update(key, { stage: 'skipped', fraction: 1, prompt: null });
        return;
      }
      this.update(key, { stage: 'error', fraction: 1, error: e, prompt: null });
      this.ctx.fail(e);
    } finally {
      watch?.stop();
      this.controllers.delete(key);
      this.answers.delete(key);
      const db = this.ctx.db();
      if (row && db) this.pending.importing(db, null);
      if (keepRow) {
        if (row && db) this.pending.failed(db, row.id);
        this.rows.delete(key);
      } else this.forget(key);
      this.settleResumed(key);
      this.saved.delete(key);
    }
  }
}
