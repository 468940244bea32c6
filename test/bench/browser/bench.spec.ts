// Browser-only figures: MaxSim top-50 rerank on the CPU vs WebGPU, the stand-in LM's TTFT and tokens/s per device,
// and parse + chunk throughput through the app's ingest worker.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { Harness } from '../../e2e/harness/harness';
import type { EmbedderSpec, GeneratorSpec, Registry } from '../../../src/lib/config/registry-types';
import { DOCS_BASE, openBench, SHARED } from './open-bench';
import type { Bench } from './page';
import { emit, round2, stats } from '../report';

declare const lectern: Harness;
declare const lecternBench: Bench;

// MaxSim: the app's rerank step (query 32 tokens × 96 d, 50 candidates of 80–120 tokens).
const MAXSIM = { seed: 42, docs: 50, dims: 96, queryTokens: 32, minTokens: 80, maxTokens: 120 };
const MAXSIM_WARMUP = 5;
const MAXSIM_RUNS = 30;
// LM: a fixed grounded prompt, greedy, fixed token cap; one warm-up, then timed runs. SwiftShader decodes at a few
// tokens/s (~20 s a run), so WebGPU gets fewer runs to keep the whole bench under ~3 minutes.
const MAX_NEW_TOKENS = 64;
const LM_WARMUP = 1;
const LM_RUNS = { wasm: 10, webgpu: 3 };

// Ingest: the shared documents (see open-bench.ts).
const INGEST_RUNS = 3;

// Needs an adapter: only the webgpu project runs it (see test/e2e/projects.ts).
test('MaxSim top-50 rerank: CPU vs WebGPU, same page, same data', { tag: '@webgpu-only' }, async ({ page }) => {
  const external = await openBench(page);
  const r = await page.evaluate(
    async ({ c, warmup, runs }) => {
      const makeCase = (int8: boolean) =>
        lectern.randomCase({
          seed: c.seed,
          docs: c.docs,
          dims: c.dims,
          queryTokens: c.queryTokens,
          tokens: (_, next) => c.minTokens + Math.floor(next() * (c.maxTokens - c.minTokens + 1)),
          int8,
        });
      const out: Record<string, unknown> = {};
      // float32, and int8 + scales (what the app reranks: stored int6 rows are unpacked to int8).
      for (const [name, int8] of [
        ['float32', false],
        ['int8', true],
      ] as const) {
        const { query, docs } = makeCase(int8);
        // A fresh device per encoding, so the first call is cold (adapter, device, pipeline, buffers).
        const gpu = new lectern.WebGpuMaxSim();
        const t0 = performance.now();
        await gpu.rerank(query, docs, docs.length);
        const firstGpuMs = performance.now() - t0;
        for (let i = 0; i < warmup; i++) {
          lectern.maxSimRerank(query, docs, docs.length);
          // The SIMD module compiles on its first call: warmed up like the others.
          if (int8)
            lectern.maxSimRerankSimd(query, docs as Parameters<typeof lectern.maxSimRerankSimd>[1], docs.length);
          await gpu.rerank(query, docs, docs.length);
        }
        const cpuMs: number[] = [];
        const gpuMs: number[] = [];
        // int8 only: the app's CPU path, the WebAssembly SIMD kernel (its picks may flip near-ties, so only counted).
        const simdMs: number[] = [];
        let simdAgree = 0;
        let simdScoreDiff = 0;
        let agree = 0;
        let maxScoreDiff = 0;
        // Interleaved, so both sides see the same machine load.
        for (let i = 0; i < runs; i++) {
          const a = performance.now();
          const cpu = lectern.maxSimRerank(query, docs, docs.length);
          const b = performance.now();
          const got = await gpu.rerank(query, docs, docs.length);
          const e = performance.now();
          cpuMs.push(b - a);
          gpuMs.push(e - b);
          if (int8) {
            const f = performance.now();
            const simd = lectern.maxSimRerankSimd(
              query,
              docs as Parameters<typeof lectern.maxSimRerankSimd>[1],
              docs.length,
            );
            simdMs.push(performance.now() - f);
            // Its int8 query can flip near-ties among 50 close random scores: the top 10 as a set, and the scores.
            const top = new Set(cpu.slice(0, 10).map((h) => h.id));
            if (simd.slice(0, 10).every((h) => top.has(h.id))) simdAgree++;
            const js = new Map(cpu.map((h) => [h.id, h.score]));
            for (const h of simd) simdScoreDiff = Math.max(simdScoreDiff, Math.abs(h.score - js.get(h.id)!));
          }
          if (cpu.every((h, k) => h.id === got[k]?.id) && cpu.length === got.length) agree++;
          cpu.forEach((h, k) => (maxScoreDiff = Math.max(maxScoreDiff, Math.abs(h.score - got[k]!.score))));
        }
        const tokens = docs.reduce((s, d) => s + d.tokens, 0);
        out[name] = {
          cpuMs,
          gpuMs,
          simdMs,
          simdAgree,
          simdScoreDiff,
          firstGpuMs,
          agree,
          maxScoreDiff,
          meanDocTokens: tokens / docs.length,
        };
        gpu.destroy();
      }
      return out as Record<
        'float32' | 'int8',
        {
          cpuMs: number[];
          gpuMs: number[];
          simdMs: number[];
          simdAgree: number;
          simdScoreDiff: number;
          firstGpuMs: number;
          agree: number;
          maxScoreDiff: number;
          meanDocTokens: number;
        }
      >;
    },
    { c: MAXSIM, warmup: MAXSIM_WARMUP, runs: MAXSIM_RUNS },
  );
  const fields = {
    browser: 'webgpu (SwiftShader)',
    candidates: MAXSIM.docs,
    doc_tokens: `${MAXSIM.minTokens}-${MAXSIM.maxTokens}`,
    dims: MAXSIM.dims,
    query_tokens: MAXSIM.queryTokens,
  };
  for (const [encoding, m] of Object.entries(r)) {
    const cpu = stats(m.cpuMs);
    const gpu = stats(m.gpuMs);
    const shared = { ...fields, encoding, mean_doc_tokens: round2(m.meanDocTokens) };
    emit({ group: 'browser maxsim', name: `cpu ${encoding} (baseline)`, ...shared, ...cpu });
    emit({
      group: 'browser maxsim',
      name: `webgpu ${encoding}`,
      ...shared,
      ...gpu,
      cold_first_call_ms: round2(m.firstGpuMs),
      gpu_over_cpu_p50: round2(gpu.p50_ms / cpu.p50_ms),
      rankings_agree: `${m.agree}/${MAXSIM_RUNS}`,
      max_score_diff: Number(m.maxScoreDiff.toExponential(2)),
    });
    if (m.simdMs.length) {
      const simd = stats(m.simdMs);
      emit({
        group: 'browser maxsim',
        name: `cpu ${encoding} wasm simd`,
        ...shared,
        ...simd,
        speedup_vs_baseline_p50: round2(cpu.p50_ms / simd.p50_ms),
        gpu_over_simd_p50: round2(gpu.p50_ms / simd.p50_ms),
        top10_agrees_with_js: `${m.simdAgree}/${MAXSIM_RUNS}`,
        max_score_diff_vs_js: Number(m.simdScoreDiff.toExponential(2)),
      });
    }
    // Correctness, not speed: a WebGPU ranking that differs from the CPU's is an error.
    expect(m.agree, `${encoding}: WebGPU ranking equals the CPU's`).toBe(MAXSIM_RUNS);
  }
  expect(external).toEqual([]);
});

