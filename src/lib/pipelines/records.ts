// The storage rows of one imported document, built in one place: chunk ids, chunks, vectors, keywords, token vectors.
import type { ChunkDraft, ParsedDocument } from '../ingest/types';
import type { TokenVectors } from '../models/late-interaction/types';
import type {
  ChunkRecord,
  DocumentRecord,
  KeywordRecord,
  TokenVectorRecord,
  VectorRecord,
} from '../persistence/schema';
import type { Bm25DocPostings } from '../retrieval/bm25';
import { quantizeInt6, quantizeInt8 } from '../retrieval/compress';

/** Every chunk id in storage and in the indexes: `${docId}:${ordinal}`. */
export function chunkId(docId: string, ordinal: number): string {
  return `${docId}:${ordinal}`;
}

/** A chunk id's document id (the inverse of chunkId's first part); an id without an ordinal is its own. */
export function docIdOf(id: string): string {
  const cut = id.lastIndexOf(':');
  return cut < 0 ? id : id.slice(0, cut);
}

export interface DocumentRows {
  doc: DocumentRecord;
  chunks: ChunkRecord[];
  vectors: VectorRecord[];
  keywords: KeywordRecord[];
  tokenVectors: TokenVectorRecord[];
}

export interface RowsInput {
  docId: string;
  file: { name: string; size: number; hash: string };
  parsed: ParsedDocument;
  drafts: ChunkDraft[];
  keywords: Bm25DocPostings[];
  /** Row-major, drafts.length × embedder.dims, from the embedder with model key `embedder.key`; null: keywords only. */
  dense: { key: string; dims: number; vectors: Float32Array } | null;
  /** Per draft, from the late-interaction model with key `modelId`; null when no reranker ran. */
  tokens: { modelId: string; vectors: TokenVectors[] } | null;
  addedAt: number;
}

/** The rows saved in one transaction. Token vectors are stored as int6 (see compress.ts). */
export function documentRows(input: RowsInput): DocumentRows {
  const { docId, parsed, drafts, dense } = input;
  const chunks: ChunkRecord[] = drafts.map((c) => ({
    id: chunkId(docId, c.ordinal),
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
  const vectors = dense ? vectorRows(chunks, dense) : [];
  const keywords: KeywordRecord[] = input.keywords.map((k) => ({
    chunkId: k.id,
    docId,
    length: k.length,
    terms: k.terms,
    freqs: k.freqs,
  }));
  const tokenVectors = input.tokens ? tokenVectorRows(chunks, input.tokens) : [];
  const doc: DocumentRecord = {
    id: docId,
    name: input.file.name,
    kind: parsed.kind,
    size: input.file.size,
    hash: input.file.hash,
    title: parsed.title,
    text: parsed.text,
    pageCount: parsed.pageCount ?? null,
    chunkCount: chunks.length,
    addedAt: input.addedAt,
    status: 'ready',
    embedderId: dense?.key ?? null,
    lateModelId: input.tokens?.modelId ?? null,
  };
  return { doc, chunks, vectors, keywords, tokenVectors };
}

/** One vector row per chunk, cut from a row-major batch (`dense.vectors`, chunks.length × dims). */
export function vectorRows(
  chunks: readonly Pick<ChunkRecord, 'id' | 'docId'>[],
  dense: { key: string; dims: number; vectors: Float32Array },
): VectorRecord[] {
  return chunks.map((c, i) => {
    // One "token" of int8 with its own scale: a quarter of float32's bytes (the index scans int8 anyway).
    const q = quantizeInt8({
      data: dense.vectors.subarray(i * dense.dims, (i + 1) * dense.dims),
      tokens: 1,
      dims: dense.dims,
    });
    return {
      chunkId: c.id,
      docId: c.docId,
      embedderId: dense.key,
      dims: dense.dims,
      data: q.data.slice().buffer,
      bits: 8 as const,
      scale: q.scales[0]!,
    };
  });
}

/** One token-vector row per chunk, stored as int6: ≥ 95% top-10 agreement with float32, 100 tokens in 8 KB. */
export function tokenVectorRows(
  chunks: readonly Pick<ChunkRecord, 'id' | 'docId'>[],
  tokens: { modelId: string; vectors: TokenVectors[] },
): TokenVectorRecord[] {
  return tokens.vectors.map((t, i) => {
    const q = quantizeInt6(t);
    return {
      chunkId: chunks[i]!.id,
      docId: chunks[i]!.docId,
      modelId: tokens.modelId,
      tokens: t.tokens,
      dims: t.dims,
      bits: 6,
      data: q.data.buffer as ArrayBuffer,
      scales: q.scales.buffer as ArrayBuffer,
      tokenTexts: t.tokenTexts,
    };
  });
}
