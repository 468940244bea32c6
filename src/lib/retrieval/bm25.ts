// Incremental in-memory BM25 inverted index with per-document posting export and import for persistence.
import { tokenize, type TokenizeOptions } from './tokenize';

export interface Bm25Options {
  /** Term-frequency saturation. Default 0.9 (Anserini's default). */
  k1?: number;
  /** Length normalization. Default 0.4 (Anserini's default). */
  b?: number;
  tokenize?: TokenizeOptions;
}

export interface Bm25SearchOptions {
  /** How many hits to return. Default 10. */
  k?: number;
  /** Keeps only ids for which it returns true; applied before the top-k cut. */
  filter?: (id: string) => boolean;
}

export interface Bm25Hit {
  id: string;
  score: number;
}

/** One document's postings: what a persistence layer stores per chunk to restore the index without re-tokenizing. */
export interface Bm25DocPostings {
  id: string;
  /** Number of indexed tokens (after stop words), the BM25 document length. */
  length: number;
  terms: string[];
  /** Term frequencies, parallel to `terms`. */
  freqs: number[];
}

/**
 * The whole index, term-major, in typed arrays: what a snapshot stores so opening is a few large reads and no
 * re-tokenizing. Chunk numbers are positions in `ids`.
 */
export interface Bm25Postings {
  ids: string[];
  /** BM25 document length per chunk. */
  lengths: Int32Array;
  terms: string[];
  /** Term t's postings are data[offsets[t] .. offsets[t + 1]): interleaved [chunk, tf, …]. */
  offsets: Int32Array;
  data: Int32Array;
}

/**
 * Lucene-style BM25: idf = ln(1 + (N − df + 0.5)/(df + 0.5)), tf part = tf·(k1+1)/(tf + k1·(1 − b + b·dl/avgdl)).
 * Lucene ≥ 8 drops the constant (k1+1); ranking is identical. A query term written n times weighs n×, as in
 * Anserini's bag-of-words queries. Removal tombstones documents and compacts postings once a quarter of
 * them are dead, so deleting a file's chunks never scans every posting list per chunk.
 */
export class Bm25Index {
  readonly k1: number;
  readonly b: number;
  readonly tokenizeOptions: TokenizeOptions;

  private termIds = new Map<string, number>();
  private termText: string[] = [];
  /**
   * Per term, interleaved [docNum, tf, docNum, tf, …]; may include dead docs until compaction. A list restored from
   * a snapshot is a view into its block until a document adds to it.
   */
  private postings: (number[] | Int32Array)[] = [];
  /** Per term, live document frequency. */
  private df: number[] = [];

  /** Per doc number: its id, or undefined once removed. */
  private ids: (string | undefined)[] = [];
  private nums = new Map<string, number>();
  private lengths: number[] = [];
  /** Per doc number: interleaved [termId, tf, …], the forward index used for export, removal and compaction. */
  private forward: (Int32Array | undefined)[] = [];
  /** Documents [0, lazyForward) came from a snapshot and have no forward rows yet: built on first need. */
  private lazyForward = 0;
  private totalLength = 0;
  private livePostings = 0;
  private deadPostings = 0;

  // Scratch space reused across queries so a search allocates nothing proportional to the corpus.
  private norms = new Float64Array(0);
  private normsValid = false;
  private scores = new Float64Array(0);
  private touched = new Int32Array(0);

  constructor(options: Bm25Options = {}) {
    this.k1 = options.k1 ?? 0.9;
    this.b = options.b ?? 0.4;
    this.tokenizeOptions = { ...options.tokenize };
  }

  /** Number of live documents. */
  get size(): number {
    return this.nums.size;
  }

  has(docId: string): boolean {
    return this.nums.has(docId);
  }

  /** Indexes `text` under `docId`, replacing any previous version of that id. */
  add(docId: string, text: string): void {
    const counts = new Map<string, number>();
    let length = 0;
    for (const t of tokenize(text, this.tokenizeOptions)) {
      counts.set(t, (counts.get(t) ?? 0) + 1);
      length++;
    }
    this.insert(docId, length, counts.keys(), counts.values());
  }

  /** Restores one document from `exportDoc` output (terms unique; same tokenizer settings assumed). */
  importDoc(doc: Bm25DocPostings): void {
    if (doc.terms.length !== doc.freqs.length) throw new Error('Bm25Index.importDoc: terms and freqs differ in length');
    if (new Set(doc.terms).size !== doc.terms.length) throw new Error('Bm25Index.importDoc: repeated term');
    this.insert(doc.id, doc.length, doc.terms, doc.freqs);
  }

  /** The postings of one document, or undefined if it is not indexed. */
  exportDoc(docId: string): Bm25DocPostings | undefined {
    const num = this.nums.get(docId);
    if (num === undefined) return undefined;
    this.buildForward();
    const fwd = this.forward[num]!;
    const terms: string[] = [];
    const freqs: number[] = [];
    for (let i = 0; i < fwd.length; i += 2) {
      terms.push(this.termText[fwd[i]!]!);
      freqs.push(fwd[i + 1]!);
    }
    return { id: docId, length: this.lengths[num]!, terms, freqs };
  }

