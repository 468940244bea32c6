// The published-library format: the shard codec's round trip and bounds checks, and buildLibrary's shards (every posting once, every passage covered, same bytes for the same input, edits stay local).
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/lib/errors';
import { buildLibrary, documentRuns, type PublishInput } from '../../../src/lib/published/build';
import { termBucket, type PublishedManifest, type PublishedPassage } from '../../../src/lib/published/format';
import { arrayOf, packShard, unpackShard } from '../../../src/lib/published/shard-codec';

describe('shard codec', () => {
  it('round-trips JSON and every typed array, 8-byte aligned', () => {
    const arrays = {
      a: Int8Array.from([-128, 0, 127]),
      b: Uint8Array.from([1, 2, 3, 4, 5]),
      c: Int32Array.from([-5, 1 << 30]),
      d: Uint32Array.from([4_000_000_000]),
      e: Float32Array.from([0.5, -1.25]),
      empty: new Float32Array(0),
    };
    const bytes = packShard('test', { hello: 'wörld', n: [1, 2] }, arrays);
    expect(bytes.length % 8).toBe(0);
    // Unpacked from an odd offset, as a slice of a larger fetched buffer may be.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    const shard = unpackShard(padded.subarray(3), 'test', 'x.bin');
    expect(shard.json).toEqual({ hello: 'wörld', n: [1, 2] });
    for (const [name, a] of Object.entries(arrays)) {
      expect(shard.arrays[name]).toBeInstanceOf(a.constructor);
      expect(Array.from(shard.arrays[name]!)).toEqual(Array.from(a));
    }
    expect(arrayOf(shard, 'c', Int32Array, 'x.bin', 2)).toEqual(arrays.c);
  });

  const invalid = (bytes: Uint8Array, kind = 'test') => {
    try {
      unpackShard(bytes, kind, 'x.bin');
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      return (err as AppError).code;
    }
    return 'accepted';
  };

  it('refuses corrupted bytes with PUBLISHED_SHARD_INVALID, never reading out of bounds', () => {
    const good = packShard('test', { x: 1 }, { v: Float32Array.from([1, 2, 3, 4]) });
    expect(invalid(good, 'other')).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(good.slice(0, 12))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(good.slice(0, good.length - 8))).toBe('PUBLISHED_SHARD_INVALID');
    const magic = good.slice();
    magic[0] = 0x58;
    expect(invalid(magic)).toBe('PUBLISHED_SHARD_INVALID');
    const headerLength = good.slice();
    new DataView(headerLength.buffer).setUint32(8, 1 << 30, true);
    expect(invalid(headerLength)).toBe('PUBLISHED_SHARD_INVALID');
    // Every single-byte change inside the header is refused or yields arrays inside the body: never a throw of
    // another kind (a RangeError from an out-of-bounds view).
    const length = new DataView(good.buffer).getUint32(8, true);
    for (let i = 16; i < 16 + length; i++) {
      for (const value of [0x30, 0x39, 0x2d, 0x7d, 0x22]) {
        const bad = good.slice();
        bad[i] = value;
        const code = invalid(bad);
        expect(['PUBLISHED_SHARD_INVALID', 'accepted']).toContain(code);
      }
    }
    // A header naming an array past the end, a misaligned one, a negative one, an unknown type.
    const forged = (arrays: unknown[]) => {
      const header = new TextEncoder().encode(JSON.stringify({ kind: 'test', json: null, arrays }));
      const out = new Uint8Array(((16 + header.length + 7) & ~7) + 16);
      out.set(new TextEncoder().encode('LECTSHD1'));
      new DataView(out.buffer).setUint32(8, header.length, true);
      out.set(header, 16);
      return out;
    };
    expect(invalid(forged([{ name: 'v', type: 'f32', offset: 0, length: 4 }]))).toBe('accepted');
    expect(invalid(forged([{ name: 'v', type: 'f32', offset: 0, length: 5 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 'v', type: 'f32', offset: 4, length: 1 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 'v', type: 'f32', offset: -8, length: 1 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 'v', type: 'f64', offset: 0, length: 1 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 'v', type: 'u8', offset: 0, length: 1.5 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([null]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 'v', type: 'toString', offset: 0, length: 1 }]))).toBe('PUBLISHED_SHARD_INVALID');
    expect(invalid(forged([{ name: 7, type: 'u8', offset: 0, length: 1 }]))).toBe('PUBLISHED_SHARD_INVALID');
    // A name that is a prototype's key stays a plain entry.
    const proto = forged([{ name: '__proto__', type: 'u8', offset: 0, length: 2 }]);
    const shard = unpackShard(proto, 'test', 'x.bin');
    expect(Object.keys(shard.arrays)).toEqual(['__proto__']);
    expect(() => arrayOf(shard, 'constructor', Uint8Array, 'x.bin')).toThrow(AppError);
  });

  it('arrayOf refuses a missing array, another type or another length', () => {
    const shard = unpackShard(packShard('test', null, { v: new Int32Array(3) }), 'test', 'x.bin');
    expect(() => arrayOf(shard, 'w', Int32Array, 'x.bin')).toThrow(AppError);
    expect(() => arrayOf(shard, 'v', Float32Array, 'x.bin')).toThrow(AppError);
    expect(() => arrayOf(shard, 'v', Int32Array, 'x.bin', 4)).toThrow(AppError);
  });
});

