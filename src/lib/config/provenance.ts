// Where models come from: the key stored with every vector (model, revision, file host, registry) and host origins.

/** The origin of a URL as people read it (`https://host:port`); `builtin` for the built-in registry. */
export function originOf(url: string, base?: string): string {
  try {
    const u = new URL(url, base);
    return u.protocol === 'builtin:' ? 'builtin' : u.origin;
  } catch {
    return url;
  }
}

/**
 * The key stored with every vector a model makes (VectorRecord.embedderId, TokenVectorRecord.modelId): the model id
 * and revision, the origin its files were downloaded from, and the registry (its full URL) that described it
 * (pooling, prefixes). A registry that reuses a known model id but serves other files, or describes them otherwise,
 * gives another key, so its vectors are never searched with this one's queries, and the other way round. Two
 * registries on one host are told apart too.
 */
export function provenanceKey(
  spec: { id: string; revision: string },
  source: { modelBaseUrl: string; registryUrl: string },
): string {
  return `${spec.id}@${spec.revision} from ${originOf(source.modelBaseUrl)} by ${source.registryUrl}`;
}
