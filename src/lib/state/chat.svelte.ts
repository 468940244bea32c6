// Chat state: the conversation as shown and kept across reloads; each question runs the ask pipeline.
import type { SentenceGrounding } from '../answer/grounding';
import { AppError, isAbortError, toAppError } from '../errors';
import type { DocumentKind } from '../ingest/types';
import type { ChatMessage } from '../models/generator/types';
import { getDocument, getOcrPage, getSetting, setSetting, type LecternDatabase } from '../persistence';
import { askQuestion, type AskEvents, type AskPorts, type AskSettings } from '../pipelines/ask';
import { citationView, parseCitations, scanBoxes, type CitationView } from '../pipelines/citation';
import type { AskedSearch, FeedbackRecord, FeedbackSignal, FeedbackStart } from '../pipelines/feedback';
import type { DeepStageEvents } from '../pipelines/deep-rerank';
import type { ARCHIVE_SETTINGS } from '../pipelines/library-archive';
import {
  chipKey,
  readInstruction,
  splitQuestion,
  type InstructionChip,
  type InstructionRequest,
  type TurnInstruction,
} from '../pipelines/instruction-step';
import {
  BUSY,
  forgetDocument,
  readSource,
  scrubSource,
  type ChatPhase,
  type Source,
  type Turn,
} from '../pipelines/turn';
import type { SearchFilters } from '../retrieval/search-types';
import { Latest } from '../rpc';

export type { ChatPhase, CitationView, InstructionChip, Source, Turn, TurnInstruction };
export { chipKey };

export interface ChatFilters {
  docIds: string[];
  kinds: DocumentKind[];
  /** yyyy-mm-dd, inclusive; empty for no bound. */
  from: string;
  to: string;
}

export interface ChatContext {
  db(): LecternDatabase | null;
  settings(): AskSettings;
  ports: AskPorts;
  info(text: string): void;
  fail(err: AppError): void;
  /** Where each answer's feedback record is written (state/feedback.svelte.ts). */
  feedback?: {
    shown(start: Omit<FeedbackStart, 'models' | 'at'>): void;
    signal(id: string | null, signal: FeedbackSignal): void;
  };
}

const CONVERSATION_KEY = 'conversation';
/** The conversation's standing search instruction (the Instructions field). */
const INSTRUCTIONS_KEY = 'conversation-instructions' satisfies (typeof ARCHIVE_SETTINGS)[number];

/** Deep mode's stage for the question shown: how long it should take, then how long it took. */
export interface DeepStageView {
  running: boolean;
  /** Passages judged now, and those read from the cache. */
  judge: number;
  cached: number;
  estimateMs: number;
  tookMs: number | null;
  stopped: boolean;
  /** The model failed part-way, in plain words: the rest kept the search's order. */
  failed: string | null;
}

/** yyyy-mm-dd to ms since epoch, at the start or the end of that day; undefined when empty. */
const day = (s: string, end: boolean) =>
  s ? new Date(`${s}T${end ? '23:59:59.999' : '00:00:00'}`).getTime() : undefined;

export class ChatState {
  question = $state('');
  /** The conversation's search instruction, followed by every question (with any written inline). */
  instructions = $state('');
  /** The shown turn's instruction and the filters it became; null when it followed none. */
  instruction = $state<TurnInstruction | null>(null);
  /** Earlier turns of this conversation, oldest first. */
  history = $state<Turn[]>([]);
  asked = $state('');
  query = $state('');
  phase = $state<ChatPhase>('idle');
  sources = $state<Source[]>([]);
  answer = $state('');
  grounding = $state<SentenceGrounding[]>([]);
  used = $state<number[]>([]);
  dropped = $state<number[]>([]);
  prompt = $state<{ name: string; version: number } | null>(null);
  error = $state<AppError | null>(null);
  stats = $state<{ tokens: number; firstTokenMs: number; totalMs: number } | null>(null);
  filters = $state<ChatFilters>({ docIds: [], kinds: [], from: '', to: '' });
  /** How the last search ran, in plain words (keyword-only, reranked on webgpu, …). */
  searchNote = $state('');
  viewing = $state<CitationView | null>(null);
  /** The id of the turn shown (its feedback record's key); null when none, or saved before turns had ids. */
  turnId = $state<string | null>(null);
  /** Deep mode's stage of the question asked in this session; null when it did not run. */
  deep = $state<DeepStageView | null>(null);
  /** Stops deep mode's stage only (the answer follows from what was judged). */
  private deepStop: AbortController | null = null;

