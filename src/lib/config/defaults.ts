// User settings with their defaults; everything here is adjustable in Settings and persisted.
import type { DevicePreference } from './capabilities';
import { DEFAULT_REGISTRY_URL } from './registry';

/** Dense index engine: `auto` picks by library size (see VOY_AUTO_MAX_CHUNKS). */
export type DenseIndexPreference = 'auto' | 'voy' | 'exact';

/**
 * Largest library (chunks) that `auto` serves with Voy. `npm run bench` measured Voy's cold start (load + build)
 * at 1.6 s for 10k chunks and 15.5 s for 100k, against a 2 s target; the exact f32 scan took 0.1 s and 1.4 s and
 * also queried faster. Above this size Voy is unfit, so `auto` switches.
 */
export const VOY_AUTO_MAX_CHUNKS = 10_000;

export interface Settings {
  registryUrl: string;
  /** Overrides the registry's modelBaseUrl (self-hosted models); empty means use the registry's. */
  modelBaseUrl: string;
  device: DevicePreference;
  embedderKey: string | null;
  lateInteractionKey: string | null;
  generatorKey: string | null;
  chunkTokens: number;
  chunkOverlapTokens: number;
  topK: number;
  /** How many fused candidates the late-interaction model reranks. */
  rerankCandidates: number;
  /** Overrides the reranker's own relevance threshold (registry); null uses the model's. */
  relevanceThreshold: number | null;
  denseWeight: number;
  keywordWeight: number;
  /** Appended to queries for embedders that accept instructions (Promptriever-style). */
  searchInstructions: string;
  /** Search with 2–3 model-written rewrites of the question too, fused by RRF. */
  multiQuery: boolean;
  /** Dense index engine: `auto` = Voy for small libraries, the exact scan for large ones (measured; see vector-index.ts). */
  denseIndex: DenseIndexPreference;
  maxFileMB: number;
}

export const DEFAULT_SETTINGS: Settings = {
  registryUrl: DEFAULT_REGISTRY_URL,
  modelBaseUrl: '',
  device: 'auto',
  embedderKey: null,
  lateInteractionKey: null,
  generatorKey: null,
  chunkTokens: 256,
  chunkOverlapTokens: 32,
  topK: 5,
  rerankCandidates: 50,
  relevanceThreshold: null,
  denseWeight: 1,
  keywordWeight: 1,
  searchInstructions: '',
  multiQuery: false,
  denseIndex: 'auto',
  maxFileMB: 200,
};
