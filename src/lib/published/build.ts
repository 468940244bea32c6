// Builds a published library from documents' rows: the manifest and its content-addressed shard files (Node or browser).
import type { DocumentKind } from '../ingest/types';
import { sha256Hex } from '../ingest/hash';
import {
  MANIFEST_FILE,
  PUBLISHED_FORMAT,
  termBucket,
  type PublishedDocument,
  type PublishedManifest,
  type PublishedModel,
  type PublishedPassage,
  type RangeShard,
  type ShardRef,
} from './format';
import { packShard } from './shard-codec';

/** What one document contributes, in the storage rows' shapes (pipelines/records.ts makes them). */
export interface PublishInput {
  doc: {
    id: string;
    name: string;
    title: string;
    kind: DocumentKind;
    size: number;
    hash: string;
    pageCount: number | null;
    file?: string;
  };
  chunks: {
    ordinal: number;
    text: string;
    start: number;
    end: number;
    headingPath: string[];
    pageStart: number | null;
    pageEnd: number | null;
    tokenCount: number;
    hash: string;
  }[];
  /** BM25 rows, one per chunk in chunk order. */
  keywords: { length: number; terms: string[]; freqs: number[] }[];
  /** int8 rows (records.ts vectorRows), one per chunk, or none without an embedder. */
  vectors: { data: ArrayBuffer; scale?: number; dims: number }[];
  /** int6 rows (records.ts tokenVectorRows), one per chunk, or none without a late-interaction model. */
  tokenVectors: { tokens: number; dims: number; data: ArrayBuffer; scales: ArrayBuffer; tokenTexts: string[] }[];
}

export interface PublishOptions {
  name: string;
  generator: string;
  models: PublishedManifest['models'];
  chunking: PublishedManifest['chunking'];
  /**
   * Target bytes of a dense shard (read whole, in the background; default 2 MB), of a passages or tokens shard (read
   * for the few passages a question shows or reranks, so smaller; default 128 KB, or `shardBytes` when only that is
   * given) and of a keyword bucket (a question reads one per query term; default 512 KB).
   */
  shardBytes?: number;
  sourceShardBytes?: number;
  bucketBytes?: number;
  createdAt?: string;
}

export interface BuiltLibrary {
  manifest: PublishedManifest;
  /** Every shard, by path relative to the manifest (`shards/…`). */
  files: Map<string, Uint8Array>;
}

const DEFAULT_SHARD_BYTES = 2 * 1024 * 1024;
const DEFAULT_SOURCE_SHARD_BYTES = 128 * 1024;
const DEFAULT_BUCKET_BYTES = 512 * 1024;

async function shardFile(files: Map<string, Uint8Array>, kind: string, bytes: Uint8Array): Promise<ShardRef> {
  const sha256 = await sha256Hex(bytes);
  const file = `shards/${kind}-${sha256.slice(0, 16)}.bin`;
  files.set(file, bytes);
  return { file, sha256, bytes: bytes.length };
}

/**
 * Cuts documents (sizes in bytes, in order) into runs of about `target` bytes, whole documents each. A run ends where
 * a document's id hashes to a boundary once the run holds half the target (or at twice the target), so editing one
 * document moves no boundary but its own run's: the other runs, and their shard files, stay byte for byte the same.
 */
export function documentRuns(docs: { id: string; bytes: number }[], target: number): [number, number][] {
  const runs: [number, number][] = [];
  let first = 0;
  let acc = 0;
  docs.forEach((d, i) => {
    acc += d.bytes;
    const cut = (acc >= target / 2 && termBucket(d.id, 4) === 0) || acc >= target * 2;
    if (cut || i === docs.length - 1) {
      runs.push([first, i + 1]);
      first = i + 1;
      acc = 0;
    }
  });
  return runs;
}

/** Range shards of one kind: runs of whole documents, each packed by `pack` from its documents. */
async function rangeShards(
  inputs: PublishInput[],
  firsts: number[],
  kind: string,
  target: number,
  size: (d: PublishInput) => number,
  pack: (docs: PublishInput[]) => Uint8Array,
  files: Map<string, Uint8Array>,
): Promise<RangeShard[]> {
  const runs = documentRuns(
    inputs.map((d) => ({ id: d.doc.id, bytes: size(d) })),
    target,
  );
  const out: RangeShard[] = [];
  for (const [from, to] of runs) {
    const docs = inputs.slice(from, to);
    const count = docs.reduce((n, d) => n + d.chunks.length, 0);
    out.push({ ...(await shardFile(files, kind, pack(docs))), first: firsts[from]!, count });
  }
  return out;
}

function concat<T extends Int8Array | Uint8Array | Float32Array>(
  parts: ArrayBufferLike[],
  Type: new (n: number) => T,
  View: new (b: ArrayBufferLike) => T,
): T {
  const views = parts.map((p) => new View(p));
  const out = new Type(views.reduce((n, v) => n + v.length, 0));
  let at = 0;
  for (const v of views) {
    (out as unknown as { set(a: T, o: number): void }).set(v, at);
    at += v.length;
  }
  return out;
}

