// Chat state: one question at a time — retrieve sources, then stream a cited answer.
import { AppError, isAbortError, toAppError } from '../errors';
import { parseCitations } from '../answer/citations';
import { buildMessages } from '../answer/prompt';
import { getChunks, getDocument } from '../persistence';
import { Latest } from '../rpc';
import type { AppState } from './app.svelte';

export interface Source {
  n: number;
  chunkId: string;
  docId: string;
  docName: string;
  text: string;
  score: number;
  headingPath: string[];
  pageStart: number | null;
}

export type ChatPhase = 'idle' | 'searching' | 'loading-model' | 'generating' | 'done' | 'stopped' | 'error';

export class ChatState {
  question = $state('');
  asked = $state('');
  phase = $state<ChatPhase>('idle');
  sources = $state<Source[]>([]);
  answer = $state('');
  error = $state<AppError | null>(null);
  stats = $state<{ tokens: number; firstTokenMs: number; totalMs: number } | null>(null);

  parsed = $derived(parseCitations(this.answer, this.sources.length));
  busy = $derived(this.phase === 'searching' || this.phase === 'loading-model' || this.phase === 'generating');

  private readonly latest = new Latest();

  constructor(private readonly app: AppState) {}

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
        if (!app.db) throw new AppError('STORAGE_FAILED');
        if (app.library.documents.length === 0) {
          throw app.library.busy
            ? new AppError('INDEX_EMPTY', 'Your documents are still being added. Ask again once they are ready.')
            : new AppError('INDEX_EMPTY');
        }
        if (app.embedder.status !== 'ready' || !app.embedderRpc || !app.indexRpc || !app.indexReady) {
          throw app.embedder.error ?? new AppError('MODEL_LOAD_FAILED', 'The embedding model is not ready yet.');
        }
        this.phase = 'searching';
        this.app.info('Searching your documents…');
        const vector = await app.embedderRpc.call('embed', { texts: [question], kind: 'query' }, { signal });
        const hits = await app.indexRpc.call('search', { vector, k: app.settings.topK }, { signal });
        const chunks = await getChunks(
          app.db,
          hits.map((h) => h.id),
        );
        const names = new Map<string, string>();
        for (const c of chunks) {
          if (c && !names.has(c.docId))
            names.set(c.docId, (await getDocument(app.db, c.docId))?.name ?? 'Unknown document');
        }
        this.sources = hits
          .flatMap((h, i) => {
            const c = chunks[i];
            if (!c) return [];
            return [
              {
                n: 0,
                chunkId: c.id,
                docId: c.docId,
                docName: names.get(c.docId) ?? '',
                text: c.text,
                score: h.score,
                headingPath: c.headingPath,
                pageStart: c.pageStart,
              },
            ];
          })
          .map((s, i) => ({ ...s, n: i + 1 }));
        this.phase = 'loading-model';
        this.app.info('Loading the answer model…');
        await app.ensureGenerator();
        if (signal.aborted) throw new AppError('ABORTED');
        this.phase = 'generating';
        this.app.info('Writing the answer…');
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
        this.app.info(`Answered from ${this.sources.length} passages.`);
      });
    } catch (err) {
      if (isAbortError(err)) {
        if (this.phase === 'generating' || this.phase === 'loading-model' || this.phase === 'searching') {
          this.phase = 'stopped';
          this.app.info('Stopped.');
        }
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
  }
}
