// In-thread fakes of the ports the pipelines take: an in-memory library store, models and index behind LocalCaller.
import { AppError } from '../../../src/lib/errors';
import type { EmbedderMethods } from '../../../src/lib/models/embedder/types';
import type { LateInteractionMethods, TokenVectors } from '../../../src/lib/models/late-interaction/types';
import type { IngestModels, LibraryStore } from '../../../src/lib/pipelines/ingest';
import type { DocumentRows } from '../../../src/lib/pipelines/records';
import type { AddParams, SearchMethods } from '../../../src/lib/retrieval/search-types';
import { LocalCaller, type Handlers } from '../../../src/lib/rpc';

export const DIMS = 4;

/** A library in memory: the rows each save wrote, and what a failing save would have written (nothing). */
export class MemoryStore implements LibraryStore {
  readonly docs = new Map<string, DocumentRows>();
  saves = 0;
  /** The pending-import row each save was to remove with the document (undefined: none). */
  pendingRemoved: (string | undefined)[] = [];
  failNextSave: AppError | null = null;

  async findByHash(hash: string) {
    return [...this.docs.values()].find((r) => r.doc.hash === hash)?.doc;
  }
  async findByName(name: string) {
    return [...this.docs.values()].find((r) => r.doc.name === name)?.doc;
  }
  async chunkIdsOf(docId: string) {
    return this.docs.get(docId)?.chunks.map((c) => c.id) ?? [];
  }
  async save(rows: DocumentRows, replaces?: string, pending?: string) {
    this.saves++;
    this.pendingRemoved.push(pending);
    if (this.failNextSave) {
      const e = this.failNextSave;
      this.failNextSave = null;
      throw e;
    }
    if (replaces) this.docs.delete(replaces);
    this.docs.set(rows.doc.id, rows);
  }
  async remove(docId: string) {
    this.docs.delete(docId);
  }
}

/** A deterministic unit vector per text (its length and first letter), so rows can be checked against texts. */
export function fakeVector(text: string): number[] {
  const v = [text.length, text.charCodeAt(0) || 1, 1, 0.5];
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export function fakeEmbedder(calls: { texts: string[]; kind: string }[] = []): LocalCaller<EmbedderMethods> {
  return new LocalCaller(embedderHandlers(calls));
}

export function embedderHandlers(calls: { texts: string[]; kind: string }[] = []): Handlers<EmbedderMethods> {
  return {
    load: async () => {
      throw new AppError('UNKNOWN', 'not used');
    },
    stopDownload: async () => {},
    countTokens: async ({ texts }) => texts.map((t) => t.split(/\s+/).length),
    embed: async ({ texts, kind }, ctx) => {
      calls.push({ texts, kind });
      const out = new Float32Array(texts.length * DIMS);
      texts.forEach((t, i) => {
        out.set(fakeVector(t), i * DIMS);
        ctx.progress({ done: i + 1, total: texts.length });
      });
      return out;
    },
  };
}

/** Two token rows per text ([CLS] and its first word), each a unit vector. */
export function fakeTokens(text: string): TokenVectors {
  const word = text.split(/\s+/)[0] ?? '';
  return {
    data: new Float32Array([1, 0, 0, 0, ...fakeVector(word)]),
    tokens: 2,
    dims: DIMS,
    tokenIds: new Int32Array([101, 7]),
    tokenTexts: ['[CLS]', word.toLowerCase()],
  };
}

export function fakeLate(): LocalCaller<LateInteractionMethods> {
  return new LocalCaller(lateHandlers());
}

export function lateHandlers(): Handlers<LateInteractionMethods> {
  return {
    load: async () => {
      throw new AppError('UNKNOWN', 'not used');
    },
    stopDownload: async () => {},
    encodeQuery: async ({ text }) => fakeTokens(text),
    encodeDocuments: async ({ texts }, ctx) =>
      texts.map((t, i) => {
        ctx.progress({ done: i + 1, total: texts.length });
        return fakeTokens(t);
      }),
  };
}

/** An index that records what it was asked to add and remove. */
export function fakeIndex(log: Parameters<typeof indexHandlers>[0]): LocalCaller<SearchMethods> {
  return new LocalCaller(indexHandlers(log));
}

export function indexHandlers(log: {
  added: AddParams[];
  removed: string[][];
  vectorsAdded?: { ids: string[]; vectors: Float32Array }[];
}): Handlers<SearchMethods> {
  const unused = async () => {
    throw new AppError('UNKNOWN', 'not used');
  };
  return {
    open: unused,
    saveSnapshot: unused,
    search: unused,
    rerank: unused,
    attach: unused,
    peerFailed: unused,
    retrieve: unused,
    useEmbedder: unused,
    openPublished: unused,
    loadPublished: unused,
    publishedPassages: unused,
    publishedFetched: unused,
    addVectors: async (p) => {
      log.vectorsAdded?.push(p);
    },
    add: async (p) => {
      log.added.push(p);
      return { chunks: p.ids.length };
    },
    remove: async ({ ids }) => {
      log.removed.push(ids);
      return { chunks: 0 };
    },
  };
}

/** Whitespace words: the token counter chunking uses in these tests. */
export const words = async () => (text: string) => text.split(/\s+/).filter(Boolean).length;

export function fakeModels(
  log: { added: AddParams[]; removed: string[][] },
  withLate = true,
  embedCalls: { texts: string[]; kind: string }[] = [],
): IngestModels {
  return {
    embedder: { caller: fakeEmbedder(embedCalls), key: 'embedder-key' },
    late: withLate ? { caller: fakeLate(), modelId: 'late-model' } : null,
    index: fakeIndex(log),
    tokenCounter: words,
  };
}
