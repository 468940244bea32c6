// Shared builders for persistence tests: records with predictable ids and vector values.
import type { ChunkRecord, DocumentRecord, FeedbackRecord, VectorRecord } from '../../../src/lib/persistence';

let counter = 0;

/** A fresh database name, so tests never share state. */
export function uniqueDbName(): string {
  counter++;
  return `lectern-test-${counter}-${Math.random().toString(36).slice(2)}`;
}

export function makeDoc(id: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return {
    id,
    name: `${id}.md`,
    kind: 'markdown',
    size: 100,
    hash: `hash-${id}`,
    title: `Title ${id}`,
    text: `Text of ${id}`,
    pageCount: null,
    chunkCount: 0,
    addedAt: 1_000,
    status: 'ready',
    embedderId: 'emb-a',
    ...overrides,
  };
}

export function makeChunks(docId: string, count: number): ChunkRecord[] {
  return Array.from({ length: count }, (_, ordinal) => ({
    id: `${docId}:${ordinal}`,
    docId,
    ordinal,
    text: `chunk ${ordinal} of ${docId}`,
    start: ordinal * 10,
    end: ordinal * 10 + 9,
    headingPath: ['Intro'],
    pageStart: null,
    pageEnd: null,
    tokenCount: 5,
    hash: `chunk-hash-${docId}-${ordinal}`,
  }));
}

/** Vector for a chunk: element j is `seed + j / 100`, so expected data is easy to compute. */
export function vectorFor(
  chunkId: string,
  docId: string,
  dims: number,
  seed: number,
  embedderId = 'emb-a',
): VectorRecord {
  const values = Float32Array.from({ length: dims }, (_, j) => seed + j / 100);
  return { chunkId, docId, embedderId, dims, data: values.buffer };
}

export function makeVectors(chunks: readonly ChunkRecord[], dims: number, embedderId = 'emb-a'): VectorRecord[] {
  return chunks.map((c) => vectorFor(c.id, c.docId, dims, c.ordinal, embedderId));
}

/** A document with n chunks and their vectors, ready for saveDocumentWithChunks. */
export function makeBatch(
  id: string,
  n: number,
  dims = 4,
  overrides: Partial<DocumentRecord> = {},
): [DocumentRecord, ChunkRecord[], VectorRecord[]] {
  const chunks = makeChunks(id, n);
  const doc = makeDoc(id, { chunkCount: n, ...overrides });
  return [doc, chunks, makeVectors(chunks, dims, doc.embedderId ?? undefined)];
}

/** A feedback record (schema v5) with every field set; `final` ranks the given chunk ids. */
export function makeFeedback(id: string, overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  const final = overrides.stages?.final.ids ?? ['a:0', 'a:1'];
  const stage = { ids: final, scores: final.map((_, i) => 1 - i / 10) };
  return {
    id,
    at: 1_000,
    question: `Question ${id}?`,
    query: `Question ${id}?`,
    queries: [`Question ${id}?`],
    stages: { dense: stage, keyword: null, fused: stage, reranked: null, final: stage },
    shown: final,
    cited: [],
    models: [{ role: 'embedder', id: 'org/emb', revision: 'abc123' }],
    prompt: { name: 'grounded-answer', version: 1 },
    outcome: 'done',
    thumbs: null,
    reason: '',
    sources: {},
    opened: [],
    expanded: [],
    copied: false,
    ...overrides,
  };
}
