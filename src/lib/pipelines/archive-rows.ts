// Checks the rows a library export carries (untrusted JSON from a file) before any of them may reach storage.
import { AppError } from '../errors';
import { INGEST_KINDS } from '../ingest/types';
import { isOcrRowOf, type LibraryRows } from '../persistence';

const KINDS = new Set<string>(INGEST_KINDS);

type Row = Record<string, unknown>;
type Check = (v: unknown) => boolean;

const str: Check = (v) => typeof v === 'string';
const num: Check = (v) => typeof v === 'number' && Number.isFinite(v);
const count: Check = (v) => Number.isInteger(v) && (v as number) >= 0;
const strOrNull: Check = (v) => v === null || str(v);
const numOrNull: Check = (v) => v === null || num(v);
const strings: Check = (v) => Array.isArray(v) && v.every(str);
const numbers: Check = (v) => Array.isArray(v) && v.every(num);
const buffer: Check = (v) => v instanceof ArrayBuffer;
const optional =
  (check: Check): Check =>
  (v) =>
    v === undefined || check(v);
const oneOf =
  (...values: unknown[]): Check =>
  (v) =>
    values.includes(v);

const isRow = (v: unknown): v is Row => typeof v === 'object' && v !== null && !Array.isArray(v);
const fraction: Check = (v) => num(v) && (v as number) >= 0 && (v as number) <= 1;
/** A box on a page image as fractions of its size: [x0, y0, x1, y1]. */
const pageBox: Check = (v) => Array.isArray(v) && v.length === 4 && v.every(fraction);
/** One stage's ranking in a feedback record: ids and as many scores. */
const stage: Check = (v) =>
  isRow(v) && strings(v.ids) && numbers(v.scores) && (v.ids as []).length === (v.scores as []).length;
const ROLES = new Set(['embedder', 'reranker', 'generator']);

/** The fields each kind of row must have, and of what type. */
const SHAPES: Record<keyof LibraryRows, Record<string, Check>> = {
  documents: {
    id: str,
    name: str,
    kind: (v) => KINDS.has(v as string),
    size: count,
    hash: str,
    title: str,
    text: str,
    pageCount: numOrNull,
    chunkCount: count,
    addedAt: num,
    status: oneOf('ready'),
    embedderId: strOrNull,
    lateModelId: optional(strOrNull),
  },
  chunks: {
    id: str,
    docId: str,
    ordinal: count,
    text: str,
    start: count,
    end: count,
    headingPath: strings,
    pageStart: numOrNull,
    pageEnd: numOrNull,
    tokenCount: count,
    hash: str,
  },
  vectors: {
    chunkId: str,
    docId: str,
    embedderId: str,
    dims: count,
    data: buffer,
    bits: optional(oneOf(8)),
    scale: optional(num),
  },
  keywords: { chunkId: str, docId: str, length: count, terms: strings, freqs: numbers },
  tokenVectors: {
    chunkId: str,
    docId: str,
    modelId: str,
    tokens: count,
    dims: count,
    bits: optional(oneOf(6, 8)),
    data: buffer,
    scales: buffer,
    tokenTexts: strings,
  },
  settings: { key: str },
  feedback: {
    id: str,
    at: num,
    question: str,
    query: str,
    queries: strings,
    stages: (v) =>
      isRow(v) &&
      stage(v.fused) &&
      stage(v.final) &&
      [v.dense, v.keyword, v.reranked].every((s) => s === null || stage(s)),
    shown: strings,
    cited: strings,
    models: (v) =>
      Array.isArray(v) && v.every((m) => isRow(m) && ROLES.has(m.role as string) && str(m.id) && strOrNull(m.revision)),
    prompt: (v) => v === null || (isRow(v) && str(v.name) && num(v.version)),
    outcome: oneOf('done', 'refused', 'stopped', 'error'),
    thumbs: oneOf(null, 'up', 'down'),
    reason: str,
    sources: (v) => isRow(v) && Object.values(v).every(oneOf('relevant', 'not-relevant')),
    opened: strings,
    expanded: strings,
    copied: (v) => typeof v === 'boolean',
  },
  adapters: {
    embedderId: str,
    dims: (v) => count(v) && (v as number) > 0,
    weights: (v) => v instanceof Float32Array,
    enabled: (v) => typeof v === 'boolean',
    heldOut: (v) => isRow(v) && num(v.before) && num(v.after) && count(v.queries),
    trainQueries: count,
    trainedOn: (v) => v === undefined || (strings(v) && (v as unknown[]).length <= MAX_TRAINED_ON),
    trainPairs: count,
    sources: (v) => isRow(v) && count(v.feedback) && count(v.synthetic),
    trainedAt: num,
  },
  ocrPages: {
    id: str,
    docId: str,
    page: count,
    hash: str,
    width: (v) => count(v) && (v as number) > 0,
    height: (v) => count(v) && (v as number) > 0,
    lines: (v) =>
      Array.isArray(v) &&
      v.every(
        (l) =>
          isRow(l) &&
          str(l.text) &&
          pageBox(l.box) &&
          fraction(l.baseline) &&
          fraction(l.height) &&
          Array.isArray(l.words) &&
          l.words.every((w) => isRow(w) && str(w.text) && pageBox(w.box)),
      ),
    image: (v) => v instanceof Blob,
  },
};

