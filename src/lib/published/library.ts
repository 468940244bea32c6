// A published library opened read-only: its manifest checked, then shards loaded on demand (keywords first, dense after).
import { AppError } from '../errors';
import { INGEST_KINDS, type DocumentKind } from '../ingest/types';
import { Bm25Index, type Bm25Hit } from '../retrieval/bm25';
import { ExactIndex } from '../retrieval/exact-index';
import { int8Stride } from '../retrieval/int8-matrix';
import { tokenize } from '../retrieval/tokenize';
import type { Int8DocTokens } from '../retrieval/maxsim-simd';
import type { PassageRow } from '../retrieval/search-types';
import { unpackInt6 } from '../retrieval/compress';
import {
  PUBLISHED_FORMAT,
  PUBLISHED_PREFIX,
  publishedChunkId,
  termBucket,
  type PublishedDocument,
  type PublishedManifest,
  type PublishedPassage,
  type RangeShard,
  type ShardRef,
} from './format';
import { arrayOf, unpackShard } from './shard-codec';

/** Fetches a shard's verified bytes (the caller checks the hash and caches): the network port. */
export type ShardLoader = (ref: ShardRef) => Promise<Uint8Array>;

/** A published passage as the ask pipeline reads a stored chunk. */
export type PublishedChunk = PassageRow;

/** The most passages a published library may hold: a manifest claiming more would exhaust the tab's memory. */
export const MAX_PASSAGES = 5_000_000;

/**
 * An original file's path: under `files/`, relative, and still under `files/` once resolved (URL parsing reads
 * `.%2e` and `%2e.` as `..`), with no query or fragment.
 */
