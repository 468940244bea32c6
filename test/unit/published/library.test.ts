// The published-library reader against the rows it was built from: same BM25 hits, same dense rows, passages, tokens.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildLibrary, type PublishInput } from '../../../src/lib/published/build';
import { PUBLISHED_FORMAT, termBucket, type ShardRef } from '../../../src/lib/published/format';
import { tokenize } from '../../../src/lib/retrieval/tokenize';
import { checkManifest, PublishedLibrary } from '../../../src/lib/published/library';
import { tokenVectorRows, vectorRows } from '../../../src/lib/pipelines/records';
import { Bm25Index, type Bm25DocPostings } from '../../../src/lib/retrieval/bm25';
import { storedToInt8 } from '../../../src/lib/retrieval/compress';
import { ExactIndex } from '../../../src/lib/retrieval/exact-index';
import { keywordCounts } from '../../../src/lib/retrieval/keywords';
import { prng } from '../../e2e/fuzz-mutations';
import { fetchManifest, shardLoader } from '../../../src/lib/services/published-fetch';
import type { AppError } from '../../../src/lib/errors';

const DIMS = 16;
const LATE_DIMS = 8;
const WORDS =
  'lighthouse beam keeper lamp fog horn sourdough starter flour crumb oven bread rust borrow checker trait'.split(' ');

