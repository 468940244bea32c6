// The instruction step of the ask pipeline: splits an inline instruction off the question, turns the instruction into filters and negative terms (the model, schema-checked), and applies them to the search.
import {
  hasFilters,
  instructionFiltersVars,
  parseInstructionFilters,
  type InstructionFilters,
  type LibraryDocument,
} from '../answer/instruction-filters';
import { combineInstructions, splitInstruction } from '../answer/instructions';
import { instructionFiltersV1, renderPrompt } from '../answer/prompts';
import { isAbortError } from '../errors';
import { INGEST_KINDS, type DocumentKind } from '../ingest/types';
import type { ChatMessage } from '../models/generator/types';
import { dropNegativeHits } from '../retrieval/negative-terms';
import type { PassageRow, Retrieved, RetrieveRequest, SearchFilters } from '../retrieval/search-types';

/** Tokens the model may write for the filter object (a short JSON object; a longer output is a model that rambles). */
export const FILTER_TOKENS = 160;

/** Said on the turn when the model's output could not be used (or the model could not run). */
export const FILTERS_FAILED_NOTE = "Couldn't turn your instructions into filters; searched without them.";

/** An id no document has: a filter that keeps it keeps nothing (the user's and the instruction's sets are disjoint). */
export const NO_DOCUMENT = '';

/** One thing an instruction filters by, shown on the turn as a removable chip. */
export interface InstructionChip {
  field: 'document' | 'kind' | 'from' | 'to' | 'exclude';
  /** A document id, a file type, an ISO day (YYYY-MM-DD) or a negative term. */
  value: string;
  /** What the chip says (untrusted: document names and model text, shown as text only). */
  label: string;
}

/** What the instruction did to a turn's search, as the turn keeps it. */
export interface TurnInstruction {
  /** The instruction the search followed: the conversation's and the question's inline one, combined. */
  text: string;
  chips: InstructionChip[];
  /** Why the instruction did not filter (its output was unusable), or null. */
  note: string | null;
}

/** A question as typed, split into the part searched and the instruction it follows. */
export interface SplitQuestion {
  question: string;
  /** The conversation's instruction and the inline one, combined ('' when neither). */
  instruction: string;
}

/**
 * Splits an inline instruction off the typed question ("…, only from the 2023 reports") and joins it to the
 * conversation's standing instruction.
 */
export function splitQuestion(typed: string, conversation: string): SplitQuestion {
  const { question, instruction } = splitInstruction(typed);
  return { question, instruction: combineInstructions(conversation, instruction) };
}

/** The key a chip is removed by. */
export const chipKey = (chip: InstructionChip): string => `${chip.field}:${chip.value}`;

/** The chips for filters the model gave: one per document, file type, date bound and negative term. */
export function chipsOf(f: InstructionFilters): InstructionChip[] {
  const chips: InstructionChip[] = [];
  for (const d of f.documents) chips.push({ field: 'document', value: d.id, label: `Only ${d.name}` });
  for (const k of f.filters.kinds ?? []) chips.push({ field: 'kind', value: k, label: `Only ${k}` });
  if (f.dateRange.from) chips.push({ field: 'from', value: f.dateRange.from, label: `Added from ${f.dateRange.from}` });
  if (f.dateRange.to) chips.push({ field: 'to', value: f.dateRange.to, label: `Added until ${f.dateRange.to}` });
  for (const t of f.negativeTerms) chips.push({ field: 'exclude', value: t, label: `Not “${t}”` });
  return chips;
}

/** A local ISO day as ms since epoch, at the start or the end of that day (as the filter panel's dates). */
const dayBound = (iso: string, end: boolean) => new Date(`${iso}T${end ? '23:59:59.999' : '00:00:00'}`).getTime();

function intersect<T>(a: readonly T[] | undefined, b: readonly T[]): T[] {
  return a?.length ? a.filter((x) => b.includes(x)) : [...b];
}

/**
 * The user's filters narrowed by the chips: documents and file types intersect (none in common keeps nothing), the
 * date range is the later start and the earlier end. The user's filters are not changed.
 */
export function narrowFilters(base: SearchFilters, chips: readonly InstructionChip[]): SearchFilters {
  const out: SearchFilters = { ...base };
  const of = (field: InstructionChip['field']) => chips.filter((c) => c.field === field).map((c) => c.value);
  const docs = of('document');
  const kinds = of('kind') as DocumentKind[];
  let empty = false;
  if (docs.length) {
    out.docIds = intersect(base.docIds, docs);
    empty ||= out.docIds.length === 0;
  }
  if (kinds.length) {
    out.kinds = intersect(base.kinds, kinds);
    empty ||= out.kinds.length === 0;
  }
  for (const from of of('from')) out.addedFrom = Math.max(out.addedFrom ?? -Infinity, dayBound(from, false));
  for (const to of of('to')) out.addedTo = Math.min(out.addedTo ?? Infinity, dayBound(to, true));
  if (empty) out.docIds = [NO_DOCUMENT];
  return out;
}

export interface InstructionRequest {
  /** The combined instruction ('' for none). */
  text: string;
  /** Chips already derived for this turn, less those the user removed: used as they are, the model is not asked. */
  chips?: InstructionChip[];
}

/** The narrow port the step needs. */
export interface InstructionPorts {
  /** The library's documents, as the prompt lists them (absent: an empty list). */
  documents?(): readonly LibraryDocument[];
  /** Runs the generator on the prompt and returns what it wrote. */
  complete(messages: ChatMessage[], maxNewTokens: number): Promise<string>;
  /** Ranked passages' rows, for their text (negative terms are matched on it). */
  passages(ids: string[]): Promise<(PassageRow | undefined)[]>;
  now?(): Date;
}

