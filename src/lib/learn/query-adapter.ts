// A query-side linear adapter on the embedder's output: q' = normalize(W q), so stored document vectors never change.

/** W is dims × dims, row-major; the identity leaves every query as the embedder wrote it. */
export interface QueryAdapter {
  dims: number;
  weights: Float32Array;
}

export function identityAdapter(dims: number): QueryAdapter {
  const weights = new Float32Array(dims * dims);
  for (let i = 0; i < dims; i++) weights[i * dims + i] = 1;
  return { dims, weights };
}

/** W q into `out` (not normalized); returns its length. */
export function projectQuery(adapter: QueryAdapter, query: Float32Array, out: Float32Array): number {
  const { dims, weights } = adapter;
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    let s = 0;
    const row = i * dims;
    for (let j = 0; j < dims; j++) s += weights[row + j]! * query[j]!;
    out[i] = s;
    norm += s * s;
  }
  return Math.sqrt(norm);
}

/**
 * Each row of `queries` (n × dims) through the adapter, L2-normalized again, as the embedder's rows are: cosine scores
 * and the refusal threshold keep their meaning. A row the adapter sends to zero, or to a non-finite length (huge or
 * broken weights from a stored or imported adapter), comes back as the embedder wrote it: search then runs as if no
 * adapter were on, rather than scoring NaN or zero against every passage.
 */
export function adaptQueries(adapter: QueryAdapter, queries: Float32Array): Float32Array {
  const { dims } = adapter;
  if (queries.length % dims !== 0) throw new RangeError(`query rows must have ${dims} dimensions`);
  const out = new Float32Array(queries.length);
  const row = new Float32Array(dims);
  for (let r = 0; r < queries.length / dims; r++) {
    const query = queries.subarray(r * dims, (r + 1) * dims);
    const norm = projectQuery(adapter, query, row);
    // The length is summed in doubles, so a row can overflow Float32 while its length stays finite.
    if (!(norm > 0 && Number.isFinite(norm)) || !row.every(Number.isFinite)) {
      out.set(query, r * dims);
      continue;
    }
    const scale = 1 / norm;
    for (let i = 0; i < dims; i++) out[r * dims + i] = row[i]! * scale;
  }
  return out;
}
