// A tiny ZIP writer for tests (stored or deflated entries, sizes that may lie), free of vitest so e2e specs can use it.
import { deflateRawSync } from 'node:zlib';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

export interface ZipFile {
  name: string;
  data: Uint8Array;
  /** Lie about the inflated size in the central directory (zip-bomb tests). */
  claimedSize?: number;
  /** Store the entry deflated (method 8) instead of as is. */
  deflate?: boolean;
}

/** Writes a ZIP with stored (or, per entry, deflated) entries. */
export function makeZip(files: ZipFile[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const u16 = (v: number) => [v & 0xff, (v >>> 8) & 0xff];
  const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  for (const f of files) {
    const name = utf8(f.name);
    const crc = crc32(f.data);
    const body = f.deflate ? new Uint8Array(deflateRawSync(f.data)) : f.data;
    const method = f.deflate ? 8 : 0;
    const size = f.data.length;
    const local = Uint8Array.from([
      ...u32(0x04034b50),
      ...u16(20),
      ...u16(0),
      ...u16(method),
      ...u16(0),
      ...u16(0),
      ...u32(crc),
      ...u32(body.length),
      ...u32(size),
      ...u16(name.length),
      ...u16(0),
      ...name,
    ]);
    chunks.push(local, body);
    central.push(
      Uint8Array.from([
        ...u32(0x02014b50),
        ...u16(20),
        ...u16(20),
        ...u16(0),
        ...u16(method),
        ...u16(0),
        ...u16(0),
        ...u32(crc),
        ...u32(body.length),
        ...u32(f.claimedSize ?? size),
        ...u16(name.length),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u16(0),
        ...u32(0),
        ...u32(offset),
        ...name,
      ]),
    );
    offset += local.length + body.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = Uint8Array.from([
    ...u32(0x06054b50),
    ...u16(0),
    ...u16(0),
    ...u16(files.length),
    ...u16(files.length),
    ...u32(cdSize),
    ...u32(offset),
    ...u16(0),
  ]);
  const all = [...chunks, ...central, end];
  const out = new Uint8Array(all.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of all) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
