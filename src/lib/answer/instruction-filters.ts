// Reads the instruction-filters prompt's output: one JSON object found by a linear scan, checked against a JSON schema, mapped to search filters.
//
// The schema is checked by @cfworker/json-schema, an interpreter (no eval or new Function, so it runs under the
// app's CSP), about 9 kB gzipped. The schema checks the shape (types, bounds); what the values mean (a document in
// the library, a known file type, a real date) is checked here, and values that fail are dropped and reported.
import { Validator, type Schema } from '@cfworker/json-schema';
import { AppError } from '../errors';
import { INGEST_KINDS, type DocumentKind } from '../ingest/types';
import { findNegativeTerm, wordsOf } from '../retrieval/negative-terms';
import type { SearchFilters } from '../retrieval/search-types';
import { instructionFiltersV1, type PromptValue } from './prompts';

/** The prompt whose output this module reads, as stored with what it produced. */
export const INSTRUCTION_FILTERS_PROMPT = {
  name: instructionFiltersV1.name,
  version: instructionFiltersV1.version,
} as const;

/**
 * The document kinds as the v1 prompt lists them (frozen with it). The model's answer may still name any of
 * INGEST_KINDS (epub, pptx, odt, spreadsheet came later) or an alias; resolveKinds accepts them all.
 */
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['pdf', 'docx', 'html', 'markdown', 'text'];

/** Model output read at most (a filter object is short; a longer output is a model that rambles). */
export const MAX_OUTPUT_CHARS = 8_000;
/** Objects tried in one output before giving up (each that fails to parse is skipped, not rescanned). */
const MAX_OBJECTS_TRIED = 8;
/** Documents named in the prompt at most, and the longest name shown (the prompt must fit the model's context). */
export const MAX_LISTED_DOCUMENTS = 200;
export const MAX_DOCUMENT_NAME_CHARS = 120;
/** Bounds on what one instruction can filter by. */
export const MAX_FILTER_DOCUMENTS = 50;
export const MAX_NEGATIVE_TERMS = 8;
export const MAX_TERM_CHARS = 60;
export const MAX_TERM_WORDS = 4;
/** Longest value quoted back in `dropped` (it is untrusted model text, shown as text). */
const MAX_DROPPED_CHARS = 80;

/**
 * The shape the model must write. Fields are optional (a model may leave out an empty one) and unknown fields are
 * ignored; the bounds are loose on purpose (garbage fails here), the tighter limits above drop extras one by one.
 */
export const INSTRUCTION_FILTERS_SCHEMA: Schema = {
  type: 'object',
  properties: {
    documents: { type: 'array', maxItems: 200, items: { type: 'string', maxLength: 500 } },
    kinds: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 40 } },
    from: { type: ['string', 'null'], maxLength: 40 },
    to: { type: ['string', 'null'], maxLength: 40 },
    exclude: { type: 'array', maxItems: 50, items: { type: 'string', maxLength: 200 } },
  },
};

const validator = new Validator(INSTRUCTION_FILTERS_SCHEMA, '2020-12', true);

/** A document of the library, as the prompt lists it and as a filter names it. */
export interface LibraryDocument {
  id: string;
  name: string;
}

/** Why a value the model wrote was not used. */
export type DropReason =
  | 'unknown-document'
  | 'unknown-kind'
  | 'invalid-date'
  | 'reversed-range'
  | 'too-many'
  | 'too-long'
  | 'in-question'
  | 'empty';

export interface DroppedFilter {
  field: 'documents' | 'kinds' | 'from' | 'to' | 'exclude';
  /** The model's value, clipped; untrusted text. */
  value: string;
  reason: DropReason;
}

/** What an instruction filters by, ready for the search and for the user to see and remove. */
export interface InstructionFilters {
  /**
   * The app's search filters. `addedFrom`/`addedTo` bound the date a document was ADDED to the library (its
   * `addedAt`, local midnight to the end of the day), the only date the app keeps: "before 2020" cannot mean the
   * date a document was written. `dateRange` keeps the range as the model gave it, so the UI can show it.
   */
  filters: SearchFilters;
  /** The documents `filters.docIds` keeps, with their names, for the UI. */
  documents: LibraryDocument[];
  /** The date range as ISO days (YYYY-MM-DD), each end null when open. */
  dateRange: { from: string | null; to: string | null };
  /** Words or phrases whose hits are dropped (see retrieval/negative-terms.ts). */
  negativeTerms: string[];
  /** What the model wrote that was not used, and why. */
  dropped: DroppedFilter[];
}