  parsed = $derived(parseCitations(this.answer, this.sources.length));
  busy = $derived(BUSY.includes(this.phase));
  filtersActive = $derived(
    this.filters.docIds.length > 0 || this.filters.kinds.length > 0 || !!this.filters.from || !!this.filters.to,
  );

  private readonly latest = new Latest();
  /** Documents deleted in this session: their passages never come back into the conversation. */
  private readonly deleted = new Set<string>();

  constructor(private readonly ctx: ChatContext) {}

  private current(): Turn {
    const { turnId: id, asked: question, query, answer, phase, sources, grounding, used, dropped, prompt } = this;
    const turn: Turn = { question, query, answer, phase, sources, grounding, used, dropped, prompt };
    return { ...(id ? { id } : {}), ...turn, ...(this.instruction ? { instruction: this.instruction } : {}) };
  }

  private show(turn: Turn | null): void {
    this.turnId = turn?.id ?? null;
    this.asked = turn?.question ?? '';
    this.query = turn?.query ?? '';
    this.answer = turn?.answer ?? '';
    this.phase = turn ? (BUSY.includes(turn.phase) ? 'stopped' : turn.phase) : 'idle';
    this.sources = (turn?.sources ?? []).map(readSource);
    this.grounding = turn?.grounding ?? [];
    this.used = turn?.used ?? [];
    this.dropped = turn?.dropped ?? [];
    this.prompt = turn?.prompt ?? null;
    this.deep = null;
    this.instruction = readInstruction(turn?.instruction) ?? null;
  }

  async restore(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    const saved = await getSetting<Turn[]>(db, CONVERSATION_KEY, []);
    // Also after a library import replaced the stored conversation: what was shown goes, even when none came.
    const turns = Array.isArray(saved) ? saved : [];
    const instructions = await getSetting<unknown>(db, INSTRUCTIONS_KEY, '');
    this.instructions = typeof instructions === 'string' ? instructions : '';
    this.latest.cancel();
    this.history = turns.slice(0, -1);
    this.show(turns[turns.length - 1] ?? null);
  }

  async clear(): Promise<void> {
    this.latest.cancel();
    this.history = [];
    this.show(null);
    this.error = null;
    this.stats = null;
    // The instruction belongs to the conversation: a new one starts without it.
    this.instructions = '';
    await this.persist();
    await this.saveInstructions();
    this.ctx.info('Conversation cleared.');
  }

  /** Keeps the conversation for the next visit; a failed write is shown, never thrown at the caller. */
  private async persist(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    const turns = $state.snapshot([...this.history, ...(this.asked ? [this.current()] : [])]) as Turn[];
    await setSetting(db, CONVERSATION_KEY, turns).catch((err: unknown) =>
      this.ctx.fail(toAppError(err, 'STORAGE_FAILED')),
    );
  }

  /** Keeps the Instructions field for the next visit; a failed write is shown, never thrown at the caller. */
  async saveInstructions(): Promise<void> {
    const db = this.ctx.db();
    if (!db) return;
    await setSetting(db, INSTRUCTIONS_KEY, this.instructions).catch((err: unknown) =>
      this.ctx.fail(toAppError(err, 'STORAGE_FAILED')),
    );
  }

  private searchFilters(): SearchFilters {
    const f = this.filters;
    return {
      docIds: f.docIds.length ? [...f.docIds] : undefined,
      kinds: f.kinds.length ? [...f.kinds] : undefined,
      addedFrom: day(f.from, false),
      addedTo: day(f.to, true),
    };
  }

  private historyMessages(): ChatMessage[] {
    return this.history
      .filter((t) => t.phase === 'done')
      .flatMap((t) => [
        { role: 'user' as const, content: t.question },
        { role: 'assistant' as const, content: t.answer },
      ]);
  }

  async ask(): Promise<void> {
    const typed = this.question.trim();
    if (!typed) {
      this.error = new AppError('QUESTION_EMPTY');
      this.ctx.fail(this.error);
      return;
    }
    if (this.asked) this.history = [...this.history, this.current()];
    // An instruction written after the question joins the conversation's; the question part is searched.
    const { question, instruction } = splitQuestion(typed, this.instructions);
    await this.run(typed, question, { text: instruction });
  }

