// The IndexedDB schema: store names, record shapes and the current version.
import type { DBSchema } from 'idb';
import type { OcrLine } from '../ingest/ocr-layout';
import type { DocumentKind } from '../ingest/types';
import type { EvalQuestionRecord, EvalRunRecord } from './eval-schema';
import type { FeedbackRecord } from './feedback-schema';
import type { PromptStatsRecord } from './prompt-schema';
import type { AdapterRecord, JudgmentRecord } from './adapter-schema';

export type { AdapterRecord, EvalQuestionRecord, EvalRunRecord, FeedbackRecord, JudgmentRecord, PromptStatsRecord };

export const DB_NAME = 'lectern';
export const DB_VERSION = 7;

export type DocumentStatus = 'ready';

export interface DocumentRecord {
  id: string;
  name: string;
  kind: DocumentKind;
  size: number;
  /** Hex SHA-256 of the file bytes: recognizes the same file added twice. */
  hash: string;
  title: string;
  /** Normalized text the chunk offsets point into. */
  text: string;
  pageCount: number | null;
  chunkCount: number;
  addedAt: number;
  status: DocumentStatus;
  /**
   * The model key (config/provenance.ts: id, revision and origin) of the embedder whose vectors are stored; null when
   * none could run: the document is searchable by keywords only until the backfill adds its vectors. Older rows hold
   * the bare model id, which matches no key, so the backfill re-embeds them.
   */
  embedderId: string | null;
  /**
   * The model key of the late-interaction encoder whose token vectors are stored; null when none ran; absent in rows
   * from before this field (the backfill then looks for the rows themselves).
   */
  lateModelId?: string | null;
}

export interface ChunkRecord {
  id: string;
  docId: string;
  ordinal: number;
  text: string;
  start: number;
  end: number;
  headingPath: string[];
  pageStart: number | null;
  pageEnd: number | null;
  tokenCount: number;
  hash: string;
}

export interface VectorRecord {
  chunkId: string;
  docId: string;
  /** The embedder's model key (config/provenance.ts). */
  embedderId: string;
  dims: number;
  /**
   * The L2-normalized embedding as compact binary: float32 (4 bytes a dimension) without `bits`; with `bits: 8`, one
   * int8 a dimension, value ≈ int8 · scale (what the app writes since v3: a quarter of the bytes, same top 10).
   */
  data: ArrayBuffer;
  bits?: 8;
  scale?: number;
}

/** One chunk's BM25 term counts: the keyword index is rebuilt from these rows (v2). */
export interface KeywordRecord {
  chunkId: string;
  docId: string;
  length: number;
  terms: string[];
  freqs: number[];
}

/** One chunk's late-interaction token vectors: packed int6 (int8 in older rows), one scale per token (v2). */
export interface TokenVectorRecord {
  chunkId: string;
  docId: string;
  /** The encoder's model key (config/provenance.ts). */
  modelId: string;
  tokens: number;
  dims: number;
  /** Bits per value: 6 = int6 packed four to three bytes (current); absent = one int8 per value (older rows). */
  bits?: 6 | 8;
  /** Quantized values, tokens × dims, in the layout `bits` names. */
  data: ArrayBuffer;
  /** Float32 scale per token. */
  scales: ArrayBuffer;
  /** The token strings, so a match can be shown to a person. */
  tokenTexts: string[];
}

/**
 * One change to a document's rows (v3): every save, backfill, delete and repair adds one in the same transaction. A
 * search-index snapshot stores the last sequence number it includes; opening replays the documents changed after it.
 * docId '*' means every document's rows may have changed: the snapshot is no longer usable.
 */
export interface JournalRecord {
  /** Assigned by the store (auto-increment): increasing, never reused. */
  seq?: number;
  docId: string;
}

/** The documents a snapshot covers: chunk meta comes from here, so opening reads no document text. */
export interface SnapshotDocs {
  key: 'docs';
  ids: string[];
  kinds: string[];
  addedAt: Float64Array;
}

/** Every chunk in the snapshot: its id and its document (an index into SnapshotDocs). */
export interface SnapshotChunks {
  key: 'chunks';
  ids: string[];
  docs: Int32Array;
}

/** BM25, term-major (retrieval/bm25.ts Bm25Postings); chunk numbers are positions in `ids`. */
export interface SnapshotKeywords {
  key: 'keywords';
  ids: string[];
  lengths: Int32Array;
  terms: string[];
  offsets: Int32Array;
  /** Postings in blocks of at most SNAPSHOT_BLOCK values, stored in their own records ('keywords:0', …). */
  blocks: number;
}

/** A block of values of a larger array, in its own record, so no single record grows past a few MB. */
export interface SnapshotBlock {
  key: string;
  data: Int32Array | Int8Array | Float32Array;
}

