// Late interaction in real Chromium: WebGPU MaxSim equals the CPU's, and the stand-in ColBERT encodes and ranks.
import { expect, test } from './fixtures';
import { openHarness, type Harness } from './harness/harness';
import type { LateInteractionSpec, Registry } from '../../src/lib/config/registry-types';

declare const lectern: Harness;

test.describe('MaxSim on WebGPU', () => {
  // Needs an adapter: only the webgpu project runs it (see projects.ts).
  test(
    'gives the CPU ranking, scores and best tokens on seeded tensors',
    { tag: '@webgpu-only' },
    async ({ page, externalRequests }, testInfo) => {
      await openHarness(page);
      const { report, topK, cpuTopK } = await page.evaluate(async () => {
        const gpu = new lectern.WebGpuMaxSim();
        const compare = async (...args: Parameters<Harness['randomCase']>) => {
          const { query, docs } = lectern.randomCase(...args);
          const t0 = performance.now();
          const cpu = lectern.maxSimRerank(query, docs, docs.length);
          const t1 = performance.now();
          const got = await gpu.rerank(query, docs, docs.length);
          const t2 = performance.now();
          let maxScoreDiff = 0;
          let maxTokenScoreDiff = 0;
          let tokenMismatches = 0;
          cpu.forEach((c, i) => {
            const g = got[i]!;
            if (g.id !== c.id) return;
            // Equal infinities (empty documents) count as no difference.
            const diff = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b));
            maxScoreDiff = Math.max(maxScoreDiff, diff(c.score, g.score));
            c.bestToken.forEach((t, q) => {
              if (g.bestToken[q] !== t) tokenMismatches++;
              maxTokenScoreDiff = Math.max(maxTokenScoreDiff, diff(c.bestScore[q]!, g.bestScore[q]!));
            });
          });
          return {
            cpuOrder: cpu.map((h) => h.id),
            gpuOrder: got.map((h) => h.id),
            maxScoreDiff,
            maxTokenScoreDiff,
            tokenMismatches,
            emptyDocs: cpu.filter((h) => h.score === -Infinity).length,
            gpuEmptyDocs: got.filter((h) => h.score === -Infinity && [...h.bestToken].every((t) => t === -1)).length,
            cpuMs: t1 - t0,
            gpuMs: t2 - t1,
          };
        };
        // 50 docs × 100 tokens × 96 d against 32 query tokens; again on the warm device; then, after destroy(), a
        // fresh device with ragged int8 documents (empty ones included) and an odd dims that takes the scalar kernel.
        const plain = await compare({ seed: 7, docs: 50, tokens: 100, dims: 96, queryTokens: 32 });
        const warm = await compare({ seed: 8, docs: 50, tokens: 100, dims: 96, queryTokens: 32 });
        gpu.destroy();
        const ragged = await compare({
          seed: 11,
          docs: 50,
          tokens: (i, next) => (i % 17 === 3 ? 0 : 1 + Math.floor(next() * 180)),
          dims: 96,
          queryTokens: 32,
          int8: true,
        });
        const odd = await compare({ seed: 13, docs: 20, tokens: 40, dims: 30, queryTokens: 7 });
        gpu.destroy();
        // The shared-device function cuts at topK like the CPU one.
        const small = lectern.randomCase({ seed: 17, docs: 30, tokens: 20, dims: 64, queryTokens: 8 });
        const topK = (await lectern.maxSimRerankWebGpu(small.query, small.docs, 5)).map((h) => h.id);
        const cpuTopK = lectern.maxSimRerank(small.query, small.docs, 5).map((h) => h.id);
        return { report: { plain, warm, ragged, odd }, topK, cpuTopK };
      });
      for (const [name, r] of Object.entries(report)) {
        expect(r.gpuOrder, name).toEqual(r.cpuOrder);
        expect(r.maxScoreDiff, name).toBeLessThan(1e-4);
        expect(r.maxTokenScoreDiff, name).toBeLessThan(1e-4);
        expect(r.tokenMismatches, name).toBe(0);
        expect(r.gpuEmptyDocs, name).toBe(r.emptyDocs);
      }
      expect(report.ragged.emptyDocs).toBeGreaterThan(0);
      expect(topK).toHaveLength(5);
      expect(topK).toEqual(cpuTopK);
      testInfo.annotations.push({
        type: 'maxsim',
        description: Object.entries(report)
          .map(
            ([k, r]) =>
              `${k}: max |Δscore| ${r.maxScoreDiff.toExponential(2)}, max |Δtoken| ${r.maxTokenScoreDiff.toExponential(2)}, cpu ${r.cpuMs.toFixed(1)} ms, gpu ${r.gpuMs.toFixed(1)} ms`,
          )
          .join('; '),
      });
      console.log(testInfo.annotations.at(-1)!.description);
      expect(externalRequests).toEqual([]);
    },
  );

  test('fails with WEBGPU_UNAVAILABLE, so the caller can use the CPU, when the browser has no WebGPU', async ({
    page,
  }) => {
    await openHarness(page);
    const code = await page.evaluate(async () => {
      Object.defineProperty(navigator, 'gpu', { value: undefined, configurable: true });
      const { query, docs } = lectern.randomCase({ seed: 1, docs: 3, tokens: 4, dims: 8, queryTokens: 2 });
      try {
        await new lectern.WebGpuMaxSim().rerank(query, docs);
        return 'resolved';
      } catch (err) {
        return (err as { code?: string }).code ?? String(err);
      }
    });
    expect(code).toBe('WEBGPU_UNAVAILABLE');
  });
});

