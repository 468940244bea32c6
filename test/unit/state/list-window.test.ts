// List windowing: the rows in view plus overscan, clamped to the list, and the focused row kept wherever it is.
import { describe, expect, it } from 'vitest';
import { listWindow } from '../../../src/lib/state/list-window';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

describe('listWindow', () => {
  it('renders nothing for an empty list', () => {
    expect(listWindow({ count: 0, rowHeight: 50, scrollTop: 0, viewport: 400, overscan: 5 })).toEqual([]);
  });

  it('renders every row of a short list', () => {
    expect(listWindow({ count: 10, rowHeight: 60, scrollTop: 0, viewport: 400, overscan: 8 })).toEqual(range(0, 9));
  });

  it('renders the rows in view and the overscan on each side', () => {
    // Rows 100..107 are in view (400 px of 50 px rows from 5000 px).
    expect(listWindow({ count: 10_000, rowHeight: 50, scrollTop: 5000, viewport: 400, overscan: 5 })).toEqual(
      range(95, 112),
    );
    // A row partly in view counts.
    expect(listWindow({ count: 10_000, rowHeight: 50, scrollTop: 5010, viewport: 400, overscan: 0 })).toEqual(
      range(100, 108),
    );
  });

  it('clamps at both ends, even when scrolled past the end', () => {
    expect(listWindow({ count: 10_000, rowHeight: 50, scrollTop: 0, viewport: 400, overscan: 5 })).toEqual(
      range(0, 12),
    );
    expect(listWindow({ count: 10_000, rowHeight: 50, scrollTop: 499_600, viewport: 400, overscan: 5 })).toEqual(
      range(9987, 9999),
    );
    expect(listWindow({ count: 100, rowHeight: 50, scrollTop: 1e9, viewport: 400, overscan: 2 })).toEqual(
      range(90, 99),
    );
  });

  it('keeps the focused row rendered, in order, wherever it is', () => {
    const base = { count: 10_000, rowHeight: 50, scrollTop: 5000, viewport: 400, overscan: 0 };
    expect(listWindow({ ...base, keep: 3 })).toEqual([3, ...range(100, 107)]);
    expect(listWindow({ ...base, keep: 9000 })).toEqual([...range(100, 107), 9000]);
    expect(listWindow({ ...base, keep: 104 })).toEqual(range(100, 107));
    expect(listWindow({ ...base, keep: 20_000 })).toEqual(range(100, 107));
  });

  it('survives a zero row height or viewport (before the first layout)', () => {
    expect(listWindow({ count: 50, rowHeight: 0, scrollTop: 0, viewport: 0, overscan: 8 })).toEqual(range(0, 8));
  });
});
