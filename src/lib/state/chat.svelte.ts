// Chat state: rewrite follow-ups, retrieve and rerank, then refuse or stream a cited, grounded answer.
import { AppError, isAbortError, toAppError } from '../errors';
import { parseCitations } from '../answer/citations';
import { buildMessages, PROMPT_NAME, PROMPT_VERSION } from '../answer/prompt';
import { fitContext } from '../answer/budget';
import { attributeUncited, contentWords, groundAnswer, type SentenceGrounding } from '../answer/grounding';
import { documentSpan } from '../answer/spans';
import { relevanceGate } from '../answer/refusal';
import { parseQueries, parseRewrite } from '../answer/multi-query';
import { multiQueryV1, queryRewriteV1, renderPrompt } from '../answer/prompts';
import type { ChatMessage } from '../models/generator/types';
import { getChunks, getDocument, getSetting, setSetting } from '../persistence';
import type { DocumentKind } from '../ingest/types';
import { reciprocalRankFusion } from '../retrieval/fusion';
import { DEFAULT_FINAL_ORDER, finalOrder } from '../retrieval/final-order';
import { Latest } from '../rpc';
import type { SearchFilters, SearchHit, TokenMatch } from '../services/search-service';
import type { AppState } from './app.svelte';

export interface Source {
  n: number;
  chunkId: string;
  docId: string;
  docName: string;
  text: string;
  /** Character range of the chunk in its document's text. */
  start: number;
  end: number;
  /** The score shown: mean MaxSim when reranked (the order also weighs the first stage), else the fusion score. */
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
  'idle' | 'rewriting' | 'searching' | 'loading-model' | 'generating' | 'done' | 'refused' | 'stopped' | 'error';

export interface ChatFilters {
  docIds: string[];
  kinds: DocumentKind[];
  /** yyyy-mm-dd, inclusive; empty for no bound. */
  from: string;
  to: string;
}

/** One question and its answer, as kept in the conversation and across reloads. */
export interface Turn {
  question: string;
  /** The stand-alone query actually searched (differs from the question for follow-ups). */
  query: string;
  answer: string;
  phase: ChatPhase;
  sources: Source[];
  grounding: SentenceGrounding[];
  /** Passage numbers sent to the model, and those left out for lack of room. */
  used: number[];
  dropped: number[];
  prompt: { name: string; version: number } | null;
}

/** A citation opened in the document view. */
export interface CitationView {
  n: number;
  docName: string;
  text: string;
  /** The cited passage, and within it the span that best supports the sentence. */
  passage: { start: number; end: number };
  highlight: { start: number; end: number };
}

const CONVERSATION_KEY = 'conversation';
const BUSY: ChatPhase[] = ['rewriting', 'searching', 'loading-model', 'generating'];

export class ChatState {
  question = $state('');
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

  parsed = $derived(parseCitations(this.answer, this.sources.length));
  busy = $derived(BUSY.includes(this.phase));
  filtersActive = $derived(
    this.filters.docIds.length > 0 || this.filters.kinds.length > 0 || !!this.filters.from || !!this.filters.to,
  );

  private readonly latest = new Latest();

  constructor(private readonly app: AppState) {}

  private current(): Turn {
    return {
      question: this.asked,
      query: this.query,
      answer: this.answer,
      phase: this.phase,
      sources: this.sources,
      grounding: this.grounding,
      used: this.used,
      dropped: this.dropped,
      prompt: this.prompt,
    };
  }

  private show(turn: Turn | null): void {
    this.asked = turn?.question ?? '';
    this.query = turn?.query ?? '';
    this.answer = turn?.answer ?? '';
    this.phase = turn ? (BUSY.includes(turn.phase) ? 'stopped' : turn.phase) : 'idle';
    this.sources = turn?.sources ?? [];
    this.grounding = turn?.grounding ?? [];
    this.used = turn?.used ?? [];
    this.dropped = turn?.dropped ?? [];
    this.prompt = turn?.prompt ?? null;
  }

  async restore(): Promise<void> {
    if (!this.app.db) return;
    const saved = await getSetting<Turn[]>(this.app.db, CONVERSATION_KEY, []);
    if (!Array.isArray(saved) || saved.length === 0) return;
    this.history = saved.slice(0, -1);
    this.show(saved[saved.length - 1] ?? null);
  }

  async clear(): Promise<void> {
    this.latest.cancel();
    this.history = [];
    this.show(null);
    this.error = null;
    this.stats = null;
    if (this.app.db) await setSetting(this.app.db, CONVERSATION_KEY, []);
    this.app.info('Conversation cleared.');
  }