  /** Removes a document; returns whether it was present. */
  remove(docId: string): boolean {
    const num = this.nums.get(docId);
    if (num === undefined) return false;
    this.buildForward();
    const fwd = this.forward[num]!;
    for (let i = 0; i < fwd.length; i += 2) this.df[fwd[i]!]!--;
    this.nums.delete(docId);
    this.ids[num] = undefined;
    this.forward[num] = undefined;
    this.totalLength -= this.lengths[num]!;
    this.lengths[num] = 0;
    this.livePostings -= fwd.length / 2;
    this.deadPostings += fwd.length / 2;
    this.normsValid = false;
    return true;
  }

  clear(): void {
    this.termIds.clear();
    this.termText = [];
    this.postings = [];
    this.df = [];
    this.ids = [];
    this.nums.clear();
    this.lengths = [];
    this.forward = [];
    this.lazyForward = 0;
    this.totalLength = this.livePostings = this.deadPostings = 0;
    this.normsValid = false;
  }

  search(query: string, options: Bm25SearchOptions = {}): Bm25Hit[] {
    const k = options.k ?? 10;
    const n = this.nums.size;
    if (k <= 0 || n === 0) return [];
    this.maybeCompact();
    this.prepareScratch();

    const qtf = new Map<number, number>();
    for (const t of tokenize(query, this.tokenizeOptions)) {
      const id = this.termIds.get(t);
      if (id !== undefined && this.df[id]! > 0) qtf.set(id, (qtf.get(id) ?? 0) + 1);
    }

    const { scores, touched, norms, ids } = this;
    let nTouched = 0;
    for (const [term, count] of qtf) {
      const df = this.df[term]!;
      const w = count * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (this.k1 + 1);
      const list = this.postings[term]!;
      for (let i = 0; i < list.length; i += 2) {
        const d = list[i]!;
        if (ids[d] === undefined) continue;
        const tf = list[i + 1]!;
        if (scores[d] === 0) touched[nTouched++] = d;
        scores[d]! += (w * tf) / (tf + norms[d]!);
      }
    }

    const hits = topK(scores, touched, nTouched, k, ids, options.filter);
    for (let i = 0; i < nTouched; i++) scores[touched[i]!] = 0;
    return hits;
  }

  /**
   * The live index, term-major, with dense chunk numbers and every term used: compacted first when documents were
   * removed (which builds the forward index); otherwise the posting lists are copied as they are.
   */
  toPostings(): Bm25Postings {
    if (this.ids.length !== this.nums.size || this.deadPostings > 0) this.compact();
    const offsets = new Int32Array(this.termText.length + 1);
    this.postings.forEach((list, t) => (offsets[t + 1] = offsets[t]! + list.length));
    const data = new Int32Array(offsets[this.termText.length]!);
    this.postings.forEach((list, t) => data.set(list, offsets[t]!));
    return {
      ids: [...(this.ids as string[])],
      lengths: Int32Array.from(this.lengths),
      terms: [...this.termText],
      offsets,
      data,
    };
  }

  /**
   * An index restored from toPostings output (same tokenizer settings assumed). It takes the arrays over, not
   * copies (a start restores 100k ids): the posting lists stay views into `p.data`; the forward index is built only
   * when a document is removed or exported.
   */
  static fromPostings(p: Bm25Postings, options: Bm25Options = {}): Bm25Index {
    const n = p.ids.length;
    if (
      p.lengths.length !== n ||
      p.offsets.length !== p.terms.length + 1 ||
      p.offsets[p.terms.length] !== p.data.length
    )
      throw new Error('Bm25Index.fromPostings: inconsistent postings');
    const index = new Bm25Index(options);
    index.ids = p.ids;
    index.nums = new Map(p.ids.map((id, i) => [id, i]));
    if (index.nums.size !== n) throw new Error('Bm25Index.fromPostings: repeated id');
    index.lengths = Array.from(p.lengths);
    index.totalLength = index.lengths.reduce((a, b) => a + b, 0);
    index.termText = p.terms;
    index.termIds = new Map(p.terms.map((t, i) => [t, i]));
    index.postings = p.terms.map((_, t) => p.data.subarray(p.offsets[t]!, p.offsets[t + 1]!));
    index.df = index.postings.map((list) => list.length / 2);
    index.livePostings = p.data.length / 2;
    index.forward = new Array<Int32Array | undefined>(n);
    index.lazyForward = n;
    return index;
  }

