// Library export and import: the whole private library as one zip (a manifest with counts and a SHA-256 per entry).
//
// Layout (ARCHIVE_FORMAT 1): manifest.json; documents.json, chunks.json, keywords.json and settings.json (the rows as
// JSON, deflated); vectors.json and token-vectors.json (the rows, each binary field replaced by [offset, length] into
// vectors.bin / token-vectors.bin, which hold the raw bytes, stored uncompressed: quantized vectors do not compress).
// feedback.json (the feedback records, deflated) came with storage version 5: an export without it imports with none.
// adapters.json (the relevance adapters, deflated; their Float32 weights as [offset, length] into adapters.bin) came
// with storage version 6: an export without them imports with none. ocr-pages.json (recognised scanned pages and
// pictures, deflated; each JPEG image as [offset, length] into ocr-pages.bin) came with storage version 7: an export
// without them imports with none (a scanned page is then cited by its text alone).
import { unzipSync, Zip, ZipDeflate, ZipPassThrough, strFromU8, strToU8 } from 'fflate';
import { AppError } from '../errors';
import type {
  AdapterRecord,
  ImportMode,
  LibraryRows,
  LibraryWriteOutcome,
  OcrPageRecord,
  TokenVectorRecord,
  VectorRecord,
} from '../persistence';
import { DEFAULT_SETTINGS, type Settings } from '../config/defaults';
import { checkRows } from './archive-rows';

export const ARCHIVE_KIND = 'lectern-library';
/** Bumped when the layout above changes; an import refuses any other. */
export const ARCHIVE_FORMAT = 1;
/**
 * The settings rows an export carries: the app's settings, the conversation and its Instructions field (the rest are
 * per-tab and transient).
 */
export const ARCHIVE_SETTINGS = ['settings', 'conversation', 'conversation-instructions'] as const;
/** Entries larger than this (uncompressed, as the zip declares them) are refused before inflating anything. */
const MAX_ENTRY_BYTES = 2 ** 31 - 1;
const MAX_MANIFEST_BYTES = 1 << 20;
/** All entries together may declare at most this many bytes uncompressed, whatever the file's size. */
const MAX_TOTAL_BYTES = 4 * 2 ** 30;
/**
 * ...and at most this many times the file's size (a real export is mostly stored vectors and deflated JSON, far below
 * it), with a floor so a small export of very repetitive text is not refused.
 */
const MAX_RATIO = 64;
const MIN_TOTAL_BYTES = 64 * 2 ** 20;

/** The most bytes the entries of a `size`-byte export may declare in all, uncompressed. */
export function maxUnzippedBytes(size: number): number {
  return Math.min(MAX_TOTAL_BYTES, Math.max(MIN_TOTAL_BYTES, MAX_RATIO * size));
}

export interface ArchiveManifest {
  kind: typeof ARCHIVE_KIND;
  format: number;
  /** The IndexedDB schema version (persistence/schema.ts DB_VERSION) of the rows. */
  schemaVersion: number;
  appVersion: string;
  /** ISO time of the export. */
  exportedAt: string;
  counts: Record<keyof LibraryRows, number>;
  /** Every other entry: its size in bytes and hex SHA-256. */
  entries: Record<string, { bytes: number; sha256: string }>;
}

/** What an export or an import reports: its phase and how far it is (0..1). */
export interface ArchiveProgress {
  phase: 'reading' | 'packing' | 'checking' | 'writing';
  fraction: number;
}

export interface ArchiveOptions {
  signal?: AbortSignal;
  progress?: (p: ArchiveProgress) => void;
}

export interface ExportPorts {
  read(settingKeys: readonly string[]): Promise<LibraryRows>;
  schemaVersion: number;
  appVersion: string;
  now?: () => Date;
}

export interface ImportPorts {
  write(
    rows: LibraryRows,
    mode: ImportMode,
    settingKeys: readonly string[],
    step: (done: number, total: number) => void,
  ): Promise<LibraryWriteOutcome>;
  /** The stored value of a settings row (undefined when unset): what an import keeps of this browser's own. */
  setting(key: string): Promise<unknown>;
  schemaVersion: number;
}

