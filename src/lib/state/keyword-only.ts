// Which documents search finds by keywords only with the embedder in use, and why, for the library to say so.
import type { DocumentSummary } from '../pipelines/ingest';

/**
 * Document id → why it has no vectors that match `key` (the embedder in use, config/provenance.ts): stored while no
 * embedding model could run, or with another model, model host or registry. Every document when `key` is null.
 */
export function keywordOnlyDocs(
  docs: readonly Pick<DocumentSummary, 'id' | 'embedderId'>[],
  key: string | null,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const d of docs) {
    if (key !== null && d.embedderId === key) continue;
    const why =
      d.embedderId === null
        ? 'it was added while no embedding model could run'
        : `its vectors come from another model, model host or registry (${d.embedderId})`;
    out.set(d.id, why);
  }
  return out;
}
