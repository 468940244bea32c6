// VectorIndex on voy-search 0.6.3 (WASM): guards its limits and computes the cosine scores it omits.
import * as voyGlue from 'voy-search/voy_search_bg.js';
import { AppError } from '../errors';
import type { VectorHit, VectorIndex } from './vector-index';

/** Voy stores 768 dims internally: shorter vectors are zero-padded, longer ones silently cut. */
export const VOY_MAX_DIMS = 768;
const VOY_BATCH = 10_000;

type VoyInstance = InstanceType<typeof voyGlue.Voy>;
type VoyResource = { embeddings: { id: string; title: string; url: string; embeddings: number[] }[] };

let ready: Promise<void> | null = null;

/** Instantiates Voy's WASM from bytes or a URL; the package's own ESM-integration import needs a bundler plugin. */
export function initVoy(source: BufferSource | URL | string): Promise<void> {
  ready ??= (async () => {
    const imports = { './voy_search_bg.js': voyGlue as unknown as WebAssembly.ModuleImports };
    const bytes =
      typeof source === 'string' || source instanceof URL ? await (await fetch(source)).arrayBuffer() : source;
    const { instance } = await WebAssembly.instantiate(bytes, imports);
    voyGlue.__wbg_set_wasm(instance.exports);
  })();
  return ready;
}

export class VoyIndex implements VectorIndex {
  private voy: VoyInstance;
  /** Each id's vector: Voy's remove() needs the full embedding and its search returns no scores. */
  private readonly rows = new Map<string, Float32Array>();
  /** Ids sharing one exact vector; only the first is in Voy, which panics on many identical vectors. */
  private readonly groups = new Map<string, string[]>();

  constructor(readonly dims: number) {
    if (dims > VOY_MAX_DIMS) {
      throw new AppError('INDEX_DIMS_TOO_LARGE', undefined, { dims, limit: VOY_MAX_DIMS });
    }
    this.voy = new voyGlue.Voy();
  }

  get size(): number {
    return this.rows.size;
  }

  build(ids: string[], vectors: Float32Array): void {
    this.voy.free();
    this.voy = new voyGlue.Voy();
    this.rows.clear();
    this.groups.clear();
    this.add(ids, vectors);
  }

  add(ids: string[], vectors: Float32Array): void {
    if (vectors.length !== ids.length * this.dims) {
      throw new AppError('EMBEDDING_DIMS_MISMATCH', undefined, {
        got: vectors.length / Math.max(1, ids.length),
        dims: this.dims,
      });
    }
    const fresh: VoyResource = { embeddings: [] };
    ids.forEach((id, i) => {
      if (this.rows.has(id)) return;
      const row = vectors.slice(i * this.dims, (i + 1) * this.dims);
      this.rows.set(id, row);
      const fp = fingerprint(row);
      const group = this.groups.get(fp);
      if (group) group.push(id);
      else {
        this.groups.set(fp, [id]);
        fresh.embeddings.push(entry(id, row));
      }
    });
    // One add() of more than ~65k rows throws inside voy-search (measured): feed it in batches.
    for (let i = 0; i < fresh.embeddings.length; i += VOY_BATCH) {
      this.voy.add({ embeddings: fresh.embeddings.slice(i, i + VOY_BATCH) });
    }
  }

  remove(ids: string[]): void {
    for (const id of ids) {
      const row = this.rows.get(id);
      if (!row) continue;
      this.rows.delete(id);
      const fp = fingerprint(row);
      const group = this.groups.get(fp) ?? [];
      const wasIndexed = group[0] === id;
      const rest = group.filter((g) => g !== id);
      if (rest.length) this.groups.set(fp, rest);
      else this.groups.delete(fp);
      if (!wasIndexed) continue;
      this.voy.remove({ embeddings: [entry(id, row)] });
      // Promote a twin with the same vector so it stays findable.
      if (rest[0]) this.voy.add({ embeddings: [entry(rest[0], row)] });
    }
  }

  /** Exact cosine for chosen ids only: filtered search ranks within the filter, not after Voy's cut. */
  scoreIds(query: Float32Array, ids: Iterable<string>, k: number): VectorHit[] {
    const hits: VectorHit[] = [];
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) hits.push({ id, score: dot(query, row) });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
  }

  search(query: Float32Array, k: number): VectorHit[] {
    if (this.rows.size === 0 || k <= 0) return [];
    if (query.length !== this.dims) {
      throw new AppError('EMBEDDING_DIMS_MISMATCH', undefined, { got: query.length, dims: this.dims });
    }
    const result = this.voy.search(query, Math.min(k, this.groups.size)) as { neighbors: { id: string }[] };
    const hits: VectorHit[] = [];
    for (const n of result.neighbors) {
      const row = this.rows.get(n.id);
      if (!row) continue;
      const score = dot(query, row);
      for (const id of this.groups.get(fingerprint(row)) ?? [n.id]) hits.push({ id, score });
    }
    return hits.sort((a, b) => b.score - a.score).slice(0, k);
  }
}

function entry(id: string, row: Float32Array) {
  return { id, title: '', url: '', embeddings: Array.from(row) };
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A 53-bit hash of the exact float bits: only bit-identical vectors are meant to collide. */
function fingerprint(v: Float32Array): string {
  const words = new Uint32Array(v.buffer, v.byteOffset, v.length);
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    h1 = Math.imul(h1 ^ w, 2654435761);
    h2 = Math.imul(h2 ^ w, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}
