// The publish cache: one file per document's rows (text as JSON, vectors as typed arrays), keyed by its bytes, path, models and chunking.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../../src/lib/ingest/hash';
import type { PublishInput } from '../../src/lib/published/build';
import { arrayOf, packShard, unpackShard } from '../../src/lib/published/shard-codec';

const KIND = 'lectern-publish-cache-1';

/** A cached document: everything but the original file's place in the output (`--include-files` decides that). */
export type CachedDoc = Omit<PublishInput, 'doc'> & { doc: Omit<PublishInput['doc'], 'file'> };

/**
 * The cache entry's name: a hash of what the rows depend on. The parsers, chunker and encoders are the package's own
 * code, so its version (package.json) stands for them: an upgrade rebuilds every document. A change to that code
 * without a version bump (working on Lectern itself) is not seen: clear `--cache` or give another one.
 */
export function cacheKey(parts: {
  hash: string;
  path: string;
  models: string;
  chunking: unknown;
  version: string;
  /** The text recognition settings (--ocr), when scanned pages and pictures are read. */
  ocr?: string;
}): Promise<string> {
  const key = [KIND, parts.version, parts.hash, parts.path, parts.models, parts.chunking];
  // Without --ocr the key is what it always was, so existing caches stay valid.
  return sha256Hex(JSON.stringify(parts.ocr === undefined ? key : [...key, parts.ocr]));
}

function concatBytes(parts: ArrayBuffer[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), at);
    at += p.byteLength;
  }
  return out;
}

/** Packs a document's rows with the shard codec: int8 dense rows, int6 token rows and their scales stay binary. */
export function packCached(d: CachedDoc): Uint8Array {
  const json = {
    doc: d.doc,
    chunks: d.chunks,
    keywords: d.keywords,
    dims: d.vectors[0]?.dims ?? 0,
    tokenDims: d.tokenVectors[0]?.dims ?? 0,
    tokenTexts: d.tokenVectors.map((t) => t.tokenTexts),
  };
  return packShard(KIND, json, {
    dense: new Int8Array(concatBytes(d.vectors.map((v) => v.data)).buffer),
    denseScales: Float32Array.from(d.vectors, (v) => v.scale ?? 1),
    tokenCounts: Uint32Array.from(d.tokenVectors, (t) => t.tokens),
    tokenBytes: Uint32Array.from(d.tokenVectors, (t) => t.data.byteLength),
    tokens: concatBytes(d.tokenVectors.map((t) => t.data)),
    tokenScales: new Float32Array(concatBytes(d.tokenVectors.map((t) => t.scales)).buffer),
  });
}

/** Unpacks what packCached wrote; throws on anything malformed (the caller then rebuilds the document). */
export function unpackCached(bytes: Uint8Array, file: string): CachedDoc {
  const shard = unpackShard(bytes, KIND, file);
  const json = shard.json as {
    doc: CachedDoc['doc'];
    chunks: CachedDoc['chunks'];
    keywords: CachedDoc['keywords'];
    dims: number;
    tokenDims: number;
    tokenTexts: string[][];
  };
  const dense = arrayOf(shard, 'dense', Int8Array, file);
  const denseScales = arrayOf(shard, 'denseScales', Float32Array, file);
  const counts = arrayOf(shard, 'tokenCounts', Uint32Array, file, json.tokenTexts.length);
  const sizes = arrayOf(shard, 'tokenBytes', Uint32Array, file, counts.length);
  const tokens = arrayOf(shard, 'tokens', Uint8Array, file);
  const scales = arrayOf(shard, 'tokenScales', Float32Array, file);
  if (dense.length !== denseScales.length * json.dims) throw new Error(`${file}: dense rows do not fit`);
  const vectors = Array.from(denseScales, (scale, i) => ({
    data: dense.slice(i * json.dims, (i + 1) * json.dims).buffer,
    scale,
    dims: json.dims,
  }));
  let at = 0;
  let scaleAt = 0;
  const tokenVectors = Array.from(counts, (n, i) => {
    const size = sizes[i]!;
    if (at + size > tokens.length || scaleAt + n > scales.length) throw new Error(`${file}: token rows do not fit`);
    const row = {
      tokens: n,
      dims: json.tokenDims,
      data: tokens.slice(at, at + size).buffer,
      scales: scales.slice(scaleAt, scaleAt + n).buffer,
      tokenTexts: json.tokenTexts[i]!,
    };
    at += size;
    scaleAt += n;
    return row;
  });
  return { doc: json.doc, chunks: json.chunks, keywords: json.keywords, vectors, tokenVectors };
}

export class PublishCache {
  constructor(private readonly dir: string) {}

  get(key: string): CachedDoc | null {
    const file = join(this.dir, 'docs', `${key}.bin`);
    try {
      return unpackCached(new Uint8Array(readFileSync(file)), file);
    } catch {
      return null;
    }
  }

  /** Written to a temporary name and renamed, so an interrupted run never leaves half an entry. */
  put(key: string, doc: CachedDoc): void {
    const dir = join(this.dir, 'docs');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${key}.bin`);
    writeFileSync(`${file}.tmp`, packCached(doc));
    renameSync(`${file}.tmp`, file);
  }
}
