// The ingestion service: parses a file and cuts it into chunks, measured with the embedder's tokenizer.
import type { EmbedderSpec } from '../config/registry-types';
import type { Handlers } from '../rpc';
import { chunkDocument, parseFile } from '../ingest';
import type { ChunkDraft, ParsedDocument } from '../ingest/types';
import { loadTokenCounter } from '../models/tokenizer';
import type { Bm25DocPostings } from '../retrieval/bm25';
import { keywordCounts } from '../retrieval/keywords';
import type { RuntimeConfig } from '../models/runtime';

export interface ProcessParams {
  /** Chunk ids are `${docId}:${ordinal}`. */
  docId: string;
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

export interface ProcessResult {
  doc: ParsedDocument;
  chunks: ChunkDraft[];
  /** BM25 term counts per chunk, parallel to `chunks`. */
  keywords: Bm25DocPostings[];
}

export type IngestMethods = {
  process: { params: ProcessParams; result: ProcessResult; progress: { stage: 'parse' | 'chunk' } };
};

export function ingestHandlers(): Handlers<IngestMethods> {
  return {
    process: async (p, ctx) => {
      ctx.progress({ stage: 'parse' });
      const doc = await parseFile(new Uint8Array(p.bytes), p.name, p.mimeType, {
        maxBytes: p.maxBytes,
        password: p.password,
      });
      ctx.progress({ stage: 'chunk' });
      const countTokens = await loadTokenCounter(p.spec, p.runtime);
      const chunks = await chunkDocument(doc, {
        maxTokens: Math.min(p.maxTokens, p.spec.maxTokens),
        overlapTokens: p.overlapTokens,
        countTokens,
        // The embedded text carries a title prefix: leave room for it in the budget.
        contextTitle: doc.title,
      });
      const keywords = chunks.map((c) => keywordCounts(`${p.docId}:${c.ordinal}`, c.text));
      return { doc, chunks, keywords };
    },
  };
}