function validFile(v: unknown): boolean {
  if (typeof v !== 'string' || !v.startsWith('files/') || /[\\?#]/.test(v)) return false;
  const base = 'https://library.invalid/a/';
  try {
    const u = new URL(v, base);
    return u.origin === 'https://library.invalid' && u.pathname.startsWith('/a/files/') && !u.search && !u.hash;
  } catch {
    return false;
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const KINDS: readonly DocumentKind[] = INGEST_KINDS;

function validShard(v: unknown): v is ShardRef {
  return (
    isObj(v) &&
    typeof v.file === 'string' &&
    /^shards\/[a-z]+-[0-9a-f]{16}\.bin$/.test(v.file) &&
    typeof v.sha256 === 'string' &&
    /^[0-9a-f]{64}$/.test(v.sha256) &&
    Number.isInteger(v.bytes)
  );
}

function validRanges(v: unknown, passages: number): v is RangeShard[] {
  if (!Array.isArray(v)) return false;
  let next = 0;
  for (const s of v) {
    if (!validShard(s) || !isObj(s) || s.first !== next || !Number.isInteger(s.count) || (s.count as number) < 0)
      return false;
    next += s.count as number;
  }
  return next === passages;
}

/** Checks a manifest's shape (untrusted JSON): what it lacks or holds wrongly throws PUBLISHED_MANIFEST_INVALID. */
export function checkManifest(raw: unknown, url: string): PublishedManifest {
  const bad = (why: string) => new AppError('PUBLISHED_MANIFEST_INVALID', undefined, { url, why });
  if (!isObj(raw)) throw bad('not a JSON object');
  if (raw.format !== PUBLISHED_FORMAT) {
    if (typeof raw.format !== 'number') throw bad('no format version');
    throw new AppError('PUBLISHED_FORMAT_UNSUPPORTED', undefined, {
      url,
      format: raw.format,
      supported: PUBLISHED_FORMAT,
    });
  }
  const m = raw as unknown as PublishedManifest;
  if (typeof m.name !== 'string' || !m.name.trim() || !Array.isArray(m.documents) || !isObj(m.counts))
    throw bad('missing fields');
  let passages = 0;
  const ids = new Set<string>();
  for (const d of m.documents as unknown[]) {
    if (
      !isObj(d) ||
      typeof d.id !== 'string' ||
      !d.id.startsWith(PUBLISHED_PREFIX) ||
      d.id.includes(':') ||
      ids.has(d.id) ||
      typeof d.name !== 'string' ||
      typeof d.title !== 'string' ||
      !KINDS.includes(d.kind as DocumentKind) ||
      !Number.isInteger(d.chunks) ||
      (d.chunks as number) < 0 ||
      (d.file !== undefined && !validFile(d.file))
    )
      throw bad('a document entry is malformed');
    ids.add(d.id);
    passages += d.chunks as number;
    if (passages > MAX_PASSAGES) throw bad(`more than ${MAX_PASSAGES} passages`);
  }
  if (passages !== m.counts.passages) throw bad('passage counts disagree');
  if (!validShard(m.lengths)) throw bad('lengths shard');
  if (
    !isObj(m.keywords) ||
    !Number.isInteger(m.keywords.buckets) ||
    m.keywords.buckets < 1 ||
    !Array.isArray(m.keywords.shards) ||
    m.keywords.shards.length !== m.keywords.buckets ||
    !m.keywords.shards.every(validShard)
  )
    throw bad('keyword shards');
  if (!validRanges(m.passages, passages)) throw bad('passage shards');
  if (m.dense !== null && !validRanges(m.dense, passages)) throw bad('dense shards');
  if (m.tokens !== null && !validRanges(m.tokens, passages)) throw bad('token shards');
  const model = (x: unknown) =>
    x === null ||
    (isObj(x) &&
      typeof x.id === 'string' &&
      typeof x.revision === 'string' &&
      Number.isInteger(x.dims) &&
      (x.fingerprint === undefined || (typeof x.fingerprint === 'string' && /^[0-9a-f]{64}$/.test(x.fingerprint))));
  if (!isObj(m.models) || !model(m.models.embedder) || !model(m.models.late)) throw bad('models');
  if ((m.dense === null) !== (m.models.embedder === null) || (m.tokens === null) !== (m.models.late === null))
    throw bad('models and shards disagree');
  return m;
}

/** Background reads at once: enough to fill the network, few enough that each finishes (a sign of life) in time. */
const READS_AT_ONCE = 4;

/** Runs `fn` over `items`, READS_AT_ONCE at a time; the first failure rejects (the others still finish). */
async function inTurn<T>(items: readonly T[], fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    // After a failure no further item starts: the whole read fails anyway.
    while (next < items.length && !failed) {
      const i = next++;
      await fn(items[i]!, i).catch((err: unknown) => {
        failed = true;
        throw err;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_AT_ONCE, items.length) }, worker));
}

/** The shard of `shards` holding passage `n` (ranges are in order and cover every passage). */
function rangeOf(shards: RangeShard[], n: number): RangeShard | undefined {
  let lo = 0;
  let hi = shards.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = shards[mid]!;
    if (n < s.first) hi = mid - 1;
    else if (n >= s.first + s.count) lo = mid + 1;
    else return s;
  }
  return undefined;
}

interface Bucket {
  terms: string[];
  offsets: Int32Array;
  data: Int32Array;
}

export interface PublishedMeta {
  docId: string;
  kind: DocumentKind;
  addedAt: number;
}

export class PublishedLibrary {
  /** Chunk ids by passage number, and passage numbers by chunk id. */
  readonly ids: string[] = [];
  private readonly numbers = new Map<string, number>();
  readonly metaOf: (id: string) => PublishedMeta | undefined;
  private lengths: Int32Array | null = null;
  private readonly buckets = new Map<number, Bucket>();
  private keyword: Bm25Index | null = null;
  /** How many buckets `keyword` was built from: a bucket the background read added since means a rebuild. */
  private indexedBuckets = 0;
  private dense: ExactIndex | null = null;
  private denseLoading: Promise<ExactIndex> | null = null;
  /** Shards read once are kept here (decoded), so a second question reads none again. */
  private readonly decoded = new Map<string, Promise<unknown>>();

  constructor(
    readonly manifest: PublishedManifest,
    private readonly load: ShardLoader,
  ) {
    const docNumbers: number[] = [];
    const addedAt = Date.parse(manifest.createdAt) || 0;
    manifest.documents.forEach((d, di) => {
      for (let o = 0; o < d.chunks; o++) {
        const id = publishedChunkId(d.id, o);
        this.numbers.set(id, this.ids.length);
        this.ids.push(id);
        docNumbers.push(di);
      }
    });
    const metas = manifest.documents.map((d) => ({ docId: d.id, kind: d.kind, addedAt }));
    this.metaOf = (id) => {
      const n = this.numbers.get(id);
      return n === undefined ? undefined : metas[docNumbers[n]!];
    };
  }

  get documents(): readonly PublishedDocument[] {
    return this.manifest.documents;
  }

  has(id: string): boolean {
    return this.numbers.has(id);
  }

  private once<T>(ref: ShardRef, decode: (bytes: Uint8Array) => T): Promise<T> {
    let p = this.decoded.get(ref.file) as Promise<T> | undefined;
    if (!p) {
      p = this.load(ref).then(decode);
      // A failed read (network, tamper) is not kept: the next question tries again.
      p.catch(() => this.decoded.delete(ref.file));
      this.decoded.set(ref.file, p);
    }
    return p;
  }

  private async loadLengths(): Promise<Int32Array> {
    const ref = this.manifest.lengths;
    this.lengths ??= await this.once(ref, (b) =>
      arrayOf(unpackShard(b, 'lengths', ref.file), 'lengths', Int32Array, ref.file, this.ids.length),
    );
    return this.lengths;
  }

  /**
   * BM25 over this library: reads the lengths and the buckets of the query's terms (only those), then scores with the
   * same formula and tokenizer as the private index. Ids are the published chunk ids.
   */
  async keywordSearch(text: string, k: number, filter?: (id: string) => boolean): Promise<Bm25Hit[]> {
    const base = new Bm25Index();
    const terms = [...new Set(tokenize(text, base.tokenizeOptions))];
    const { buckets } = this.manifest.keywords;
    const wanted = [...new Set(terms.map((t) => termBucket(t, buckets)))].filter((b) => !this.buckets.has(b));
    const [, ...loaded] = await Promise.all([this.loadLengths(), ...wanted.map((b) => this.bucket(b))]);
    loaded.forEach((x, i) => this.buckets.set(wanted[i]!, x));
    return this.keywordIndex().search(text, { k, filter });
  }

  /** Keyword bucket b, checked: its terms, and postings that name only passages of this library. */
  private bucket(b: number): Promise<Bucket> {
    const ref = this.manifest.keywords.shards[b]!;
    return this.once(ref, (bytes) => {
      const file = ref.file;
      const s = unpackShard(bytes, 'keywords', file);
      const t = (s.json as { terms?: unknown })?.terms;
      if (!Array.isArray(t) || !t.every((x) => typeof x === 'string'))
        throw new AppError('PUBLISHED_SHARD_INVALID', undefined, { file, why: 'terms' });
      const offsets = arrayOf(s, 'offsets', Int32Array, file, t.length + 1);
      const data = arrayOf(s, 'data', Int32Array, file);
      if (offsets[t.length] !== data.length || data.some((v, i) => i % 2 === 0 && (v < 0 || v >= this.ids.length)))
        throw new AppError('PUBLISHED_SHARD_INVALID', undefined, { file, why: 'postings' });
      return { terms: t as string[], offsets, data };
    });
  }

  /** An index of the buckets read so far: every passage's length, the postings of those buckets' terms. */
  private keywordIndex(): Bm25Index {
    if (this.keyword && this.indexedBuckets === this.buckets.size) return this.keyword;
    this.indexedBuckets = this.buckets.size;
    this.keyword = this.buildKeywordIndex();
    return this.keyword;
  }

  private buildKeywordIndex(): Bm25Index {
    const terms: string[] = [];
    let size = 0;
    for (const b of this.buckets.values()) {
      terms.push(...b.terms);
      size += b.data.length;
    }
    const offsets = new Int32Array(terms.length + 1);
    const data = new Int32Array(size);
    let t = 0;
    let at = 0;
    for (const b of this.buckets.values()) {
      for (let i = 0; i < b.terms.length; i++) offsets[t++] = at + b.offsets[i]!;
      data.set(b.data, at);
      at += b.data.length;
    }
    offsets[terms.length] = size;
    return Bm25Index.fromPostings({ ids: this.ids, lengths: this.lengths!, terms, offsets, data });
  }

  /**
   * Reads every keyword bucket (progress per bucket), so later questions fetch nothing that depends on their words,
   * and the whole keyword index is kept for offline use.
   */
  async loadKeywords(onShard?: (done: number, total: number) => void): Promise<void> {
    const { shards } = this.manifest.keywords;
    let done = 0;
    await inTurn(shards, async (_ref, b) => {
      if (!this.buckets.has(b)) this.buckets.set(b, await this.bucket(b));
      onShard?.(++done, shards.length);
    });
    await this.loadLengths();
    this.keywordIndex();
  }

  /** The dense index once every dense shard has arrived (they load in the background); null until then. */
  get denseIndex(): ExactIndex | null {
    return this.dense;
  }

  /** Loads every dense shard (progress per shard); resolves with the exact int8 index over all passages. */
  loadDense(onShard?: (done: number, total: number) => void): Promise<ExactIndex> {
    const shards = this.manifest.dense;
    const dims = this.manifest.models.embedder?.dims;
    if (!shards || !dims)
      return Promise.reject(
        new AppError('PUBLISHED_MANIFEST_INVALID', undefined, { url: this.manifest.name, why: 'it has no vectors' }),
      );
    const stride = int8Stride(dims);
    this.denseLoading ??= (async () => {
      const rows = new Int8Array(this.ids.length * stride);
      const scales = new Float32Array(this.ids.length);
      let done = 0;
      await inTurn(shards, async (ref) => {
        const s = unpackShard(await this.load(ref), 'dense', ref.file);
        const shardRows = arrayOf(s, 'rows', Int8Array, ref.file, ref.count * dims);
        // Rows are stored dims wide; the index keeps them padded to whole SIMD lanes.
        for (let i = 0; i < ref.count; i++)
          rows.set(shardRows.subarray(i * dims, (i + 1) * dims), (ref.first + i) * stride);
        scales.set(arrayOf(s, 'scales', Float32Array, ref.file, ref.count), ref.first);
        onShard?.(++done, shards.length);
      });
      this.dense = ExactIndex.fromInt8Rows(dims, { ids: [...this.ids], stride, rows, scales });
      return this.dense;
    })();
    this.denseLoading.catch(() => (this.denseLoading = null));
    return this.denseLoading;
  }

  private passagesShard(ref: RangeShard): Promise<PublishedPassage[]> {
    return this.once(ref, (bytes) => {
      const list = unpackShard(bytes, 'passages', ref.file).json;
      if (!Array.isArray(list) || list.length !== ref.count)
        throw new AppError('PUBLISHED_SHARD_INVALID', undefined, { file: ref.file, why: 'passage count' });
      if (!list.every(validPassage))
        throw new AppError('PUBLISHED_SHARD_INVALID', undefined, { file: ref.file, why: 'a passage is malformed' });
      return list as PublishedPassage[];
    });
  }

  /** The passages behind `ids` (undefined for an id not in this library), reading only their shards. */
  async passages(ids: readonly string[]): Promise<(PublishedChunk | undefined)[]> {
    return Promise.all(
      ids.map(async (id) => {
        const n = this.numbers.get(id);
        const ref = n === undefined ? undefined : rangeOf(this.manifest.passages, n);
        if (n === undefined || !ref) return undefined;
        const p = (await this.passagesShard(ref))[n - ref.first];
        if (!p) return undefined;
        return {
          id,
          docId: this.metaOf(id)!.docId,
          ordinal: p.o,
          text: p.text,
          start: p.start,
          end: p.end,
          headingPath: p.heading,
          pageStart: p.pageStart,
          pageEnd: p.pageEnd,
          tokenCount: p.tokens,
          hash: p.hash,
        };
      }),
    );
  }

  /** Token vectors of `ids` as int8 for MaxSim, with their token texts; ids without any are left out. */
  async tokenRows(ids: readonly string[]): Promise<{ doc: Int8DocTokens; texts: string[] }[]> {
    const shards = this.manifest.tokens;
    const dims = this.manifest.models.late?.dims;
    if (!shards || !dims) return [];
    const rows = await Promise.all(
      ids.map(async (id) => {
        const n = this.numbers.get(id);
        const ref = n === undefined ? undefined : rangeOf(shards, n);
        if (n === undefined || !ref) return null;
        const shard = await this.once(ref, (bytes) => decodeTokens(bytes, ref, dims));
        const i = n - ref.first;
        const [from, to] = [shard.tokenStart[i]!, shard.tokenStart[i + 1]!];
        const packed = {
          tokens: to - from,
          dims,
          data: shard.data.subarray(shard.byteStart[i]!, shard.byteStart[i + 1]!),
          scales: shard.scales.subarray(from, to),
        };
        const q8 = unpackInt6(packed);
        return { doc: { id, data: q8.data, tokens: packed.tokens, scales: q8.scales }, texts: shard.texts[i]! };
      }),
    );
    return rows.filter((r) => r !== null);
  }
}

const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const page = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 1);

/** A passage of a passages shard as the format has it (untrusted JSON). */
function validPassage(v: unknown): v is PublishedPassage {
  return (
    isObj(v) &&
    count(v.o) &&
    typeof v.text === 'string' &&
    count(v.start) &&
    count(v.end) &&
    (v.end as number) >= (v.start as number) &&
    Array.isArray(v.heading) &&
    v.heading.every((h) => typeof h === 'string') &&
    page(v.pageStart) &&
    page(v.pageEnd) &&
    count(v.tokens) &&
    typeof v.hash === 'string'
  );
}

interface TokenShard {
  /** Per passage, where its tokens start (scales) and its bytes start (data); one extra entry at the end. */
  tokenStart: Uint32Array;
  byteStart: Uint32Array;
  data: Uint8Array;
  scales: Float32Array;
  texts: string[][];
}

function decodeTokens(bytes: Uint8Array, ref: RangeShard, dims: number): TokenShard {
  const s = unpackShard(bytes, 'tokens', ref.file);
  const counts = arrayOf(s, 'counts', Uint32Array, ref.file, ref.count);
  const data = arrayOf(s, 'data', Uint8Array, ref.file);
  const scales = arrayOf(s, 'scales', Float32Array, ref.file);
  const texts = (s.json as { texts?: unknown })?.texts;
  const tokenStart = new Uint32Array(ref.count + 1);
  const byteStart = new Uint32Array(ref.count + 1);
  for (let i = 0; i < ref.count; i++) {
    tokenStart[i + 1] = tokenStart[i]! + counts[i]!;
    // int6: four values in three bytes, per token row (compress.ts quantizeInt6).
    byteStart[i + 1] = byteStart[i]! + Math.ceil((counts[i]! * dims * 3) / 4);
  }
  if (
    tokenStart[ref.count] !== scales.length ||
    byteStart[ref.count] !== data.length ||
    !Array.isArray(texts) ||
    texts.length !== ref.count
  )
    throw new AppError('PUBLISHED_SHARD_INVALID', undefined, { file: ref.file, why: 'token layout' });
  return { tokenStart, byteStart, data, scales, texts: texts as string[][] };
}