test('stand-in LM: time to first token and tokens/s through the generator worker', async ({ page }, testInfo) => {
  const device = testInfo.project.metadata.device as 'wasm' | 'webgpu';
  const external = await openBench(page);
  const r = await page.evaluate(
    async ({ device, maxNewTokens, warmup, runs }) => {
      const registryUrl = new URL('/standin/registry.json', location.href);
      const registry = (await (await fetch(registryUrl)).json()) as Registry;
      const spec = registry.models.find((m): m is GeneratorSpec => m.role === 'generator')!;
      const runtime = {
        modelBaseUrl: new URL(registry.modelBaseUrl, registryUrl).href,
        wasmBaseUrl: new URL('/ort/', location.href).href,
      };
      // The dtype the app would pick here (SwiftShader has no shader-f16: q4 rather than q4f16).
      const caps = await lecternBench.detectCapabilities();
      const dtype = lecternBench.dtypeFor(spec, device, caps.shaderF16);
      const rpc = lecternBench.generator();
      const t0 = performance.now();
      const loaded = await rpc.call('load', { spec, device, dtype, runtime });
      const loadMs = performance.now() - t0;
      const messages = lecternBench.buildMessages('How does a Fresnel lens focus the lamp light?', [
        {
          n: 1,
          source: 'lighthouses.md',
          text: 'A Fresnel lens focuses the lamp light into a narrow horizontal beam. Its concentric rings of glass prisms bend the rays that would escape upwards or downwards, so the lens is far thinner and lighter than a solid lens of the same focal length.',
        },
        {
          n: 2,
          source: 'lighthouses.md',
          text: 'The keeper polished the lens every morning and trimmed the wick at dusk. A clockwork drive turned the lens so the beam swept the horizon, and each lighthouse had its own pattern of flashes.',
        },
        {
          n: 3,
          source: 'sourdough.txt',
          text: 'Sourdough bread needs flour, water, salt and a wild yeast starter, fed daily and kept at room temperature until it doubles.',
        },
      ]);
      const promptTokens = await rpc.call('countTokens', { messages });
      const results = [];
      for (let i = 0; i < warmup + runs; i++) {
        const started = performance.now();
        let firstPieceMs = -1;
        const res = await rpc.call(
          'generate',
          { messages, maxNewTokens },
          {
            onProgress: () => {
              if (firstPieceMs < 0) firstPieceMs = performance.now() - started;
            },
          },
        );
        if (i >= warmup)
          results.push({ ...res, pageFirstPieceMs: firstPieceMs, pageTotalMs: performance.now() - started });
      }
      return { loaded, loadMs, promptTokens, results, caps: caps.webgpuNote };
    },
    { device, maxNewTokens: MAX_NEW_TOKENS, warmup: LM_WARMUP, runs: LM_RUNS[device] },
  );
  const runs = r.results;
  // Decode speed excludes the prefill that TTFT already covers; end-to-end speed includes it.
  const decode = runs.map((x) => ((x.tokens - 1) / (x.totalMs - x.firstTokenMs)) * 1000);
  const overall = runs.map((x) => (x.tokens / x.totalMs) * 1000);
  const ttft = stats(runs.map((x) => x.firstTokenMs));
  const p50 = (xs: number[]) => stats(xs).p50_ms;
  emit({
    group: 'browser lm',
    name: `stand-in LM on ${device}`,
    device: r.loaded.device,
    dtype: r.loaded.dtype,
    adapter: device === 'webgpu' ? r.caps : undefined,
    prompt_tokens: r.promptTokens,
    max_new_tokens: MAX_NEW_TOKENS,
    new_tokens: runs[0]!.tokens,
    load_ms: round2(r.loadMs),
    runs: runs.length,
    ttft_p50_ms: ttft.p50_ms,
    ttft_min_ms: ttft.min_ms,
    ttft_max_ms: ttft.max_ms,
    total_p50_ms: stats(runs.map((x) => x.totalMs)).p50_ms,
    page_first_piece_p50_ms: stats(runs.map((x) => x.pageFirstPieceMs)).p50_ms,
    decode_tokens_per_s_p50: round2(p50(decode)),
    tokens_per_s_p50: round2(p50(overall)),
  });
  // Greedy decoding is deterministic: every run writes the same, non-empty text.
  expect(runs[0]!.text.length).toBeGreaterThan(0);
  for (const x of runs) expect(x.text).toBe(runs[0]!.text);
  expect(r.loaded.device).toBe(device);
  expect(external).toEqual([]);
});

