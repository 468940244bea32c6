// Where stored vectors came from: a model's id, revision and the origin its files were downloaded from, as one key.

/**
 * The key stored with every vector a model makes (VectorRecord.embedderId, TokenVectorRecord.modelId). Two registries
 * that name the same model id but serve it from different hosts give different keys, so vectors from one are never
 * searched with the other's queries.
 */
export function modelKey(spec: { id: string; revision: string }, modelBaseUrl: string): string {
  let origin: string;
  try {
    origin = new URL(modelBaseUrl).origin;
  } catch {
    origin = modelBaseUrl;
  }
  return `${spec.id}@${spec.revision} from ${origin}`;
}

/** The parts of a key, for a person to read (a key from before keys carried provenance is just the model id). */
export function describeModelKey(key: string): { id: string; revision: string | null; origin: string | null } {
  const m = /^([^@ ]+)@([^ ]+) from (\S+)$/.exec(key);
  return m ? { id: m[1]!, revision: m[2]!, origin: m[3]! } : { id: key, revision: null, origin: null };
}