export interface InstructionEvents {
  /** Progress in plain words. */
  info?(text: string): void;
  /** What the instruction does to this turn's search; before the search runs. */
  instruction?(view: TurnInstruction): void;
}

type Retrieve = (req: RetrieveRequest, signal: AbortSignal) => Promise<Retrieved>;

/** The search as the instruction shapes it. */
export interface GuidedSearch {
  /** The user's filters narrowed by the instruction's. */
  filters: SearchFilters;
  /** Whether any filter (the user's or the instruction's) narrows the search. */
  filtered: boolean;
  /** The instruction for an embedder that follows instructions: the Settings one and this turn's, combined. */
  queryInstruction(settings: string): string;
  /** Retrieves, then drops the hits that hold a negative term (asking for more so the count holds). */
  retrieve: Retrieve;
}

/**
 * Follows the instruction: without one, the search is the user's; with one, the model turns it into chips (or the
 * chips given are reused), reported with `on.instruction`. Unusable model output, or a model that fails to run,
 * gives no chips and a plain note, never an error; only an abort is thrown.
 */
export async function followInstruction(
  req: { instruction?: InstructionRequest; question: string; filters: SearchFilters; filtersActive: boolean },
  retrieve: Retrieve,
  ports: InstructionPorts,
  on: InstructionEvents,
  signal: AbortSignal,
): Promise<GuidedSearch> {
  const text = req.instruction?.text.trim() ?? '';
  let view: TurnInstruction | null = null;
  if (text) {
    if (!req.instruction?.chips) on.info?.('Turning your instructions into filters…');
    view = req.instruction?.chips
      ? { text, chips: req.instruction.chips, note: null }
      : await deriveChips(text, req.question, ports, signal);
    on.instruction?.(view);
  }
  const chips = view?.chips ?? [];
  const filters = narrowFilters(req.filters, chips);
  const terms = chips.filter((c) => c.field === 'exclude').map((c) => c.value);
  return {
    filters,
    filtered: req.filtersActive || chips.some((c) => c.field !== 'exclude'),
    queryInstruction: (settings) => (text ? combineInstructions(settings, text) : settings.trim()),
    retrieve: terms.length ? withoutTerms(retrieve, terms, ports) : retrieve,
  };
}

async function deriveChips(
  text: string,
  question: string,
  ports: InstructionPorts,
  signal: AbortSignal,
): Promise<TurnInstruction> {
  const documents = ports.documents?.() ?? [];
  const now = ports.now?.() ?? new Date();
  let output: string;
  try {
    output = await ports.complete(
      renderPrompt(instructionFiltersV1, instructionFiltersVars(text, documents, now)),
      FILTER_TOKENS,
    );
  } catch (err) {
    if (isAbortError(err) || signal.aborted) throw err;
    return { text, chips: [], note: FILTERS_FAILED_NOTE };
  }
  const parsed = parseInstructionFilters(output, { documents, question });
  if (!parsed.ok) return { text, chips: [], note: FILTERS_FAILED_NOTE };
  return { text, chips: hasFilters(parsed.value) ? chipsOf(parsed.value) : [], note: null };
}

/** A retrieve that drops hits holding a negative term: it asks for twice as many, drops, and keeps the first topK. */
function withoutTerms(retrieve: Retrieve, terms: readonly string[], ports: InstructionPorts): Retrieve {
  return async (req, signal) => {
    const more = req.topK * 2;
    const found = await retrieve({ ...req, topK: more, candidates: Math.max(req.candidates, more) }, signal);
    const rows = await ports.passages(found.passages.map((p) => p.id));
    const text = new Map(rows.flatMap((r) => (r ? [[r.id, r.text] as const] : [])));
    const { kept, removed } = dropNegativeHits(found.passages, (p) => text.get(p.id), terms);
    const shown = kept.slice(0, req.topK);
    // Left out: the removed hits that would have been shown without the terms (within the first topK found), not
    // every removal among the extra hits asked for.
    const place = new Map(found.passages.map((p, i) => [p.id, i]));
    const excluded = removed.filter((r) => place.get(r.hit.id)! < req.topK).length;
    return { ...found, passages: shown, ...(excluded > 0 && { excluded }) };
  };
}

const FIELDS: readonly InstructionChip['field'][] = ['document', 'kind', 'from', 'to', 'exclude'];
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A stored chip's value as its field needs it: a real day for dates, a known file type (a NaN bound would hide every hit). */
function valueFits(c: InstructionChip): boolean {
  if (c.field === 'from' || c.field === 'to')
    return ISO_DAY.test(c.value) && Number.isFinite(dayBound(c.value, c.field === 'to'));
  if (c.field === 'kind') return (INGEST_KINDS as readonly string[]).includes(c.value);
  return true;
}

/** A turn's instruction as read back from storage (an imported archive is not trusted); undefined when malformed. */
export function readInstruction(v: unknown): TurnInstruction | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const t = v as Record<string, unknown>;
  const chip = (c: unknown): c is InstructionChip =>
    typeof c === 'object' &&
    c !== null &&
    FIELDS.includes((c as InstructionChip).field) &&
    typeof (c as InstructionChip).value === 'string' &&
    typeof (c as InstructionChip).label === 'string' &&
    valueFits(c as InstructionChip);
  if (typeof t.text !== 'string' || !Array.isArray(t.chips) || !t.chips.every(chip)) return undefined;
  return { text: t.text, chips: t.chips, note: typeof t.note === 'string' ? t.note : null };
}
