// The library service (ingest worker): imports files through the ingest pipeline, removes documents, lists them.
import type { EmbedderSpec } from '../config/registry-types';
import { AppError, fromWire } from '../errors';
import { parseFile } from '../ingest';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import { loadTokenCounter } from '../models/tokenizer';
import {
  deleteDocument,
  findByHash,
  findByName,
  getChunksByDoc,
  listDocuments,
  openLecternDB,
  saveDocumentWithChunks,
  type LecternDatabase,
} from '../persistence';
import {
  chunkParsed,
  importFile,
  removeDocument,
  type IngestModels,
  type LibraryStore,
  type PromptAnswer,
} from '../pipelines/ingest';
import type { IngestMethods } from '../pipelines/library-types';
import type { SearchMethods } from '../retrieval/search-types';
import { connectPort, type Handlers, type RpcClient } from '../rpc';

function libraryStore(db: LecternDatabase): LibraryStore {
  return {
    findByHash: (hash) => findByHash(db, hash),
    findByName: async (name) => (await findByName(db, name))[0],
    chunkIdsOf: async (docId) => (await getChunksByDoc(db, docId)).map((c) => c.id),
    save: (rows, replaces) =>
      saveDocumentWithChunks(db, rows.doc, rows.chunks, rows.vectors, {
        keywords: rows.keywords,
        tokenVectors: rows.tokenVectors,
        replaces,
      }),
    remove: (docId) => deleteDocument(db, docId),
  };
}

export function ingestHandlers(): Handlers<IngestMethods> {
  let store: LibraryStore | null = null;
  let search: RpcClient<SearchMethods> | null = null;
  let settle: (m: IngestModels | AppError) => void = () => {};
  const models = new Promise<IngestModels | AppError>((resolve) => (settle = resolve));
  /** Answers to the questions each running import asked (by document id). */
  const waiting = new Map<string, (a: PromptAnswer) => void>();

  const need = (): LibraryStore => {
    if (!store) throw new AppError('INDEX_NOT_OPEN');
    return store;
  };

  return {
    open: async ({ dbName, search: port }) => {
      const db = await openLecternDB(dbName);
      store = libraryStore(db);
      search = connectPort(port);
      return (await listDocuments(db)).map(({ text: _text, ...summary }) => summary);
    },

    attach: async ({ embedder, late, runtime, unavailable }) => {
      if (unavailable || !embedder || !search) {
        settle(unavailable ? fromWire(unavailable) : new AppError('EMBEDDER_NOT_READY'));
        return;
      }
      const lateClient = late ? connectPort<LateInteractionMethods>(late.port) : null;
      settle({
        embedder: connectPort<EmbedderMethods>(embedder),
        late: lateClient && late ? { caller: lateClient, modelId: late.modelId } : null,
        index: search,
        tokenCounter: (spec: EmbedderSpec) => loadTokenCounter(spec, runtime),
      });
    },

    import: async (req, ctx) =>
      importFile(
        req,
        {
          store: need(),
          models: async () => {
            const m = await models;
            if (m instanceof AppError) throw m;
            return m;
          },
        },
        {
          signal: ctx.signal,
          progress: (stage, fraction) => ctx.progress({ kind: 'stage', stage, fraction }),
          saved: () => ctx.progress({ kind: 'saved' }),
          ask: (prompt) =>
            new Promise((resolve, reject) => {
              const onAbort = () => reject(new AppError('ABORTED'));
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

    answer: async ({ docId, answer }) => {
      const resolve = waiting.get(docId);
      resolve?.(answer);
      return resolve !== undefined;
    },

    remove: async ({ docId }) => {
      if (!search) throw new AppError('INDEX_NOT_OPEN');
      await removeDocument(docId, need(), search);
    },

    // Parse and chunk only, for the ingest benchmark: what one file costs before any model runs.
    process: async (p) => {
      const doc = await parseFile(new Uint8Array(p.bytes), p.name, p.mimeType, {
        maxBytes: p.maxBytes,
        password: p.password,
      });
      const countTokens = await loadTokenCounter(p.spec, p.runtime);
      const chunks = await chunkParsed(doc, p.spec, p, countTokens);
      return { pageCount: doc.pageCount ?? null, chunks: chunks.length };
    },
  };
}
