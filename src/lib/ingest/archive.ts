// ZIP-based formats (DOCX, EPUB, PPTX, ODT): vets the archive against zip bombs, then reads named entries as text.
import { inflateSync, strFromU8 } from 'fflate';
import { AppError, type ErrorCode } from '../errors';
import { attr, findAll, parseXml } from './xml';
import { entryData, inflatedSize, isZip, readZipDirectory, ZipFormatError, type ZipEntry } from './zip';

export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024;
/** Deflate tops out near 1032:1, so a ratio this high on a sizeable entry is a bomb, not a document. */
const MAX_ENTRY_RATIO = 1000;
const RATIO_CHECK_MIN_BYTES = 1024 * 1024;
const MAX_ENTRIES = 20_000;

const CFB_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

export interface ZipFormatOptions {
  /** Refuse archives whose entries add up to more than this when inflated. Default 200 MB. */
  maxUncompressedBytes?: number;
}

/** The codes one format reports its damaged and oversized archives under. */
export interface ArchiveCodes {
  invalid: ErrorCode;
  tooLarge: ErrorCode;
  /** The reason given for a CFB container (an encrypted Office file, or the legacy binary format). */
  cfbReason: string;
}

/** Throws unless the bytes are a plausible, reasonably sized ZIP archive; reads only the directory. */
export function vetArchive(
  bytes: Uint8Array,
  fileName: string,
  codes: ArchiveCodes,
  maxUncompressed = DEFAULT_MAX_UNCOMPRESSED_BYTES,
): ZipEntry[] {
  if (CFB_MAGIC.every((b, i) => bytes[i] === b)) {
    throw new AppError(codes.invalid, undefined, { fileName, reason: codes.cfbReason });
  }
  if (!isZip(bytes)) throw new AppError(codes.invalid, undefined, { fileName, reason: 'not a ZIP archive' });
  let entries: ZipEntry[];
  try {
    entries = readZipDirectory(bytes);
  } catch (err) {
    if (err instanceof ZipFormatError) throw new AppError(codes.invalid, undefined, { fileName, reason: err.message });
    throw err;
  }
  if (entries.length > MAX_ENTRIES) {
    throw new AppError(codes.tooLarge, undefined, { fileName, entries: entries.length });
  }
  let total = 0;
  for (const e of entries) {
    total += e.uncompressedSize;
    if (
      e.uncompressedSize > RATIO_CHECK_MIN_BYTES &&
      e.uncompressedSize / Math.max(1, e.compressedSize) > MAX_ENTRY_RATIO
    ) {
      throw new AppError(codes.tooLarge, undefined, {
        fileName,
        entry: e.name,
        ratio: Math.round(e.uncompressedSize / Math.max(1, e.compressedSize)),
      });
    }
  }
  if (total > maxUncompressed) {
    throw new AppError(codes.tooLarge, undefined, { fileName, uncompressedBytes: total, limit: maxUncompressed });
  }
  if (entries.some((e) => e.encrypted))
    throw new AppError(codes.invalid, undefined, { fileName, reason: 'encrypted entries' });
  return entries;
}

/**
 * Inflates every entry as a stream against one running byte budget, discarding the output: the directory's sizes
 * are only claims, and a file that declares 1 KB may inflate to gigabytes once read.
 */
export async function checkInflated(
  bytes: Uint8Array,
  entries: ZipEntry[],
  fileName: string,
  codes: ArchiveCodes,
  limit: number,
): Promise<void> {
  let total = 0;
  for (const entry of entries) {
    let size: number;
    try {
      size = await inflatedSize(bytes, entry, limit - total);
    } catch (err) {
      if (err instanceof ZipFormatError)
        throw new AppError(codes.invalid, undefined, { fileName, reason: err.message });
      throw err;
    }
    total += size;
    if (total > limit) throw new AppError(codes.tooLarge, undefined, { fileName, entry: entry.name, limit });
  }
}

/** The reader's running total went over its budget. */
class ReadBudgetError extends Error {}

/** A vetted archive's entries by name, read as UTF-8 text on demand. */
export class ArchiveReader {
  private readonly byName: Map<string, ZipEntry>;
  /** Bytes inflated so far: every entry read counts, so one small part read many times cannot add up to a bomb. */
  private read = 0;