  /** Removes one of the shown turn's instruction filters and asks that question again without it. */
  async removeChip(key: string): Promise<void> {
    const turn = this.instruction;
    if (!turn || this.busy) return;
    const chips = turn.chips.filter((c) => chipKey(c) !== key);
    if (chips.length === turn.chips.length) return;
    await this.run(this.asked, splitQuestion(this.asked, '').question, { text: turn.text, chips });
  }

  /** Asks `question` (`asked` as typed) as the shown turn, following `instruction`. */
  private async run(asked: string, question: string, instruction: InstructionRequest): Promise<void> {
    this.show(null);
    const id = crypto.randomUUID();
    Object.assign(this, { turnId: id, asked, query: question, error: null, stats: null });
    // Chips kept from before are shown at once; new ones come when the model has turned the instruction into them.
    if (instruction.chips) this.instruction = { text: instruction.text, chips: instruction.chips, note: null };
    let searched: AskedSearch | null = null;
    // The record is written when the sources first show; deep mode's new order then updates it (marks stay).
    let recorded = false;
    const deepStop = new AbortController();
    this.deepStop = deepStop;
    const request = {
      question,
      history: this.historyMessages(),
      settings: this.ctx.settings(),
      filters: this.searchFilters(),
      filtersActive: this.filtersActive,
      deepStop: deepStop.signal,
      instruction,
    };
    try {
      await this.latest.run((signal) => {
        // A stopped or superseded question no longer writes into what is shown.
        const live = (apply: () => void) => void (signal.aborted || apply());
        const on: AskEvents = {
          phase: (p) => live(() => (this.phase = p)),
          info: (t) => live(() => this.ctx.info(t)),
          query: (q) => live(() => (this.query = q)),
          note: (t) => live(() => (this.searchNote = t)),
          instruction: (v) => live(() => (this.instruction = v)),
          // A question asked before a delete may bring the deleted document's passages back: scrub them too.
          searched: (s) => (searched = s),
          sources: (s) =>
            live(() => {
              this.sources = s.map((x) => (this.deleted.has(x.docId) ? scrubSource(x) : x));
              if (searched) {
                const shown = s.map((x) => x.chunkId);
                if (!recorded) {
                  this.ctx.feedback?.shown({ id, question: asked, query: this.query, search: searched, shown });
                  recorded = true;
                } else void this.ctx.feedback?.signal(id, { kind: 'reordered', final: searched.final, shown });
              }
            }),
          fitted: (f) => live(() => Object.assign(this, f)),
          text: (t) => live(() => (this.answer += t)),
          grounded: (g) => live(() => Object.assign(this, g)),
          deep: this.deepEvents(live),
        };
        return askQuestion(request, this.ctx.ports, on, signal);
      });
    } catch (err) {
      if (isAbortError(err)) {
        if (this.busy) this.phase = 'stopped';
      } else {
        this.error = toAppError(err);
        this.phase = 'error';
        this.ctx.fail(this.error);
      }
    } finally {
      if (this.turnId === id && this.deep?.running) {
        // The whole question stopped during deep mode: no judgment is left showing as under way.
        this.deep = { ...this.deep, running: false, stopped: true };
        this.sources = this.sources.map((x) =>
          x.deep?.state === 'judging' ? { ...x, deep: { ...x.deep, state: 'stopped' } } : x,
        );
      }
      if (searched) this.ctx.feedback?.signal(id, this.finished(id));
      await this.persist();
    }
  }

  /** Deep mode's stage as shown: the estimate, each source's reasoning streaming in, its verdict, the time taken. */
  private deepEvents(live: (apply: () => void) => void): DeepStageEvents {
    const patch = (chunkId: string, change: (s: Source) => Source) =>
      live(() => (this.sources = this.sources.map((s) => (s.chunkId === chunkId && !s.deleted ? change(s) : s))));
    return {
      estimate: (e) =>
        live(() => (this.deep = { running: true, ...e, estimateMs: e.ms, tookMs: null, stopped: false, failed: null })),
      start: (id) => patch(id, (s) => ({ ...s, deep: { reasoning: '', probability: null, state: 'judging' } })),
      text: (id, piece) =>
        patch(id, (s) => (s.deep ? { ...s, deep: { ...s.deep, reasoning: s.deep.reasoning + piece } } : s)),
      judged: (id, j) =>
        patch(id, (s) => ({
          ...s,
          deep: { reasoning: j.reasoning, probability: j.probability, state: 'done', cached: j.cached },
        })),
      done: (d) =>
        live(
          () =>
            this.deep &&
            Object.assign(this.deep, { running: false, tookMs: d.ms, stopped: d.stopped, failed: d.failed ?? null }),
        ),
    };
  }