export interface ExportResult {
  blob: Blob;
  manifest: ArchiveManifest;
}

/** The binary fields of vector rows and token-vector rows, kept in the .bin entries. */
const BINARY = {
  vectors: ['data'],
  tokenVectors: ['data', 'scales'],
  adapters: ['weights'],
  ocrPages: ['image'],
} as const;
const ENTRY = {
  documents: 'documents.json',
  chunks: 'chunks.json',
  vectors: 'vectors.json',
  keywords: 'keywords.json',
  tokenVectors: 'token-vectors.json',
  settings: 'settings.json',
  feedback: 'feedback.json',
  adapters: 'adapters.json',
  ocrPages: 'ocr-pages.json',
} as const satisfies Record<keyof LibraryRows, string>;
const BIN = {
  vectors: 'vectors.bin',
  tokenVectors: 'token-vectors.bin',
  adapters: 'adapters.bin',
  ocrPages: 'ocr-pages.bin',
} as const;
/**
 * Entries an older export lacks (it imports with none of these rows): feedback came with storage version 5, the
 * adapters with 6, the recognised pages with 7.
 */
const OPTIONAL: ReadonlySet<string> = new Set([
  ENTRY.feedback,
  ENTRY.adapters,
  BIN.adapters,
  ENTRY.ocrPages,
  BIN.ocrPages,
]);
/** The media type of the page images an export carries (pdf-render.ts draws them as JPEG). */
const OCR_IMAGE_TYPE = 'image/jpeg';
/** Marks the hash of a recognised page that came from an export: no OCR cache key starts so. */
const IMPORTED = 'imported:';
const MANIFEST = 'manifest.json';

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');
export const sha256 = async (bytes: Uint8Array) =>
  hex(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));

const aborted = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new AppError('ABORTED');
};

/** Rows with their binary fields moved into one byte array: each field becomes [offset, length] into it. */
function splitBinary<T extends object>(
  rows: readonly T[],
  fields: readonly (keyof T)[],
): { json: unknown[]; bin: Uint8Array } {
  let total = 0;
  for (const row of rows) for (const f of fields) total += (row[f] as ArrayBuffer).byteLength;
  const bin = new Uint8Array(total);
  let at = 0;
  const json = rows.map((row) => {
    const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
    for (const f of fields) {
      const bytes = new Uint8Array(row[f] as ArrayBuffer);
      bin.set(bytes, at);
      out[f as string] = [at, bytes.length];
      at += bytes.length;
    }
    return out;
  });
  return { json, bin };
}

/** The inverse of splitBinary: each [offset, length] becomes its own ArrayBuffer (a copy, so rows share nothing). */
function joinBinary(rows: unknown, fields: readonly string[], bin: Uint8Array | undefined, part: string): unknown[] {
  if (!Array.isArray(rows)) throw invalid(`${part} is not a list`);
  return rows.map((row, i) => {
    if (typeof row !== 'object' || row === null) throw invalid(`${part} row ${i} is not a record`);
    const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
    for (const f of fields) {
      const ref = out[f];
      const ok =
        Array.isArray(ref) &&
        ref.length === 2 &&
        ref.every((n) => Number.isInteger(n) && n >= 0) &&
        bin !== undefined &&
        ref[0] + ref[1] <= bin.length;
      if (!ok) throw invalid(`${part} row ${i} points outside its binary entry`);
      out[f] = bin.slice(ref[0], ref[0] + ref[1]).buffer;
    }
    return out;
  });
}

const invalid = (why: string) => new AppError('ARCHIVE_INVALID', undefined, { why });
const damaged = (reason: string) => new AppError('ARCHIVE_DAMAGED', undefined, { reason });

