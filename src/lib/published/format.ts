// The published-library format (v1): the manifest `lectern publish` writes and the app reads, and its shard kinds.
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