  /** Stops deep mode's judging: what was judged reorders the sources, the rest keep their place, the answer follows. */
  stopDeep(): void {
    this.deepStop?.abort();
  }

  /** How the ask of turn `id` ended, what its answer cites and with which prompt (it may have been superseded). */
  private finished(id: string): FeedbackSignal {
    if (this.turnId !== id) return { kind: 'finished', outcome: 'stopped', cited: [], prompt: null };
    const ended = ['done', 'refused', 'error'] as const;
    const outcome: FeedbackRecord['outcome'] = ended.find((p) => p === this.phase) ?? 'stopped';
    const cited = new Set(this.parsed.segments.flatMap((g) => (g.kind === 'cite' ? [g.n] : [])));
    const chunks = this.sources.filter((x) => cited.has(x.n)).map((x) => x.chunkId);
    return { kind: 'finished', outcome, cited: chunks, prompt: outcome === 'done' ? this.prompt : null };
  }

  /** Opens the document behind citation [n], with the span that supports the citing sentence highlighted. */
  async openCitation(n: number, sentenceStart?: number): Promise<void> {
    const opened = ++this.opened;
    const source = this.sources.find((s) => s.n === n);
    if (source) this.ctx.feedback?.signal(this.turnId, { kind: 'opened', chunkId: source.chunkId });
    if (source?.library) {
      // A published library holds passages, not whole texts: the view is the passage itself.
      const passage = { ...source, start: 0, end: source.text.length };
      this.viewing = citationView(passage, source.text, this.grounding, sentenceStart);
      return;
    }
    const db = this.ctx.db();
    if (!source || !db) return;
    const doc = await getDocument(db, source.docId).catch((err: unknown) => {
      this.ctx.fail(toAppError(err, 'STORAGE_FAILED'));
      return null;
    });
    // A citation opened while this one's document was read replaces it.
    if (doc === null || this.opened !== opened) return;
    if (!doc) {
      this.ctx.fail(new AppError('DOCUMENT_GONE'));
      return;
    }
    const view = citationView(source, doc.text, this.grounding, sentenceStart);
    this.viewing = view;
    if (doc.kind === 'pdf' && source.pageStart !== null)
      void this.showScan(db, source.docId, source.pageStart, view, opened);
  }

  /** Counts citations opened, so a page image read late is not shown over a citation opened since. */
  private opened = 0;

  /** A passage from a scanned page: the view adds the page image with the cited lines boxed (when it is still open). */
  private async showScan(
    db: LecternDatabase,
    docId: string,
    pageStart: number,
    view: CitationView,
    opened: number,
  ): Promise<void> {
    // A passage may run onto the next page: the first of the two that holds its lines is shown.
    for (const page of [pageStart, pageStart + 1]) {
      const scan = await getOcrPage(db, docId, page).catch(() => undefined);
      if (!scan) continue;
      const boxes = scanBoxes(scan.lines, view);
      if (boxes.length === 0) continue;
      // (this.viewing is the state's proxy of `view`, never `view` itself.)
      if (this.opened === opened && this.viewing)
        this.viewing = { ...view, scan: { page, image: scan.image, width: scan.width, height: scan.height, boxes } };
      return;
    }
  }

  /** A document was deleted: its passages leave the conversation, the saved one included, and its view closes. */
  async forgetDocument(docId: string): Promise<void> {
    this.deleted.add(docId);
    if (
      !this.sources.some((s) => s.docId === docId) &&
      !this.history.some((t) => t.sources.some((s) => s.docId === docId))
    )
      return;
    this.history = forgetDocument(this.history, docId);
    this.sources = this.sources.map((s) => (s.docId === docId ? scrubSource(s) : s));
    if (this.viewing && this.sources.find((s) => s.n === this.viewing!.n)?.deleted) this.viewing = null;
    await this.persist();
  }

  /** Documents deleted in this session are back (a library import brought them): their passages may show again. */
  documentsBack(docIds: readonly string[]): void {
    for (const id of docIds) this.deleted.delete(id);
  }

  closeCitation(): void {
    this.viewing = null;
  }

  stop(): void {
    this.latest.cancel();
    this.phase = 'stopped';
    this.ctx.info('Stopped.');
    void this.persist();
  }
}