const invalid = (why: string) => new AppError('ARCHIVE_INVALID', undefined, { why });

function checkShape(part: keyof LibraryRows, rows: readonly unknown[]): void {
  const shape = SHAPES[part];
  rows.forEach((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw invalid(`${part} row ${i} is not a record`);
    for (const [field, check] of Object.entries(shape)) {
      if (!check((row as Row)[field])) throw invalid(`${part} row ${i} has no valid "${field}"`);
    }
  });
}

/**
 * The largest adapter weight an import takes. Training starts at the identity and moves weights by small steps, so a
 * weight far past this is a damaged or forged export, whose W q would swamp or overflow the query it adapts.
 */
const MAX_ADAPTER_WEIGHT = 1e3;
/** More training-query keys than this is not an adapter the app trained (it trains on the library's own questions). */
const MAX_TRAINED_ON = 100_000;

/** Bytes a dense vector of this shape holds (see VectorRecord). */
const vectorBytes = (v: { dims: number; bits?: 8 }) => (v.bits === 8 ? v.dims : v.dims * 4);
/** Bytes token vectors of this shape hold (see TokenVectorRecord: int6 packs four values into three bytes). */
const tokenBytes = (t: { tokens: number; dims: number; bits?: 6 | 8 }) =>
  t.bits === 6 ? Math.ceil((t.tokens * t.dims * 3) / 4) : t.tokens * t.dims;

/**
 * Throws ARCHIVE_INVALID unless every row has its fields with the right types, every derived row belongs to a chunk
 * of a document in the export, each document has exactly its chunkCount chunks, ids are unique and the binary parts
 * have the sizes their shapes say; settings rows must be among `settingKeys`.
 */
export function checkRows(rows: LibraryRows, settingKeys: readonly string[]): void {
  for (const part of Object.keys(SHAPES) as (keyof LibraryRows)[]) checkShape(part, rows[part]);
  const unique = (ids: string[], what: string) => {
    if (new Set(ids).size !== ids.length) throw invalid(`two ${what} have the same id`);
  };
  unique(
    rows.documents.map((d) => d.id),
    'documents',
  );
  unique(
    rows.chunks.map((c) => c.id),
    'passages',
  );
  const chunksOf = new Map(rows.documents.map((d) => [d.id, 0]));
  const chunkDoc = new Map<string, string>();
  for (const c of rows.chunks) {
    const n = chunksOf.get(c.docId);
    if (n === undefined) throw invalid(`passage ${c.id} belongs to no document in the export`);
    chunksOf.set(c.docId, n + 1);
    chunkDoc.set(c.id, c.docId);
  }
  for (const d of rows.documents) {
    if (chunksOf.get(d.id) !== d.chunkCount) throw invalid(`document "${d.name}" lacks some of its passages`);
  }
  for (const part of ['vectors', 'keywords', 'tokenVectors'] as const) {
    unique(
      rows[part].map((r) => r.chunkId),
      part,
    );
    for (const r of rows[part]) {
      if (chunkDoc.get(r.chunkId) !== r.docId) throw invalid(`${part} row ${r.chunkId} belongs to no passage`);
    }
  }
  for (const v of rows.vectors) {
    if (v.data.byteLength !== vectorBytes(v) || (v.bits === 8 && v.scale === undefined))
      throw invalid(`vector ${v.chunkId} has ${v.data.byteLength} bytes for ${v.dims} dimensions`);
  }
  for (const t of rows.tokenVectors) {
    if (t.data.byteLength !== tokenBytes(t) || t.scales.byteLength !== t.tokens * 4)
      throw invalid(`token vectors ${t.chunkId} do not have the size their shape says`);
  }
  for (const k of rows.keywords) {
    if (k.terms.length !== k.freqs.length) throw invalid(`keyword row ${k.chunkId} has unmatched terms`);
  }
  unique(
    rows.feedback.map((f) => f.id),
    'feedback records',
  );
  unique(
    rows.adapters.map((a) => a.embedderId),
    'adapters',
  );
  for (const a of rows.adapters) {
    if (a.weights.length !== a.dims * a.dims || !a.weights.every(Number.isFinite))
      throw invalid(`the adapter of ${a.embedderId} does not have ${a.dims}×${a.dims} finite weights`);
    if (a.weights.some((w) => Math.abs(w) > MAX_ADAPTER_WEIGHT))
      throw invalid(`the adapter of ${a.embedderId} has a weight beyond ±${MAX_ADAPTER_WEIGHT}`);
  }
  for (const s of rows.settings) {
    if (!settingKeys.includes(s.key)) throw invalid(`the setting "${s.key}" is not one Lectern exports`);
  }
  unique(
    rows.ocrPages.map((p) => p.id),
    'recognised pages',
  );
  for (const p of rows.ocrPages) {
    if (!chunksOf.has(p.docId) || !isOcrRowOf(p.docId, p))
      throw invalid(`recognised page ${p.id} belongs to no document in the export`);
  }
}