  constructor(
    private readonly archive: Uint8Array,
    entries: ZipEntry[],
    private readonly fileName: string,
    private readonly codes: ArchiveCodes,
    private readonly maxRead = DEFAULT_MAX_UNCOMPRESSED_BYTES,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The entry's text, or undefined when the archive has no such entry. */
  text(name: string): string | undefined {
    const raw = this.bytes(name);
    return raw && strFromU8(raw);
  }

  /** The entry's bytes (a picture, say), or undefined when the archive has no such entry. */
  bytes(name: string): Uint8Array | undefined {
    const entry = this.byName.get(name);
    if (!entry) return undefined;
    try {
      const data = entryData(this.archive, entry);
      if (entry.method !== 0 && entry.method !== 8) {
        throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}`);
      }
      const raw = entry.method === 0 ? data : inflateSync(data);
      this.read += raw.length;
      if (this.read > this.maxRead) throw new ReadBudgetError();
      return raw;
    } catch (err) {
      if (err instanceof ReadBudgetError)
        throw new AppError(this.codes.tooLarge, undefined, { fileName: this.fileName, entry: entry.name });
      const reason = err instanceof Error ? err.message : String(err);
      throw new AppError(this.codes.invalid, undefined, { fileName: this.fileName, reason: reason.slice(0, 200) });
    }
  }

  /**
   * Reads a picture's bytes when called: a damaged entry reads as undefined (the picture is left unread, the document
   * is not refused for it), while the read budget still refuses a bomb.
   */
  picture(name: string): () => Promise<Uint8Array | undefined> {
    return async () => {
      try {
        return this.bytes(name);
      } catch (err) {
        if (err instanceof AppError && err.code === this.codes.tooLarge) throw err;
        return undefined;
      }
    };
  }

  /** The entry's text; AppError(codes.invalid) naming the missing part when it is absent. */
  required(name: string): string {
    const text = this.text(name);
    if (text === undefined) {
      throw new AppError(this.codes.invalid, undefined, { fileName: this.fileName, reason: `it has no ${name}` });
    }
    return text;
  }
}

/**
 * Vets the archive (directory, then a streamed inflate under the budget) and opens it for reading; `required`
 * names entries the format cannot do without, refused as invalid before anything is inflated.
 */
export async function openArchive(
  bytes: Uint8Array,
  fileName: string,
  codes: ArchiveCodes,
  required: readonly string[],
  maxUncompressed = DEFAULT_MAX_UNCOMPRESSED_BYTES,
): Promise<ArchiveReader> {
  if (bytes.length === 0) throw new AppError('FILE_EMPTY', undefined, { fileName });
  const entries = vetArchive(bytes, fileName, codes, maxUncompressed);
  const names = new Set(entries.map((e) => e.name));
  const missing = required.find((name) => !names.has(name));
  if (missing !== undefined) {
    throw new AppError(codes.invalid, undefined, { fileName, reason: `a ZIP archive without ${missing}` });
  }
  await checkInflated(bytes, entries, fileName, codes, maxUncompressed);
  return new ArchiveReader(bytes, entries, fileName, codes, maxUncompressed);
}

/** The relationships of an OOXML part (its _rels/NAME.rels), by Id: the resolved target part and the type. */
export function relationships(zip: ArchiveReader, part: string): Map<string, { target: string; type: string }> {
  const slash = part.lastIndexOf('/');
  const relsPath = `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
  const out = new Map<string, { target: string; type: string }>();
  const xml = zip.text(relsPath);
  if (xml === undefined) return out;
  for (const rel of findAll(parseXml(xml), 'Relationship')) {
    const id = attr(rel, 'Id');
    const target = attr(rel, 'Target');
    if (id === undefined || target === undefined || attr(rel, 'TargetMode') === 'External') continue;
    out.set(id, { target: resolvePart(part, target), type: attr(rel, 'Type') ?? '' });
  }
  return out;
}

/** Resolves a relative href (URL-encoded, maybe with a #fragment) against the folder of the part that names it. */
export function resolvePart(base: string, href: string): string {
  const path = safeDecode(href.split('#')[0]!.split('?')[0]!);
  if (path.startsWith('/')) return normalize(path.slice(1).split('/'));
  const dir = base.includes('/') ? base.slice(0, base.lastIndexOf('/')).split('/') : [];
  return normalize([...dir, ...path.split('/')]);
}

function normalize(parts: string[]): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out.join('/');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