const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
  ' ',
);

/** A document of `n` passages with deterministic text, keyword rows, int8 rows (dims 32) and int6 token rows. */
function doc(i: number, n: number, salt = ''): PublishInput {
  const id = `pub-${i.toString(16).padStart(16, '0')}`;
  const texts = Array.from(
    { length: n },
    (_, j) => Array.from({ length: 40 }, (_, k) => WORDS[(i * 7 + j * 3 + k * k) % WORDS.length]).join(' ') + salt,
  );
  return {
    doc: { id, name: `doc-${i}.md`, title: `Doc ${i}`, kind: 'markdown', size: 100, hash: `h${i}`, pageCount: null },
    chunks: texts.map((text, j) => ({
      ordinal: j,
      text,
      start: 0,
      end: text.length,
      headingPath: [`Doc ${i}`],
      pageStart: null,
      pageEnd: null,
      tokenCount: 40,
      hash: `c${i}-${j}`,
    })),
    keywords: texts.map((t) => {
      const counts = new Map<string, number>();
      for (const w of t.split(' ')) counts.set(w, (counts.get(w) ?? 0) + 1);
      return { length: t.split(' ').length, terms: [...counts.keys()], freqs: [...counts.values()] };
    }),
    vectors: texts.map((_, j) => ({
      data: Int8Array.from({ length: 32 }, (_, k) => (k === 0 ? i : k === 1 ? j : k === 2 ? -i : 1)).buffer,
      scale: 0.01 * (j + 1),
      dims: 32,
    })),
    tokenVectors: texts.map((_, j) => ({
      tokens: 2 + (j % 3),
      dims: 4,
      data: new Uint8Array(Math.ceil(((2 + (j % 3)) * 4 * 6) / 8)).fill(i + j).buffer,
      scales: new Float32Array(2 + (j % 3)).fill(0.5).buffer,
      tokenTexts: Array.from({ length: 2 + (j % 3) }, (_, k) => `t${k}`),
    })),
  };
}

const model = (dims: number) => ({ id: 'm/x', revision: 'main', dims, dtype: 'fp32', origin: 'o', registry: 'r' });
const OPTIONS = {
  name: 'test',
  generator: 'test',
  models: { embedder: model(32), late: model(4) },
  chunking: { maxTokens: 256, overlapTokens: 32 },
  createdAt: '2026-01-01T00:00:00.000Z',
  // Small targets, so a few dozen documents make many shards.
  shardBytes: 1024,
  bucketBytes: 2048,
};

const corpus = (salted = -1) =>
  Array.from({ length: 40 }, (_, i) => doc(i, 1 + (i % 4), i === salted ? ' edited' : ''));

function read(files: Map<string, Uint8Array>, file: string, kind: string) {
  return unpackShard(files.get(file)!, kind, file);
}