/** The exact int8 index of one embedder: row i (stride bytes) is chunk `ids[i]`; rows and scales in blocks. */
export interface SnapshotDense {
  key: 'dense';
  /** The embedder's model key (config/provenance.ts). */
  embedderKey: string;
  dims: number;
  stride: number;
  ids: string[];
  /** Row blocks are 'dense:rows:0', …; scale blocks 'dense:scales:0', …; SNAPSHOT_ROWS rows each. */
  blocks: number;
}

/**
 * What a snapshot holds and up to which journal entry. Its parts are stored under keys prefixed `<gen>:`, over as many
 * transactions as their size needs; the head is switched to a new generation last, so a head always means complete
 * parts, and parts of any other generation are leftovers of an unfinished write.
 */
export interface SnapshotHead {
  key: 'head';
  /** SNAPSHOT_FORMAT: a snapshot of another format is ignored and rebuilt. */
  format: number;
  /** The key prefix of this snapshot's parts (unique per write, so two tabs writing at once never mix parts). */
  gen: string;
  /** Every journal entry up to this one is included. */
  seq: number;
  chunks: number;
  docs: number;
  /** Whether a 'dense' part exists (the exact int8 index was in use). */
  dense: boolean;
  createdAt: number;
}

export type SnapshotRecord =
  SnapshotHead | SnapshotDocs | SnapshotChunks | SnapshotKeywords | SnapshotDense | SnapshotBlock;

/**
 * A file a tab queued for import and has not finished (v4): the next start resumes it once that tab is gone. Removed
 * when the file reaches any end (added, failed, cancelled, skipped); a saved document's row goes in its save's
 * transaction, so a file is never both saved and still pending.
 */
export interface PendingFileRecord {
  /** `<tab id>:<seq>`: unique across tabs. */
  id: string;
  /** The tab that queued it; the tab's Web Lock (`lectern-tab:<id>`) is held while it lives or once another adopted it. */
  tabId: string;
  /** Position in that tab's queue: files resume in this order. */
  seq: number;
  /** When its batch was queued (ms since epoch): orders the files of several closed tabs. */
  queuedAt: number;
  name: string;
  type: string;
  size: number;
  lastModified: number;
  /** The file's bytes (stored by the browser as a blob file); null when there was no room: only its name is known. */
  file: Blob | null;
  /** Starts that resumed it so far (absent: none); after MAX_ATTEMPTS it is named as lost instead (state/pending-imports). */
  attempts?: number;
}

export interface SettingRecord {
  key: string;
  value: unknown;
}

export interface LecternDB extends DBSchema {
  documents: { key: string; value: DocumentRecord; indexes: { byHash: string; byName: string } };
  chunks: { key: string; value: ChunkRecord; indexes: { byDoc: string } };
  vectors: { key: string; value: VectorRecord; indexes: { byDoc: string; byEmbedder: string } };
  settings: { key: string; value: SettingRecord };
  keywords: { key: string; value: KeywordRecord; indexes: { byDoc: string } };
  tokenVectors: { key: string; value: TokenVectorRecord; indexes: { byDoc: string } };
  journal: { key: number; value: JournalRecord };
  snapshot: { key: string; value: SnapshotRecord };
  pendingFiles: { key: string; value: PendingFileRecord; indexes: { byTab: string } };
  /** v5: one record per answered question, updated as the user gives feedback (feedback-schema.ts). */
  feedback: { key: string; value: FeedbackRecord; indexes: { byAt: number } };
  /** v5: the evaluation set (eval-schema.ts). */
  evalQuestions: { key: string; value: EvalQuestionRecord; indexes: { byDoc: string } };
  /** v5: finished evaluation runs (eval-schema.ts). */
  evalRuns: { key: string; value: EvalRunRecord; indexes: { byAt: number } };
  /** v5: running figures per prompt template version (prompt-schema.ts). */
  promptStats: { key: string; value: PromptStatsRecord };
  /** v6: the query adapter per embedder model key (adapter-schema.ts). */
  adapters: { key: string; value: AdapterRecord };
  /** v6: deep mode's cached relevance judgments (adapter-schema.ts). */
  judgments: { key: string; value: JudgmentRecord; indexes: { byDoc: string } };
  /** v7: the recognised text (OCR) of a document's scanned pages, with the page images (byHash: the OCR cache). */
  ocrPages: { key: string; value: OcrPageRecord; indexes: { byDoc: string; byHash: string } };
}

/**
 * One scanned page of a document, as recognised (OCR): its lines with their boxes, and the page image the citation
 * view highlights them on. `hash` names the rendered page (and the recognition settings), so a page already
 * recognised in a stored document is not recognised again. Rows leave with their document.
 */
export interface OcrPageRecord {
  /** `${docId}#${page}`. */
  id: string;
  docId: string;
  page: number;
  hash: string;
  /** The page image's size in pixels. */
  width: number;
  height: number;
  lines: OcrLine[];
  /** The page as drawn for recognition (JPEG). */
  image: Blob;
}
