// Reads a ZIP central directory (names and declared sizes) without inflating anything, to vet archives first.

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** Bit 0 of the general-purpose flags: the entry is encrypted. */
  encrypted: boolean;
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
        if (compressedSize === 0xffffffff && p + 8 <= e + 4 + len) compressedSize = u64(view, p);
      }
      e += 4 + len;
    }
    entries.push({ name, compressedSize, uncompressedSize, encrypted: (flags & 1) === 1 });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