function unit(rand: () => number, n: number): Float32Array {
  const v = Float32Array.from({ length: n }, () => rand() - 0.5);
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

type Input = Omit<PublishInput, 'chunks' | 'keywords'> & {
  chunks: (PublishInput['chunks'][number] & { id: string; docId: string })[];
  keywords: Bm25DocPostings[];
};

/** `docs` documents of 1–6 passages of random words, with random unit vectors and token vectors. */
function corpus(docs: number, seed = 7): Input[] {
  const rand = prng(seed);
  return Array.from({ length: docs }, (_, d) => {
    const id = `pub-${d.toString(16).padStart(16, '0')}`;
    const n = 1 + Math.floor(rand() * 6);
    const texts = Array.from({ length: n }, () =>
      Array.from({ length: 8 + Math.floor(rand() * 30) }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' '),
    );
    const chunks = texts.map((text, o) => ({
      id: `${id}:${o}`,
      docId: id,
      ordinal: o,
      text,
      start: o * 100,
      end: o * 100 + text.length,
      headingPath: [`Part ${d}`],
      pageStart: null,
      pageEnd: null,
      tokenCount: text.split(' ').length,
      hash: `h${d}-${o}`,
    }));
    const vectors = new Float32Array(n * DIMS);
    for (let i = 0; i < n; i++) vectors.set(unit(rand, DIMS), i * DIMS);
    const tokens = texts.map((t) => {
      const words = t.split(' ');
      const data = new Float32Array(words.length * LATE_DIMS);
      for (let i = 0; i < words.length; i++) data.set(unit(rand, LATE_DIMS), i * LATE_DIMS);
      return { data, tokens: words.length, dims: LATE_DIMS, tokenTexts: words, tokenIds: new Int32Array(words.length) };
    });
    return {
      doc: { id, name: `doc-${d}.md`, title: `Doc ${d}`, kind: 'markdown', size: 100, hash: `f${d}`, pageCount: null },
      chunks,
      keywords: chunks.map((c) => keywordCounts(c.id, c.text)),
      vectors: vectorRows(chunks, { key: 'k', dims: DIMS, vectors }),
      tokenVectors: tokenVectorRows(chunks, { modelId: 'late', vectors: tokens }),
    };
  });
}

const MODEL = { revision: 'main', dtype: 'fp32', origin: 'http://localhost', registry: 'r' };

async function built(inputs: PublishInput[], bytes = 4096) {
  return buildLibrary(inputs, {
    name: 'Test library',
    generator: 'test',
    models: { embedder: { id: 'e', dims: DIMS, ...MODEL }, late: { id: 'l', dims: LATE_DIMS, ...MODEL } },
    chunking: { maxTokens: 256, overlapTokens: 32 },
    // Small shards and buckets, so the reader has to pick among many.
    shardBytes: bytes,
    bucketBytes: 512,
  });
}

describe('PublishedLibrary', () => {
  it('finds what a BM25 index over every row finds, reading only the buckets of the query terms', async () => {
    const inputs = corpus(40);
    const { manifest, files } = await built(inputs);
    expect(manifest.keywords.buckets).toBeGreaterThan(4);
    const read: string[] = [];
    const lib = new PublishedLibrary(manifest, async (ref) => (read.push(ref.file), files.get(ref.file)!));
    const full = new Bm25Index();
    for (const d of inputs) for (const k of d.keywords) full.importDoc(k);
    for (const q of ['lighthouse keeper', 'sourdough oven bread', 'borrow checker', 'nothing matches zzz']) {
      const got = await lib.keywordSearch(q, 10);
      const want = full.search(q, { k: 10 });
      expect(got.map((h) => h.id)).toEqual(want.map((h) => h.id));
      got.forEach((h, i) => expect(h.score).toBeCloseTo(want[i]!.score, 9));
    }
    const keywordFiles = read.filter((f) => f.startsWith('shards/keywords-'));
    expect(new Set(keywordFiles).size).toBeLessThan(manifest.keywords.buckets);
    // Each shard read once, however many questions.
    expect(new Set(read).size).toBe(read.length);
    expect(read.some((f) => f.startsWith('shards/dense-') || f.startsWith('shards/tokens-'))).toBe(false);
  });

  it('finds the hits of buckets the background read brought in while it still runs', async () => {
    const inputs = corpus(40);
    const { manifest, files } = await built(inputs);
    const full = new Bm25Index();
    for (const d of inputs) for (const k of d.keywords) full.importDoc(k);
    const bucketOf = (word: string) => termBucket(tokenize(word, full.tokenizeOptions)[0]!, manifest.keywords.buckets);
    const first = bucketOf('lighthouse');
    const heldWord = WORDS.find((w) => bucketOf(w) !== first)!;
    const held = manifest.keywords.shards[bucketOf(heldWord)]!.file;
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const lib = new PublishedLibrary(manifest, async (ref) => {
      if (ref.file === held) await gate;
      return files.get(ref.file)!;
    });
    // A first question builds the index from its own buckets.
    await lib.keywordSearch('lighthouse', 10);
    const reading = lib.loadKeywords();
    // Every bucket but the held one arrives.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const word = WORDS.find((w) => ![first, bucketOf(heldWord)].includes(bucketOf(w)))!;
    const got = await lib.keywordSearch(word, 10);
    expect(got.map((h) => h.id)).toEqual(full.search(word, { k: 10 }).map((h) => h.id));
    expect(got.length).toBeGreaterThan(0);
    release();
    await reading;
  });

  it('filters by document and kind like the private index', async () => {
    const inputs = corpus(20);
    const { manifest, files } = await built(inputs);
    const lib = new PublishedLibrary(manifest, async (ref) => files.get(ref.file)!);
    const only = inputs[3]!.doc.id;
    const hits = await lib.keywordSearch('lighthouse beam rust', 50, (id) => lib.metaOf(id)?.docId === only);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.id.startsWith(`${only}:`))).toBe(true);
  });

  it('loads the dense rows of every shard into one exact index with the stored int8 rows', async () => {
    const inputs = corpus(30);
    const { manifest, files } = await built(inputs, 256);
    expect(manifest.dense!.length).toBeGreaterThan(1);
    const progress: number[] = [];
    const lib = new PublishedLibrary(manifest, async (ref) => files.get(ref.file)!);
    expect(lib.denseIndex).toBeNull();
    const index = await lib.loadDense((done) => progress.push(done));
    expect(progress.at(-1)).toBe(manifest.dense!.length);
    const ids = inputs.flatMap((d) => d.chunks.map((c) => c.id));
    const ref = ExactIndex.fromInt8Rows(DIMS, {
      ids,
      stride: DIMS,
      rows: Int8Array.from(inputs.flatMap((d) => d.vectors.flatMap((v) => [...new Int8Array(v.data)]))),
      scales: Float32Array.from(inputs.flatMap((d) => d.vectors.map((v) => v.scale!))),
    });
    const q = unit(prng(99), DIMS);
    expect(index.search(q, 10)).toEqual(ref.search(q, 10));
  });

  it('gives each passage and its token vectors back from their shards', async () => {
    const inputs = corpus(25);
    const { manifest, files } = await built(inputs);
    const lib = new PublishedLibrary(manifest, async (ref) => files.get(ref.file)!);
    const picks = [inputs[0]!.chunks[0]!, inputs[12]!.chunks.at(-1)!, inputs[24]!.chunks[0]!];
    const rows = await lib.passages([...picks.map((c) => c.id), 'pub-missing:0']);
    expect(rows.at(-1)).toBeUndefined();
    picks.forEach((c, i) => {
      expect(rows[i]).toMatchObject({
        id: c.id,
        docId: c.docId,
        text: c.text,
        start: c.start,
        headingPath: c.headingPath,
      });
    });
    const tokens = await lib.tokenRows(picks.map((c) => c.id));
    expect(tokens.map((t) => t.doc.id)).toEqual(picks.map((c) => c.id));
    tokens.forEach((t, i) => {
      const c = picks[i]!;
      const d = inputs.find((x) => x.doc.id === c.docId)!;
      const stored = d.tokenVectors[c.ordinal]!;
      const want = storedToInt8({ ...stored, bits: 6 });
      expect([...t.doc.data]).toEqual([...want.data]);
      expect([...t.doc.scales]).toEqual([...want.scales]);
      expect(t.texts).toEqual(stored.tokenTexts);
    });
  });
});

