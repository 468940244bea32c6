// Library state: the documents list and the ingestion queue (read, parse, chunk, embed, save, index).
import { AppError, isAbortError, toAppError } from '../errors';
import { contextualText } from '../ingest';
import type {
  ChunkRecord,
  DocumentRecord,
  KeywordRecord,
  TokenVectorRecord,
  VectorRecord,
} from '../persistence/schema';
import {
  deleteDocument,
  findByHash,
  findByName,
  getChunksByDoc,
  listDocuments,
  saveDocumentWithChunks,
} from '../persistence';
import { quantizeInt6 } from '../retrieval/compress';
import type { AppState } from './app.svelte';
import { PendingImports } from './pending-imports';

export type DocumentSummary = Omit<DocumentRecord, 'text'>;

export type QueueStage =
  | 'waiting'
  | 'reading'
  | 'asking'
  | 'parsing'
  | 'chunking'
  | 'embedding'
  | 'tokens'
  | 'saving'
  | 'done'
  | 'error'
  | 'cancelled'
  | 'skipped';

/** A question the queue needs answered before a file can go on. */
export type QueuePrompt = { kind: 'replace'; existing: string } | { kind: 'password'; wrong: boolean };

export type PromptAnswer = { kind: 'replace'; replace: boolean } | { kind: 'password'; password: string | null };

export interface QueueItem {
  key: number;
  name: string;
  size: number;
  stage: QueueStage;
  /** 0..1 within the whole file's work. */
  fraction: number;
  error: AppError | null;
  prompt: QueuePrompt | null;
}

const FINISHED: QueueStage[] = ['done', 'error', 'cancelled', 'skipped'];

const STAGE_START: Record<QueueStage, number> = {
  waiting: 0,
  reading: 0.02,
  asking: 0.04,
  parsing: 0.05,
  chunking: 0.15,
  embedding: 0.2,
  tokens: 0.6,
  saving: 0.95,
  done: 1,
  error: 1,
  cancelled: 1,
  skipped: 1,
};

async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

let nextKey = 1;

export class LibraryState {
  documents = $state<DocumentSummary[]>([]);
  queue = $state<QueueItem[]>([]);
  busy = $derived(this.queue.some((q) => !FINISHED.includes(q.stage)));
  totalFraction = $derived(this.queue.length ? this.queue.reduce((s, q) => s + q.fraction, 0) / this.queue.length : 0);
  /** Files that were still being added when the page last closed; none of them was kept. */
  interrupted = $state<string[]>([]);

  private readonly controllers = new Map<number, AbortController>();
  private readonly answers = new Map<number, (a: PromptAnswer) => void>();
  private running: Promise<void> = Promise.resolve();
  private readonly pending = new PendingImports();
  /** Queue keys whose document is already saved: no longer at risk, though the item is not finished yet. */
  private readonly saved = new Set<number>();

  constructor(private readonly app: AppState) {}

  async refresh(): Promise<void> {
    if (!this.app.db) return;
    const docs = await listDocuments(this.app.db);
    this.documents = docs.map(({ text: _text, ...rest }) => rest);
  }

  /**
   * Reads the names a closed tab left in its queue. Saves are atomic, so those files are simply absent; the user is
   * told which to add again. Call before anything is queued.
   */
  async recoverInterrupted(): Promise<void> {
    const db = this.app.db;
    if (!db) return;
    const names = await this.pending.recover(db);
    if (names.length) this.interrupted = names;
  }

  dismissInterrupted(): void {
    this.interrupted = [];
  }

