// Real-model figures (npm run models:real): all-MiniLM-L6-v2 passages/s by batch and SmolLM2-135M TTFT + tokens/s.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, join } from 'node:path';
import { expect, test } from '@playwright/test';
import type { EmbedderSpec, GeneratorSpec, Registry } from '../../../src/lib/config/registry-types';
import type { GenerateResult } from '../../../src/lib/models/generator/types';
import type { Harness } from '../../e2e/harness/harness';
import { ROOT } from './bundle';
import { openBench, SHARED } from './open-bench';
import type { Bench } from './page';
import { emit, round2, stats } from '../report';

declare const lectern: Harness;
declare const lecternBench: Bench;

type Device = 'wasm' | 'webgpu';

const REAL_MODELS = join(ROOT, 'test/fixtures/real-models/models');
const EMBEDDER_ID = 'Xenova/all-MiniLM-L6-v2';
const GENERATOR_ID = 'HuggingFaceTB/SmolLM2-135M-Instruct';
const CORPUS = join(SHARED, 'data/scifact/corpus.jsonl');

// Embedder passages: SciFact abstracts in corpus order, kept when the embedder's own tokenizer gives them 180–230
// tokens (with [CLS]/[SEP]), so none is truncated at the model's 256 and batches pad little.
const CANDIDATES = 400;
const PASSAGE_TOKENS = { min: 180, max: 230 };
const POOL = 32;
const BATCHES = [1, 8, 32] as const;
// The app's embedder splits every embed() call into model batches of this many texts (BATCH in
// src/lib/models/embedder/transformers-embedder.ts): a 32-text call runs as two model batches of 16.
const EMBEDDER_MODEL_BATCH = 16;
/**
 * Per device: passages a batch-1 round embeds (a batch-b round embeds max(b, this)), rounds (interleaved across batch
 * sizes), and a time budget. Batch 1 always runs; a larger batch runs only if, at the batch-1 rate measured in this
 * run, its warm-up call and rounds fit in what is left of the budget, and is printed as skipped otherwise. SwiftShader
 * runs fp32 MiniLM at about a minute a passage on 2 busy cores, so there it gets two passages and one round.
 */
const EMBED: Record<Device, { passages: number; rounds: number; budgetS: number }> = {
  wasm: { passages: POOL, rounds: 3, budgetS: 240 },
  webgpu: { passages: 2, rounds: 1, budgetS: 240 },
};

// LM: a grounded prompt of SciFact abstracts grown (the last one trimmed by words) to this many prompt tokens by
// SmolLM2's own tokenizer and chat template; greedy. A short chat with two new tokens comes first: it warms the model
// up (kernels compiled, buffers allocated), and a second one, the probe, gives prefill and decode rates that predict
// the long run. Where the warm-up alone took over PROBE_AGAIN_MS (SwiftShader: minutes), it serves as the probe
// (an overestimate: first-call costs count too). If the estimate of one timed run exceeds maxRunS (SwiftShader: by
// far, at ~50 s a token), the figure is printed as skipped with the probe's figures and the estimate, and the stand-in
// baseline is not run either; otherwise timed runs follow while budgetS lasts (at least one).
const LM_PROMPT_TOKENS = 1500;
const LM_QUESTION = 'What do these studies find? Summarise each passage in one or two sentences, citing it.';
const LM_PROBE = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'Name a colour.' },
];
const LM_PROBE_TOKENS = 2;
const PROBE_AGAIN_MS = 30_000;
const LM: Record<Device, { newTokens: number; runs: number; maxRunS: number; budgetS: number }> = {
  wasm: { newTokens: 32, runs: 3, maxRunS: 420, budgetS: 240 },
  webgpu: { newTokens: 16, runs: 1, maxRunS: 420, budgetS: 240 },
};

interface Abstract {
  id: string;
  text: string;
}

