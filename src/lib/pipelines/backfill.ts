// The backfill: gives stored documents the vectors they lack (keyword-only imports, other models), one transaction each.
import { AppError, isAbortError, toAppError } from '../errors';
import { contextualText } from '../ingest';
import type { BackfilledVectors } from '../persistence/documents-repo';
import type { ChunkRecord } from '../persistence/schema';
import type { Caller } from '../rpc';
import type { SearchMethods } from '../retrieval/search-types';
import type { DocumentSummary, IngestModels } from './ingest';
import { tokenVectorRows, vectorRows } from './records';

/** The storage calls the backfill needs. */
export interface BackfillStore {
  documents(): Promise<DocumentSummary[]>;
  chunksOf(docId: string): Promise<ChunkRecord[]>;
  /** Whether the document has token vectors from this model (rows saved before documents recorded it). */
  hasTokenVectors(docId: string, modelId: string): Promise<boolean>;
  /** One transaction; false when the document is gone or was replaced meanwhile. */
  save(docId: string, chunkIds: string[], vectors: BackfilledVectors): Promise<boolean>;
}

export interface BackfillPorts {
  store: BackfillStore;
  models: Pick<IngestModels, 'embedder' | 'late'>;
  index: Caller<Pick<SearchMethods, 'addVectors'>>;
}

/** One document done (or failed): what the list shows for it now, and the count so far. */
export interface BackfillProgress {
  done: number;
  total: number;
  doc: Pick<DocumentSummary, 'id' | 'name' | 'embedderId' | 'lateModelId'>;
  error: AppError | null;
}

export interface BackfillOutcome {
  done: number;
  failed: number;
}

/** Consecutive failures after which the run stops (a dead model fails every document the same way). */
const MAX_FAILURES_IN_A_ROW = 3;

/** What a document lacks for the models in use: dense vectors, token vectors, both or neither. */
export async function missingVectors(
  doc: DocumentSummary,
  models: BackfillPorts['models'],
  store: Pick<BackfillStore, 'hasTokenVectors'>,
): Promise<{ dense: boolean; tokens: boolean }> {
  const dense = models.embedder !== null && doc.embedderId !== models.embedder.key;
  let tokens = false;
  if (models.late) {
    tokens =
      doc.lateModelId === undefined
        ? !(await store.hasTokenVectors(doc.id, models.late.modelId))
        : doc.lateModelId !== models.late.modelId;
  }
  return { dense, tokens };
}

/**
 * Adds, document by document, the vectors the models in use would have made on import. Resumable: each document's
 * vectors and its record of them commit together, so a run cut short (a crash, a closed tab) starts where it stopped.
 * Documents added or changed meanwhile are picked up by re-listing until nothing is missing.
 */
export async function backfill(
  ports: BackfillPorts,
  hooks: { signal: AbortSignal; progress(p: BackfillProgress): void },
): Promise<BackfillOutcome> {
  const { store, models } = ports;
  const failedIds = new Set<string>();
  let done = 0;
  let inARow = 0;
  for (;;) {
    const todo: { doc: DocumentSummary; need: { dense: boolean; tokens: boolean } }[] = [];
    for (const doc of await store.documents()) {
      if (failedIds.has(doc.id)) continue;
      const need = await missingVectors(doc, models, store);
      if (need.dense || need.tokens) todo.push({ doc, need });
    }
    if (todo.length === 0) return { done, failed: failedIds.size };
    const total = done + failedIds.size + todo.length;
    const before = done + failedIds.size;
    for (const { doc, need } of todo) {
      if (hooks.signal.aborted) throw new AppError('ABORTED');
      try {
        const saved = await backfillOne(doc, need, ports, hooks.signal);
        done++;
        inARow = 0;
        hooks.progress({ done, total, doc: saved ?? doc, error: null });
      } catch (err) {
        if (isAbortError(err) || hooks.signal.aborted) throw new AppError('ABORTED');
        const error = toAppError(err);
        failedIds.add(doc.id);
        hooks.progress({ done, total, doc, error });
        if (++inARow >= MAX_FAILURES_IN_A_ROW) throw error;
      }
    }
    // A pass that got nowhere (every document changed under it) would spin: what is left waits for the next run.
    if (done + failedIds.size === before) return { done, failed: failedIds.size };
  }
}

async function backfillOne(
  doc: DocumentSummary,
  need: { dense: boolean; tokens: boolean },
  { store, models, index }: BackfillPorts,
  signal: AbortSignal,
): Promise<BackfillProgress['doc'] | null> {
  const chunks = await store.chunksOf(doc.id);
  const ids = chunks.map((c) => c.id);
  const out: BackfilledVectors = { dense: null, tokens: null };
  let dense: Float32Array | null = null;
  if (need.dense && models.embedder) {
    const { key } = models.embedder;
    const texts = chunks.map((c) => contextualText(c, doc.title));
    dense = texts.length ? await models.embedder.caller.call('embed', { texts, kind: 'document' }, { signal }) : null;
    const dims = dense ? dense.length / chunks.length : 0;
    out.dense = { key, rows: dense ? vectorRows(chunks, { key, dims, vectors: dense }) : [] };
  }
  if (need.tokens && models.late) {
    const { modelId } = models.late;
    const texts = chunks.map((c) => c.text);
    const encoded = texts.length ? await models.late.caller.call('encodeDocuments', { texts }, { signal }) : [];
    out.tokens = { modelId, rows: tokenVectorRows(chunks, { modelId, vectors: encoded }) };
  }
  if (signal.aborted) throw new AppError('ABORTED');
  // A document deleted or replaced while its vectors were made is simply left alone.
  if (!(await store.save(doc.id, ids, out))) return null;
  if (dense) await index.call('addVectors', { ids, vectors: dense }, { transfer: [dense.buffer] });
  return {
    id: doc.id,
    name: doc.name,
    embedderId: out.dense?.key ?? doc.embedderId,
    lateModelId: out.tokens?.modelId ?? doc.lateModelId,
  };
}