  /** Records the files still at risk: queued, not finished and not yet saved. */
  private persistPending(): void {
    const db = this.app.db;
    if (!db) return;
    this.pending.record(
      db,
      this.queue.filter((q) => !FINISHED.includes(q.stage) && !this.saved.has(q.key)).map((q) => q.name),
    );
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
        prompt: null,
      };
      this.queue = [...this.queue, item];
      const controller = new AbortController();
      this.controllers.set(item.key, controller);
      this.running = this.running.then(() => this.process(item.key, file, controller.signal));
    }
    this.persistPending();
  }

  cancel(key: number): void {
    this.controllers.get(key)?.abort();
    this.answers.get(key)?.({ kind: 'password', password: null });
    const item = this.queue.find((q) => q.key === key);
    if (item?.stage === 'waiting') {
      this.update(key, { stage: 'cancelled', fraction: 1 });
      this.persistPending();
    }
  }

  /** The UI's answer to a queue prompt (replace a changed file? the PDF's password?). */
  answer(key: number, answer: PromptAnswer): void {
    this.answers.get(key)?.(answer);
  }

  clearFinished(): void {
    this.queue = this.queue.filter((q) => !FINISHED.includes(q.stage));
  }

  async remove(docId: string): Promise<void> {
    const db = this.app.db;
    if (!db) return;
    const name = this.documents.find((d) => d.id === docId)?.name ?? 'Document';
    const chunks = await getChunksByDoc(db, docId);
    await deleteDocument(db, docId);
    await this.app.searchRpc?.call('remove', { ids: chunks.map((c) => c.id) });
    await this.refresh();
    this.app.info(`Deleted "${name}".`);
  }

  private update(key: number, patch: Partial<QueueItem>): void {
    this.queue = this.queue.map((q) => (q.key === key ? { ...q, ...patch } : q));
  }

  private setStage(key: number, stage: QueueStage): void {
    this.update(key, { stage, fraction: STAGE_START[stage] });
  }

  private ask(key: number, prompt: QueuePrompt): Promise<PromptAnswer> {
    this.update(key, { stage: 'asking', prompt });
    return new Promise((resolve) => {
      this.answers.set(key, (a) => {
        this.answers.delete(key);
        this.update(key, { prompt: null });
        resolve(a);
      });
    });
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
      if (existing) {
        throw new AppError('FILE_DUPLICATE', `"${file.name}" is already in your library as "${existing.name}".`);
      }
      // Index with every model that will load, so no document misses its token vectors.
      await app.modelsSettled;
      if (app.embedder.status !== 'ready' || !app.embedderRpc || !app.searchReady) {
        throw app.embedder.error ?? new AppError('EMBEDDER_NOT_READY');
      }
      let replaces: string | undefined;
      const sameName = (await findByName(app.db, file.name))[0];
      if (sameName) {
        const a = await this.ask(key, { kind: 'replace', existing: sameName.name });
        if (a.kind !== 'replace' || !a.replace) {
          this.update(key, { stage: 'skipped', fraction: 1 });
          return;
        }
        replaces = sameName.id;
      }
      const docId = crypto.randomUUID();
      let password: string | undefined;
      let processed;
      for (;;) {
        this.setStage(key, 'parsing');
        try {
          processed = await app.ingestRpc!.call(
            'process',
            {
              docId,
              bytes: bytes.slice(0),
              name: file.name,
              mimeType: file.type,
              spec: $state.snapshot(spec),
              runtime: app.runtime(),
              maxTokens: app.settings.chunkTokens,
              overlapTokens: app.settings.chunkOverlapTokens,
              maxBytes,
              password,
            },
            { signal, onProgress: (p) => this.setStage(key, p.stage === 'parse' ? 'parsing' : 'chunking') },
          );
          break;
        } catch (err) {
          const e = toAppError(err);
          if (e.code !== 'PDF_PASSWORD_REQUIRED' && e.code !== 'PDF_PASSWORD_INCORRECT') throw e;
          const a = await this.ask(key, { kind: 'password', wrong: e.code === 'PDF_PASSWORD_INCORRECT' });
          if (a.kind !== 'password' || a.password === null) throw e;
          password = a.password;
        }
      }
      const { doc, chunks, keywords } = processed;
      if (chunks.length === 0) throw new AppError('NO_TEXT', `No text could be extracted from "${file.name}".`);
      this.setStage(key, 'embedding');
      const vectors = await app.embedderRpc.call(
        'embed',
        { texts: chunks.map((c) => contextualText(c, doc.title)), kind: 'document' },
        { signal, onProgress: (p) => this.update(key, { fraction: 0.2 + 0.4 * (p.done / p.total) }) },
      );
      const tokenRecords: TokenVectorRecord[] = [];
      const late = app.lateSpec;
      if (app.lateInteraction.status === 'ready' && app.lateRpc && late) {
        this.setStage(key, 'tokens');
        const encoded = await app.lateRpc.call(
          'encodeDocuments',
          { texts: chunks.map((c) => c.text) },
          { signal, onProgress: (p) => this.update(key, { fraction: 0.6 + 0.35 * (p.done / p.total) }) },
        );
        encoded.forEach((t, i) => {
          // int6 keeps ≥ 95% top-10 agreement with float32 and fits 100 tokens in 8 KB (see compress.test.ts).
          const q = quantizeInt6(t);
          tokenRecords.push({
            chunkId: `${docId}:${chunks[i]!.ordinal}`,
            docId,
            modelId: late.id,
            tokens: t.tokens,
            dims: t.dims,
            bits: 6,
            data: q.data.buffer as ArrayBuffer,
            scales: q.scales.buffer as ArrayBuffer,
            tokenTexts: t.tokenTexts,
          });
        });
      }
      if (signal.aborted) throw new AppError('ABORTED');
      this.setStage(key, 'saving');
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
      const keywordRecords: KeywordRecord[] = keywords.map((k) => ({
        chunkId: k.id,
        docId,
        length: k.length,
        terms: k.terms,
        freqs: k.freqs,
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
      const replacedChunks = replaces ? (await getChunksByDoc(app.db, replaces)).map((c) => c.id) : [];
      await saveDocumentWithChunks(app.db, record, chunkRecords, vectorRecords, {
        keywords: keywordRecords,
        tokenVectors: tokenRecords,
        replaces,
      });
      this.saved.add(key);
      this.persistPending();
      if (replacedChunks.length) await app.searchRpc!.call('remove', { ids: replacedChunks });
      await app.searchRpc!.call('add', {
        ids: chunkRecords.map((c) => c.id),
        meta: { docId, kind: doc.kind, addedAt: record.addedAt },
        vectors,
        keywords,
      });
      this.setStage(key, 'done');
      await this.refresh();
      const warn = doc.warnings.length ? ' Some characters could not be decoded and were replaced.' : '';
      app.info(
        `${replaces ? 'Replaced' : 'Added'} "${file.name}" (${chunks.length} passage${chunks.length === 1 ? '' : 's'}).${warn}`,
      );
    } catch (err) {
      if (isAbortError(err) || signal.aborted) {
        this.setStage(key, 'cancelled');
        return;
      }
      const e = toAppError(err);
      this.update(key, { stage: 'error', fraction: 1, error: e, prompt: null });
      app.fail(e);
    } finally {
      this.controllers.delete(key);
      this.answers.delete(key);
      this.persistPending();
      this.saved.delete(key);
    }
  }
}
