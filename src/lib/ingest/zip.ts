// Reads a ZIP central directory (names and declared sizes) without inflating anything, to vet archives first.
import { causeOf } from '../errors';

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Bit 0 of the general-purpose flags: the entry is encrypted. */
  encrypted: boolean;
  /** 0 stored, 8 deflate (others are not inflated here). */
  method: number;
  /** Where the entry's local header starts. */
  localOffset: number;
}

export class ZipFormatError extends Error {
  override name = 'ZipFormatError';
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;

export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    (bytes[2] === 3 || bytes[2] === 5) &&
    (bytes[3] === 4 || bytes[3] === 6)
  );
}

function u64(view: DataView, at: number): number {
  // Sizes beyond 2^53 are absurd for our purposes; Number keeps the comparison meaningful anyway.
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

/** Lists the entries of a ZIP archive from its central directory; throws ZipFormatError when it has none. */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const need = (at: number, len: number) => {
    if (at < 0 || at + len > bytes.length) throw new ZipFormatError('ZIP structure points outside the file');
  };
  // The end-of-central-directory record sits in the last 22 bytes plus a comment of up to 65535.
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('No ZIP end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let size = view.getUint32(eocd + 12, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const loc = eocd - 20;
    need(loc, 20);
    if (view.getUint32(loc, true) !== ZIP64_LOCATOR) throw new ZipFormatError('Missing ZIP64 locator');
    const z = u64(view, loc + 8);
    need(z, 56);
    if (view.getUint32(z, true) !== ZIP64_EOCD) throw new ZipFormatError('Bad ZIP64 end record');
    count = u64(view, z + 32);
    size = u64(view, z + 40);
    offset = u64(view, z + 48);
  }
  need(offset, size);
  const entries: ZipEntry[] = [];
  let at = offset;
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    need(at, 46);
    if (view.getUint32(at, true) !== CENTRAL_HEADER) throw new ZipFormatError('Bad ZIP central directory entry');
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let localOffset = view.getUint32(at + 42, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    need(at + 46, nameLen + extraLen + commentLen);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    // ZIP64 extra field: the 64-bit sizes, in order, for whichever 32-bit fields are saturated.
    let e = at + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      if (id === 0x0001) {
        let p = e + 4;
        if (uncompressedSize === 0xffffffff && p + 8 <= e + 4 + len) {
          uncompressedSize = u64(view, p);
          p += 8;
        }
        if (compressedSize === 0xffffffff && p + 8 <= e + 4 + len) {
          compressedSize = u64(view, p);
          p += 8;
        }
        if (localOffset === 0xffffffff && p + 8 <= e + 4 + len) localOffset = u64(view, p);
      }
      e += 4 + len;
    }
    entries.push({ name, compressedSize, uncompressedSize, encrypted: (flags & 1) === 1, method, localOffset });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const LOCAL_HEADER = 0x04034b50;

/** The entry's compressed bytes, located through its local header. */
export function entryData(bytes: Uint8Array, entry: ZipEntry): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = entry.localOffset;
  if (at + 30 > bytes.length || view.getUint32(at, true) !== LOCAL_HEADER) {
    throw new ZipFormatError(`Bad local header for ${entry.name}`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  if (start + entry.compressedSize > bytes.length) throw new ZipFormatError(`${entry.name} runs past the end`);
  return bytes.subarray(start, start + entry.compressedSize);
}

/**
 * How many bytes the entry really inflates to, counted as it streams and never held: stops (returning a number
 * above `limit`) as soon as the count passes `limit`, so a bomb that lies about its size costs only `limit` bytes
 * of work. Stored entries are their own size; other methods throw ZipFormatError.
 */
export async function inflatedSize(bytes: Uint8Array, entry: ZipEntry, limit: number): Promise<number> {
  const data = entryData(bytes, entry);
  if (entry.method === 0 || data.length === 0) return data.length;
  if (entry.method !== 8) throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
  // Every current browser has it; without it only the directory's claims (checked before) can be used.
  if (typeof DecompressionStream === 'undefined') return entry.uncompressedSize;
  const reader = new Blob([data as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return total;
      total += value.length;
      if (total > limit) return total;
    }
  } catch (err) {
    throw new ZipFormatError(`${entry.name} does not inflate: ${causeOf(err)}`);
  } finally {
    void reader.cancel().catch(() => {
      // Already finished or errored: nothing left to stop.
    });
  }
}