export type InstructionFiltersResult = { ok: true; value: InstructionFilters } | { ok: false; error: AppError };

/** Whether the filters do anything (an instruction may state no constraint the filters can express). */
export function hasFilters(f: InstructionFilters): boolean {
  return (
    (f.filters.docIds?.length ?? 0) > 0 ||
    (f.filters.kinds?.length ?? 0) > 0 ||
    f.filters.addedFrom !== undefined ||
    f.filters.addedTo !== undefined ||
    f.negativeTerms.length > 0
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The prompt's inputs

function oneLine(text: string, max: number): string {
  const s = text.replace(/\s+/g, ' ').trim();
  return s.length <= max ? s : `${s.slice(0, max - 1).trimEnd()}…`;
}

/** The document list for the prompt: one "- name" a line, each name once, bounded; "(none)" when the library is empty. */
export function formatDocumentList(documents: readonly LibraryDocument[]): string {
  const names = [...new Set(documents.map((d) => oneLine(d.name, MAX_DOCUMENT_NAME_CHARS)).filter(Boolean))];
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, MAX_LISTED_DOCUMENTS).map((n) => `- ${n}`);
  if (names.length > MAX_LISTED_DOCUMENTS) shown.push(`(and ${names.length - MAX_LISTED_DOCUMENTS} more not listed)`);
  return shown.join('\n');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** `date` as a local ISO day, YYYY-MM-DD. */
export function isoDay(date: Date): string {
  return `${pad(date.getFullYear(), 4)}-${pad(date.getMonth() + 1, 2)}-${pad(date.getDate(), 2)}`;
}

/** Longest instruction put in the prompt (instructions.ts clips to the same length). */
const MAX_PROMPT_INSTRUCTION_CHARS = 500;

/**
 * The variables of instruction-filters v1 for an instruction, the library's documents and the current time. The
 * instruction is put on one line, so it cannot forge the prompt's own sections ("Document list:", "JSON:").
 */
export function instructionFiltersVars(
  instruction: string,
  documents: readonly LibraryDocument[],
  now: Date,
): Record<string, PromptValue> {
  return {
    today: isoDay(now),
    documents: formatDocumentList(documents),
    instruction: oneLine(instruction, MAX_PROMPT_INSTRUCTION_CHARS),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Finding the JSON object

export type JsonScan =
  { ok: true; value: Record<string, unknown> } | { ok: false; reason: 'none' | 'truncated' | 'syntax' };

/** The index just past the '}' that closes the '{' at `start`, or -1 when the text ends first. Strings are skipped. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/**
 * The first JSON object in a model's output, wherever it stands: after prose, inside ``` fences, before a second
 * object (which is ignored). Balanced braces are found by one forward scan that skips strings; a candidate that is
 * not valid JSON is passed over and the scan goes on after it, so no character is read twice (linear time). Only
 * the first MAX_OUTPUT_CHARS are read.
 */
export function extractJsonObject(output: string): JsonScan {
  const text = output.length > MAX_OUTPUT_CHARS ? output.slice(0, MAX_OUTPUT_CHARS) : output;
  let failure: 'none' | 'syntax' = 'none';
  let start = text.indexOf('{');
  for (let tried = 0; start >= 0 && tried < MAX_OBJECTS_TRIED; tried++) {
    const end = closingBrace(text, start);
    if (end < 0) return { ok: false, reason: failure === 'none' ? 'truncated' : failure };
    try {
      const value: unknown = JSON.parse(text.slice(start, end));
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        return { ok: true, value: value as Record<string, unknown> };
      }
    } catch {
      // Not JSON ("{filters}" in prose, single quotes, a trailing comma): try the next object.
    }
    failure = 'syntax';
    start = text.indexOf('{', end);
  }
  return { ok: false, reason: failure };
}

// ---------------------------------------------------------------------------------------------------------------
// Mapping the object to filters

function fail(why: string): InstructionFiltersResult {
  return { ok: false, error: new AppError('INSTRUCTION_FILTERS_INVALID', undefined, { why }) };
}

const SCAN_WHY = {
  none: 'the model wrote no JSON object',
  truncated: 'the JSON the model wrote is cut off',
  syntax: 'the JSON the model wrote is not valid',
} as const;

/** Surrounding quotes, list dashes and spaces a model leaves around a value. */
const VALUE_EDGES = ' \t\n"\'`“”‘’-*•';

function trimEdges(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && VALUE_EDGES.includes(s[start]!)) start++;
  while (end > start && VALUE_EDGES.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

function nameKey(name: string): string {
  return trimEdges(name.normalize('NFKC').replace(/\s+/g, ' ')).toLowerCase();
}

function stemOf(key: string): string {
  const dot = key.lastIndexOf('.');
  return dot > 0 && key.length - dot <= 6 ? key.slice(0, dot) : key;
}

function push(map: Map<string, string[]>, key: string, id: string): void {
  const ids = map.get(key);
  if (ids) {
    if (!ids.includes(id)) ids.push(id);
  } else map.set(key, [id]);
}

/** Resolves the names the model wrote to documents: by id, by exact name (any case), or by name without extension. */
function resolveDocuments(values: readonly string[], library: readonly LibraryDocument[], dropped: DroppedFilter[]) {
  const byId = new Map(library.map((d) => [d.id, d]));
  const byName = new Map<string, string[]>();
  const byStem = new Map<string, string[]>();
  for (const d of library) {
    const key = nameKey(d.name);
    push(byName, key, d.id);
    push(byStem, stemOf(key), d.id);
  }
  const ids: string[] = [];
  for (const raw of values) {
    const key = nameKey(raw);
    if (!key) continue;
    const found = byId.has(trimEdges(raw)) ? [trimEdges(raw)] : (byName.get(key) ?? byStem.get(stemOf(key)));
    if (!found) {
      dropped.push({ field: 'documents', value: clipValue(raw), reason: 'unknown-document' });
      continue;
    }
    for (const id of found) {
      if (ids.includes(id)) continue;
      if (ids.length >= MAX_FILTER_DOCUMENTS) {
        dropped.push({ field: 'documents', value: clipValue(byId.get(id)!.name), reason: 'too-many' });
      } else ids.push(id);
    }
  }
  return ids.map((id) => byId.get(id)!);
}

const KIND_ALIASES: Readonly<Record<string, DocumentKind>> = {
  pdfs: 'pdf',
  doc: 'docx',
  word: 'docx',
  htm: 'html',
  web: 'html',
  md: 'markdown',
  txt: 'text',
  'plain text': 'text',
  ebook: 'epub',
  ebooks: 'epub',
  'e-book': 'epub',
  'e-books': 'epub',
  book: 'epub',
  books: 'epub',
  slides: 'pptx',
  slide: 'pptx',
  presentation: 'pptx',
  presentations: 'pptx',
  powerpoint: 'pptx',
  ppt: 'pptx',
  opendocument: 'odt',
  spreadsheets: 'spreadsheet',
  excel: 'spreadsheet',
  xlsx: 'spreadsheet',
  ods: 'spreadsheet',
  csv: 'spreadsheet',
  tsv: 'spreadsheet',
};

function resolveKinds(values: readonly string[], dropped: DroppedFilter[]): DocumentKind[] {
  const kinds: DocumentKind[] = [];
  for (const raw of values) {
    let key = trimEdges(raw).toLowerCase();
    while (key.startsWith('.')) key = key.slice(1);
    const kind = (INGEST_KINDS as readonly string[]).includes(key) ? (key as DocumentKind) : KIND_ALIASES[key];
    if (!kind) dropped.push({ field: 'kinds', value: clipValue(raw), reason: 'unknown-kind' });
    else if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

/** A day the model wrote (YYYY, YYYY-MM or YYYY-MM-DD, a time after 'T' ignored), as the period's first or last day. */
function parseDay(raw: string, end: 'first' | 'last'): { iso: string; date: Date } | null {
  const s = raw.trim();
  const day = s.length > 10 && s[10] === 'T' ? s.slice(0, 10) : s;
  if (!/^\d{4}(?:-\d{2}(?:-\d{2})?)?$/.test(day)) return null;
  const [y, m, d] = day.split('-').map(Number) as [number, number | undefined, number | undefined];
  if (y < 1000 || (m !== undefined && (m < 1 || m > 12))) return null;
  const month = m ?? (end === 'first' ? 1 : 12);
  const lastDay = new Date(y, month, 0).getDate();
  const date = d ?? (end === 'first' ? 1 : lastDay);
  if (date < 1 || date > lastDay) return null;
  const local = new Date(y, month - 1, date);
  return { iso: isoDay(local), date: local };
}

function clipValue(s: string): string {
  return oneLine(s, MAX_DROPPED_CHARS);
}

function resolveTerms(values: readonly string[], question: string, dropped: DroppedFilter[]): string[] {
  const terms: string[] = [];
  const seen = new Set<string>();
  for (const raw of values) {
    const term = trimEdges(raw.replace(/\s+/g, ' ').trim());
    const words = wordsOf(term);
    if (words.length === 0) {
      if (raw.trim()) dropped.push({ field: 'exclude', value: clipValue(raw), reason: 'empty' });
      continue;
    }
    const key = words.join(' ');
    if (seen.has(key)) continue;
    if (term.length > MAX_TERM_CHARS || words.length > MAX_TERM_WORDS) {
      dropped.push({ field: 'exclude', value: clipValue(term), reason: 'too-long' });
    } else if (question && findNegativeTerm(question, [term]) !== null) {
      // "define MaxSim, not documents that merely use it" must not exclude every passage about MaxSim.
      dropped.push({ field: 'exclude', value: term, reason: 'in-question' });
    } else if (terms.length >= MAX_NEGATIVE_TERMS) {
      dropped.push({ field: 'exclude', value: term, reason: 'too-many' });
    } else {
      seen.add(key);
      terms.push(term);
    }
  }
  return terms;
}

export interface ParseFiltersOptions {
  /** The library's documents: the only ones a filter may name. */
  documents: readonly LibraryDocument[];
  /** The question searched for: a negative term it contains is dropped (it would remove every good hit). */
  question?: string;
}

/** The first message of the schema's complaint, located ("kinds/0: …"), bounded. */
function schemaWhy(errors: readonly { instanceLocation: string; error: string }[]): string {
  const deepest = errors.reduce((a, b) => (b.instanceLocation.length > a.instanceLocation.length ? b : a), errors[0]!);
  const where = deepest.instanceLocation.replace(/^#\/?/, '');
  return oneLine(
    `the JSON the model wrote does not fit the filters${where ? ` at "${where}"` : ''}: ${deepest.error}`,
    200,
  );
}

/**
 * Filters from the instruction-filters prompt's output (untrusted model text). Fails with INSTRUCTION_FILTERS_INVALID
 * when there is no usable JSON object or it does not fit the schema; never throws. Values that fit the schema but
 * cannot be used (a document not in the library, an unknown file type, an impossible date, a reversed range, a
 * term too long or beyond the limits) are dropped one by one and listed in `dropped`.
 */
export function parseInstructionFilters(output: string, options: ParseFiltersOptions): InstructionFiltersResult {
  const scan = extractJsonObject(output);
  if (!scan.ok) return fail(SCAN_WHY[scan.reason]);
  const checked = validator.validate(scan.value);
  if (!checked.valid) return fail(schemaWhy(checked.errors));
  const raw = scan.value as {
    documents?: string[];
    kinds?: string[];
    from?: string | null;
    to?: string | null;
    exclude?: string[];
  };

  const dropped: DroppedFilter[] = [];
  const documents = resolveDocuments(raw.documents ?? [], options.documents, dropped);
  const kinds = resolveKinds(raw.kinds ?? [], dropped);

  const day = (field: 'from' | 'to') => {
    const value = raw[field];
    if (value === undefined || value === null || value.trim() === '') return null;
    const parsed = parseDay(value, field === 'from' ? 'first' : 'last');
    if (!parsed) dropped.push({ field, value: clipValue(value), reason: 'invalid-date' });
    return parsed;
  };
  let from = day('from');
  let to = day('to');
  if (from && to && from.date > to.date) {
    dropped.push({ field: 'from', value: from.iso, reason: 'reversed-range' });
    dropped.push({ field: 'to', value: to.iso, reason: 'reversed-range' });
    from = to = null;
  }

  const negativeTerms = resolveTerms(raw.exclude ?? [], options.question ?? '', dropped);

  const filters: SearchFilters = {};
  if (documents.length) filters.docIds = documents.map((d) => d.id);
  if (kinds.length) filters.kinds = kinds;
  if (from) filters.addedFrom = from.date.getTime();
  if (to) {
    const next = new Date(to.date);
    next.setDate(next.getDate() + 1);
    filters.addedTo = next.getTime() - 1;
  }
  return {
    ok: true,
    value: {
      filters,
      documents,
      dateRange: { from: from?.iso ?? null, to: to?.iso ?? null },
      negativeTerms,
      dropped,
    },
  };
}
