// Opt-in disk cache of corpus embeddings (--embeddings-cache): a hybrid or rerank run reuses the vectors a dense run made with the same model, dtype, device and batching.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DenseBackend } from './searchers';

/** Everything besides the texts that decides the vectors. */
export interface CacheIdentity {
  model: string;
  dtype: string;
  device: string;
  dims: number;
  /** Texts per round trip (the worker batches within it). */
  batch: number;
}

export interface CacheMeta {
  identity: CacheIdentity;
  count: number;
  /** Throughput of the run that computed the vectors. */
  docsPerSec: number;
  created: string;
}

/** Bumped when the app's embedder changes its vectors for the same inputs. 2: truncated texts keep their [SEP]. */
const VECTORS_VERSION = 2;

/** sha256 over the identity and every text (length-prefixed, so no two lists collide). */
export function cacheKey(identity: CacheIdentity, texts: readonly string[]): string {
  const h = createHash('sha256');
  h.update(
    JSON.stringify([VECTORS_VERSION, identity.model, identity.dtype, identity.device, identity.dims, identity.batch]),
  );
  for (const t of texts) h.update(`\0${t.length}\0${t}`);
  return h.digest('hex').slice(0, 32);
}

export interface CachedBackend extends DenseBackend {
  /** Set once the document embeddings were read from disk. */
  readonly hit: CacheMeta | null;
}

/**
 * Wraps `backend` so its multi-text document calls (the corpus) are read from `dir` when present and written there
 * when computed. Queries always go to the backend.
 */
export function withEmbeddingCache(backend: DenseBackend, dir: string, identity: CacheIdentity): CachedBackend {
  let hit: CacheMeta | null = null;
  return {
    dims: backend.dims,
    get hit() {
      return hit;
    },
    async embed(texts, kind) {
      if (kind !== 'document' || texts.length < 2) return backend.embed(texts, kind);
      const key = cacheKey(identity, texts);
      const bin = join(dir, `${key}.f32`);
      const json = join(dir, `${key}.json`);
      if (existsSync(bin) && existsSync(json)) {
        const meta = JSON.parse(readFileSync(json, 'utf8')) as CacheMeta;
        const bytes = readFileSync(bin);
        if (meta.count === texts.length && bytes.byteLength === texts.length * backend.dims * 4) {
          hit = meta;
          return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
        }
      }
      const t0 = performance.now();
      const vectors = await backend.embed(texts, kind);
      const seconds = (performance.now() - t0) / 1000;
      mkdirSync(dir, { recursive: true });
      writeFileSync(`${bin}.tmp`, new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength));
      renameSync(`${bin}.tmp`, bin);
      const meta: CacheMeta = {
        identity,
        count: texts.length,
        docsPerSec: Math.round((texts.length / seconds) * 10) / 10,
        created: new Date().toISOString(),
      };
      writeFileSync(json, `${JSON.stringify(meta)}\n`);
      return vectors;
    },
  };
}
