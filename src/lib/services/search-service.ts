// The dense-index service: holds the Voy index in its worker, built from vectors stored in IndexedDB.
import type { Handlers } from '../rpc';
import { openLecternDB, loadAllVectors } from '../persistence';
import { initVoy, VoyIndex } from '../retrieval/voy-index';
import type { VectorHit } from '../retrieval/vector-index';

export interface IndexOpenParams {
  dbName: string;
  embedderId: string;
  dims: number;
  voyWasmUrl: string;
}

export type IndexMethods = {
  /** Cold start: reads every stored vector of this embedder and builds the index. */
  open: { params: IndexOpenParams; result: { size: number; ms: number }; progress: never };
  add: { params: { ids: string[]; vectors: Float32Array }; result: { size: number }; progress: never };
  remove: { params: { ids: string[] }; result: { size: number }; progress: never };
  search: { params: { vector: Float32Array; k: number }; result: VectorHit[]; progress: never };
};

export function indexHandlers(): Handlers<IndexMethods> {
  let index: VoyIndex | null = null;
  const need = (): VoyIndex => {
    if (!index) throw new Error('The dense index is not open.');
    return index;
  };
  return {
    open: async ({ dbName, embedderId, dims, voyWasmUrl }) => {
      const started = performance.now();
      await initVoy(voyWasmUrl);
      const db = await openLecternDB(dbName);
      try {
        const stored = await loadAllVectors(db, embedderId);
        index = new VoyIndex(dims);
        if (stored.ids.length && stored.dims === dims) index.build(stored.ids, stored.data);
      } finally {
        db.close();
      }
      return { size: index.size, ms: performance.now() - started };
    },
    add: async ({ ids, vectors }) => {
      const idx = need();
      idx.add(ids, vectors);
      return { size: idx.size };
    },
    remove: async ({ ids }) => {
      const idx = need();
      idx.remove(ids);
      return { size: idx.size };
    },
    search: async ({ vector, k }) => need().search(vector, k),
  };
}
