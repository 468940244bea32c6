// Seeded synthetic data for the benchmarks: unit vectors, token matrices and a Zipf-distributed keyword corpus.
import type { Bm25DocPostings } from '../../src/lib/retrieval/bm25';
import { tokenize } from '../../src/lib/retrieval/tokenize';

/** Uniform [0, 1) from a 32-bit LCG: fast, and the same numbers on every machine. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** `count` rows of `dims` uniform noise, each L2-normalized, row-major. */
export function unitRows(count: number, dims: number, seed: number): Float32Array {
  const next = rng(seed);
  const out = new Float32Array(count * dims);
  for (let r = 0, o = 0; r < count; r++, o += dims) {
    let n = 0;
    for (let d = 0; d < dims; d++) {
      const v = next() - 0.5;
      out[o + d] = v;
      n += v * v;
    }
    const inv = 1 / Math.sqrt(n);
    for (let d = 0; d < dims; d++) out[o + d]! *= inv;
  }
  return out;
}

export function chunkIds(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `c${i}`);
}

/** Row `i` of `count` evenly sized queries. */
export function rowAt(rows: Float32Array, dims: number, i: number): Float32Array {
  const r = i % (rows.length / dims);
  return rows.subarray(r * dims, (r + 1) * dims);
}

/**
 * A keyword corpus whose term frequencies follow Zipf's law (rank r drawn with probability ∝ 1/r^s), the shape of
 * real text after stop-word removal. Terms are pseudo-words already in the tokenizer's output form, so documents
 * can be imported as postings (fast) while queries still go through the real tokenizer.
 */
export class ZipfCorpus {
  /** Index terms by rank (0 = most frequent). */
  readonly terms: string[];
  /** Pseudo-words as a user would type them; tokenize(words[i]) is [terms[i]]. */
  readonly words: string[];
  private readonly cdf: Float64Array;

  constructor(
    readonly vocabulary = 50_000,
    exponent = 1,
  ) {
    const syllables = 'ba be bi bo bu da de di do du ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu'
      .concat(' pa pe pi po pu ra re ri ro ru sa se si so su ta te ti to tu va ve vi vo vu za ze zi zo zu')
      .split(' ');
    const seen = new Set<string>();
    this.terms = [];
    this.words = [];
    for (let i = 0; this.terms.length < vocabulary; i++) {
      let word = '';
      for (let x = i + syllables.length; x > 0; x = Math.floor(x / syllables.length)) {
        word += syllables[x % syllables.length]!;
      }
      word += 'x'; // a closing consonant keeps most words unchanged by the stemmer
      const tokens = tokenize(word);
      if (tokens.length !== 1 || seen.has(tokens[0]!)) continue;
      seen.add(tokens[0]!);
      this.terms.push(tokens[0]!);
      this.words.push(word);
    }
    this.cdf = new Float64Array(vocabulary);
    let sum = 0;
    for (let r = 0; r < vocabulary; r++) this.cdf[r] = sum += 1 / (r + 1) ** exponent;
    for (let r = 0; r < vocabulary; r++) this.cdf[r]! /= sum;
  }

  /** A rank drawn from the Zipf distribution. */
  sample(next: () => number): number {
    const u = next();
    let lo = 0;
    let hi = this.cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Postings of document `id`: `meanTerms` ± 20% Zipf-drawn tokens, counted. */
  document(id: string, next: () => number, meanTerms = 100): Bm25DocPostings {
    const length = Math.round(meanTerms * (0.8 + 0.4 * next()));
    const counts = new Map<number, number>();
    for (let i = 0; i < length; i++) {
      const r = this.sample(next);
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const terms: string[] = [];
    const freqs: number[] = [];
    for (const [r, tf] of counts) {
      terms.push(this.terms[r]!);
      freqs.push(tf);
    }
    return { id, length, terms, freqs };
  }

  /** A question-like query: `min`..`max` Zipf-drawn words, as text. */
  query(next: () => number, min = 4, max = 8): string {
    const n = min + Math.floor(next() * (max - min + 1));
    return Array.from({ length: n }, () => this.words[this.sample(next)]!).join(' ');
  }
}
