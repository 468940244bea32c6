// Projection of hidden-state rows (x · Wᵀ with W [out × in]) and per-row L2 normalization.
import { describe, expect, it } from 'vitest';
import { tokenVectors } from '../../../src/lib/models/late-interaction/project';

describe('tokenVectors', () => {
  // Two sequences of 3 rows, hidden size 3, in one batch buffer.
  const hidden = Float32Array.from([...[1, 0, 0, 0, 2, 0, 0, 0, 3], ...[1, 1, 0, 0, 1, 1, 3, 4, 0]]);
  // W [2 × 3]: out0 = x0 + x1, out1 = x2.
  const projection = { weight: Float32Array.from([1, 1, 0, 0, 0, 1]), in: 3, out: 2 };

  it('projects the chosen rows of the chosen sequence and normalizes each', () => {
    const v = tokenVectors(hidden, 9, 3, [0, 2], projection);
    // row (1,1,0) → (2,0) → (1,0); row (3,4,0) → (7,0) → (1,0)
    expect([...v]).toEqual([1, 0, 1, 0]);
    const w = tokenVectors(hidden, 0, 3, [1, 2], projection);
    // (0,2,0) → (2,0) → (1,0); (0,0,3) → (0,3) → (0,1)
    expect([...w]).toEqual([1, 0, 0, 1]);
  });

  it('only normalizes when the model already projects', () => {
    const v = tokenVectors(hidden, 9, 3, [2], null);
    expect([...v].map((x) => +x.toFixed(6))).toEqual([0.6, 0.8, 0]);
  });

  it('leaves an all-zero row at zero instead of dividing by zero', () => {
    const v = tokenVectors(new Float32Array(3), 0, 3, [0], projection);
    expect([...v]).toEqual([0, 0]);
  });
});
