// Chat state: one question at a time — retrieve, rerank, refuse or stream a cited answer; survives reloads.
import { AppError, isAbortError, toAppError } from '../errors';
import { parseCitations } from '../answer/citations';
import { buildMessages } from '../answer/prompt';
import { getChunks, getDocument, getSetting, setSetting } from '../persistence';
import type { DocumentKind } from '../ingest/types';
import { Latest } from '../rpc';
import type { SearchFilters, TokenMatch } from '../services/search-service';
import type { AppState } from './app.svelte';

export interface Source {
  n: number;
  chunkId: string;
  docId: string;
  docName: string;
  text: string;
  /** The score the sources are ordered by: mean MaxSim when reranked, else the fusion score. */
  score: number;
  scoreKind: 'rerank' | 'fusion';
  denseScore: number | null;
  keywordScore: number | null;
  headingPath: string[];
  pageStart: number | null;
  /** Per query token, its best document token (late interaction), for the explanation view. */
  matches: TokenMatch[];
  docTokens: string[];
}

export type ChatPhase =
  'idle' | 'searching' | 'loading-model' | 'generating' | 'done' | 'refused' | 'stopped' | 'error';

export interface ChatFilters {
  docIds: string[];
  kinds: DocumentKind[];
  /** yyyy-mm-dd, inclusive; empty for no bound. */
  from: string;
  to: string;
}

interface SavedTurn {
  asked: string;
  answer: string;
  phase: ChatPhase;
  sources: Source[];
}

const CONVERSATION_KEY = 'conversation';

export class ChatState {
  question = $state('');
  asked = $state('');
  phase = $state<ChatPhase>('idle');
  sources = $state<Source[]>([]);
  answer = $state('');
  error = $state<AppError | null>(null);
  stats = $state<{ tokens: number; firstTokenMs: number; totalMs: number } | null>(null);
  filters = $state<ChatFilters>({ docIds: [], kinds: [], from: '', to: '' });
  /** How the last search ran, in plain words (keyword-only, reranked on webgpu, …). */
  searchNote = $state('');

  parsed = $derived(parseCitations(this.answer, this.sources.length));
  busy = $derived(this.phase === 'searching' || this.phase === 'loading-model' || this.phase === 'generating');
  filtersActive = $derived(
    this.filters.docIds.length > 0 || this.filters.kinds.length > 0 || !!this.filters.from || !!this.filters.to,
  );

  private readonly latest = new Latest();

  constructor(private readonly app: AppState) {}

  async restore(): Promise<void> {
    if (!this.app.db) return;
    const saved = await getSetting<SavedTurn | null>(this.app.db, CONVERSATION_KEY, null);
    if (!saved || typeof saved !== 'object') return;
    this.asked = saved.asked;
    this.answer = saved.answer;
    this.sources = saved.sources;
    this.phase = saved.phase === 'done' || saved.phase === 'refused' ? saved.phase : 'stopped';
  }

  async clear(): Promise<void> {
    this.latest.cancel();
    this.asked = '';
    this.answer = '';
    this.sources = [];
    this.phase = 'idle';
    this.error = null;
    this.stats = null;
    if (this.app.db) await setSetting(this.app.db, CONVERSATION_KEY, null);
  }

  private async persist(): Promise<void> {
    if (!this.app.db) return;
    const turn: SavedTurn = $state.snapshot({
      asked: this.asked,
      answer: this.answer,
      phase: this.phase,
      sources: this.sources,
    }) as SavedTurn;
    await setSetting(this.app.db, CONVERSATION_KEY, turn);
  }

  private searchFilters(): SearchFilters {
    const f = this.filters;
    const day = (s: string, end: boolean) =>
      s ? new Date(`${s}T${end ? '23:59:59.999' : '00:00:00'}`).getTime() : undefined;
    return {
      docIds: f.docIds.length ? [...f.docIds] : undefined,
      kinds: f.kinds.length ? [...f.kinds] : undefined,
      addedFrom: day(f.from, false),
      addedTo: day(f.to, true),
    };
  }