describe('checkManifest', () => {
  it('accepts a built manifest and refuses damaged ones with their own codes', async () => {
    const { manifest } = await built(corpus(5));
    const json = JSON.parse(JSON.stringify(manifest));
    expect(checkManifest(json, 'u').name).toBe('Test library');
    const code = (raw: unknown) => {
      try {
        checkManifest(raw, 'u');
        return 'ok';
      } catch (err) {
        return (err as AppError).code;
      }
    };
    expect(code([])).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, format: PUBLISHED_FORMAT + 1 })).toBe('PUBLISHED_FORMAT_UNSUPPORTED');
    expect(code({ ...json, format: undefined })).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, counts: { ...json.counts, passages: json.counts.passages + 1 } })).toBe(
      'PUBLISHED_MANIFEST_INVALID',
    );
    expect(code({ ...json, lengths: { ...json.lengths, file: '../../etc/passwd' } })).toBe(
      'PUBLISHED_MANIFEST_INVALID',
    );
    expect(
      code({ ...json, documents: [{ ...json.documents[0], id: 'not-published' }, ...json.documents.slice(1)] }),
    ).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, dense: null })).toBe('PUBLISHED_MANIFEST_INVALID');
    const withFile = (file: string) => ({
      ...json,
      documents: [{ ...json.documents[0], file }, ...json.documents.slice(1)],
    });
    expect(code(withFile('files/guide/a%20b.html'))).toBe('ok');
    for (const file of [
      'files/.%2e/.%2e/x',
      'files/../x',
      '/files/x',
      'https://evil.example/x',
      'files/x?y',
      'javascript:alert(1)',
    ])
      expect(code(withFile(file)), file).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, name: ' ' })).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, documents: [json.documents[0], ...json.documents] })).toBe('PUBLISHED_MANIFEST_INVALID');
    expect(code({ ...json, passages: json.passages.slice(1) })).toBe('PUBLISHED_MANIFEST_INVALID');
  });
});

describe('published-fetch', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('refuses a shard whose bytes do not match the manifest, and one that is not a shard at all', async () => {
    const { manifest, files } = await built(corpus(5));
    const base = new URL('http://localhost/site/library/lectern-library.json');
    const served = new Map<string, Uint8Array>([...files].map(([f, b]) => [new URL(f, base).href, b]));
    served.set(base.href, new TextEncoder().encode(JSON.stringify(manifest)));
    // The bucket a question about lighthouses needs.
    const [term] = tokenize('lighthouse', new Bm25Index().tokenizeOptions);
    const tampered = manifest.keywords.shards[termBucket(term!, manifest.keywords.buckets)]!;
    const bytes = served.get(new URL(tampered.file, base).href)!.slice();
    bytes[bytes.length - 1]! ^= 1;
    served.set(new URL(tampered.file, base).href, bytes);
    vi.stubGlobal('fetch', async (url: URL) => {
      const b = served.get(url.href);
      return b ? new Response(b.slice()) : new Response('no', { status: 404 });
    });
    const m = await fetchManifest(base);
    const counts = { network: 0, cached: 0, shards: 0 };
    const load = shardLoader(base, counts);
    await expect(load(tampered)).rejects.toMatchObject({ code: 'PUBLISHED_SHARD_TAMPERED' });
    await expect(load(m.lengths)).resolves.toBeInstanceOf(Uint8Array);
    expect(counts.shards).toBe(1);
    const missing: ShardRef = { ...m.lengths, file: 'shards/lengths-0000000000000000.bin' };
    await expect(load(missing)).rejects.toMatchObject({ code: 'PUBLISHED_HTTP_ERROR' });
    // The reader never uses a tampered keyword bucket: the search fails with the code, and nothing was scored.
    const lib = new PublishedLibrary(m, load);
    await expect(lib.keywordSearch('lighthouse', 10)).rejects.toMatchObject({ code: 'PUBLISHED_SHARD_TAMPERED' });
  });
});