// No model runs, so the device does not matter: it runs once, in the wasm project.
test(
  'parse + chunk throughput through the ingest worker (models excluded)',
  { tag: '@device-independent' },
  async ({ page }) => {
    const list = (sub: string, ext: string) =>
      readdirSync(join(SHARED, 'data/docs', sub))
        .filter((f) => f.endsWith(ext))
        .sort()
        .map((f) => ({ path: `${sub}/${f}`, bytes: statSync(join(SHARED, 'data/docs', sub, f)).size }));
    // single_table.pdf is image-only (refused with PDF_NO_TEXT): timed, but not counted as throughput.
    const pdfs = list('pdf', '.pdf');
    const rust = list('markdown/rust-book/src', '.md');
    const external = await openBench(page);
    const r = await page.evaluate(
      async ({ pdfs, rust, base, runs }) => {
        const registryUrl = new URL('/standin/registry.json', location.href);
        const registry = (await (await fetch(registryUrl)).json()) as Registry;
        // The stand-in embedder carries the real bge-small WordPiece tokenizer: chunking costs what it costs in the app.
        const spec = registry.models.find((m): m is EmbedderSpec => m.role === 'embedder')!;
        const runtime = {
          modelBaseUrl: new URL(registry.modelBaseUrl, registryUrl).href,
          wasmBaseUrl: new URL('/ort/', location.href).href,
        };
        const load = async (files: { path: string }[]) =>
          Promise.all(files.map(async (f) => ({ ...f, data: await (await fetch(`${base}${f.path}`)).arrayBuffer() })));
        const [pdfData, rustData] = await Promise.all([load(pdfs), load(rust)]);
        const rpc = lecternBench.ingest();
        const one = async (f: { path: string; data: ArrayBuffer }) => {
          const name = f.path.split('/').pop()!;
          const t = performance.now();
          try {
            const res = await rpc.call('process', {
              bytes: f.data.slice(0),
              name,
              mimeType: '',
              spec,
              runtime,
              maxTokens: 256,
              overlapTokens: 32,
              maxBytes: 200 * 1024 * 1024,
              password: name === 'password.pdf' ? 'password' : undefined,
            });
            return {
              name,
              ms: performance.now() - t,
              pages: res.pageCount ?? 0,
              chunks: res.chunks,
              error: null,
            };
          } catch (err) {
            const code = (err as { code?: string }).code ?? String(err);
            return { name, ms: performance.now() - t, pages: 0, chunks: 0, error: code };
          }
        };
        const pass = async (files: typeof pdfData) => {
          const t = performance.now();
          const per = [];
          for (const f of files) per.push(await one(f));
          return { ms: performance.now() - t, per };
        };
        // Warm-up: the tokenizer and pdf.js load once per worker, as in the app.
        await pass(pdfData.slice(0, 1));
        const pdfRuns = [];
        const rustRuns = [];
        for (let i = 0; i < runs; i++) pdfRuns.push(await pass(pdfData));
        for (let i = 0; i < runs; i++) rustRuns.push(await pass(rustData));
        return { pdfRuns, rustRuns };
      },
      { pdfs, rust, base: DOCS_BASE, runs: INGEST_RUNS },
    );
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const p50 = (xs: number[]) => stats(xs).p50_ms;
    // Throughput over the files that yield text; the refused image-only PDF is listed per file only.
    const counted = (run: (typeof r.pdfRuns)[number]) => run.per.filter((f) => f.error === null);
    const pdfMs = r.pdfRuns.map((run) => sum(counted(run).map((f) => f.ms)));
    const pages = sum(counted(r.pdfRuns[0]!).map((f) => f.pages));
    const pdfBytes = sum(
      pdfs.filter((f) => counted(r.pdfRuns[0]!).some((c) => f.path.endsWith(`/${c.name}`))).map((f) => f.bytes),
    );
    const pagesPerS = pages / (p50(pdfMs) / 1000);
    emit({
      group: 'browser ingest',
      name: 'PDF parse + chunk (ingest worker, pdf.js in its own worker)',
      files: counted(r.pdfRuns[0]!).length,
      pages,
      mb: round2(pdfBytes / 1e6),
      runs: INGEST_RUNS,
      p50_ms: round2(p50(pdfMs)),
      pages_per_s: round2(pagesPerS),
      mb_per_s: round2(pdfBytes / 1e6 / (p50(pdfMs) / 1000)),
      target_pages_per_s: 50,
      meets: pagesPerS >= 50,
    });
    for (const f of r.pdfRuns[0]!.per) {
      const ms = p50(r.pdfRuns.map((run) => run.per.find((x) => x.name === f.name)!.ms));
      emit({
        group: 'browser ingest',
        name: `pdf ${f.name}`,
        pages: f.pages,
        chunks: f.chunks,
        p50_ms: round2(ms),
        ...(f.error ? { error: f.error } : { pages_per_s: round2(f.pages / (ms / 1000)) }),
      });
    }
    const rustMs = r.rustRuns.map((run) => run.ms);
    const rustBytes = sum(rust.map((f) => f.bytes));
    emit({
      group: 'browser ingest',
      name: 'Rust book Markdown parse + chunk',
      files: rust.length,
      chunks: sum(r.rustRuns[0]!.per.map((f) => f.chunks)),
      mb: round2(rustBytes / 1e6),
      runs: INGEST_RUNS,
      p50_ms: round2(p50(rustMs)),
      files_per_s: round2(rust.length / (p50(rustMs) / 1000)),
      mb_per_s: round2(rustBytes / 1e6 / (p50(rustMs) / 1000)),
    });
    // Correctness, not speed: every text PDF and chapter yields chunks; only the image-only PDF is refused.
    for (const run of [...r.pdfRuns, ...r.rustRuns]) {
      for (const f of run.per) {
        if (f.name === 'single_table.pdf') expect(f.error).toBe('PDF_NO_TEXT');
        else expect(f.chunks, `${f.name} (${f.error ?? 'ok'})`).toBeGreaterThan(0);
      }
    }
    expect(external).toEqual([]);
  },
);