/** Packs the whole library into one zip. */
export async function exportLibrary(ports: ExportPorts, options: ArchiveOptions = {}): Promise<ExportResult> {
  const { signal, progress = () => {} } = options;
  progress({ phase: 'reading', fraction: 0 });
  const rows = await ports.read(ARCHIVE_SETTINGS);
  aborted(signal);
  const vectors = splitBinary(rows.vectors, BINARY.vectors);
  const tokens = splitBinary(rows.tokenVectors, BINARY.tokenVectors);
  // Each adapter's weights as their own bytes (a Float32Array may be a view into a larger buffer).
  const adapters = splitBinary(
    rows.adapters.map((a) => ({ ...a, weights: a.weights.slice().buffer })),
    BINARY.adapters,
  );
  const ocrPages = splitBinary(
    await Promise.all(rows.ocrPages.map(async (p) => ({ ...p, image: await p.image.arrayBuffer() }))),
    BINARY.ocrPages,
  );
  aborted(signal);
  const parts: [string, Uint8Array, boolean][] = [
    [ENTRY.documents, strToU8(JSON.stringify(rows.documents)), true],
    [ENTRY.chunks, strToU8(JSON.stringify(rows.chunks)), true],
    [ENTRY.keywords, strToU8(JSON.stringify(rows.keywords)), true],
    [ENTRY.settings, strToU8(JSON.stringify(rows.settings)), true],
    [ENTRY.feedback, strToU8(JSON.stringify(rows.feedback)), true],
    [ENTRY.vectors, strToU8(JSON.stringify(vectors.json)), true],
    [ENTRY.tokenVectors, strToU8(JSON.stringify(tokens.json)), true],
    [ENTRY.adapters, strToU8(JSON.stringify(adapters.json)), true],
    [ENTRY.ocrPages, strToU8(JSON.stringify(ocrPages.json)), true],
    [BIN.vectors, vectors.bin, false],
    [BIN.tokenVectors, tokens.bin, false],
    [BIN.adapters, adapters.bin, false],
    // JPEG does not deflate.
    [BIN.ocrPages, ocrPages.bin, false],
  ];
  const entries: ArchiveManifest['entries'] = {};
  for (const [name, bytes] of parts) entries[name] = { bytes: bytes.length, sha256: await sha256(bytes) };
  aborted(signal);
  const counts = Object.fromEntries(
    (Object.keys(ENTRY) as (keyof LibraryRows)[]).map((k) => [k, rows[k].length]),
  ) as ArchiveManifest['counts'];
  const manifest: ArchiveManifest = {
    kind: ARCHIVE_KIND,
    format: ARCHIVE_FORMAT,
    schemaVersion: ports.schemaVersion,
    appVersion: ports.appVersion,
    exportedAt: (ports.now?.() ?? new Date()).toISOString(),
    counts,
    entries,
  };
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  const zip = new Zip((err, chunk) => {
    if (err) failure = err;
    else chunks.push(chunk);
  });
  const total = parts.reduce((n, [, b]) => n + b.length, 0) || 1;
  let done = 0;
  for (const [name, bytes, deflate] of [[MANIFEST, strToU8(JSON.stringify(manifest)), true], ...parts] as const) {
    aborted(signal);
    const file = deflate ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    zip.add(file);
    file.push(bytes, true);
    done += bytes.length;
    progress({ phase: 'packing', fraction: Math.min(1, done / total) });
  }
  zip.end();
  if (failure) throw damaged(String(failure));
  return { blob: new Blob(chunks as BlobPart[], { type: 'application/zip' }), manifest };
}

