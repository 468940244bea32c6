// User settings with their defaults; everything here is adjustable in Settings and persisted.
import type { DevicePreference } from './capabilities';
import { DEFAULT_REGISTRY_URL } from './registry';
import type { DenseIndexPreference } from '../retrieval/vector-index';

// The dense index choice lives with the index (retrieval must not import app settings); re-exported for settings users.
export { VOY_MEASURED, type DenseIndexPreference } from '../retrieval/vector-index';

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
  /** Deep mode: the answer model reasons about each of the top candidates and its verdict reorders them (slow). */
  deepMode: boolean;
  /** How many of the top candidates deep mode judges (pipelines/deep-rerank.ts DEEP_CANDIDATES). */
  deepCandidates: number;
  /** Dense index engine: `auto` = Voy for small libraries, the exact scan for large ones (measured; see vector-index.ts). */
  denseIndex: DenseIndexPreference;
  maxFileMB: number;
  /** Languages scanned pages are recognised in (tesseract codes, config/ocr-languages.ts); English by default. */
  ocrLanguages: string[];
  /**
   * Offer to recognise the text in the pictures of DOCX, PPTX and EPUB files (asked for each file that has some).
   * Off by default: pictures in such files are mostly photographs and logos, and each such file would stop the queue.
   */
  ocrPictures: boolean;
  /** Registries (URLs) and model-file hosts (origins) the user allowed from `?registry=` links. */
  trustedOrigins: string[];
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
  deepMode: false,
  deepCandidates: 10,
  denseIndex: 'auto',
  maxFileMB: 200,
  ocrLanguages: ['eng'],
  ocrPictures: false,
  trustedOrigins: [],
};
