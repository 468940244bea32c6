// The query adapter: a toy problem whose answer is known (a scrambling of the query space the adapter must undo).
import { describe, expect, it } from 'vitest';
import { adaptQueries, identityAdapter } from '../../../src/lib/learn/query-adapter';
import {
  addPairGradient,
  heldOutNdcg,
  splitByQuery,
  trainAdapter,
  TooFewExamplesError,
  type AdapterExample,
} from '../../../src/lib/learn/train-adapter';
import { seededRandom } from '../../../src/lib/evaluation/sample';

const DIMS = 8;

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

function randomVector(random: () => number): Float32Array {
  // Box–Muller: isotropic, so normalized rows are uniform on the sphere.
  return unit(
    Float32Array.from(
      { length: DIMS },
      () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()),
    ),
  );
}

/** A signed permutation of the coordinates: orthogonal, so its inverse is its transpose. */
function scramble(random: () => number): Float32Array {
  const perm = [...Array(DIMS).keys()];
  for (let i = DIMS - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const R = new Float32Array(DIMS * DIMS);
  perm.forEach((to, from) => (R[to * DIMS + from] = random() < 0.5 ? -1 : 1));
  return R;
}

function times(M: Float32Array, v: Float32Array): Float32Array {
  return Float32Array.from({ length: DIMS }, (_, i) => v.reduce((s, x, j) => s + M[i * DIMS + j]! * x, 0));
}

/** Documents, and queries that are their documents scrambled by R plus a little noise. */
function toyProblem(seed: number, perDoc = 4, docCount = 40) {
  const random = seededRandom(seed);
  const R = scramble(random);
  const docRows = Array.from({ length: docCount }, () => randomVector(random));
  const docs = new Float32Array(docCount * DIMS);
  docRows.forEach((d, r) => docs.set(d, r * DIMS));
  const examples: AdapterExample[] = [];
  docRows.forEach((d, r) => {
    for (let k = 0; k < perDoc; k++) {
      const noise = randomVector(random).map((x) => x * 0.1);
      examples.push({
        key: `q${r}-${k}`,
        query: unit(times(R, d).map((x, i) => x + noise[i]!)),
        positives: [r],
        negatives: [],
      });
    }
  });
  return { R, docs, examples };
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (Math.hypot(...a) * Math.hypot(...b));
}

describe('trainAdapter', () => {
  it('learns to undo a known scrambling of the query space: fresh queries find their documents', async () => {
    const { R, docs, examples } = toyProblem(7);
    const epochs: number[] = [];
    const trained = await trainAdapter(
      { dims: DIMS, docs, examples },
      { epochs: 60, learningRate: 0.02, identityPull: 0, batchSize: 16 },
      { onProgress: (p) => epochs.push(p.epoch) },
    );
    expect(epochs).toEqual([...Array(60).keys()].map((i) => i + 1));
    // The identity leaves the held-out queries scrambled; the adapter finds their documents.
    expect(trained.heldOut.before).toBeLessThan(0.5);
    expect(trained.heldOut.after).toBeGreaterThan(0.95);
    expect(trained.enabled).toBe(true);
    expect(trained.epochs.at(-1)!.loss).toBeLessThan(trained.epochs[0]!.loss);
    // Queries it never saw, scrambled the same way, find their document first; without it, few do.
    const random = seededRandom(99);
    const rows = docs.length / DIMS;
    const nearest = (q: Float32Array) => {
      let best = -1;
      let bestDot = -Infinity;
      for (let r = 0; r < rows; r++) {
        const dot = q.reduce((s, x, j) => s + x * docs[r * DIMS + j]!, 0);
        if (dot > bestDot) [best, bestDot] = [r, dot];
      }
      return best;
    };
    let adapted = 0;
    let plain = 0;
    for (let r = 0; r < rows; r++) {
      const noise = randomVector(random).map((x) => x * 0.1);
      const doc = docs.slice(r * DIMS, (r + 1) * DIMS);
      const q = unit(times(R, doc).map((x, i) => x + noise[i]!));
      if (nearest(adaptQueries(trained.adapter, q)) === r) adapted++;
      if (nearest(q) === r) plain++;
    }
    expect(adapted / rows).toBeGreaterThanOrEqual(0.95);
    expect(plain / rows).toBeLessThan(0.3);
    // W moved from the identity towards R's inverse (R is orthogonal: its inverse is its transpose).
    const inverse = new Float32Array(DIMS * DIMS);
    for (let i = 0; i < DIMS; i++) for (let j = 0; j < DIMS; j++) inverse[i * DIMS + j] = R[j * DIMS + i]!;
    const identity = identityAdapter(DIMS).weights;
    expect(cosine(trained.adapter.weights, inverse)).toBeGreaterThan(cosine(trained.adapter.weights, identity));
  });

  it('stays off when the identity is already perfect on the held-out split', async () => {
    const { docs, examples } = toyProblem(3);
    const plain = examples.map((e) => ({
      ...e,
      query: docs.slice(e.positives[0]! * DIMS, (e.positives[0]! + 1) * DIMS),
    }));
    const trained = await trainAdapter({ dims: DIMS, docs, examples: plain }, { epochs: 3 });
    expect(trained.heldOut.before).toBe(1);
    expect(trained.enabled).toBe(false);
    expect(trained.heldOut.after).toBeLessThanOrEqual(1);
  });

  it('refuses fewer judged queries than it can split', async () => {
    const { docs, examples } = toyProblem(1, 1, 7);
    await expect(trainAdapter({ dims: DIMS, docs, examples })).rejects.toBeInstanceOf(TooFewExamplesError);
  });

  it('stops when aborted', async () => {
    const { docs, examples } = toyProblem(2);
    const controller = new AbortController();
    const run = trainAdapter(
      { dims: DIMS, docs, examples },
      { epochs: 50 },
      { signal: controller.signal, onProgress: (p) => p.epoch === 2 && controller.abort(new Error('stopped')) },
    );
    await expect(run).rejects.toThrow('stopped');
  });

  it('uses hard negatives: a negative that shares the positive’s neighbourhood is pushed below it', async () => {
    // Two documents nearly alike; queries lean slightly towards the wrong one. Every query has the same positive, so
    // in-batch negatives add nothing: without the twin listed as a hard negative there is nothing to learn from.
    const random = seededRandom(11);
    const base = randomVector(random);
    const twin = unit(base.map((x, i) => x + (i === 0 ? 0.3 : 0)));
    const others = Array.from({ length: 30 }, () => randomVector(random));
    const rows = [base, twin, ...others];
    const docs = new Float32Array(rows.length * DIMS);
    rows.forEach((d, r) => docs.set(d, r * DIMS));
    const examples: AdapterExample[] = Array.from({ length: 40 }, (_, k) => ({
      key: `q${k}`,
      query: unit(twin.map((x, i) => x + (i === 0 ? 0.05 : 0) + (random() - 0.5) * 0.02)),
      positives: [0],
      negatives: [1],
    }));
    const score = (neg: boolean) =>
      trainAdapter(
        { dims: DIMS, docs, examples: examples.map((e) => ({ ...e, negatives: neg ? e.negatives : [] })) },
        { epochs: 20, learningRate: 0.001, identityPull: 0, batchSize: 8 },
      );
    const withHard = await score(true);
    expect(withHard.heldOut.before).toBeLessThan(0.7);
    expect(withHard.heldOut.after).toBe(1);
    const without = await score(false);
    expect(without.heldOut.after).toBe(without.heldOut.before);
    expect(without.enabled).toBe(false);
  });
});

describe('addPairGradient', () => {
  it('matches central differences of the loss, through the normalization', () => {
    const random = seededRandom(21);
    const dims = 5;
    const weights = Float32Array.from(
      { length: dims * dims },
      (_, k) => (k % (dims + 1) === 0 ? 1 : 0) + (random() - 0.5),
    );
    const adapter = { dims, weights };
    const rows = Array.from({ length: 6 }, () => Float32Array.from({ length: dims }, () => random() - 0.5));
    const docs = new Float32Array(rows.length * dims);
    rows.forEach((d, r) => docs.set(unit(d), r * dims));
    const query = unit(Float32Array.from({ length: dims }, () => random() - 0.5));
    const candidates = [2, 0, 5, 3];
    const grad = new Float32Array(dims * dims);
    const loss = addPairGradient(adapter, query, docs, candidates, 0.1, 1, grad)!;
    expect(loss).toBeGreaterThan(0);
    // Float64 copy for the differences (float32 weights would drown them in rounding).
    const lossAt = (w: Float64Array) => {
      const u = Array.from({ length: dims }, (_, i) =>
        w.slice(i * dims, (i + 1) * dims).reduce((s, x, j) => s + x * query[j]!, 0),
      );
      const n = Math.hypot(...u);
      const logits = candidates.map((r) => u.reduce((s, x, j) => s + (x / n) * docs[r * dims + j]!, 0) / 0.1);
      const max = Math.max(...logits);
      return -(logits[0]! - max - Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)));
    };
    const w = Float64Array.from(weights);
    expect(lossAt(w)).toBeCloseTo(loss, 4);
    const h = 1e-6;
    for (let k = 0; k < w.length; k++) {
      const up = Float64Array.from(w);
      const down = Float64Array.from(w);
      up[k]! += h;
      down[k]! -= h;
      expect(grad[k]!).toBeCloseTo((lossAt(up) - lossAt(down)) / (2 * h), 3);
    }
  });
});