/** Reads and checks an export: the zip, its manifest's kind and versions, every entry's size and SHA-256, the rows. */
export async function readArchive(
  bytes: Uint8Array,
  schemaVersion: number,
  signal?: AbortSignal,
): Promise<{ manifest: ArchiveManifest; rows: LibraryRows }> {
  let files: Record<string, Uint8Array>;
  const wanted = (name: string) =>
    name === MANIFEST || Object.values(ENTRY).includes(name as never) || name in invert(BIN);
  try {
    // A first pass reads only the central directory (nothing inflated): what the entries to be inflated declare in
    // all must fit the budget, so many entries each under MAX_ENTRY_BYTES cannot add up to a zip bomb.
    let declared = 0;
    unzipSync(bytes, {
      filter: (f) => {
        if (wanted(f.name)) declared += f.originalSize;
        return false;
      },
    });
    const budget = maxUnzippedBytes(bytes.length);
    if (declared > budget) throw damaged(`its entries declare ${declared} bytes uncompressed, more than ${budget}`);
    files = unzipSync(bytes, {
      // Nothing is inflated that the format does not name, nor anything absurdly large (a zip bomb).
      filter: (f) => {
        if (f.originalSize > (f.name === MANIFEST ? MAX_MANIFEST_BYTES : MAX_ENTRY_BYTES))
          throw damaged(`"${f.name}" declares ${f.originalSize} bytes`);
        return wanted(f.name);
      },
    });
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw damaged(err instanceof Error ? err.message : String(err));
  }
  const manifestBytes = files[MANIFEST];
  if (!manifestBytes) throw damaged('it has no manifest.json');
  let manifest: ArchiveManifest;
  try {
    manifest = JSON.parse(strFromU8(manifestBytes)) as ArchiveManifest;
  } catch {
    throw damaged('its manifest is not JSON');
  }
  if (typeof manifest !== 'object' || manifest === null || manifest.kind !== ARCHIVE_KIND)
    throw damaged('its manifest is not a Lectern library manifest');
  if (manifest.format !== ARCHIVE_FORMAT)
    throw new AppError('ARCHIVE_VERSION', undefined, { found: String(manifest.format), supported: ARCHIVE_FORMAT });
  if (!Number.isInteger(manifest.schemaVersion) || manifest.schemaVersion < 1)
    throw invalid('its manifest has no storage version');
  if (manifest.schemaVersion > schemaVersion)
    throw new AppError('ARCHIVE_SCHEMA_NEWER', undefined, { found: manifest.schemaVersion, supported: schemaVersion });
  const listed = manifest.entries ?? {};
  for (const name of [...Object.values(ENTRY), ...Object.values(BIN)]) {
    aborted(signal);
    const entry = listed[name];
    const data = files[name];
    if (OPTIONAL.has(name) && !entry && !data) continue;
    if (!entry || typeof entry.sha256 !== 'string') throw invalid(`its manifest does not list "${name}"`);
    if (!data) throw damaged(`"${name}" is missing`);
    if (data.length !== entry.bytes || (await sha256(data)) !== entry.sha256)
      throw new AppError('ARCHIVE_TAMPERED', undefined, { entry: name });
  }
  const json = (name: string): unknown => {
    try {
      return JSON.parse(strFromU8(files[name]!));
    } catch {
      throw invalid(`"${name}" is not JSON`);
    }
  };
  const list = (name: string) => {
    const v = json(name);
    if (!Array.isArray(v)) throw invalid(`"${name}" is not a list`);
    return v as never[];
  };
  const rows: LibraryRows = {
    documents: list(ENTRY.documents),
    chunks: list(ENTRY.chunks),
    keywords: list(ENTRY.keywords),
    settings: list(ENTRY.settings),
    feedback: files[ENTRY.feedback] ? list(ENTRY.feedback) : [],
    vectors: joinBinary(json(ENTRY.vectors), BINARY.vectors, files[BIN.vectors], 'vectors') as VectorRecord[],
    tokenVectors: joinBinary(
      json(ENTRY.tokenVectors),
      BINARY.tokenVectors,
      files[BIN.tokenVectors],
      'token vectors',
    ) as TokenVectorRecord[],
    adapters: files[ENTRY.adapters] ? adapterRows(json(ENTRY.adapters), files[BIN.adapters]) : [],
    ocrPages: files[ENTRY.ocrPages]
      ? (joinBinary(json(ENTRY.ocrPages), BINARY.ocrPages, files[BIN.ocrPages], 'recognised pages').map((row) => {
          const r = row as Record<string, unknown>;
          // Never a cache entry for pages read here: a crafted export could otherwise give the user's own future
          // scans its text (the cache key is only a hash of the page image, which anyone can compute).
          const hash = typeof r.hash === 'string' && !r.hash.startsWith(IMPORTED) ? `${IMPORTED}${r.hash}` : r.hash;
          return { ...r, hash, image: new Blob([r.image as ArrayBuffer], { type: OCR_IMAGE_TYPE }) };
        }) as unknown as OcrPageRecord[])
      : [],
  };
  for (const part of Object.keys(ENTRY) as (keyof LibraryRows)[]) {
    const absent = OPTIONAL.has(ENTRY[part]) && !files[ENTRY[part]] && manifest.counts?.[part] === undefined;
    if (!absent && manifest.counts?.[part] !== rows[part].length)
      throw invalid(`the manifest's count of ${part} is wrong`);
  }
  checkRows(rows, ARCHIVE_SETTINGS);
  return { manifest, rows };
}

