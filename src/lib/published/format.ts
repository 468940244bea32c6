// The published-library format (v1): the manifest `lectern publish` writes and the app reads, and its shard kinds.
import { sha256Hex } from '../ingest/hash';
import type { DocumentKind } from '../ingest/types';

/** A manifest of another format is refused (PUBLISHED_FORMAT_UNSUPPORTED). */
export const PUBLISHED_FORMAT = 1;
/** The manifest's file name inside a published library's folder. */
export const MANIFEST_FILE = 'lectern-library.json';
/** Every published chunk and document id starts with this, so they never meet the private library's UUIDs. */
export const PUBLISHED_PREFIX = 'pub-';

/** A shard file, content-addressed: its name carries a prefix of its SHA-256, so a URL's bytes never change. */
export interface ShardRef {
  /** Path relative to the manifest (`shards/<kind>-<hash16>.bin`). */
  file: string;
  /** Hex SHA-256 of the file's bytes: a shard that does not match is refused. */
  sha256: string;
  bytes: number;
}

/** A shard holding the passages [first, first + count) (global passage numbers), whole documents only. */
export interface RangeShard extends ShardRef {
  first: number;
  count: number;
}

/** A model the library was built with; the app searches its vectors only with the same model. */
export interface PublishedModel {
  id: string;
  revision: string;
  dims: number;
  dtype: string;
  /** Where its files came from (origin) and the registry that described it, as the author's build saw them. */
  origin: string;
  registry: string;
  /**
   * modelFingerprint of the registry entry: same id, revision and dims but other pooling, normalization, prefixes or
   * late-interaction settings give other vectors. Absent from manifests written before it was recorded.
   */
  fingerprint?: string;
}

/** The registry fields of a model that change the vectors it gives (a registry spec has them, and more). */
export type FingerprintSpec =
  | {
      role: 'embedder';
      id: string;
      revision: string;
      dims: number;
      pooling: string;
      normalize: boolean;
      queryPrefix: string;
      documentPrefix: string;
      maxTokens: number;
    }
  | {
      role: 'late-interaction';
      id: string;
      revision: string;
      dims: number;
      hiddenSize: number;
      queryMarker: string;
      documentMarker: string;
      queryLength: number;
      documentLength: number;
      projection: { file: string; tensor: string; in: number; out: number } | null;
    };

/** JSON with every object's keys sorted, so equal values always give equal text. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

/**
 * Hex SHA-256 of the canonical JSON of the fields of `spec` that change its vectors (and only those: a label, size or
 * license does not). A library's vectors are searched only with a model of the same fingerprint.
 */
export function modelFingerprint(spec: FingerprintSpec): Promise<string> {
  const fields =
    spec.role === 'embedder'
      ? {
          id: spec.id,
          revision: spec.revision,
          dims: spec.dims,
          pooling: spec.pooling,
          normalize: spec.normalize,
          queryPrefix: spec.queryPrefix,
          documentPrefix: spec.documentPrefix,
          maxTokens: spec.maxTokens,
        }
      : {
          id: spec.id,
          revision: spec.revision,
          dims: spec.dims,
          hiddenSize: spec.hiddenSize,
          queryMarker: spec.queryMarker,
          documentMarker: spec.documentMarker,
          queryLength: spec.queryLength,
          documentLength: spec.documentLength,
          projection: spec.projection,
        };
  return sha256Hex(canonicalJson(fields));
}

export interface PublishedDocument {
  id: string;
  /** The file's path inside the published folder, `/`-separated. */
  name: string;
  title: string;
  kind: DocumentKind;
  size: number;
  /** Hex SHA-256 of the file's bytes. */
  hash: string;
  pageCount: number | null;
  /** Its passages are numbered after those of every document before it in `documents`. */
  chunks: number;
  /** The original file, relative to the manifest, when the author shipped it (`--include-files`). */
  file?: string;
}

export interface PublishedManifest {
  format: typeof PUBLISHED_FORMAT;
  name: string;
  /** ISO date of the build. */
  createdAt: string;
  /** What wrote it (`lectern publish <version>`). */
  generator: string;
  models: { embedder: PublishedModel | null; late: PublishedModel | null };
  chunking: { maxTokens: number; overlapTokens: number };
  counts: { documents: number; passages: number; terms: number; bytes: number };
  documents: PublishedDocument[];
  /** BM25 length of every passage (Int32, `lengths`). */
  lengths: ShardRef;
  /** BM25 postings by term bucket (termBucket): shard b holds the terms of bucket b. */
  keywords: { buckets: number; shards: ShardRef[] };
  passages: RangeShard[];
  /** int8 rows with one scale each; null without an embedder. */
  dense: RangeShard[] | null;
  /** int6 token vectors; null without a late-interaction model. */
  tokens: RangeShard[] | null;
}

/** The bucket of a term: FNV-1a over its UTF-16 code units, modulo the bucket count (the writer and reader agree). */
export function termBucket(term: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < term.length; i++) {
    h ^= term.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % buckets;
}

/** A published chunk's id: the document's id and the passage's ordinal, as records.ts's chunkId. */
export function publishedChunkId(docId: string, ordinal: number): string {
  return `${docId}:${ordinal}`;
}

/** One passage of a passages shard (short keys: the shard is JSON). */
export interface PublishedPassage {
  /** Ordinal within its document. */
  o: number;
  text: string;
  start: number;
  end: number;
  heading: string[];
  pageStart: number | null;
  pageEnd: number | null;
  tokens: number;
  hash: string;
}
