// Writes a synthetic library straight into IndexedDB through the app's own save path, for the scale benchmark.
import { openLecternDB, saveDocumentWithChunks, type ChunkRecord } from '../../../src/lib/persistence';
import { vectorRows } from '../../../src/lib/pipelines/records';
import { ZipfCorpus, rng, unitRows } from '../synthetic';

export interface SeedOptions {
  dbName: string;
  passages: number;
  /** Passages per document (a 10-page PDF is about 60). */
  perDoc?: number;
  dims?: number;
  /** The embedder key the vectors are stored under. */
  embedderKey: string;
  seed?: number;
}

/**
 * `passages` passages in documents of `perDoc`, each saved in one transaction as an import does: a short text,
 * Zipf-drawn keyword counts and a random unit vector stored as the app stores it (no token vectors: the open and
 * search figures do not read them).
 * Returns the time taken and the storage the origin uses afterwards.
 */
export async function seedLibrary(o: SeedOptions): Promise<{ ms: number; docs: number; usageBytes: number }> {
  const perDoc = o.perDoc ?? 60;
  const dims = o.dims ?? 384;
  const corpus = new ZipfCorpus(50_000);
  const next = rng(o.seed ?? 1);
  const started = performance.now();
  const db = await openLecternDB(o.dbName);
  let docs = 0;
  for (let at = 0; at < o.passages; at += perDoc, docs++) {
    const docId = `d${docs}`;
    const n = Math.min(perDoc, o.passages - at);
    const vectors = unitRows(n, dims, (o.seed ?? 1) * 1_000_003 + docs);
    const chunks: ChunkRecord[] = [];
    const keywords = [];
    for (let i = 0; i < n; i++) {
      const id = `${docId}:${i}`;
      const postings = corpus.document(id, next);
      const text = corpus.query(next, 60, 120);
      chunks.push({
        id,
        docId,
        ordinal: i,
        text,
        start: i * 1000,
        end: i * 1000 + text.length,
        headingPath: [`Section ${i}`],
        pageStart: 1 + (i >> 2),
        pageEnd: 1 + (i >> 2),
        tokenCount: postings.length,
        hash: `${docId}-${i}`,
      });
      keywords.push({ chunkId: id, docId, length: postings.length, terms: postings.terms, freqs: postings.freqs });
    }
    await saveDocumentWithChunks(
      db,
      {
        id: docId,
        name: `${docId}.pdf`,
        kind: 'pdf',
        size: n * 3000,
        hash: `seed-${o.seed ?? 1}-${docId}`,
        title: `Synthetic ${docId}`,
        text: chunks.map((c) => c.text).join('\n'),
        pageCount: 1 + (n >> 2),
        chunkCount: n,
        addedAt: 1_700_000_000_000 + docs,
        status: 'ready',
        embedderId: o.embedderKey,
      },
      chunks,
      // Stored as an import stores them (int8 with a scale).
      vectorRows(chunks, { key: o.embedderKey, dims, vectors }),
      { keywords },
    );
  }
  db.close();
  const estimate = await navigator.storage.estimate();
  return { ms: performance.now() - started, docs, usageBytes: estimate.usage ?? 0 };
}

/** `count` queries: a random unit vector and 4–8 Zipf-drawn words each (seeded apart from the library). */
export function scaleQueries(count: number, dims = 384): { vectors: Float32Array[]; texts: string[] } {
  const corpus = new ZipfCorpus(50_000);
  const next = rng(99);
  const rows = unitRows(count, dims, 77);
  return {
    vectors: Array.from({ length: count }, (_, i) => rows.slice(i * dims, (i + 1) * dims)),
    texts: Array.from({ length: count }, () => corpus.query(next)),
  };
}
