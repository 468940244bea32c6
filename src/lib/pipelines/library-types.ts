// The ingest worker's contract: its RPC method map and the progress an import streams.
import type { EmbedderSpec } from '../config/registry-types';
import type { WireError } from '../errors';
import type { RuntimeConfig } from '../models/runtime';
import type { ImportMode } from '../persistence';
import type { BackfillOutcome, BackfillProgress } from './backfill';
import type { ArchiveManifest, ArchiveProgress } from './library-archive';
import type { DocumentSummary, ImportOutcome, ImportRequest, PromptAnswer, QueuePrompt, QueueStage } from './ingest';

/**
 * What an import reports while it runs: stage and fraction, a question for the user, waiting on the models, and the
 * moment it is stored.
 */
export type ImportProgress =
  | { kind: 'stage'; stage: QueueStage; fraction: number }
  | { kind: 'ask'; prompt: QueuePrompt }
  | { kind: 'waiting' }
  | { kind: 'saved' };

export interface ProcessParams {
  bytes: ArrayBuffer;
  name: string;
  mimeType: string;
  spec: EmbedderSpec;
  runtime: RuntimeConfig;
  maxTokens: number;
  overlapTokens: number;
  maxBytes: number;
  password?: string;
}

export type IngestMethods = {
  /** Opens storage and the line to the search worker (RpcClient.openPort); returns the library's documents. */
  /** `ocrBaseUrl`: the app's ocr/ folder (absolute), where text recognition loads from; none: no OCR. */
  open: {
    params: { dbName: string; search: MessagePort; ocrBaseUrl?: string };
    result: DocumentSummary[];
    progress: never;
  };
  /**
   * Once every model has loaded or failed, and again whenever they change (a retry): the lines to the model workers
   * with their model keys (none: files are indexed by keywords only), or why files cannot be imported at all.
   */
  attach: {
    params: {
      embedder: { port: MessagePort; key: string } | null;
      late: { port: MessagePort; modelId: string } | null;
      /** Where the tokenizer comes from; null before the user agreed to model downloads (chunks sized by estimate). */
      runtime: RuntimeConfig | null;
      unavailable: WireError | null;
    };
    result: void;
    progress: never;
  };
  /** A model worker died: fail the calls on its line (a port does not notice its worker dying). */
  peerFailed: { params: { peer: 'embedder' | 'late'; error: WireError }; result: void; progress: never };
  /** The respawned model worker's line (or, port null, why it could not come back); waiting imports go on. */
  peerRestored: {
    params: { peer: 'embedder' | 'late'; port: MessagePort | null; error: WireError | null };
    result: void;
    progress: never;
  };
  /**
   * The search worker was lost (port null: calls on the line to it fail with `error` instead of waiting forever), or
   * its successor reopened: a new line to it, for imports, deletes and the backfill from now on.
   */
  attachSearch: { params: { port: MessagePort | null; error: WireError | null }; result: void; progress: never };
  import: { params: ImportRequest; result: ImportOutcome; progress: ImportProgress };
  /** The user's answer to the question an import asked; false when that import no longer waits. */
  answer: { params: { docId: string; answer: PromptAnswer }; result: boolean; progress: never };
  remove: { params: { docId: string }; result: void; progress: never };
  /**
   * Adds the vectors stored documents lack for the attached models (pipelines/backfill.ts); with `replace`, also
   * replaces those of other models, model hosts or registries.
   */
  backfill: { params: { replace: boolean }; result: BackfillOutcome; progress: BackfillProgress };
  /** The whole library as one zip (pipelines/library-archive.ts); the blob is made in the worker. */
  exportLibrary: {
    params: Record<string, never>;
    result: { blob: Blob; manifest: ArchiveManifest };
    progress: ArchiveProgress;
  };
  /**
   * Checks an export and writes it in one transaction (merge or replace); returns the documents added and removed and
   * the summaries of the library as it is now stored.
   */
  importLibrary: {
    params: { file: Blob; mode: ImportMode };
    result: { added: string[]; removed: string[]; skipped: number; documents: DocumentSummary[] };
    progress: ArchiveProgress;
  };
  /** Parse and chunk only (the ingest benchmark): pages and passages, nothing stored. */
  process: { params: ProcessParams; result: { pageCount: number | null; chunks: number }; progress: never };
};
