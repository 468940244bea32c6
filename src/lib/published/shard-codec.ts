// One shard file: a magic, a JSON header and typed arrays, 8-byte aligned; reading checks every bound (untrusted bytes).
import { AppError } from '../errors';

const MAGIC = 'LECTSHD1';
const TYPES = { i8: Int8Array, u8: Uint8Array, i32: Int32Array, u32: Uint32Array, f32: Float32Array } as const;
type TypeName = keyof typeof TYPES;
export type ShardArray = Int8Array | Uint8Array | Int32Array | Uint32Array | Float32Array;

interface Header {
  kind: string;
  json: unknown;
  arrays: { name: string; type: TypeName; offset: number; length: number }[];
}

function typeOf(a: ShardArray): TypeName {
  if (a instanceof Int8Array) return 'i8';
  if (a instanceof Uint8Array) return 'u8';
  if (a instanceof Int32Array) return 'i32';
  if (a instanceof Uint32Array) return 'u32';
  return 'f32';
}

const align8 = (n: number) => (n + 7) & ~7;

/** Packs a shard: `json` (any JSON value) and named typed arrays (little-endian, as every browser stores them). */
export function packShard(kind: string, json: unknown, arrays: Record<string, ShardArray> = {}): Uint8Array {
  const entries = Object.entries(arrays);
  let offset = 0;
  const layout = entries.map(([name, a]) => {
    const at = offset;
    offset = align8(offset + a.byteLength);
    return { name, type: typeOf(a), offset: at, length: a.length };
  });
  const header = new TextEncoder().encode(JSON.stringify({ kind, json, arrays: layout } satisfies Header));
  const start = align8(16 + header.length);
  const out = new Uint8Array(start + offset);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 16);
  entries.forEach(([, a], i) =>
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), start + layout[i]!.offset),
  );
  return out;
}

export interface Shard {
  kind: string;
  json: unknown;
  arrays: Record<string, ShardArray>;
}

const bad = (file: string, why: string) => new AppError('PUBLISHED_SHARD_INVALID', undefined, { file, why });

/** Reads a shard of `kind`; anything malformed (a bound, a type, the magic) throws PUBLISHED_SHARD_INVALID. */
export function unpackShard(bytes: Uint8Array, kind: string, file: string): Shard {
  if (bytes.length < 16 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) throw bad(file, 'magic');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (16 + headerLength > bytes.length) throw bad(file, 'header length');
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength))) as Header;
  } catch {
    throw bad(file, 'header');
  }
  if (header?.kind !== kind || !Array.isArray(header.arrays)) throw bad(file, 'kind');
  const start = align8(16 + headerLength);
  // Aligned copies: typed-array views need their element size's alignment, which a fetched buffer slice may lack.
  const body = bytes.slice(start);
  // No prototype: an array named "__proto__" or "constructor" is just a name.
  const arrays: Record<string, ShardArray> = Object.create(null) as Record<string, ShardArray>;
  for (const a of header.arrays as unknown[]) {
    if (typeof a !== 'object' || a === null) throw bad(file, 'array entry');
    const { name, type, offset, length } = a as Header['arrays'][number];
    const Type = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
    if (!Type || typeof name !== 'string' || !Number.isInteger(offset) || !Number.isInteger(length))
      throw bad(file, `array ${String(name)}`);
    if (offset < 0 || length < 0 || offset % 8 !== 0 || offset + length * Type.BYTES_PER_ELEMENT > body.length)
      throw bad(file, `array ${name} bounds`);
    arrays[name] = new Type(body.buffer, offset, length);
  }
  return { kind, json: header.json, arrays };
}

/** The named array of a shard, of the type wanted and, when given, the length; else PUBLISHED_SHARD_INVALID. */
export function arrayOf<T extends ShardArray>(
  shard: Shard,
  name: string,
  Type: new (...args: never[]) => T,
  file: string,
  length?: number,
): T {
  const a = shard.arrays[name];
  if (!(a instanceof Type) || (length !== undefined && a.length !== length)) throw bad(file, `array ${name}`);
  return a;
}
