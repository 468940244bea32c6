// Which documents search finds by keywords only with the embedder in use, and why, for the library to say so.
import type { DocumentSummary } from '../pipelines/ingest';

/**
 * Why a document has no vectors for the embedder in use: `no-vectors` when it was stored while no embedding model
 * could run; `other-vectors` when its vectors come from another model, model host or registry (re-indexed only on
 * request). `why` says the same in plain words.
 */
export interface KeywordOnly {
  kind: 'no-vectors' | 'other-vectors';
  why: string;
}

/**
 * Document id → why it has no vectors that match `key` (the embedder in use, config/provenance.ts): stored while no
 * embedding model could run, or with another model, model host or registry. Every document when `key` is null.
 */
export function keywordOnlyDocs(
  docs: readonly Pick<DocumentSummary, 'id' | 'embedderId'>[],
  key: string | null,
): Map<string, KeywordOnly> {
  const out = new Map<string, KeywordOnly>();
  for (const d of docs) {
    if (key !== null && d.embedderId === key) continue;
    out.set(
      d.id,
      d.embedderId === null
        ? { kind: 'no-vectors', why: 'it was added while no embedding model could run' }
        : {
            kind: 'other-vectors',
            why: `its vectors come from another model, model host or registry (${d.embedderId})`,
          },
    );
  }
  return out;
}
