// Memory the search worker's indexes hold after opening from a snapshot, at 100k–600k synthetic passages (Node heap).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe } from 'vitest';
import { Bm25Index } from '../../src/lib/retrieval/bm25';
import { ExactIndex } from '../../src/lib/retrieval/exact-index';
import { captureSnapshot, restoreSnapshot } from '../../src/lib/services/index-snapshot';
import type { ChunkMeta } from '../../src/lib/retrieval/search-types';
import { emit, Group, label, round2, runOptions } from './report';
import { rng, unitRows, ZipfCorpus } from './synthetic';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Passages: BENCH_MEMORY_SIZES=100000,300000,600000 by default. */
const SIZES = (process.env.BENCH_MEMORY_SIZES ?? '100000,300000,600000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const DIMS = 384;
const PER_DOC = 60;
/** Rows made per step, so the float32 source never exists whole (600k × 384 × 4 B would be 0.9 GB). */
const STEP = 20_000;
const GOAL_BYTES = 1024 ** 3;

function used(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** Builds the indexes of `size` passages and returns their snapshot (the indexes themselves go out of scope). */
function snapshotOf(size: number, corpus: ZipfCorpus): ReturnType<typeof captureSnapshot> {
  const next = rng(5);
  const keyword = new Bm25Index();
  const dense = new ExactIndex(DIMS, { precision: 'int8' });
  const meta = new Map<string, ChunkMeta>();
  const docMeta: ChunkMeta[] = [];
  for (let at = 0; at < size; at += STEP) {
    const n = Math.min(STEP, size - at);
    const ids = Array.from({ length: n }, (_, i) => `d${Math.floor((at + i) / PER_DOC)}:${(at + i) % PER_DOC}`);
    dense.add(ids, unitRows(n, DIMS, at + 1));
    for (const [i, id] of ids.entries()) {
      keyword.importDoc(corpus.document(id, next));
      const d = Math.floor((at + i) / PER_DOC);
      docMeta[d] ??= { docId: `d${d}`, kind: 'pdf', addedAt: d };
      meta.set(id, docMeta[d]!);
    }
  }
  return captureSnapshot({ meta, keyword, dense }, 'bench');
}

/**
 * Restores a snapshot of `size` passages, with the built indexes and the snapshot itself gone: what is left is what
 * the search worker holds after a start from its snapshot. Returns the restored indexes (for a query bench).
 */
function measure(size: number, corpus: ZipfCorpus): ReturnType<typeof restoreSnapshot> {
  const start = used();
  const live = restoreSnapshot(snapshotOf(size, corpus), { key: 'bench', dims: DIMS }, 'exact');
  const bytes = used() - start;
  emit({
    group: 'scale',
    goal: 'search index memory after a start from the snapshot (MB)',
    size,
    value: round2(bytes / 2 ** 20),
    target: size === 600_000 ? GOAL_BYTES / 2 ** 20 : null,
    met: size === 600_000 ? bytes <= GOAL_BYTES : null,
    bytes_per_passage: Math.round(bytes / size),
    passages: live.keyword.size,
    note: 'growth of the Node heap + external memory (BM25, int8 dense, chunk meta); the tab adds the models, the UI and the page',
  });
  return live;
}

describe('search index memory', () => {
  const corpus = new ZipfCorpus(50_000);
  const next = rng(9);
  const queries = Array.from({ length: 32 }, () => corpus.query(next));
  for (const size of SIZES) {
    describe(label(size), () => {
      let live: ReturnType<typeof restoreSnapshot> | null = null;
      let q = 0;
      const g = new Group(`restored bm25 · ${label(size)}`, { size }, () => (live ??= measure(size, corpus)));
      g.add(
        'BM25 top-50 on the restored postings',
        () => live!.keyword.search(queries[q++ % 32]!, { k: 50 }),
        runOptions(size),
      );
    });
  }
});