  private async persist(): Promise<void> {
    if (!this.app.db) return;
    const turns = $state.snapshot([...this.history, ...(this.asked ? [this.current()] : [])]) as Turn[];
    await setSetting(this.app.db, CONVERSATION_KEY, turns);
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

  /** Runs the generator to completion without streaming, for rewrites. */
  private async complete(messages: ChatMessage[], maxNewTokens: number, signal: AbortSignal): Promise<string> {
    await this.app.ensureGenerator();
    const r = await this.app.generatorRpc!.call('generate', { messages, maxNewTokens }, { signal });
    return r.text;
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
    const question = this.question.trim();
    if (!question) {
      this.error = new AppError('QUESTION_EMPTY');
      this.app.fail(this.error);
      return;
    }
    if (this.asked) this.history = [...this.history, this.current()];
    this.show(null);
    this.asked = question;
    this.query = question;
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
          throw new AppError('SEARCH_NOT_READY');
        }
        const history = this.historyMessages();
        if (history.length) {
          // A follow-up is rewritten into a stand-alone query before retrieval.
          this.phase = 'rewriting';
          app.info('Rewriting your follow-up as a stand-alone question…');
          const out = await this.complete(renderPrompt(queryRewriteV1, { history, question }), 64, signal);
          const rewrite = parseRewrite(out, question);
          // A rewrite sharing no word with the user's questions has drifted: search the question as asked.
          const asked = [question, ...history.filter((m) => m.role === 'user').map((m) => m.content)];
          const known = new Set(contentWords(asked.join(' ')));
          this.query = contentWords(rewrite).some((w) => known.has(w)) ? rewrite : question;
        }
        let queries = [this.query];
        if (settings.multiQuery) {
          const out = await this.complete(renderPrompt(multiQueryV1, { question: this.query }), 96, signal);
          queries = [this.query, ...parseQueries(out, { exclude: [this.query] })];
        }
        this.phase = 'searching';
        app.info('Searching your documents…');
        const dense = app.embedder.status === 'ready' && app.embedderRpc ? app.embedderRpc : null;
        const instructions = app.embedderSpec?.instructions ? settings.searchInstructions.trim() : '';
        const late = app.lateInteraction.status === 'ready' && app.lateRpc ? app.lateRpc : null;
        const k = late ? settings.rerankCandidates : settings.topK;
        const lists: SearchHit[][] = [];
        for (const q of queries) {
          const vector = dense
            ? await dense.call(
                'embed',
                { texts: [instructions ? `${q} ${instructions}` : q], kind: 'query' },
                { signal },
              )
            : null;
          lists.push(
            await app.searchRpc.call(
              'search',
              {
                vector,
                text: q,
                k,
                filters: this.searchFilters(),
                weights: { dense: settings.denseWeight, keyword: settings.keywordWeight },
              },
              { signal },
            ),
          );
        }
        const fused =
          lists.length === 1
            ? lists[0]!
            : reciprocalRankFusion(
                lists.map((hits) => ({ hits })),
                { limit: k },
              );
        const byId = new Map(lists.flat().map((h) => [h.id, h]));
        // A passage's best cosine over every query (multi-query lists may hold it several times, or keyword-only).
        const bestDense = new Map<string, { score: number }>();
        for (const h of lists.flat()) {
          const seen = bestDense.get(h.id);
          if (h.dense && (!seen || h.dense.score > seen.score)) bestDense.set(h.id, h.dense);
        }
        let ranked: {
          id: string;
          score: number;
          relevance: number | null;
          matches: TokenMatch[];
          docTokens: string[];
        }[];
        if (late && fused.length) {
          const q = await late.call('encodeQuery', { text: this.query }, { signal });
          const rr = await app.searchRpc.call(
            'rerank',
            {
              query: { data: q.data, tokens: q.tokens, dims: q.dims, tokenTexts: q.tokenTexts },
              ids: fused.map((h) => h.id),
              topK: fused.length,
              gpu: app.device === 'webgpu',
              skip: app.lateSpec ? [...app.lateSpec.skiplist] : [],
            },
            { signal },
          );
          // Every candidate is reranked, then ordered with the first stage (finalOrder), so a reranker weak on this
          // text cannot bury what both searches found.
          ranked = finalOrder(fused, rr.hits, { limit: settings.topK }).map((h) => ({
            id: h.id,
            score: h.meanScore,
            relevance: h.relevance,
            matches: h.matches,
            docTokens: h.docTokens,
          }));
          this.searchNote = `${dense ? 'Dense and keyword' : 'Keyword'} results${queries.length > 1 ? ` for ${queries.length} queries` : ''}, reranked by late interaction on ${rr.device === 'webgpu' ? 'WebGPU' : 'the CPU'}${DEFAULT_FINAL_ORDER === 'fusion' ? ' and fused with the search order' : ''}.`;
        } else {
          ranked = fused.slice(0, settings.topK).map((h) => ({
            id: h.id,
            score: h.score,
            relevance: null,
            matches: [],
            docTokens: [],
          }));
          this.searchNote = dense
            ? 'Dense and keyword results fused.'
            : (app.keywordOnlyReason ?? 'Keyword search only.');
        }
        const gate = relevanceGate({
          found: fused.length,
          shown: ranked.map((r) => ({ relevance: r.relevance, dense: bestDense.get(r.id) ?? null })),
          ...(late && {
            rerank: {
              settingsThreshold: settings.relevanceThreshold,
              registryThreshold: app.lateSpec?.relevanceThreshold,
            },
          }),
          ...(dense && app.embedderSpec?.relevanceThreshold !== undefined
            ? { denseThreshold: app.embedderSpec.relevanceThreshold }
            : {}),
        });
        await this.loadSources(ranked, byId, late !== null);
        if (!gate.relevant) {
          // Below the threshold the generator is not called: say so and show the nearest passages.
          this.phase = 'refused';
          this.searchNote =
            fused.length === 0 && this.filtersActive
              ? 'No passage matches the current filters. Clear them to search everything.'
              : this.searchNote;
          app.info('Nothing relevant found.');
          await this.persist();
          return;
        }
        this.phase = 'loading-model';
        app.info('Loading the answer model…');
        await app.ensureGenerator();
        if (signal.aborted) throw new AppError('ABORTED');
        const spec = app.generatorSpec!;
        const fit = await fitContext({
          countTokens: (messages) => app.generatorRpc!.call('countTokens', { messages }, { signal }),
          contextLength: spec.contextLength,
          answerBudget: spec.maxNewTokens,
          question,
          passages: this.sources.map((s) => ({ n: s.n, source: s.docName, text: s.text })),
          history,
          build: (q, passages, h) => buildMessages(q, passages, h),
        });
        if (!fit.fits) throw new AppError('QUESTION_TOO_LONG');
        this.used = fit.used;
        this.dropped = fit.dropped;
        this.prompt = { name: PROMPT_NAME, version: PROMPT_VERSION };
        this.phase = 'generating';
        app.info(`Writing the answer from ${fit.used.length} of ${this.sources.length} passages…`);
        const result = await app.generatorRpc!.call(
          'generate',
          { messages: fit.messages, maxNewTokens: spec.maxNewTokens },
          { signal, onProgress: (p) => (this.answer += p.text) },
        );
        this.stats = { tokens: result.tokens, firstTokenMs: result.firstTokenMs, totalMs: result.totalMs };
        this.grounding = attributeUncited(
          await groundAnswer(
            this.answer,
            this.sources.filter((s) => fit.used.includes(s.n)).map((s) => ({ n: s.n, text: s.text })),
          ),
        );
        this.phase = 'done';
        const flagged = this.grounding.filter((g) => g.flagged).length;
        app.info(
          `Answered from ${fit.used.length} passages${flagged ? `; ${flagged} sentence(s) not supported by your documents` : ''}.`,
        );
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
      await this.persist();
    }
  }

