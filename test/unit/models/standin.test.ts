// The generated stand-in models, run with onnxruntime-web in Node: hub layout, I/O names, shapes, behaviour.
import { existsSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { validateRegistry } from '../../../src/lib/config/registry';
import type { LateInteractionSpec } from '../../../src/lib/config/registry-types';

const ROOT = new URL('../../fixtures/models/lectern-standin/', import.meta.url);
const file = (rel: string) => new URL(rel, ROOT);
const json = (rel: string) => JSON.parse(readFileSync(file(rel), 'utf8')) as Record<string, unknown>;

let vocab: Map<string, number>;
const ids = (words: string[]) => BigInt64Array.from([101, ...words.map((w) => vocab.get(w) ?? 100), 102].map(BigInt));
const i64 = (data: BigInt64Array, dims: number[]) => new ort.Tensor('int64', data, dims);

beforeAll(() => {
  if (!existsSync(file('bert-embedder/onnx/model.onnx'))) {
    throw new Error('Stand-in models are missing: run `npm run standin` first.');
  }
  ort.env.wasm.numThreads = 1;
  const words = JSON.parse(readFileSync(file('bert-embedder/tokenizer.json'), 'utf8')) as {
    model: { vocab: Record<string, number> };
  };
  vocab = new Map(Object.entries(words.model.vocab));
});

async function encode(model: string, words: string[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(readFileSync(file(`${model}/onnx/model.onnx`)));
  const input = ids(words);
  const n = input.length;
  const out = await session.run({
    input_ids: i64(input, [1, n]),
    attention_mask: i64(new BigInt64Array(n).fill(1n), [1, n]),
    token_type_ids: i64(new BigInt64Array(n), [1, n]),
  });
  const t = out.last_hidden_state!;
  return { data: t.data as Float32Array, dims: t.dims };
}

function meanUnit(data: Float32Array, tokens: number, dims: number): Float32Array {
  const v = new Float32Array(dims);
  for (let t = 0; t < tokens; t++) for (let d = 0; d < dims; d++) v[d]! += data[t * dims + d]!;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('stand-in models', () => {
  it('are described by a valid registry in the hub layout', () => {
    const reg = validateRegistry(
      JSON.parse(readFileSync(new URL('../../fixtures/standin/registry.json', import.meta.url), 'utf8')),
      'http://localhost/standin/registry.json',
    );
    for (const m of reg.models) {
      for (const f of [
        'config.json',
        'tokenizer.json',
        'tokenizer_config.json',
        'special_tokens_map.json',
        'onnx/model.onnx',
      ]) {
        expect(existsSync(file(`${m.id.split('/')[1]}/${f}`)), `${m.id} ${f}`).toBe(true);
      }
      const suffix = { fp32: '', q4: '_q4', q4f16: '_q4f16' } as Record<string, string>;
      for (const dtype of Object.values(m.dtype)) {
        expect(
          existsSync(file(`${m.id.split('/')[1]}/onnx/model${suffix[dtype] ?? `_${dtype}`}.onnx`)),
          `${m.id} ${dtype}`,
        ).toBe(true);
      }
    }
  });

  it('embedder: last_hidden_state [batch, seq, 64], and shared words embed closer than unrelated ones', async () => {
    const a = await encode('bert-embedder', ['the', 'lighthouse', 'lens', 'focuses', 'light']);
    expect(a.dims).toEqual([1, 7, 64]);
    const b = await encode('bert-embedder', ['a', 'lighthouse', 'lens', 'at', 'night']);
    const c = await encode('bert-embedder', ['sourdough', 'bread', 'needs', 'flour']);
    const [ea, eb, ec] = [meanUnit(a.data, 7, 64), meanUnit(b.data, 7, 64), meanUnit(c.data, 6, 64)];
    expect(dot(ea, eb)).toBeGreaterThan(dot(ea, ec) + 0.3);
  });

  it('colbert: 64-d hidden states, a [32, 64] safetensors projection, and token identity survives it', async () => {
    const spec = validateRegistry(
      JSON.parse(readFileSync(new URL('../../fixtures/standin/registry.json', import.meta.url), 'utf8')),
    ).models.find((m): m is LateInteractionSpec => m.role === 'late-interaction')!;
    const buf = readFileSync(file(`colbert/${spec.projection!.file}`));
    const headerLen = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<
      string,
      { shape: number[]; dtype: string; data_offsets: [number, number] }
    >;
    const w = header[spec.projection!.tensor]!;
    expect(w.shape).toEqual([spec.dims, spec.hiddenSize]);
    expect(w.dtype).toBe('F32');
    const weights = new Float32Array(
      buf.buffer.slice(
        buf.byteOffset + 8 + headerLen + w.data_offsets[0],
        buf.byteOffset + 8 + headerLen + w.data_offsets[1],
      ),
    );
    const project = (row: Float32Array) => {
      const out = new Float32Array(spec.dims);
      for (let o = 0; o < spec.dims; o++)
        for (let i = 0; i < spec.hiddenSize; i++) out[o]! += weights[o * spec.hiddenSize + i]! * row[i]!;
      const n = Math.hypot(...out);
      return out.map((x) => x / n);
    };
    const q = await encode('colbert', ['lighthouse', 'lens']);
    const d = await encode('colbert', ['keepers', 'polished', 'the', 'lighthouse', 'lens', 'daily']);
    expect(q.dims).toEqual([1, 4, 64]);
    const rows = (t: { data: Float32Array }, n: number) =>
      Array.from({ length: n }, (_, i) => project(t.data.subarray(i * 64, (i + 1) * 64)));
    const [qr, dr] = [rows(q, 4), rows(d, 8)];
    // query "lighthouse" (position 1) best-matches document "lighthouse" (position 4); "lens" 2 -> 5
    const best = (v: Float32Array) => dr.map((r) => dot(v, r)).reduce((bi, s, i, all) => (s > all[bi]! ? i : bi), 0);
    expect(best(qr[1]!)).toBe(4);
    expect(best(qr[2]!)).toBe(5);
  });

  it('lm: a qwen2 decoder with a KV cache in the transformers.js v4 layout', async () => {
    const config = json('lm/config.json') as {
      num_hidden_layers: number;
      num_key_value_heads: number;
      head_dim: number;
      vocab_size: number;
    };
    const session = await ort.InferenceSession.create(readFileSync(file('lm/onnx/model.onnx')));
    const layers = config.num_hidden_layers;
    expect(session.inputNames).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      ...Array.from({ length: layers }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat(),
    ]);
    expect(session.outputNames).toEqual([
      'logits',
      ...Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]).flat(),
    ]);
    const kv = (past: number) =>
      Object.fromEntries(
        Array.from({ length: layers }, (_, i) =>
          ['key', 'value'].map((k) => [
            `past_key_values.${i}.${k}`,
            new ort.Tensor('float32', new Float32Array(config.num_key_value_heads * past * config.head_dim), [
              1,
              config.num_key_value_heads,
              past,
              config.head_dim,
            ]),
          ]),
        ).flat(),
      );
    const run = (tokens: number[], past: number, cache: Record<string, ort.Tensor>) =>
      session.run({
        input_ids: i64(BigInt64Array.from(tokens.map(BigInt)), [1, tokens.length]),
        attention_mask: i64(new BigInt64Array(past + tokens.length).fill(1n), [1, past + tokens.length]),
        position_ids: i64(BigInt64Array.from(tokens.map((_, i) => BigInt(past + i))), [1, tokens.length]),
        ...cache,
      });
    const prompt = [30522, 3353, 2054, 2003];
    const full = await run(prompt, 0, kv(0));
    expect(full.logits!.dims).toEqual([1, 4, config.vocab_size]);
    expect(full['present.0.key']!.dims).toEqual([1, config.num_key_value_heads, 4, config.head_dim]);
    // Feeding the last token with the cache of the first three gives the same last-step logits.
    const head = await run(prompt.slice(0, 3), 0, kv(0));
    const cache = Object.fromEntries(
      Array.from({ length: layers }, (_, i) =>
        ['key', 'value'].map((k) => [`past_key_values.${i}.${k}`, head[`present.${i}.${k}`]!]),
      ).flat(),
    );
    const step = await run(prompt.slice(3), 3, cache);
    expect(step['present.1.value']!.dims).toEqual([1, config.num_key_value_heads, 4, config.head_dim]);
    const last = (full.logits!.data as Float32Array).subarray(3 * config.vocab_size);
    const stepLogits = step.logits!.data as Float32Array;
    let maxDiff = 0;
    for (let i = 0; i < config.vocab_size; i++) maxDiff = Math.max(maxDiff, Math.abs(last[i]! - stepLogits[i]!));
    expect(maxDiff).toBeLessThan(1e-3);
  });

  it('lm: has a ChatML chat template and stops on <|im_end|>', () => {
    const tc = json('lm/tokenizer_config.json') as { chat_template: string; eos_token: string };
    expect(tc.chat_template).toContain('<|im_start|>');
    expect(tc.eos_token).toBe('<|im_end|>');
    const gen = json('lm/generation_config.json') as { eos_token_id: number | number[] };
    expect([gen.eos_token_id].flat()).toContain((json('lm/config.json') as { eos_token_id: number }).eos_token_id);
  });
});
