// Library state: the documents list and the ingestion queue (read, parse, chunk, embed, save, index).
import { AppError, isAbortError, toAppError } from '../errors';
import { contextualText } from '../ingest';
import type { ChunkRecord, DocumentRecord, VectorRecord } from '../persistence/schema';
import { deleteDocument, findByHash, getChunksByDoc, listDocuments, saveDocumentWithChunks } from '../persistence';
import type { AppState } from './app.svelte';

export type DocumentSummary = Omit<DocumentRecord, 'text'>;

export type QueueStage =
  'waiting' | 'reading' | 'parsing' | 'chunking' | 'embedding' | 'saving' | 'done' | 'error' | 'cancelled';

export interface QueueItem {
  key: number;
  name: string;
  size: number;
  stage: QueueStage;
  /** 0..1 within the whole file's work. */
  fraction: number;
  error: AppError | null;
}

const STAGE_START: Record<QueueStage, number> = {
  waiting: 0,
  reading: 0.02,
  parsing: 0.05,
  chunking: 0.15,
  embedding: 0.2,
  saving: 0.95,
  done: 1,
  error: 1,
  cancelled: 1,
};

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

let nextKey = 1;

export class LibraryState {
  documents = $state<DocumentSummary[]>([]);
  queue = $state<QueueItem[]>([]);
  busy = $derived(this.queue.some((q) => !['done', 'error', 'cancelled'].includes(q.stage)));
  totalFraction = $derived(this.queue.length ? this.queue.reduce((s, q) => s + q.fraction, 0) / this.queue.length : 0);

  private readonly controllers = new Map<number, AbortController>();
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly app: AppState) {}

  async refresh(): Promise<void> {
    if (!this.app.db) return;
    const docs = await listDocuments(this.app.db);
    this.documents = docs.map(({ text: _text, ...rest }) => rest);
  }

  /** Queues files; they are processed one at a time so the tab stays responsive. */
  add(files: File[]): void {
    for (const file of files) {
      const item: QueueItem = {
        key: nextKey++,
        name: file.name,
        size: file.size,
        stage: 'waiting',
        fraction: 0,
        error: null,
      };
      this.queue = [...this.queue, item];
      const controller = new AbortController();
      this.controllers.set(item.key, controller);
      this.running = this.running.then(() => this.process(item.key, file, controller.signal));
    }
  }

  cancel(key: number): void {
    this.controllers.get(key)?.abort();
    const item = this.queue.find((q) => q.key === key);
    if (item?.stage === 'waiting') this.update(key, { stage: 'cancelled', fraction: 1 });
  }

  clearFinished(): void {
    this.queue = this.queue.filter((q) => !['done', 'error', 'cancelled'].includes(q.stage));
  }

  async remove(docId: string): Promise<void> {
    const db = this.app.db;
    if (!db) return;
    const chunks = await getChunksByDoc(db, docId);
    await deleteDocument(db, docId);
    await this.app.indexRpc?.call('remove', { ids: chunks.map((c) => c.id) });
    await this.refresh();
    this.app.info('Document deleted.');
  }

  private update(key: number, patch: Partial<QueueItem>): void {
    this.queue = this.queue.map((q) => (q.key === key ? { ...q, ...patch } : q));
  }

  private setStage(key: number, stage: QueueStage): void {
    this.update(key, { stage, fraction: STAGE_START[stage] });
  }

  private async process(key: number, file: File, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const app = this.app;
    try {
      const spec = app.embedderSpec;
      if (!app.db || !spec) throw new AppError('STORAGE_FAILED');
      if (file.size === 0) throw new AppError('FILE_EMPTY', `"${file.name}" is empty.`);
      const maxBytes = app.settings.maxFileMB * 1024 * 1024;
      if (file.size > maxBytes) {
        throw new AppError('FILE_TOO_LARGE', `"${file.name}" is larger than the ${app.settings.maxFileMB} MB limit.`);
      }
      this.setStage(key, 'reading');
      const bytes = await file.arrayBuffer();
      const hash = await sha256Hex(bytes);
      const existing = await findByHash(app.db, hash);
      if (existing)
        throw new AppError('FILE_DUPLICATE', `"${file.name}" is already in your library as "${existing.name}".`);
      if (app.embedder.status !== 'ready' || !app.embedderRpc || !app.indexReady) {
        throw (
          app.embedder.error ??
          new AppError('MODEL_LOAD_FAILED', 'The embedding model is not ready yet. Try again once it has loaded.')
        );
      }
      this.setStage(key, 'parsing');
      const { doc, chunks } = await app.ingestRpc!.call(
        'process',
        {
          bytes,
          name: file.name,
          mimeType: file.type,
          spec: $state.snapshot(spec),
          runtime: app.runtime(),
          maxTokens: app.settings.chunkTokens,
          overlapTokens: app.settings.chunkOverlapTokens,
          maxBytes,
        },
        { signal, onProgress: (p) => this.setStage(key, p.stage === 'parse' ? 'parsing' : 'chunking') },
      );
      if (chunks.length === 0) throw new AppError('NO_TEXT', `No text could be extracted from "${file.name}".`);
      this.setStage(key, 'embedding');
      const vectors = await app.embedderRpc.call(
        'embed',
        { texts: chunks.map((c) => contextualText(c, doc.title)), kind: 'document' },
        {
          signal,
          onProgress: (p) => this.update(key, { fraction: 0.2 + 0.75 * (p.done / p.total) }),
        },
      );
      if (signal.aborted) throw new AppError('ABORTED');
      this.setStage(key, 'saving');
      const docId = crypto.randomUUID();
      const chunkRecords: ChunkRecord[] = chunks.map((c) => ({
        id: `${docId}:${c.ordinal}`,
        docId,
        ordinal: c.ordinal,
        text: c.text,
        start: c.start,
        end: c.end,
        headingPath: c.headingPath,
        pageStart: c.pageStart ?? null,
        pageEnd: c.pageEnd ?? null,
        tokenCount: c.tokenCount,
        hash: c.hash,
      }));
      const vectorRecords: VectorRecord[] = chunkRecords.map((c, i) => ({
        chunkId: c.id,
        docId,
        embedderId: spec.id,
        dims: spec.dims,
        data: vectors.slice(i * spec.dims, (i + 1) * spec.dims).buffer,
      }));
      const record: DocumentRecord = {
        id: docId,
        name: file.name,
        kind: doc.kind,
        size: file.size,
        hash,
        title: doc.title,
        text: doc.text,
        pageCount: doc.pageCount ?? null,
        chunkCount: chunks.length,
        addedAt: Date.now(),
        status: 'ready',
        embedderId: spec.id,
      };
      await saveDocumentWithChunks(app.db, record, chunkRecords, vectorRecords);
      await app.indexRpc!.call('add', { ids: chunkRecords.map((c) => c.id), vectors });
      this.setStage(key, 'done');
      await this.refresh();
      app.info(`Added "${file.name}" (${chunks.length} chunks).`);
    } catch (err) {
      if (isAbortError(err) || signal.aborted) {
        this.setStage(key, 'cancelled');
        return;
      }
      const e = toAppError(err);
      this.update(key, { stage: 'error', fraction: 1, error: e });
      app.fail(e);
    } finally {
      this.controllers.delete(key);
    }
  }
}