  private async loadSources(
    ranked: { id: string; score: number; matches: TokenMatch[]; docTokens: string[] }[],
    byId: Map<string, SearchHit>,
    reranked: boolean,
  ): Promise<void> {
    const db = this.app.db!;
    const chunks = await getChunks(
      db,
      ranked.map((r) => r.id),
    );
    const names = new Map<string, string>();
    for (const c of chunks) {
      if (c && !names.has(c.docId)) names.set(c.docId, (await getDocument(db, c.docId))?.name ?? 'Unknown');
    }
    const sources: Source[] = [];
    ranked.forEach((r, i) => {
      const c = chunks[i];
      if (!c) return;
      const f = byId.get(r.id);
      sources.push({
        n: sources.length + 1,
        chunkId: c.id,
        docId: c.docId,
        docName: names.get(c.docId) ?? '',
        text: c.text,
        start: c.start,
        end: c.end,
        score: r.score,
        scoreKind: reranked ? 'rerank' : 'fusion',
        denseScore: f?.dense?.score ?? null,
        keywordScore: f?.keyword?.score ?? null,
        headingPath: c.headingPath,
        pageStart: c.pageStart,
        matches: r.matches,
        docTokens: r.docTokens,
      });
    });
    this.sources = sources;
  }

  /** Opens the document behind citation [n], with the span that supports the citing sentence highlighted. */
  async openCitation(n: number, sentenceStart?: number): Promise<void> {
    const source = this.sources.find((s) => s.n === n);
    if (!source || !this.app.db) return;
    const doc = await getDocument(this.app.db, source.docId);
    if (!doc) {
      this.app.fail(new AppError('DOCUMENT_GONE'));
      return;
    }
    const sentence = this.grounding.find(
      (g) => sentenceStart !== undefined && g.start <= sentenceStart && sentenceStart < g.end,
    );
    const sub = sentence?.support && sentence.support.n === n ? sentence.support : null;
    const passage = { start: source.start, end: source.end };
    this.viewing = {
      n,
      docName: source.docName,
      text: doc.text,
      passage,
      highlight: documentSpan(passage, sub, { chunkText: source.text, docText: doc.text }),
    };
  }

  closeCitation(): void {
    this.viewing = null;
  }

  stop(): void {
    this.latest.cancel();
    this.phase = 'stopped';
    this.app.info('Stopped.');
    void this.persist();
  }
}