/** The manifest and shards of documents given in their published order (the CLI sorts them by path). */
export async function buildLibrary(inputs: PublishInput[], options: PublishOptions): Promise<BuiltLibrary> {
  const files = new Map<string, Uint8Array>();
  const shardBytes = options.shardBytes ?? DEFAULT_SHARD_BYTES;
  const sourceShardBytes = options.sourceShardBytes ?? options.shardBytes ?? DEFAULT_SOURCE_SHARD_BYTES;
  const firsts: number[] = [];
  let passages = 0;
  for (const d of inputs) {
    firsts.push(passages);
    passages += d.chunks.length;
  }

  const lengths = new Int32Array(passages);
  inputs.forEach((d, i) => d.keywords.forEach((k, j) => (lengths[firsts[i]! + j] = k.length)));
  const lengthsRef = await shardFile(files, 'lengths', packShard('lengths', null, { lengths }));

  // Postings term-major, then cut into buckets by term hash.
  const postings = new Map<string, number[]>();
  let postingCount = 0;
  inputs.forEach((d, i) =>
    d.keywords.forEach((k, j) =>
      k.terms.forEach((t, n) => {
        let list = postings.get(t);
        if (!list) postings.set(t, (list = []));
        list.push(firsts[i]! + j, k.freqs[n]!);
        postingCount++;
      }),
    ),
  );
  const targetBuckets = Math.ceil((postingCount * 8) / (options.bucketBytes ?? DEFAULT_BUCKET_BYTES));
  let buckets = 1;
  while (buckets < targetBuckets) buckets *= 2;
  const byBucket: string[][] = Array.from({ length: buckets }, () => []);
  for (const t of [...postings.keys()].sort()) byBucket[termBucket(t, buckets)]!.push(t);
  const keywordShards: ShardRef[] = [];
  for (const terms of byBucket) {
    const offsets = new Int32Array(terms.length + 1);
    let size = 0;
    terms.forEach((t, i) => {
      offsets[i] = size;
      size += postings.get(t)!.length;
    });
    offsets[terms.length] = size;
    const data = new Int32Array(size);
    terms.forEach((t, i) => data.set(postings.get(t)!, offsets[i]!));
    keywordShards.push(await shardFile(files, 'keywords', packShard('keywords', { terms }, { offsets, data })));
  }

  const passageShards = await rangeShards(
    inputs,
    firsts,
    'passages',
    sourceShardBytes,
    (d) => d.chunks.reduce((n, c) => n + c.text.length + 64, 0),
    (docs) =>
      packShard(
        'passages',
        docs.flatMap((d) =>
          d.chunks.map((c): PublishedPassage => ({
            o: c.ordinal,
            text: c.text,
            start: c.start,
            end: c.end,
            heading: c.headingPath,
            pageStart: c.pageStart,
            pageEnd: c.pageEnd,
            tokens: c.tokenCount,
            hash: c.hash,
          })),
        ),
      ),
    files,
  );

  const embedder = options.models.embedder;
  const dense = embedder
    ? await rangeShards(
        inputs,
        firsts,
        'dense',
        shardBytes,
        (d) => d.chunks.length * (embedder.dims + 4),
        (docs) => {
          const rows = docs.flatMap((d) => d.vectors);
          return packShard(
            'dense',
            { dims: embedder.dims },
            {
              rows: concat(
                rows.map((r) => r.data),
                Int8Array,
                Int8Array,
              ),
              scales: Float32Array.from(rows, (r) => r.scale ?? 1),
            },
          );
        },
        files,
      )
    : null;

  const late = options.models.late;
  const tokens = late
    ? await rangeShards(
        inputs,
        firsts,
        'tokens',
        sourceShardBytes,
        (d) => d.tokenVectors.reduce((n, t) => n + t.data.byteLength + t.scales.byteLength + 8 * t.tokens, 0),
        (docs) => {
          const rows = docs.flatMap((d) => d.tokenVectors);
          return packShard(
            'tokens',
            { dims: late.dims, texts: rows.map((r) => r.tokenTexts) },
            {
              counts: Uint32Array.from(rows, (r) => r.tokens),
              data: concat(
                rows.map((r) => r.data),
                Uint8Array,
                Uint8Array,
              ),
              scales: concat(
                rows.map((r) => r.scales),
                Float32Array,
                Float32Array,
              ),
            },
          );
        },
        files,
      )
    : null;

  const documents: PublishedDocument[] = inputs.map(({ doc, chunks }) => ({
    id: doc.id,
    name: doc.name,
    title: doc.title,
    kind: doc.kind,
    size: doc.size,
    hash: doc.hash,
    pageCount: doc.pageCount,
    chunks: chunks.length,
    ...(doc.file ? { file: doc.file } : {}),
  }));
  let bytes = 0;
  for (const f of files.values()) bytes += f.length;
  const manifest: PublishedManifest = {
    format: PUBLISHED_FORMAT,
    name: options.name,
    createdAt: options.createdAt ?? new Date().toISOString(),
    generator: options.generator,
    models: options.models,
    chunking: options.chunking,
    counts: { documents: inputs.length, passages, terms: postings.size, bytes },
    documents,
    lengths: lengthsRef,
    keywords: { buckets, shards: keywordShards },
    passages: passageShards,
    dense,
    tokens,
  };
  return { manifest, files };
}

export { MANIFEST_FILE };
export type { PublishedModel };
