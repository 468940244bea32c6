// Windowing for long lists of fixed-height rows: which rows to render for a scroll position, plus an overscan.

export interface ListWindowInput {
  /** Rows in the list. */
  count: number;
  /** Height of every row, in px (> 0). */
  rowHeight: number;
  /** The scroll container's scrollTop, in px. */
  scrollTop: number;
  /** The scroll container's visible height, in px. */
  viewport: number;
  /** Rows rendered beyond each edge of the view, so Tab and small scrolls find a row already there. */
  overscan: number;
  /** A row to keep rendered wherever it is (the one holding focus), or -1. */
  keep?: number;
}

/** The indices to render, ascending: the rows in view, `overscan` more on each side, and `keep`. */
export function listWindow({ count, rowHeight, scrollTop, viewport, overscan, keep = -1 }: ListWindowInput): number[] {
  if (count <= 0) return [];
  const h = rowHeight > 0 ? rowHeight : 1;
  const view = Math.max(0, viewport);
  // A scroll position past either end (an elastic overscroll, a list that just shrank) shows the end it passed.
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, count * h - view));
  const first = Math.floor(top / h);
  const last = Math.max(first, Math.ceil((top + view) / h) - 1);
  const start = Math.max(0, Math.min(count - 1, first - overscan));
  const end = Math.min(count - 1, Math.max(start, last + overscan));
  const rows: number[] = [];
  if (keep >= 0 && keep < start) rows.push(keep);
  for (let i = start; i <= end; i++) rows.push(i);
  if (keep > end && keep < count) rows.push(keep);
  return rows;
}
