// Storage figures: cold start (vectors and keyword rows from fake-indexeddb, then the index builds, also through the search worker's open) and bytes per chunk.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serialize } from 'node:v8';
import { describe } from 'vitest';
import {
  loadAllVectors,
  openLecternDB,
  saveDocumentWithChunks,
  toVectorRecord,
  type ChunkRecord,
  type KeywordRecord,
  type DocumentRecord,
  type LecternDatabase,
} from '../../src/lib/persistence';
import { quantizeInt6, quantizeInt8, type FloatTokens } from '../../src/lib/retrieval/compress';
import { ExactIndex, type ExactPrecision } from '../../src/lib/retrieval/exact-index';
import type { VectorIndex } from '../../src/lib/retrieval/vector-index';
import { initVoy, VoyIndex } from '../../src/lib/retrieval/voy-index';
import { LocalCaller } from '../../src/lib/rpc';
import { searchHandlers } from '../../src/lib/services/search-service';
import { binarize, poolTokens } from '../unit/retrieval/compress-variants';
import { buildVoy, emit, Group, label, runOptions, SIZES } from './report';
import { rng, unitRows, ZipfCorpus } from './synthetic';

const require = createRequire(import.meta.url);
await initVoy(readFileSync(require.resolve('voy-search/voy_search_bg.wasm')));

const DIMS = 384;
const TOKEN_DIMS = 96;
const DOC_TOKENS = 100;
const CHUNKS_PER_DOC = 100;
const EMBEDDER = 'bench-embedder';
const TARGET_TOKEN_BYTES = 8 * 1024;

// ── Bytes stored per chunk (a size measurement: no timing) ──────────────────────────────────────────────────────
{
  const tokens: FloatTokens = { data: unitRows(DOC_TOKENS, TOKEN_DIMS, 5), tokens: DOC_TOKENS, dims: TOKEN_DIMS };
  const pooled = poolTokens(tokens);
  const int8 = quantizeInt8(tokens);
  const int6 = quantizeInt6(tokens);
  const pooledInt8 = quantizeInt8(pooled);
  const pooledInt6 = quantizeInt6(pooled);
  /** Structured-clone size of a plausible stored record: roughly what IndexedDB writes before its own overhead. */
  const record = (...buffers: ArrayBufferView[]) =>
    serialize({
      chunkId: 'doc-0123456789abcdef:0042',
      tokens: DOC_TOKENS,
      dims: TOKEN_DIMS,
      parts: buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
    }).byteLength;
  const dense = unitRows(1, DIMS, 6);
  const denseInt8 = quantizeInt8({ data: dense, tokens: 1, dims: DIMS });
  const bits = binarize(tokens);
  const pooledBits = binarize(pooled);
  // [what, raw bytes, structured-clone bytes, the float32 figure it compresses]
  const rows: [string, number, number, number][] = [
    [
      `dense ${DIMS}-d float32 (stored before int8 rows)`,
      dense.byteLength,
      serialize(toVectorRecord('doc:0042', 'doc', EMBEDDER, dense)).byteLength,
      dense.byteLength,
    ],
    [
      `dense ${DIMS}-d int8 + scale (stored today; ExactIndex int8 in memory)`,
      denseInt8.data.byteLength + denseInt8.scales.byteLength,
      record(denseInt8.data, denseInt8.scales),
      dense.byteLength,
    ],
    [`tokens ${DOC_TOKENS}×${TOKEN_DIMS} float32`, tokens.data.byteLength, record(tokens.data), tokens.data.byteLength],
    [
      `tokens int8 + scales`,
      int8.data.byteLength + int8.scales.byteLength,
      record(int8.data, int8.scales),
      tokens.data.byteLength,
    ],
    [
      `tokens int6 packed + scales (stored today)`,
      int6.data.byteLength + int6.scales.byteLength,
      record(int6.data, int6.scales),
      tokens.data.byteLength,
    ],
    [`tokens 1-bit`, bits.data.byteLength, record(bits.data), tokens.data.byteLength],
    [
      `tokens pooled ×2 (${pooled.tokens}) float32`,
      pooled.data.byteLength,
      record(pooled.data),
      tokens.data.byteLength,
    ],
    [
      `tokens pooled ×2 int8 + scales`,
      pooledInt8.data.byteLength + pooledInt8.scales.byteLength,
      record(pooledInt8.data, pooledInt8.scales),
      tokens.data.byteLength,
    ],
    [`tokens pooled ×2 1-bit`, pooledBits.data.byteLength, record(pooledBits.data), tokens.data.byteLength],
    [
      `tokens pooled ×2 int6 packed + scales`,
      pooledInt6.data.byteLength + pooledInt6.scales.byteLength,
      record(pooledInt6.data, pooledInt6.scales),
      tokens.data.byteLength,
    ],
  ];
  const lines = rows.map(([what, raw, stored, f32]) => {
    const target = what.startsWith('tokens') ? (raw <= TARGET_TOKEN_BYTES ? 'yes' : 'no') : '';
    return [
      what.padEnd(56),
      String(raw).padStart(7),
      String(stored).padStart(8),
      `${(f32 / raw).toFixed(1)}×`.padStart(8),
      target.padStart(9),
    ].join('  ');
  });
  console.log(
    [
      `Bytes stored per chunk (${DOC_TOKENS} tokens × ${TOKEN_DIMS} d; record = v8 structured clone of a plausible row)`,
      ['what'.padEnd(56), 'bytes'.padStart(7), 'record'.padStart(8), 'vs f32'.padStart(8), '≤ 8 KiB'.padStart(9)].join(
        '  ',
      ),
      ...lines,
    ].join('\n'),
  );
  for (const [what, raw, stored, f32] of rows) {
    emit({
      group: 'bytes per chunk',
      what,
      raw_bytes: raw,
      record_bytes: stored,
      smaller_than_f32: Math.round((f32 / raw) * 10) / 10,
      ...(what.startsWith('tokens') ? { target_token_bytes: TARGET_TOKEN_BYTES } : {}),
    });
  }
  const perChunk = denseInt8.data.byteLength + 4 + int6.data.byteLength + int6.scales.byteLength;
  emit({
    group: 'bytes per chunk',
    what: 'dense int8 + scale + tokens int6 + scales (total, stored today)',
    raw_bytes: perChunk,
  });
}

