// The library service (ingest worker): imports files through the ingest pipeline, removes documents, lists them.
import type { EmbedderSpec } from '../config/registry-types';
import { AppError, fromWire } from '../errors';
import { parseFile } from '../ingest';
import { drawImageOffscreen } from '../ingest/image-render';
import { offscreenDocumentParams, renderPageOffscreen } from '../ingest/pdf-render';
import { tesseractRecognizer, OCR_MODEL, type Recognizer } from '../models/ocr/tesseract';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import { estimateTokens, loadTokenCounter, type TokenCounter } from '../models/tokenizer';
import type { RuntimeConfig } from '../models/runtime';
import {
  deleteDocument,
  findByHash,
  findOcrPage,
  findByName,
  getChunksByDoc,
  tokenVectorModel,
  vectorsOf,
  listDocuments,
  saveBackfilledVectors,
  openLecternDB,
  readLibraryRows,
  getSetting,
  writeLibraryRows,
  DB_VERSION,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../persistence';
import {
  chunkParsed,
  importFile,
  removeDocument,
  type LibraryStore,
  type OcrPort,
  type PromptAnswer,
} from '../pipelines/ingest';
import { backfill, type BackfillStore } from '../pipelines/backfill';
import { exportLibrary, importLibrary } from '../pipelines/library-archive';
import { version as appVersion } from '../../../package.json';
import type { IngestMethods } from '../pipelines/library-types';
import type { SearchMethods } from '../retrieval/search-types';
import { connectPort, type Handlers, type RpcClient } from '../rpc';
import { ModelLines } from './model-lines';

function libraryStore(db: LecternDatabase): LibraryStore {
  return {
    findByHash: (hash) => findByHash(db, hash),
    findByName: async (name) => (await findByName(db, name))[0],
    chunkIdsOf: async (docId) => (await getChunksByDoc(db, docId)).map((c) => c.id),
    save: (rows, replaces, pending) =>
      saveDocumentWithChunks(db, rows.doc, rows.chunks, rows.vectors, {
        keywords: rows.keywords,
        tokenVectors: rows.tokenVectors,
        ...(rows.ocrPages && { ocrPages: rows.ocrPages }),
        replaces,
        pending,
      }),
    remove: (docId) => deleteDocument(db, docId),
  };
}

/** Seconds per page assumed before this device has recognised one (0.149 pages/s measured at 2x, test/eval/ocr.ts). */
const FIRST_SECONDS_PER_PAGE = 7;

/** OCR in the ingest worker: pages drawn off screen here, recognised by tesseract.js, cached in storage by page hash. */
function ocrPort(db: LecternDatabase, recognizer: Recognizer): OcrPort {
  const spent: number[] = [];
  return {
    available: () =>
      typeof OffscreenCanvas !== 'undefined' && typeof Worker !== 'undefined' && typeof WebAssembly !== 'undefined',
    render: renderPageOffscreen,
    documentParams: offscreenDocumentParams(),
    recognise: async (image, languages, signal) => {
      const { page, ms } = await recognizer.recognise(image, languages, signal);
      // The estimate follows this device: the mean of its last pages (recognition only, not the first load).
      spent.push(ms / 1000);
      if (spent.length > 20) spent.shift();
      return page;
    },
    cached: async (hash) => {
      const r = await findOcrPage(db, hash);
      return r && { hash: r.hash, width: r.width, height: r.height, lines: r.lines, image: r.image };
    },
    model: OCR_MODEL,
    drawImage: drawImageOffscreen,
    get secondsPerPage() {
      return spent.length ? spent.reduce((a, b) => a + b, 0) / spent.length : FIRST_SECONDS_PER_PAGE;
    },
  };
}

function backfillStore(db: LecternDatabase): BackfillStore {
  return {
    documents: async () => (await listDocuments(db)).map(({ text: _text, ...summary }) => summary),
    chunksOf: (docId) => getChunksByDoc(db, docId),
    tokenVectorModel: (docId) => tokenVectorModel(db, docId),
    vectorsOf: (_docId, chunkIds) => vectorsOf(db, chunkIds),
    save: (docId, chunkIds, vectors) => saveBackfilledVectors(db, docId, chunkIds, vectors),
  };
}

export interface IngestServiceOptions {
  /** How chunk sizes are counted; default: the embedder's own tokenizer (tests give a word counter). */
  tokenCounter?: (spec: EmbedderSpec, runtime: RuntimeConfig) => Promise<TokenCounter>;
}

export function ingestHandlers(options: IngestServiceOptions = {}): Handlers<IngestMethods> {
  const tokenCounter = options.tokenCounter ?? loadTokenCounter;
  let store: LibraryStore | null = null;
  let db: LecternDatabase | null = null;
  let search: RpcClient<SearchMethods> | null = null;
  let ocr: OcrPort | undefined;
  /** The lines to the model workers: replaced on attach, failed when one dies, restored when it is back. */
  const lines = new ModelLines();
  const models = () => lines.get();
  /** Answers to the questions each running import asked (by document id). */
  const waiting = new Map<string, (a: PromptAnswer) => void>();

  const need = (): LibraryStore => {
    if (!store) throw new AppError('INDEX_NOT_OPEN');
    return store;
  };

  return {
    open: async ({ dbName, search: port, ocrBaseUrl }) => {
      db = await openLecternDB(dbName);
      store = libraryStore(db);
      ocr = ocrBaseUrl ? ocrPort(db, tesseractRecognizer(ocrBaseUrl)) : undefined;
      search = connectPort(port);
      return (await listDocuments(db)).map(({ text: _text, ...summary }) => summary);
    },

    attach: async ({ embedder, late, runtime, unavailable }) => {
      if (unavailable || !search) {
        lines.attach(unavailable ? fromWire(unavailable) : new AppError('SEARCH_NOT_READY'));
        return;
      }
      const embedderClient = embedder ? connectPort<EmbedderMethods>(embedder.port) : null;
      const lateClient = late ? connectPort<LateInteractionMethods>(late.port) : null;
      lines.attach(
        {
          embedder: embedderClient && embedder ? { caller: embedderClient, key: embedder.key } : null,
          late: lateClient && late ? { caller: lateClient, modelId: late.modelId } : null,
          index: search,
          // Offline, the tokenizer cannot load either: chunks are then sized by an overestimate, so they still fit.
          // Nothing is fetched before the user agreed to model downloads (runtime null): the estimate sizes them too.
          tokenCounter: (spec: EmbedderSpec) =>
            runtime ? tokenCounter(spec, runtime).catch(() => estimateTokens) : Promise.resolve(estimateTokens),
        },
        { embedder: embedderClient ?? undefined, late: lateClient ?? undefined },
      );
    },

    peerFailed: async ({ peer, error }) => lines.failed(peer, error),

    peerRestored: async ({ peer, port, error }) => lines.restored(peer, port, error),

    attachSearch: async ({ port, error }) => {
      // A port does not notice its worker dying: the calls on the old line fail rather than wait forever.
      if (!port) return search?.fail(fromWire(error));
      search = connectPort(port);
      lines.reindex(search);
    },

    import: async (req, ctx) =>
      importFile(
        req,
        {
          store: need(),
          models,
          ...(ocr && { ocr }),
        },
        {
          signal: ctx.signal,
          progress: (stage, fraction) => ctx.progress({ kind: 'stage', stage, fraction }),
          saved: () => ctx.progress({ kind: 'saved' }),
          waiting: () => ctx.progress({ kind: 'waiting' }),
          ask: (prompt) =>
            new Promise((resolve, reject) => {
              if (ctx.signal.aborted) return reject(new AppError('ABORTED'));
              const onAbort = () => {
                waiting.delete(req.docId);
                reject(new AppError('ABORTED'));
              };
              ctx.signal.addEventListener('abort', onAbort, { once: true });
              waiting.set(req.docId, (a) => {
                waiting.delete(req.docId);
                ctx.signal.removeEventListener('abort', onAbort);
                resolve(a);
              });
              ctx.progress({ kind: 'ask', prompt });
            }),
        },
      ),

    backfill: async ({ replace }, ctx) => {
      if (!db || !search) throw new AppError('INDEX_NOT_OPEN');
      // No usable index (search did not open): that was said already, and there is nothing to fill.
      const m = await models().catch(() => null);
      if (!m) return { done: 0, failed: 0 };
      const ports = { store: backfillStore(db), models: m, index: search };
      return backfill(ports, { replace }, { signal: ctx.signal, progress: ctx.progress });
    },

    answer: async ({ docId, answer }) => {
      const resolve = waiting.get(docId);
      resolve?.(answer);
      return resolve !== undefined;
    },

    remove: async ({ docId }) => {
      if (!search) throw new AppError('INDEX_NOT_OPEN');
      await removeDocument(docId, need(), search);
    },

    exportLibrary: async (_params, ctx) => {
      const d = db;
      if (!d) throw new AppError('INDEX_NOT_OPEN');
      const ports = {
        read: (keys: readonly string[]) => readLibraryRows(d, keys),
        schemaVersion: DB_VERSION,
        appVersion,
      };
      return exportLibrary(ports, { signal: ctx.signal, progress: ctx.progress });
    },

    importLibrary: async ({ file, mode }, ctx) => {
      const d = db;
      if (!d) throw new AppError('INDEX_NOT_OPEN');
      ctx.progress({ phase: 'checking', fraction: 0 });
      const bytes = new Uint8Array(await file.arrayBuffer());
      const ports = {
        write: (...args: Parameters<typeof writeLibraryRows> extends [unknown, ...infer R] ? R : never) =>
          writeLibraryRows(d, ...args),
        setting: (key: string) => getSetting<unknown>(d, key, undefined, (_v): _v is unknown => true),
        schemaVersion: DB_VERSION,
      };
      const out = await importLibrary(bytes, mode, ports, { signal: ctx.signal, progress: ctx.progress });
      const documents = (await listDocuments(d)).map(({ text: _text, ...summary }) => summary);
      return { added: out.added, removed: out.removed, skipped: out.skipped, documents };
    },

    // Parse and chunk only, for the ingest benchmark: what one file costs before any model runs.
    process: async (p) => {
      const doc = await parseFile(new Uint8Array(p.bytes), p.name, p.mimeType, {
        maxBytes: p.maxBytes,
        password: p.password,
      });
      const countTokens = await tokenCounter(p.spec, p.runtime);
      const chunks = await chunkParsed(doc, p.spec, p, countTokens);
      return { pageCount: doc.pageCount ?? null, chunks: chunks.length };
    },
  };
}