function abstracts(n: number): Abstract[] {
  return readFileSync(CORPUS, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .slice(0, n)
    .map((l) => {
      const o = JSON.parse(l) as { _id: string; text: string };
      return { id: o._id, text: o.text };
    });
}

/**
 * Which models:real build was measured (its cache folder is named by the hash of its inputs), and the machine's state
 * when a figure is printed: these runs share their cores with whatever else is running.
 */
function context(): Record<string, unknown> {
  return {
    models_real: basename(realpathSync(join(REAL_MODELS, '..'))),
    cores: cpus().length,
    load_avg_1m: round2(loadavg()[0]!),
  };
}

/** Fails the test when the real models are missing (`npm run bench:browser` makes them first). */
function requireRealModels(): void {
  const missing = [EMBEDDER_ID, GENERATOR_ID].filter((id) => !existsSync(join(REAL_MODELS, id, 'config.json')));
  if (missing.length) throw new Error(`real models missing (${missing.join(', ')}): run \`npm run models:real\``);
}

test('real embedder: passages/s at batch 1, 8 and 32 through the embedder worker', async ({ page }, testInfo) => {
  const device = testInfo.project.metadata.device as Device;
  const group = 'browser real embedder';
  const nameOf = (b: number) => `all-MiniLM-L6-v2 on ${device}, batch ${b}${b === 1 ? ' (baseline)' : ''}`;
  requireRealModels();
  test.setTimeout(600_000);
  const cfg = EMBED[device];
  const external = await openBench(page);
  const r = await page.evaluate(
    async ({ device, candidates, tokens, pool, batches, cfg }) => {
      const registryUrl = new URL('/real/registry.json', location.href);
      const registry = (await (await fetch(registryUrl)).json()) as Registry;
      const spec = registry.models.find((m): m is EmbedderSpec => m.role === 'embedder')!;
      const runtime = {
        modelBaseUrl: new URL(registry.modelBaseUrl, registryUrl).href,
        wasmBaseUrl: new URL('/ort/', location.href).href,
      };
      const caps = await lecternBench.detectCapabilities();
      const dtype = lecternBench.dtypeFor(spec, device, caps.shaderF16);
      const rpc = lectern.embedder();
      const t0 = performance.now();
      // As the app loads it: on WebGPU the self-test against WASM decides the device actually used.
      const loaded = await rpc.call('load', { spec, device, dtype, runtime, selfTest: device === 'webgpu' });
      const loadMs = performance.now() - t0;
      // countTokens leaves out the special tokens; the model sees [CLS] … [SEP].
      const counts = (await rpc.call('countTokens', { texts: candidates.map((c) => c.text) })).map((n) => n + 2);
      const chosen = candidates
        .map((c, i) => ({ ...c, tokens: counts[i]! }))
        .filter((c) => c.tokens >= tokens.min && c.tokens <= tokens.max)
        .slice(0, pool);
      const texts = chosen.map((c) => c.text);
      const dims = spec.dims;
      // A batch-b round: the first max(b, cfg.passages) passages of the pool, in calls of b texts.
      const perRound = (b: number) => Math.min(texts.length, Math.ceil(Math.max(b, cfg.passages) / b) * b);
      const ms: Record<number, number[]> = Object.fromEntries(batches.map((b) => [b, []]));
      const firstVectors: Record<number, Float32Array> = {};
      const round = async (b: number) => {
        const n = perRound(b);
        const out = new Float32Array(n * dims);
        const start = performance.now();
        for (let i = 0; i < n; i += b)
          out.set(await rpc.call('embed', { texts: texts.slice(i, i + b), kind: 'document' }), i * dims);
        ms[b]!.push(performance.now() - start);
        firstVectors[b] ??= out;
      };
      const warmUp = (b: number) => rpc.call('embed', { texts: texts.slice(0, b), kind: 'document' });
      // Batch 1 first: its rate decides which larger batches fit in the budget.
      const started = performance.now();
      const budgetMs = cfg.budgetS * 1000;
      await warmUp(1);
      await round(1);
      const msPerPassage = ms[1]![0]! / perRound(1);
      const admitted = [1];
      const skipped: Record<number, string> = {};
      let planned = performance.now() - started;
      for (const b of batches.filter((x) => x !== 1)) {
        const estimate = msPerPassage * (b + cfg.rounds * perRound(b)) + msPerPassage * perRound(1) * (cfg.rounds - 1);
        if (planned + estimate > budgetMs) {
          skipped[b] =
            `at the batch-1 rate measured here (${(msPerPassage / 1000).toFixed(2)} s a passage), a batch-${b} warm-up ` +
            `call and ${cfg.rounds} round(s) of ${perRound(b)} passages would need ≈ ${Math.round(estimate / 1000)} s ` +
            `more; the ${cfg.budgetS} s budget has ${Math.max(0, Math.round((budgetMs - planned) / 1000))} s left`;
        } else {
          admitted.push(b);
          planned += estimate;
        }
      }
      for (const b of admitted.slice(1)) await warmUp(b);
      // Interleaved rounds, so every batch size sees the same machine load.
      for (let i = 0; i < cfg.rounds; i++) {
        for (const b of admitted) if (ms[b]!.length <= i) await round(b);
      }
      // Correctness, not speed: a passage's vector must not depend much on the batch it was embedded in.
      const minCosine: Record<number, number> = {};
      for (const b of admitted) {
        const n = Math.min(perRound(b), perRound(1));
        let min = 1;
        for (let p = 0; p < n; p++) {
          let dot = 0;
          for (let j = 0; j < dims; j++) dot += firstVectors[1]![p * dims + j]! * firstVectors[b]![p * dims + j]!;
          min = Math.min(min, dot);
        }
        minCosine[b] = min;
      }
      return {
        loaded,
        loadMs,
        caps: caps.webgpuNote,
        crossOriginIsolated,
        passageTokens: chosen.map((c) => c.tokens),
        perRound: Object.fromEntries(batches.map((b) => [b, perRound(b)])),
        ms,
        skipped,
        minCosine,
      };
    },
    {
      device,
      candidates: abstracts(CANDIDATES),
      tokens: PASSAGE_TOKENS,
      pool: POOL,
      batches: [...BATCHES],
      cfg,
    },
  );
  expect(r.passageTokens.length, 'enough SciFact abstracts of 180–230 tokens').toBe(POOL);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const fields = {
    model: EMBEDDER_ID,
    requested_device: device,
    device: r.loaded.device,
    dtype: r.loaded.dtype,
    adapter: device === 'webgpu' ? r.caps : undefined,
    self_test_cosine: r.loaded.selfTestCosine ?? undefined,
    // Not cross-origin isolated (neither is the app's own server): ONNX Runtime runs WASM on one thread.
    wasm_threads: r.crossOriginIsolated ? 'default' : 1,
    load_ms: round2(r.loadMs),
    corpus: 'SciFact abstracts',
    passage_tokens_mean: round2(sum(r.passageTokens) / r.passageTokens.length),
    passage_tokens_range: `${Math.min(...r.passageTokens)}-${Math.max(...r.passageTokens)}`,
    ...context(),
  };
  // Passages/s from the median round; the baseline is batch 1 in this same test (same page, worker and passages).
  const pps = (b: number) => r.perRound[b]! / (stats(r.ms[b]!).p50_ms / 1000);
  for (const b of BATCHES) {
    const common = { group, name: nameOf(b), ...fields, batch: b, model_batch: Math.min(b, EMBEDDER_MODEL_BATCH) };
    if (r.skipped[b]) {
      emit({ ...common, skipped: r.skipped[b] });
      continue;
    }
    const s = stats(r.ms[b]!);
    emit({
      ...common,
      passages_per_round: r.perRound[b],
      embed_calls_per_round: r.perRound[b]! / b,
      rounds: s.samples,
      round_p50_ms: s.p50_ms,
      round_min_ms: s.min_ms,
      round_max_ms: s.max_ms,
      passages_per_s: round2(pps(b)),
      ...(b === 1 ? {} : { speedup_vs_batch1_p50: round2(pps(b) / pps(1)) }),
      min_cosine_vs_batch1: Number(r.minCosine[b]!.toFixed(5)),
    });
  }
  // q8 quantizes activations per tensor, so the batch a passage shares moves its vector slightly (≈ 0.99 cosine);
  // anything lower would be a padding or pooling bug.
  for (const [b, cos] of Object.entries(r.minCosine))
    expect(cos, `batch ${b} vectors ≈ batch 1's`).toBeGreaterThan(0.98);
  expect(external).toEqual([]);
});

test('real LM: TTFT and tokens/s for a ~1,500-token prompt, stand-in LM as baseline', async ({ page }, testInfo) => {
  const device = testInfo.project.metadata.device as Device;
  const group = 'browser real lm';
  const realName = `SmolLM2-135M-Instruct on ${device}`;
  const standinName = `stand-in LM on ${device}, same prompt (baseline)`;
  requireRealModels();
  test.setTimeout(600_000);
  const cfg = LM[device];
  const external = await openBench(page);
  const r = await page.evaluate(
    async ({ device, passages, question, target, probe, probeTokens, probeAgainMs, cfg }) => {
      const load = async (set: 'real' | 'standin') => {
        const registryUrl = new URL(`/${set}/registry.json`, location.href);
        const registry = (await (await fetch(registryUrl)).json()) as Registry;
        const spec = registry.models.find((m): m is GeneratorSpec => m.role === 'generator')!;
        const runtime = {
          modelBaseUrl: new URL(registry.modelBaseUrl, registryUrl).href,
          wasmBaseUrl: new URL('/ort/', location.href).href,
        };
        // The app's choice: q4 on wasm; q4f16 on WebGPU, or q4 where the adapter lacks shader-f16 (SwiftShader).
        const caps = await lecternBench.detectCapabilities();
        const dtype = lecternBench.dtypeFor(spec, device, caps.shaderF16);
        const rpc = lecternBench.generator();
        const t0 = performance.now();
        const loaded = await rpc.call('load', { spec, device, dtype, runtime });
        return { rpc, loaded, loadMs: performance.now() - t0, caps: caps.webgpuNote };
      };
      const real = await load('real');
      // Grow the prompt passage by passage, then trim the last one by words so the real tokenizer counts ≤ target.
      type P = { n: number; source: string; text: string };
      const msgs = (ps: P[]) => lecternBench.buildMessages(question, ps);
      const count = (ps: P[]) => real.rpc.call('countTokens', { messages: msgs(ps) });
      const chosen: P[] = [];
      for (const [i, p] of passages.entries()) {
        const next = { n: i + 1, source: `scifact-${p.id}.txt`, text: p.text };
        if ((await count([...chosen, next])) <= target) {
          chosen.push(next);
          continue;
        }
        const words = p.text.split(' ');
        let lo = 0;
        let hi = words.length;
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2);
          if ((await count([...chosen, { ...next, text: words.slice(0, mid).join(' ') }])) <= target) lo = mid;
          else hi = mid - 1;
        }
        if (lo > 0) chosen.push({ ...next, text: words.slice(0, lo).join(' ') });
        break;
      }
      const messages = msgs(chosen);
      type Lm = typeof real;
      const measure = async (lm: Lm, promptTokens: number) => {
        const probeTokensIn = await lm.rpc.call('countTokens', { messages: probe });
        const short = () => lm.rpc.call('generate', { messages: probe, maxNewTokens: probeTokens });
        const warm = await short();
        const firstCall = warm.totalMs > probeAgainMs;
        const p = firstCall ? warm : await short();
        const prefillPerS = probeTokensIn / (p.firstTokenMs / 1000);
        const decodePerS = p.tokens > 1 ? (p.tokens - 1) / ((p.totalMs - p.firstTokenMs) / 1000) : NaN;
        // Rough: first-call costs inflate it, while attention over a longer prompt makes the real run slower still.
        const estimateS = promptTokens / prefillPerS + (cfg.newTokens - 1) / (decodePerS || prefillPerS);
        const probeFigures = {
          probe_prompt_tokens: probeTokensIn,
          probe_is_first_call: firstCall,
          probe_ttft_ms: Math.round(p.firstTokenMs),
          probe_prefill_tokens_per_s: Math.round(prefillPerS * 100) / 100,
          probe_decode_tokens_per_s: Math.round(decodePerS * 100) / 100,
          estimated_run_s: Math.round(estimateS),
        };
        if (estimateS > cfg.maxRunS) {
          const skipped =
            `a short-chat probe here prefilled ${prefillPerS.toFixed(1)} tokens/s and decoded ${decodePerS.toFixed(2)} ` +
            `tokens/s, so one ${promptTokens}-token prompt + ${cfg.newTokens} new tokens would take ≈ ` +
            `${Math.round(estimateS)} s, over the ${cfg.maxRunS} s limit for one run`;
          return { runs: [], probeFigures, skipped };
        }
        // Another run only if one more, as long as the last, still ends inside the budget.
        const runs: GenerateResult[] = [];
        const started = performance.now();
        const fits = () => performance.now() - started + runs.at(-1)!.totalMs <= cfg.budgetS * 1000;
        while (runs.length < cfg.runs && (runs.length === 0 || fits())) {
          runs.push(await lm.rpc.call('generate', { messages, maxNewTokens: cfg.newTokens }));
        }
        return { runs, probeFigures, skipped: null };
      };
      const realPromptTokens = await count(chosen);
      const realResult = await measure(real, realPromptTokens);
      const base = { caps: real.caps, passages: chosen.length };
      const realOut = { loaded: real.loaded, loadMs: real.loadMs, promptTokens: realPromptTokens, ...realResult };
      if (realResult.skipped) return { ...base, real: realOut, standin: null };
      const standin = await load('standin');
      const standinPromptTokens = await standin.rpc.call('countTokens', { messages });
      const standinResult = await measure(standin, standinPromptTokens);
      return {
        ...base,
        real: realOut,
        standin: {
          loaded: standin.loaded,
          loadMs: standin.loadMs,
          promptTokens: standinPromptTokens,
          ...standinResult,
        },
      };
    },
    {
      device,
      passages: abstracts(40),
      question: LM_QUESTION,
      target: LM_PROMPT_TOKENS,
      probe: LM_PROBE,
      probeTokens: LM_PROBE_TOKENS,
      probeAgainMs: PROBE_AGAIN_MS,
      cfg,
    },
  );
  type Measured = NonNullable<typeof r.standin>;
  const p50 = (xs: number[]) => stats(xs).p50_ms;
  // Decode speed excludes the prefill that TTFT already covers; end-to-end speed includes it.
  const figures = (m: Measured) => ({
    ttft: p50(m.runs.map((x) => x.firstTokenMs)),
    decode: p50(m.runs.filter((x) => x.tokens > 1).map((x) => ((x.tokens - 1) / (x.totalMs - x.firstTokenMs)) * 1000)),
    overall: p50(m.runs.map((x) => (x.tokens / x.totalMs) * 1000)),
  });
  const fields = (m: Measured) => ({
    device: m.loaded.device,
    dtype: m.loaded.dtype,
    adapter: device === 'webgpu' ? r.caps : undefined,
    prompt_tokens: m.promptTokens,
    prompt_passages: r.passages,
    max_new_tokens: cfg.newTokens,
    load_ms: round2(m.loadMs),
    ...m.probeFigures,
    ...context(),
  });
  const timed = (m: Measured, f: ReturnType<typeof figures>) => ({
    new_tokens: m.runs.map((x) => x.tokens).join(','),
    runs: m.runs.length,
    ttft_p50_ms: round2(f.ttft),
    ttft_min_ms: round2(Math.min(...m.runs.map((x) => x.firstTokenMs))),
    total_p50_ms: round2(p50(m.runs.map((x) => x.totalMs))),
    // TTFT is the prefill plus one decode step: prompt tokens ÷ TTFT slightly underestimates prefill speed.
    prefill_tokens_per_s_p50: round2(m.promptTokens / (f.ttft / 1000)),
    decode_tokens_per_s_p50: round2(f.decode),
    tokens_per_s_p50: round2(f.overall),
  });
  const real = r.real.skipped ? null : figures(r.real);
  const standin = r.standin && !r.standin.skipped ? figures(r.standin) : null;
  if (!r.standin) {
    emit({ group, name: standinName, skipped: `not run: it is the baseline of ${realName}, which was skipped` });
  } else {
    emit({
      group,
      name: standinName,
      model: 'lectern-standin/lm',
      ...fields(r.standin),
      prompt_tokens_by: 'the stand-in tokenizer (WordPiece)',
      ...(standin ? timed(r.standin, standin) : { skipped: r.standin.skipped }),
    });
  }
  emit({
    group,
    name: realName,
    model: GENERATOR_ID,
    ...fields(r.real),
    ...(real ? timed(r.real, real) : { skipped: r.real.skipped }),
    // > 1: the real model is faster than the stand-in; < 1: slower (stand-in ÷ real time, real ÷ stand-in rate).
    ...(real && standin
      ? {
          speedup_vs_standin_ttft_p50: round2(standin.ttft / real.ttft),
          speedup_vs_standin_decode_p50: round2(real.decode / standin.decode),
        }
      : {}),
    ...(real ? { text_head: r.real.runs[0]!.text.slice(0, 60) } : {}),
  });
  // Correctness, not speed: the prompt is the size asked for, and greedy decoding writes the same text every run.
  expect(r.real.promptTokens).toBeGreaterThan(LM_PROMPT_TOKENS - 100);
  expect(r.real.promptTokens).toBeLessThanOrEqual(LM_PROMPT_TOKENS);
  expect(r.real.loaded.device).toBe(device);
  for (const x of r.real.runs) expect(x.text).toBe(r.real.runs[0]!.text);
  if (r.real.runs.length > 0) expect(r.real.runs[0]!.tokens).toBeGreaterThan(1);
  expect(external).toEqual([]);
});