  async ask(): Promise<void> {
    const question = this.question.trim();
    if (!question) {
      this.error = new AppError('QUESTION_EMPTY');
      this.app.fail(this.error);
      return;
    }
    this.asked = question;
    this.answer = '';
    this.sources = [];
    this.error = null;
    this.stats = null;
    try {
      await this.latest.run(async (signal) => {
        const app = this.app;
        const settings = app.settings;
        if (!app.db) throw new AppError('STORAGE_FAILED');
        if (app.library.documents.length === 0) {
          throw app.library.busy
            ? new AppError('INDEX_EMPTY', 'Your documents are still being added. Ask again once they are ready.')
            : new AppError('INDEX_EMPTY');
        }
        this.phase = 'searching';
        await app.modelsSettled;
        if (!app.searchRpc || !app.searchReady) {
          throw new AppError('MODEL_LOAD_FAILED', 'Search is still starting. Try again in a moment.');
        }
        this.phase = 'searching';
        app.info('Searching your documents…');
        const dense = app.embedder.status === 'ready' && app.embedderRpc ? app.embedderRpc : null;
        const instructions = app.embedderSpec?.instructions ? settings.searchInstructions.trim() : '';
        const vector = dense
          ? await dense.call(
              'embed',
              { texts: [instructions ? `${question} ${instructions}` : question], kind: 'query' },
              { signal },
            )
          : null;
        const late = app.lateInteraction.status === 'ready' && app.lateRpc ? app.lateRpc : null;
        const fused = await app.searchRpc.call(
          'search',
          {
            vector,
            text: question,
            k: late ? settings.rerankCandidates : settings.topK,
            filters: this.searchFilters(),
            weights: { dense: settings.denseWeight, keyword: settings.keywordWeight },
          },
          { signal },
        );
        const byId = new Map(fused.map((h) => [h.id, h]));
        let ranked: { id: string; score: number; matches: TokenMatch[]; docTokens: string[] }[];
        let relevant = fused.length > 0;
        if (late && fused.length) {
          const q = await late.call('encodeQuery', { text: question }, { signal });
          const rr = await app.searchRpc.call(
            'rerank',
            {
              query: { data: q.data, tokens: q.tokens, dims: q.dims, tokenTexts: q.tokenTexts },
              ids: fused.map((h) => h.id),
              topK: settings.topK,
              gpu: app.device === 'webgpu',
            },
            { signal },
          );
          ranked = rr.hits.map((h) => ({ id: h.id, score: h.meanScore, matches: h.matches, docTokens: h.docTokens }));
          relevant = (rr.hits[0]?.meanScore ?? -1) >= settings.relevanceThreshold;
          this.searchNote = `${vector ? 'Dense and keyword' : 'Keyword'} results reranked by late interaction on ${rr.device === 'webgpu' ? 'WebGPU' : 'the CPU'}.`;
        } else {
          ranked = fused.slice(0, settings.topK).map((h) => ({ id: h.id, score: h.score, matches: [], docTokens: [] }));
          this.searchNote = vector
            ? 'Dense and keyword results fused.'
            : (app.keywordOnlyReason ?? 'Keyword search only.');
        }
        const chunks = await getChunks(
          app.db,
          ranked.map((r) => r.id),
        );
        const names = new Map<string, string>();
        for (const c of chunks) {
          if (c && !names.has(c.docId)) names.set(c.docId, (await getDocument(app.db, c.docId))?.name ?? 'Unknown');
        }
        this.sources = ranked.flatMap((r, i) => {
          const c = chunks[i];
          if (!c) return [];
          const f = byId.get(r.id);
          return [
            {
              n: 0,
              chunkId: c.id,
              docId: c.docId,
              docName: names.get(c.docId) ?? '',
              text: c.text,
              score: r.score,
              scoreKind: late ? ('rerank' as const) : ('fusion' as const),
              denseScore: f?.dense?.score ?? null,
              keywordScore: f?.keyword?.score ?? null,
              headingPath: c.headingPath,
              pageStart: c.pageStart,
              matches: r.matches,
              docTokens: r.docTokens,
            },
          ];
        });
        this.sources = this.sources.map((s, i) => ({ ...s, n: i + 1 }));
        if (!relevant) {
          // Below the threshold the generator is not called: say so and show the nearest passages.
          this.phase = 'refused';
          this.answer = '';
          app.info('Nothing relevant found.');
          await this.persist();
          return;
        }
        this.phase = 'loading-model';
        app.info('Loading the answer model…');
        await app.ensureGenerator();
        if (signal.aborted) throw new AppError('ABORTED');
        this.phase = 'generating';
        app.info('Writing the answer…');
        const messages = buildMessages(
          question,
          this.sources.map((s) => ({ n: s.n, source: s.docName, text: s.text })),
        );
        const result = await app.generatorRpc!.call(
          'generate',
          { messages, maxNewTokens: app.generatorSpec?.maxNewTokens ?? 256 },
          { signal, onProgress: (p) => (this.answer += p.text) },
        );
        this.stats = { tokens: result.tokens, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs };
        this.phase = 'done';
        app.info(`Answered from ${this.sources.length} passages.`);
        await this.persist();
      });
    } catch (err) {
      if (isAbortError(err)) {
        if (this.busy) this.phase = 'stopped';
        await this.persist();
        return;
      }
      this.error = toAppError(err);
      this.phase = 'error';
      this.app.fail(this.error);
    }
  }

  stop(): void {
    this.latest.cancel();
    this.phase = 'stopped';
    this.app.info('Stopped.');
    void this.persist();
  }
}