// ── Cold start: vectors (and keyword rows) from IndexedDB (fake-indexeddb in Node) + index builds ────────────────────────────
async function fill(size: number): Promise<LecternDatabase> {
  const db = await openLecternDB(dbName(size));
  const data = unitRows(size, DIMS, 1);
  // BM25 term counts per chunk too: the app's cold start imports every keyword row as well as the vectors.
  const corpus = new ZipfCorpus(50_000);
  const nextTerm = rng(7);
  for (let d = 0; d * CHUNKS_PER_DOC < size; d++) {
    const docId = `doc-${String(d).padStart(6, '0')}`;
    const count = Math.min(CHUNKS_PER_DOC, size - d * CHUNKS_PER_DOC);
    const chunks: ChunkRecord[] = [];
    const vectors = [];
    const keywords: KeywordRecord[] = [];
    for (let c = 0; c < count; c++) {
      const row = d * CHUNKS_PER_DOC + c;
      const id = `${docId}:${String(c).padStart(4, '0')}`;
      chunks.push({
        id,
        docId,
        ordinal: c,
        text: `chunk ${c}`,
        start: 0,
        end: 0,
        headingPath: [],
        pageStart: null,
        pageEnd: null,
        tokenCount: 200,
        hash: id,
      });
      vectors.push(toVectorRecord(id, docId, EMBEDDER, data.subarray(row * DIMS, (row + 1) * DIMS)));
      const postings = corpus.document(id, nextTerm);
      keywords.push({ chunkId: id, docId, length: postings.length, terms: postings.terms, freqs: postings.freqs });
    }
    const doc: DocumentRecord = {
      id: docId,
      name: `${docId}.txt`,
      kind: 'text',
      size: 0,
      hash: docId,
      title: docId,
      text: '',
      pageCount: null,
      chunkCount: count,
      addedAt: d,
      status: 'ready',
      embedderId: EMBEDDER,
    };
    await saveDocumentWithChunks(db, doc, chunks, vectors, { keywords });
  }
  return db;
}

const dbName = (size: number) => `bench-cold-${size}`;

for (const size of SIZES) {
  const n = label(size);
  // Filled when the group starts, so the 10k runs are not timed in a heap holding the 100k database.
  let filling: Promise<LecternDatabase> | undefined;
  const prepare = () =>
    (filling ??= (async () => {
      const t0 = performance.now();
      const db = await fill(size);
      emit({
        group: 'cold start setup',
        size,
        note: 'fake-indexeddb fill, not a product figure',
        ms: Math.round(performance.now() - t0),
      });
      return db;
    })());

  describe(`cold start · ${n} chunks · loadAllVectors from fake-indexeddb (Node) + dense build`, () => {
    const g = new Group(`cold start (fake-indexeddb) · ${n}`, { size, dims: DIMS }, prepare);
    const opts = runOptions(size, true);
    const coldStart = (build: (ids: string[], data: Float32Array) => VectorIndex) => async () => {
      const loaded = await loadAllVectors(await prepare(), EMBEDDER);
      return build(loaded.ids, loaded.data);
    };
    // One Voy instance, rebuilt: Voy's WASM memory is never returned, so fresh instances would pile up.
    const voy = new VoyIndex(DIMS);
    const exact = (precision: ExactPrecision) => (ids: string[], data: Float32Array) => {
      const index = new ExactIndex(DIMS, { precision });
      index.build(ids, data);
      return index;
    };
    g.add(
      'voy: load + VoyIndex build (baseline)',
      coldStart((ids, data) => {
        buildVoy(voy, ids, data);
        return voy;
      }),
      opts,
    );
    g.add('ExactIndex f32: load + build', coldStart(exact('f32')), opts);
    g.add('ExactIndex int8: load + build', coldStart(exact('int8')), opts);
    g.add('loadAllVectors only', async () => loadAllVectors(await prepare(), EMBEDDER), opts);
  });

  describe(`app open · ${n} chunks · the search worker's open: keyword rows + vectors from fake-indexeddb, both indexes`, () => {
    const g = new Group(`app open (fake-indexeddb) · ${n}`, { size, dims: DIMS }, prepare);
    const opts = runOptions(size, true);
    const open = (denseIndex: 'auto' | 'exact') => async () => {
      await prepare();
      // Voy was initialised above (initVoy loads once), so the URL is never fetched.
      return new LocalCaller(searchHandlers()).call('open', {
        dbName: dbName(size),
        embedder: { key: EMBEDDER, dims: DIMS },
        voyWasmUrl: 'unused:',
        denseIndex,
      });
    };
    // auto is what a user gets (Voy up to 10k chunks); forcing Voy at 100k would pile up GBs of WASM memory.
    g.add(`open, denseIndex auto (${size <= 10_000 ? 'voy' : 'exact'}) (baseline)`, open('auto'), opts);
    g.add('open, denseIndex exact', open('exact'), opts);
  });
}
