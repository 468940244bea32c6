// A minimal safetensors reader (8-byte LE header length, JSON header, raw LE data) for ColBERT projection weights.

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range inside the data section, which starts right after the header. */
  dataOffsets: [number, number];
}

export interface Safetensors {
  tensors: Map<string, TensorInfo>;
  metadata: Record<string, string>;
  /** Absolute byte offset of the data section in the buffer. */
  dataStart: number;
  buffer: ArrayBuffer;
}

const BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

function fail(message: string): never {
  throw new Error(`Invalid safetensors file: ${message}`);
}

/** Reads the header and checks every tensor's byte range against its shape; the data is not copied. */
export function parseSafetensors(buffer: ArrayBuffer): Safetensors {
  if (buffer.byteLength < 8) fail('shorter than its 8-byte header length');
  const view = new DataView(buffer);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen > buffer.byteLength - 8) fail(`header length ${headerLen} runs past the end`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, headerLen)));
  } catch {
    fail('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not an object');
  const dataStart = 8 + headerLen;
  const dataLength = buffer.byteLength - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = (raw ?? {}) as Record<string, string>;
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const shape = t.shape;
    const offsets = t.data_offsets;
    if (typeof t.dtype !== 'string') fail(`tensor "${name}" has no dtype`);
    if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
      fail(`tensor "${name}" has a bad shape`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((n) => Number.isInteger(n) && n >= 0) ||
      offsets[0] > offsets[1] ||
      offsets[1] > dataLength
    ) {
      fail(`tensor "${name}" has data offsets outside the file`);
    }
    const size = BYTES[t.dtype as SafetensorsDtype];
    if (size !== undefined) {
      const count = (shape as number[]).reduce((a, b) => a * b, 1);
      if (offsets[1] - offsets[0] !== count * size) fail(`tensor "${name}" byte length does not match its shape`);
    }
    tensors.set(name, { dtype: t.dtype, shape: shape as number[], dataOffsets: [offsets[0], offsets[1]] });
  }
  return { tensors, metadata, dataStart, buffer };
}

/** IEEE 754 half → float. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** One tensor as float32 (F32, F16 and BF16 are widened), read little-endian whatever the platform. */
export function readTensor(file: Safetensors, name: string): { shape: number[]; data: Float32Array } {
  const info = file.tensors.get(name);
  if (!info)
    throw new Error(`The safetensors file has no tensor "${name}" (it has: ${[...file.tensors.keys()].join(', ')}).`);
  const size = BYTES[info.dtype as SafetensorsDtype];
  if (size === undefined)
    throw new Error(`Tensor "${name}" has dtype ${info.dtype}; only F32, F16 and BF16 are supported.`);
  const start = file.dataStart + info.dataOffsets[0];
  const n = (info.dataOffsets[1] - info.dataOffsets[0]) / size;
  const view = new DataView(file.buffer, start, n * size);
  const data = new Float32Array(n);
  if (info.dtype === 'F32') for (let i = 0; i < n; i++) data[i] = view.getFloat32(i * 4, true);
  else if (info.dtype === 'F16') for (let i = 0; i < n; i++) data[i] = halfToFloat(view.getUint16(i * 2, true));
  else {
    // bfloat16 is the top half of a float32.
    const bits = new DataView(new ArrayBuffer(4));
    for (let i = 0; i < n; i++) {
      bits.setUint32(0, view.getUint16(i * 2, true) << 16, true);
      data[i] = bits.getFloat32(0, true);
    }
  }
  return { shape: [...info.shape], data };
}