  /** Fills the forward rows of documents restored from a snapshot (two passes over the postings, no per-row push). */
  private buildForward(): void {
    const n = this.lazyForward;
    if (n === 0) return;
    const counts = new Int32Array(n);
    for (const list of this.postings)
      for (let i = 0; i < list.length; i += 2) if (list[i]! < n) counts[list[i]!] = counts[list[i]!]! + 1;
    const rows = Array.from(counts, (c) => new Int32Array(2 * c));
    const fill = new Int32Array(n);
    this.postings.forEach((list, t) => {
      for (let i = 0; i < list.length; i += 2) {
        const d = list[i]!;
        if (d >= n) continue;
        const at = fill[d]!;
        rows[d]![at] = t;
        rows[d]![at + 1] = list[i + 1]!;
        fill[d] = at + 2;
      }
    });
    for (let d = 0; d < n; d++) if (this.ids[d] !== undefined) this.forward[d] = rows[d];
    this.lazyForward = 0;
  }

  private insert(docId: string, length: number, terms: Iterable<string>, freqs: Iterable<number>): void {
    if (this.nums.has(docId)) this.remove(docId);
    const num = this.ids.length;
    const fwd: number[] = [];
    const freqIt = freqs[Symbol.iterator]();
    for (const term of terms) {
      const tf = freqIt.next().value as number;
      if (!(tf > 0)) continue;
      let t = this.termIds.get(term);
      if (t === undefined) {
        t = this.termText.length;
        this.termIds.set(term, t);
        this.termText.push(term);
        this.postings.push([]);
        this.df.push(0);
      }
      let list = this.postings[t]!;
      if (!Array.isArray(list)) this.postings[t] = list = Array.from(list);
      list.push(num, tf);
      this.df[t]!++;
      fwd.push(t, tf);
    }
    this.ids.push(docId);
    this.nums.set(docId, num);
    this.lengths.push(length);
    this.forward.push(Int32Array.from(fwd));
    this.totalLength += length;
    this.livePostings += fwd.length / 2;
    this.normsValid = false;
  }

  private prepareScratch(): void {
    const cap = this.ids.length;
    if (this.scores.length < cap) {
      const size = Math.max(cap, Math.ceil(this.scores.length * 1.5));
      this.scores = new Float64Array(size);
      this.touched = new Int32Array(size);
      this.norms = new Float64Array(size);
      this.normsValid = false;
    }
    if (!this.normsValid) {
      const avgdl = this.totalLength / this.nums.size || 1;
      const { k1, b, norms, lengths } = this;
      for (let d = 0; d < cap; d++) norms[d] = k1 * (1 - b + (b * lengths[d]!) / avgdl);
      this.normsValid = true;
    }
  }

  /** Drops tombstoned documents and unused terms once they make up a quarter of the postings. */
  private maybeCompact(): void {
    if (this.deadPostings < 1024 || this.deadPostings < (this.livePostings + this.deadPostings) / 4) return;
    this.compact();
  }

  /** Renumbers live documents and their terms densely and rebuilds the posting lists from the forward index. */
  private compact(): void {
    this.buildForward();
    const remap = new Int32Array(this.termText.length).fill(-1);
    const termText: string[] = [];
    const postings: number[][] = [];
    const df: number[] = [];
    const ids: string[] = [];
    const lengths: number[] = [];
    const forward: Int32Array[] = [];
    for (let d = 0; d < this.ids.length; d++) {
      const id = this.ids[d];
      if (id === undefined) continue;
      const num = ids.length;
      const fwd = this.forward[d]!;
      for (let i = 0; i < fwd.length; i += 2) {
        const old = fwd[i]!;
        if (remap[old] === -1) {
          remap[old] = termText.length;
          termText.push(this.termText[old]!);
          postings.push([]);
          df.push(0);
        }
        const t = remap[old]!;
        fwd[i] = t;
        postings[t]!.push(num, fwd[i + 1]!);
        df[t]!++;
      }
      ids.push(id);
      lengths.push(this.lengths[d]!);
      forward.push(fwd);
    }
    this.termText = termText;
    this.termIds = new Map(termText.map((t, i) => [t, i]));
    this.postings = postings;
    this.df = df;
    this.ids = ids;
    this.nums = new Map(ids.map((id, i) => [id, i]));
    this.lengths = lengths;
    this.forward = forward;
    this.deadPostings = 0;
    this.normsValid = false;
  }
}

/** Best k touched docs by score (ties: smaller id first), with the filter consulted only for heap candidates. */
function topK(
  scores: Float64Array,
  touched: Int32Array,
  nTouched: number,
  k: number,
  ids: readonly (string | undefined)[],
  filter: ((id: string) => boolean) | undefined,
): Bm25Hit[] {
  // Min-heap on (score, then reverse id) so the root is the weakest kept hit.
  const heap: number[] = [];
  const worse = (a: number, b: number): boolean => {
    const sa = scores[a]!;
    const sb = scores[b]!;
    return sa < sb || (sa === sb && ids[a]! > ids[b]!);
  };
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let j = 0; j < nTouched; j++) {
    const d = touched[j]!;
    if (heap.length >= k && !worse(heap[0]!, d)) continue;
    if (filter && !filter(ids[d]!)) continue;
    if (heap.length < k) {
      heap.push(d);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
        i = parent;
      }
    } else {
      heap[0] = d;
      siftDown(0);
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)).map((d) => ({ id: ids[d]!, score: scores[d]! }));
}
