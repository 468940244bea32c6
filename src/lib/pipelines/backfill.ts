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
  /** The model key of the document's token-vector rows (rows saved before documents recorded it); null: none. */
  tokenVectorModel(docId: string): Promise<string | null>;
  /** The document's stored dense vectors in chunk order, row-major (to give the index adopted ones). */
  vectorsOf(docId: string, chunkIds: string[]): Promise<Float32Array>;
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

/**
 * What a document needs, per kind of vector: `make` them with the model in use, `adopt` rows an earlier version
 * stored under the bare model id (same model: only their key is rewritten), `mark` rows that match but whose document
 * does not say so yet, or nothing.
 */
export type Need = { dense: Action; tokens: Action };
type Action = 'make' | 'adopt' | 'mark' | null;

/** Consecutive failures after which the run stops (a dead model fails every document the same way). */
const MAX_FAILURES_IN_A_ROW = 3;

/** A key from before keys carried provenance (a bare model id) that names the model `key` is for. */
const legacyOf = (stored: string, key: string) => !stored.includes(' from ') && key.startsWith(`${stored}@`);

/** What one kind of vector needs, given the key stored and the key in use; other models' vectors only on request. */
function actionFor(stored: string | null, key: string, replace: boolean): Action {
  if (stored === key) return null;
  if (stored === null) return 'make';
  if (legacyOf(stored, key)) return 'adopt';
  return replace ? 'make' : null;
}

/**
 * What a document lacks for the models in use. Vectors of another model, model host or registry are replaced only
 * when `replace` (the user changed models, or asked): a `?registry=` link visited once must not rewrite the library.
 */
export async function missingVectors(
  doc: DocumentSummary,
  models: BackfillPorts['models'],
  store: Pick<BackfillStore, 'tokenVectorModel'>,
  replace: boolean,
): Promise<Need> {
  const dense = models.embedder ? actionFor(doc.embedderId, models.embedder.key, replace) : null;
  let tokens: Action = null;
  if (models.late) {
    const key = models.late.modelId;
    if (doc.lateModelId !== undefined) tokens = actionFor(doc.lateModelId, key, replace);
    else {
      // Saved before documents recorded it: the rows say.
      const rows = await store.tokenVectorModel(doc.id);
      tokens = rows === key ? 'mark' : actionFor(rows, key, replace);
    }
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
  options: { replace: boolean },
  hooks: { signal: AbortSignal; progress(p: BackfillProgress): void },
): Promise<BackfillOutcome> {
  const { store, models } = ports;
  if (!models.embedder && !models.late) return { done: 0, failed: 0 };
  const failedIds = new Set<string>();
  let done = 0;
  let skipped = 0;
  let inARow = 0;
  for (;;) {
    const todo: { doc: DocumentSummary; need: Need }[] = [];
    for (const doc of await store.documents()) {
      if (failedIds.has(doc.id)) continue;
      const need = await missingVectors(doc, models, store, options.replace);
      if (need.dense || need.tokens) todo.push({ doc, need });
    }
    if (todo.length === 0) return { done, failed: failedIds.size };
    const total = done + failedIds.size + todo.length;
    const before = done + failedIds.size + skipped;
    for (const { doc, need } of todo) {
      if (hooks.signal.aborted) throw new AppError('ABORTED');
      try {
        const saved = await backfillOne(doc, need, ports, hooks.signal);
        inARow = 0;
        // A document deleted or replaced meanwhile was left alone: not counted as done.
        if (!saved) skipped++;
        else hooks.progress({ done: ++done, total, doc: saved, error: null });
      } catch (err) {
        if (isAbortError(err) || hooks.signal.aborted) throw new AppError('ABORTED');
        const error = toAppError(err);
        failedIds.add(doc.id);
        hooks.progress({ done, total, doc, error });
        if (++inARow >= MAX_FAILURES_IN_A_ROW) throw error;
      }
    }
    // A pass that got nowhere (every document changed under it) would spin: what is left waits for the next run.
    if (done + failedIds.size + skipped === before) return { done, failed: failedIds.size };
  }
}

/** A model returned fewer (or more) vectors than it was given texts: nothing of it is stored. */
function checkCount(got: number, want: number, model: string, output: string): void {
  if (got !== want)
    throw new AppError('MODEL_OUTPUT_MISSING', undefined, { model, output: `${output} (${got} of ${want})` });
}

async function backfillOne(
  doc: DocumentSummary,
  need: Need,
  { store, models, index }: BackfillPorts,
  signal: AbortSignal,
): Promise<BackfillProgress['doc'] | null> {
  const chunks = await store.chunksOf(doc.id);
  const ids = chunks.map((c) => c.id);
  const out: BackfilledVectors = { dense: null, tokens: null };
  let dense: Float32Array | null = null;
  if (need.dense && models.embedder) {
    const { key } = models.embedder;
    if (need.dense === 'adopt') {
      out.dense = { key, rows: null };
      dense = ids.length ? await store.vectorsOf(doc.id, ids) : null;
    } else {
      const texts = chunks.map((c) => contextualText(c, doc.title));
      dense = texts.length ? await models.embedder.caller.call('embed', { texts, kind: 'document' }, { signal }) : null;
      if (dense && dense.length % chunks.length !== 0) checkCount(-1, chunks.length, key, 'vectors');
      const dims = dense ? dense.length / chunks.length : 0;
      out.dense = { key, rows: dense ? vectorRows(chunks, { key, dims, vectors: dense }) : [] };
    }
  }
  if (need.tokens && models.late) {
    const { modelId } = models.late;
    if (need.tokens !== 'make') out.tokens = { modelId, rows: null };
    else {
      const texts = chunks.map((c) => c.text);
      const encoded = texts.length ? await models.late.caller.call('encodeDocuments', { texts }, { signal }) : [];
      checkCount(encoded.length, texts.length, modelId, 'token vectors');
      out.tokens = { modelId, rows: tokenVectorRows(chunks, { modelId, vectors: encoded }) };
    }
  }
  if (signal.aborted) throw new AppError('ABORTED');
  if (!(await store.save(doc.id, ids, out))) return null;
  if (dense && dense.length) await index.call('addVectors', { ids, vectors: dense }, { transfer: [dense.buffer] });
  return {
    id: doc.id,
    name: doc.name,
    embedderId: out.dense?.key ?? doc.embedderId,
    lateModelId: out.tokens?.modelId ?? doc.lateModelId,
  };
}