describe('buildLibrary', () => {
  it('puts every posting in its term bucket exactly once', async () => {
    const inputs = corpus();
    const { manifest, files } = await buildLibrary(inputs, OPTIONS);
    expect(manifest.keywords.buckets).toBeGreaterThan(1);
    expect(manifest.keywords.shards).toHaveLength(manifest.keywords.buckets);
    const seen = new Map<string, number>();
    manifest.keywords.shards.forEach((ref, b) => {
      const shard = read(files, ref.file, 'keywords');
      const { terms } = shard.json as { terms: string[] };
      const offsets = arrayOf(shard, 'offsets', Int32Array, ref.file, terms.length + 1);
      const data = arrayOf(shard, 'data', Int32Array, ref.file);
      terms.forEach((t, i) => {
        expect(termBucket(t, manifest.keywords.buckets)).toBe(b);
        for (let k = offsets[i]!; k < offsets[i + 1]!; k += 2) {
          const key = `${t}@${data[k]}`;
          expect(seen.has(key)).toBe(false);
          seen.set(key, data[k + 1]!);
        }
      });
    });
    const expected = new Map<string, number>();
    let passage = 0;
    for (const d of inputs)
      for (const k of d.keywords) {
        k.terms.forEach((t, n) => expected.set(`${t}@${passage}`, k.freqs[n]!));
        passage++;
      }
    expect(seen).toEqual(expected);
    expect(manifest.counts.terms).toBe(new Set([...expected.keys()].map((k) => k.split('@')[0])).size);
    const lengths = arrayOf(read(files, manifest.lengths.file, 'lengths'), 'lengths', Int32Array, 'l', passage);
    expect(Array.from(lengths)).toEqual(inputs.flatMap((d) => d.keywords.map((k) => k.length)));
  });

  it('covers every passage once with range shards of whole documents, for each kind', async () => {
    const inputs = corpus();
    const { manifest, files } = await buildLibrary(inputs, OPTIONS);
    const total = inputs.reduce((n, d) => n + d.chunks.length, 0);
    expect(manifest.counts.passages).toBe(total);
    const starts = new Set<number>();
    let first = 0;
    for (const d of manifest.documents) {
      starts.add(first);
      first += d.chunks;
    }
    for (const [kind, shards] of [
      ['passages', manifest.passages],
      ['dense', manifest.dense!],
      ['tokens', manifest.tokens!],
    ] as const) {
      expect(shards.length).toBeGreaterThan(1);
      let next = 0;
      for (const s of shards) {
        expect(s.first).toBe(next);
        expect(starts.has(s.first)).toBe(true);
        next += s.count;
      }
      expect(next).toBe(total);
      for (const s of shards) {
        const shard = read(files, s.file, kind);
        if (kind === 'passages') expect((shard.json as PublishedPassage[]).length).toBe(s.count);
        if (kind === 'dense') expect(arrayOf(shard, 'scales', Float32Array, s.file).length).toBe(s.count);
        if (kind === 'tokens') expect(arrayOf(shard, 'counts', Uint32Array, s.file).length).toBe(s.count);
      }
    }
    // Passage texts in order, and dense rows with their scales.
    const texts = manifest.passages.flatMap((s) =>
      (read(files, s.file, 'passages').json as PublishedPassage[]).map((p) => p.text),
    );
    expect(texts).toEqual(inputs.flatMap((d) => d.chunks.map((c) => c.text)));
    const dense = read(files, manifest.dense![0]!.file, 'dense');
    expect(Array.from(arrayOf(dense, 'rows', Int8Array, 'd').subarray(0, 4))).toEqual([0, 0, 0, 1]);
    expect(arrayOf(dense, 'rows', Int8Array, 'd').length).toBe(32 * manifest.dense![0]!.count);
    // Every file is named by its hash and listed with its size.
    const refs = [manifest.lengths, ...manifest.keywords.shards, ...manifest.passages, ...manifest.dense!];
    for (const r of [...refs, ...manifest.tokens!]) {
      expect(r.file).toContain(r.sha256.slice(0, 16));
      expect(files.get(r.file)!.length).toBe(r.bytes);
    }
  });

  it('gives the same bytes for the same documents', async () => {
    const a = await buildLibrary(corpus(), OPTIONS);
    const b = await buildLibrary(corpus(), OPTIONS);
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [file, bytes] of a.files) expect(b.files.get(file)).toEqual(bytes);
    expect(JSON.stringify(a.manifest)).toBe(JSON.stringify(b.manifest));
  });

  it('leaves every other range shard byte for byte the same when one document is edited', async () => {
    const before = await buildLibrary(corpus(), OPTIONS);
    const after = await buildLibrary(corpus(17), OPTIONS);
    const ranges = (m: PublishedManifest) => [...m.passages, ...m.dense!, ...m.tokens!];
    const old = new Set(ranges(before.manifest).map((s) => s.file));
    const changed = ranges(after.manifest).filter((s) => !old.has(s.file));
    // Only the passages shard holding document 17 changes (its vectors are the same in this corpus).
    expect(changed).toHaveLength(1);
    const first = after.manifest.documents.slice(0, 17).reduce((n, d) => n + d.chunks, 0);
    expect(first).toBeGreaterThanOrEqual(changed[0]!.first);
    expect(first).toBeLessThan(changed[0]!.first + changed[0]!.count);
  });

  it('cuts runs at document boundaries that depend only on the documents inside them', () => {
    const docs = Array.from({ length: 200 }, (_, i) => ({ id: `pub-${i}`, bytes: 100 + (i % 7) * 50 }));
    const runs = documentRuns(docs, 2000);
    expect(runs[0]![0]).toBe(0);
    expect(runs.at(-1)![1]).toBe(200);
    runs.slice(1).forEach((r, i) => expect(r[0]).toBe(runs[i]![1]));
    for (const [a, b] of runs) expect(docs.slice(a, b).reduce((n, d) => n + d.bytes, 0)).toBeLessThan(4000 + 400);
    const grown = docs.map((d, i) => (i === 50 ? { ...d, bytes: d.bytes + 300 } : d));
    const after = documentRuns(grown, 2000);
    const same = runs.filter(([a, b]) => b <= 40 || a > 60).map(String);
    for (const r of same) expect(after.map(String)).toContain(r);
  });
});