/** Adapter rows with their weights back as Float32 values (checkRows then checks their count and shape). */
function adapterRows(rows: unknown, bin: Uint8Array | undefined): AdapterRecord[] {
  return joinBinary(rows, BINARY.adapters, bin, 'adapters').map((row, i) => {
    const r = row as Record<string, unknown>;
    const bytes = r.weights as ArrayBuffer;
    if (bytes.byteLength % 4 !== 0) throw invalid(`adapters row ${i} has weights that are not Float32 values`);
    return { ...r, weights: new Float32Array(bytes) } as unknown as AdapterRecord;
  });
}

const invert = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [v, k]));

/** Checks an export completely, then writes it in one transaction (see persistence/library-rows.ts). */
export async function importLibrary(
  bytes: Uint8Array,
  mode: ImportMode,
  ports: ImportPorts,
  options: ArchiveOptions = {},
): Promise<LibraryWriteOutcome & { manifest: ArchiveManifest }> {
  const { signal, progress = () => {} } = options;
  progress({ phase: 'checking', fraction: 0 });
  const { manifest, rows } = await readArchive(bytes, ports.schemaVersion, signal);
  aborted(signal);
  progress({ phase: 'writing', fraction: 0 });
  if (mode === 'replace') rows.settings = adoptSettings(rows.settings, await ports.setting('settings'));
  const out = await ports.write(rows, mode, ARCHIVE_SETTINGS, (done, total) =>
    progress({ phase: 'writing', fraction: total ? done / total : 1 }),
  );
  return { ...out, manifest };
}

/**
 * Where models come from stays this browser's choice: an export (maybe someone else's file) never changes the registry,
 * the model host or the hosts allowed. Other settings keep only known keys with the default's type; a conversation must
 * be a list.
 */
export const LOCAL_SETTINGS = ['registryUrl', 'modelBaseUrl', 'trustedOrigins'] as const satisfies (keyof Settings)[];

function adoptSettings(rows: LibraryRows['settings'], current: unknown): LibraryRows['settings'] {
  const mine = (typeof current === 'object' && current !== null ? current : {}) as Record<string, unknown>;
  return rows.flatMap((row) => {
    if (row.key === 'conversation') return Array.isArray(row.value) && row.value.every(isTurn) ? [row] : [];
    // The conversation's Instructions field goes with its conversation (an archive without one clears it).
    if (row.key === 'conversation-instructions') return typeof row.value === 'string' ? [row] : [];
    if (row.key !== 'settings' || typeof row.value !== 'object' || row.value === null) return [];
    const theirs = row.value as Record<string, unknown>;
    const value: Record<string, unknown> = {};
    for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
      const local = (LOCAL_SETTINGS as readonly string[]).includes(key);
      const v = local ? mine[key] : theirs[key];
      if (v !== undefined && typeof v === typeof fallback && Array.isArray(v) === Array.isArray(fallback))
        value[key] = v;
    }
    return [{ key: 'settings', value }];
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A conversation turn with the fields the chat reads without checking (the rest are shown as text). */
function isTurn(t: unknown): boolean {
  if (!isRecord(t)) return false;
  const lists = ['sources', 'grounding', 'used', 'dropped'].every((k) => Array.isArray(t[k]));
  const texts = ['question', 'query', 'answer', 'phase'].every((k) => typeof t[k] === 'string');
  const sources = Array.isArray(t.sources) && t.sources.every((s) => isRecord(s) && typeof s.docId === 'string');
  return lists && texts && sources;
}
