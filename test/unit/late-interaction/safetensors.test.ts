// The safetensors reader on hand-built files (F32, F16, BF16, odd alignment, corrupt headers) and the stand-in projection.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseSafetensors, readTensor } from '../../../src/lib/models/late-interaction/safetensors';

/** Builds a safetensors file: 8-byte LE header length, JSON header, then the raw bytes of each tensor in order. */
function build(tensors: Record<string, { dtype: string; shape: number[]; bytes: Uint8Array }>, pad = ''): ArrayBuffer {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let at = 0;
  for (const [name, t] of Object.entries(tensors)) {
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + t.bytes.length] };
    at += t.bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header) + pad);
  const out = new Uint8Array(8 + json.length + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let o = 8 + json.length;
  for (const t of Object.values(tensors)) {
    out.set(t.bytes, o);
    o += t.bytes.length;
  }
  return out.buffer;
}

const le = (values: number[], width: 2 | 4, write: (v: DataView, i: number, x: number) => void) => {
  const bytes = new Uint8Array(values.length * width);
  const view = new DataView(bytes.buffer);
  values.forEach((x, i) => write(view, i * width, x));
  return bytes;
};
const f32 = (v: number[]) => le(v, 4, (d, o, x) => d.setFloat32(o, x, true));
const u16 = (v: number[]) => le(v, 2, (d, o, x) => d.setUint16(o, x, true));

describe('parseSafetensors / readTensor', () => {
  it('reads F32, F16 and BF16 tensors, whatever the data alignment', () => {
    // 1.5 = 0x3e00 in half; −2 = 0xc000; 65504 = 0x7bff (largest half); 2^−24 = 0x0001 (smallest subnormal).
    // bfloat16 is the top 16 bits of a float32: 1.5 = 0x3fc0, −0.375 = 0xbec0.
    const tensors = {
      w: { dtype: 'F32', shape: [2, 3], bytes: f32([1, -2, 0.5, 3.25, 0, -1e-3]) },
      h: { dtype: 'F16', shape: [4], bytes: u16([0x3e00, 0xc000, 0x7bff, 0x0001]) },
      b: { dtype: 'BF16', shape: [2], bytes: u16([0x3fc0, 0xbec0]) },
    };
    // Header padding moves the data section through every alignment mod 4.
    const starts = new Set<number>();
    for (const pad of ['', ' ', '  ', '   ']) {
      const file = parseSafetensors(build(tensors, pad));
      starts.add(file.dataStart % 4);
      expect(file.metadata).toEqual({ format: 'pt' });
      expect([...file.tensors.keys()]).toEqual(['w', 'h', 'b']);
      const w = readTensor(file, 'w');
      expect(w.shape).toEqual([2, 3]);
      expect([...w.data]).toEqual([...Float32Array.from([1, -2, 0.5, 3.25, 0, -1e-3])]);
      expect([...readTensor(file, 'h').data]).toEqual([1.5, -2, 65504, 2 ** -24]);
      expect([...readTensor(file, 'b').data]).toEqual([1.5, -0.375]);
    }
    expect(starts.size).toBe(4);
  });

  it('rejects truncated files, bad JSON, offsets past the end and lengths that do not match the shape', () => {
    expect(() => parseSafetensors(new ArrayBuffer(4))).toThrow(/8-byte/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1000n, true);
    expect(() => parseSafetensors(huge.buffer)).toThrow(/runs past the end/);
    const notJson = new Uint8Array(8 + 3);
    new DataView(notJson.buffer).setBigUint64(0, 3n, true);
    notJson.set(new TextEncoder().encode('{x:'), 8);
    expect(() => parseSafetensors(notJson.buffer)).toThrow(/not JSON/);
    const short = build({ w: { dtype: 'F32', shape: [3], bytes: f32([1, 2]) } });
    expect(() => parseSafetensors(short)).toThrow(/does not match its shape/);
    const past = new Uint8Array(build({ w: { dtype: 'F32', shape: [2], bytes: f32([1, 2]) } }));
    expect(() => parseSafetensors(past.slice(0, past.length - 4).buffer)).toThrow(/outside the file/);
  });

  it('names the missing tensor and refuses dtypes it cannot widen', () => {
    const file = parseSafetensors(
      build({
        w: { dtype: 'F32', shape: [1], bytes: f32([1]) },
        i: { dtype: 'I64', shape: [1], bytes: new Uint8Array(8) },
      }),
    );
    expect(() => readTensor(file, 'linear.weight')).toThrow(/no tensor "linear.weight".*w, i/);
    expect(() => readTensor(file, 'i')).toThrow(/I64/);
  });

  it('reads the stand-in ColBERT projection as a [32, 64] F32 weight', () => {
    const path = new URL('../../fixtures/models/lectern-standin/colbert/1_Dense/model.safetensors', import.meta.url);
    if (!existsSync(path)) throw new Error('Stand-in models are missing: run `npm run standin` first.');
    const bytes = readFileSync(path);
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const w = readTensor(parseSafetensors(buf), 'linear.weight');
    expect(w.shape).toEqual([32, 64]);
    expect(w.data.length).toBe(32 * 64);
    expect(w.data.every(Number.isFinite)).toBe(true);
  });
});
