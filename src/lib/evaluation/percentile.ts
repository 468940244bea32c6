// Latency percentiles (p50, p95) by linear interpolation between the closest ranks.

/**
 * The p-th percentile (0–100) of values: linear interpolation between the two closest ranks (numpy's default,
 * Hyndman–Fan type 7), so p50 of an even count is the mean of the middle two. Null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0–100`);
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

export interface Spread {
  p50: number | null;
  p95: number | null;
  /** How many values it was computed from. */
  n: number;
}

/** p50 and p95 of values. */
export function spread(values: readonly number[]): Spread {
  return { p50: percentile(values, 50), p95: percentile(values, 95), n: values.length };
}