describe('splitByQuery', () => {
  it('keeps each query on one side and holds out about the share asked, at least two', () => {
    const { examples } = toyProblem(5, 2, 10);
    const keyed = examples.map((e, i) => ({ ...e, key: `k${i % 10}` }));
    const { train, heldOut } = splitByQuery(keyed, 0.2, 1);
    const held = new Set(heldOut.map((e) => e.key));
    expect(held.size).toBe(2);
    expect(train.some((e) => held.has(e.key))).toBe(false);
    expect(train.length + heldOut.length).toBe(keyed.length);
    expect(splitByQuery(keyed, 0.2, 1)).toEqual({ train, heldOut });
  });
});

describe('adaptQueries and heldOutNdcg', () => {
  it('the identity changes nothing; rows come back L2-normalized', () => {
    const { docs, examples } = toyProblem(4, 1, 12);
    const id = identityAdapter(DIMS);
    const q = examples[0]!.query;
    const out = adaptQueries(id, q);
    expect(Array.from(out).map((x) => Math.round(x * 1e6))).toEqual(Array.from(q).map((x) => Math.round(x * 1e6)));
    const scaled = { dims: DIMS, weights: id.weights.map((w) => w * 3) };
    expect(Math.hypot(...adaptQueries(scaled, q))).toBeCloseTo(1, 5);
    const exact = examples.map((e) => ({
      ...e,
      query: docs.slice(e.positives[0]! * DIMS, (e.positives[0]! + 1) * DIMS),
    }));
    expect(heldOutNdcg(id, docs, exact)).toBe(1);
  });

  it('a row the adapter sends to zero, NaN or infinity comes back as the embedder wrote it', () => {
    const { examples } = toyProblem(6, 1, 3);
    const q = new Float32Array(2 * DIMS);
    q.set(examples[0]!.query, 0);
    q.set(unit(new Float32Array(DIMS).fill(1)), DIMS);
    const broken = [
      new Float32Array(DIMS * DIMS),
      identityAdapter(DIMS).weights.map((w, k) => (k === 0 ? NaN : w)),
      identityAdapter(DIMS).weights.map((w, k) => (k === 0 ? Infinity : w)),
      // Each coordinate of W q is about 8.5e38 for the second row: past Float32's largest, though its length is not.
      new Float32Array(DIMS * DIMS).fill(3e38),
    ];
    for (const weights of broken) {
      const out = adaptQueries({ dims: DIMS, weights }, q);
      expect(out.every(Number.isFinite)).toBe(true);
      expect(Math.hypot(...out.subarray(DIMS))).toBeCloseTo(1, 5);
      expect(Array.from(out.subarray(DIMS))).toEqual(Array.from(q.subarray(DIMS)));
    }
    // The zero matrix and NaN weight spoil the first row too; it comes back raw, not as zeros or NaN.
    expect(Array.from(adaptQueries({ dims: DIMS, weights: broken[0]! }, q))).toEqual(Array.from(q));
    expect(Array.from(adaptQueries({ dims: DIMS, weights: broken[1]! }, q))).toEqual(Array.from(q));
  });
});