test('stand-in ColBERT through transformers.js: shapes, normalization, ranking and token matches', async ({
  page,
  externalRequests,
  expectedDevice,
}) => {
  await openHarness(page);
  const r = await page.evaluate(async (device) => {
    const registryUrl = new URL('/standin/registry.json', location.href);
    const registry = (await (await fetch(registryUrl)).json()) as Registry;
    const spec = registry.models.find((m): m is LateInteractionSpec => m.role === 'late-interaction')!;
    const runtime = {
      modelBaseUrl: new URL(registry.modelBaseUrl, registryUrl).href,
      wasmBaseUrl: new URL('/ort/', location.href).href,
    };
    const load = async (dev: 'wasm' | 'webgpu') => {
      const rpc = lectern.lateInteraction();
      const progress: { status: string; file?: string }[] = [];
      const loaded = await rpc.call(
        'load',
        { spec, device: dev, dtype: spec.dtype[dev], runtime },
        { onProgress: (p) => progress.push(p) },
      );
      return { rpc, loaded, progress };
    };
    const { rpc, loaded, progress } = await load(device);
    const texts = [
      'Sourdough bread needs flour, water and a wild yeast starter.',
      'The lighthouse keeper polished the Fresnel lens every morning, so the light reached far out to sea.',
      'A house by the harbour, where the light is soft in the evening.',
      'Camera lenses focus light onto a sensor.',
    ];
    const [query, docs] = await Promise.all([
      rpc.call('encodeQuery', { text: 'lighthouse lens' }),
      rpc.call('encodeDocuments', { texts }),
    ]);
    const norms = (v: { data: Float32Array; tokens: number; dims: number }) =>
      Array.from({ length: v.tokens }, (_, t) => Math.hypot(...v.data.subarray(t * v.dims, (t + 1) * v.dims)));
    const hits = lectern.maxSimRerank(
      query,
      docs.map((d, i) => ({ id: String(i), data: d.data, tokens: d.tokens })),
      docs.length,
    );
    const top = hits[0]!;
    const topDoc = docs[Number(top.id)]!;
    const matches = Object.fromEntries(
      ['lighthouse', 'lens'].map((word) => {
        const q = query.tokenTexts.indexOf(word);
        return [word, q < 0 ? null : topDoc.tokenTexts[top.bestToken[q]!]];
      }),
    );
    // On WebGPU, the same query through WASM gives the same vectors.
    let deviceDiff: number | null = null;
    if (device === 'webgpu') {
      const wasm = await load('wasm');
      const ref = await wasm.rpc.call('encodeQuery', { text: 'lighthouse lens' });
      deviceDiff = Math.max(...query.data.map((x, i) => Math.abs(x - ref.data[i]!)));
    }
    return {
      loaded,
      files: progress.filter((p) => p.status === 'file-done').map((p) => p.file),
      ready: progress.some((p) => p.status === 'ready'),
      query: {
        tokens: query.tokens,
        dims: query.dims,
        rows: query.data.length,
        texts: query.tokenTexts,
        norms: norms(query),
      },
      docs: docs.map((d) => ({
        tokens: d.tokens,
        ids: d.tokenIds.length,
        texts: d.tokenTexts,
        norms: norms(d),
        rows: d.data.length / d.dims,
      })),
      ranking: hits.map((h) => h.id),
      scores: hits.map((h) => h.score),
      matches,
      deviceDiff,
    };
  }, expectedDevice);

  expect(r.loaded).toEqual({ device: expectedDevice, dtype: 'fp32', dims: 32 });
  expect(r.files).toContain('1_Dense/model.safetensors');
  expect(r.ready).toBe(true);

  // Query: exactly queryLength rows, [CLS] [Q] text [SEP] then [MASK] expansion.
  expect(r.query.tokens).toBe(32);
  expect(r.query.dims).toBe(32);
  expect(r.query.rows).toBe(32 * 32);
  expect(r.query.texts.slice(0, 6)).toEqual(['[CLS]', '[unused0]', 'lighthouse', 'lens', '[SEP]', '[MASK]']);
  expect(r.query.texts.filter((t) => t === '[MASK]')).toHaveLength(27);
  for (const n of r.query.norms) expect(n).toBeCloseTo(1, 5);

  // Documents: [CLS] [D] … [SEP], unpadded, punctuation removed, rows normalized.
  for (const d of r.docs) {
    expect(d.rows).toBe(d.tokens);
    expect(d.ids).toBe(d.tokens);
    expect(d.texts.slice(0, 2)).toEqual(['[CLS]', '[unused1]']);
    expect(d.texts.at(-1)).toBe('[SEP]');
    expect(d.texts).not.toContain('[MASK]');
    expect(d.texts.filter((t) => /^[.,']$/.test(t))).toEqual([]);
    for (const n of d.norms) expect(n).toBeCloseTo(1, 5);
  }

  // The lighthouse document wins, and its words explain the match.
  expect(r.ranking[0]).toBe('1');
  expect(r.scores[0]).toBeGreaterThan(r.scores[1]!);
  expect(r.matches).toEqual({ lighthouse: 'lighthouse', lens: 'lens' });
  if (expectedDevice === 'webgpu') expect(r.deviceDiff).toBeLessThan(1e-3);
  expect(externalRequests).toEqual([]);
});
