// The ingest pipeline with in-thread fakes: stages, one save with every row, the index, prompts, errors, cancelling.
import { describe, expect, it } from 'vitest';
import type { EmbedderSpec } from '../../../src/lib/config/registry-types';
import { AppError } from '../../../src/lib/errors';
import {
  importFile,
  removeDocument,
  STAGE_START,
  type ImportRequest,
  type IngestHooks,
  type OcrPort,
  type PromptAnswer,
  type RecognisedPage,
  type QueuePrompt,
  type QueueStage,
} from '../../../src/lib/pipelines/ingest';
import { storedToInt8 } from '../../../src/lib/retrieval/compress';
import { vectorValues } from '../../../src/lib/persistence/vectors-repo';
import type { AddParams } from '../../../src/lib/retrieval/search-types';
import { loadPdfjs, readFixture } from '../ingest/helpers';
import { makePptx, markedPicture } from '../ingest/office-files';
import { DIMS, fakeIndex, fakeModels, fakeTokens, fakeVector, MemoryStore } from './fakes';

const SPEC = {
  role: 'embedder',
  id: 'fake/embedder',
  dims: DIMS,
  maxTokens: 64,
} as unknown as EmbedderSpec;

const MARKDOWN = [
  '# Lighthouses',
  '',
  'The Fresnel lens concentrates the lamp into a beam seen far out at sea.',
  '',
  '## Keepers',
  '',
  ...Array.from({ length: 30 }, (_, i) => `Keepers trimmed the wick and wound the clockwork, night ${i}.`),
].join('\n');

function request(text: string | Uint8Array, patch: Partial<ImportRequest> = {}): ImportRequest {
  const file = new Blob([typeof text === 'string' ? text : new Uint8Array(text)]);
  return {
    docId: 'doc-1',
    file,
    name: 'lighthouses.md',
    mimeType: 'text/markdown',
    embedder: SPEC,
    chunk: { maxTokens: 40, overlapTokens: 4 },
    maxFileMB: 1,
    ...patch,
  };
}

interface Run {
  stages: QueueStage[];
  fractions: number[];
  prompts: QueuePrompt[];
  saved: number;
}

function hooks(answers: PromptAnswer[] = [], signal = new AbortController().signal): IngestHooks & { run: Run } {
  const run: Run = { stages: [], fractions: [], prompts: [], saved: 0 };
  return {
    run,
    signal,
    progress: (stage, fraction) => {
      if (run.stages[run.stages.length - 1] !== stage) run.stages.push(stage);
      run.fractions.push(fraction);
    },
    ask: async (prompt) => {
      run.prompts.push(prompt);
      const a = answers.shift();
      if (!a) throw new Error('unexpected question');
      return a;
    },
    saved: () => run.saved++,
    waiting: () => {},
  };
}

const newLog = () => ({ added: [] as AddParams[], removed: [] as string[][] });

describe('ingest pipeline', () => {
  it("removes the file's pending-import row with the document's save, in the same call", async () => {
    const store = new MemoryStore();
    const out = await importFile(
      request(MARKDOWN, { pendingId: 'tab-1:3' }),
      { store, models: async () => fakeModels(newLog(), true) },
      hooks(),
    );
    expect(out.kind).toBe('added');
    expect(store.pendingRemoved).toEqual(['tab-1:3']);
  });

  it('parses, chunks, embeds, encodes tokens, saves once and indexes, reporting stages in order', async () => {
    const store = new MemoryStore();
    const log = newLog();
    const embedCalls: { texts: string[]; kind: string }[] = [];
    const h = hooks();
    const out = await importFile(
      request(MARKDOWN),
      { store, models: async () => fakeModels(log, true, embedCalls) },
      h,
    );

    expect(h.run.stages).toEqual(['reading', 'parsing', 'chunking', 'embedding', 'tokens', 'saving', 'done']);
    // Fractions never go back, and each stage starts where STAGE_START says.
    expect(h.run.fractions).toEqual([...h.run.fractions].sort((a, b) => a - b));
    expect(h.run.fractions).toContain(STAGE_START.tokens);
    expect(h.run.saved).toBe(1);
    expect(store.saves).toBe(1);
    // No pending-import row was named: none is removed with the save.
    expect(store.pendingRemoved).toEqual([undefined]);

    const rows = store.docs.get('doc-1')!;
    const n = rows.chunks.length;
    expect(n).toBeGreaterThan(2);
    expect(rows.chunks.map((c) => c.id)).toEqual(rows.chunks.map((c) => `doc-1:${c.ordinal}`));
    expect(rows.doc).toMatchObject({ id: 'doc-1', name: 'lighthouses.md', kind: 'markdown', chunkCount: n });
    expect(rows.doc.text).toContain('Fresnel lens');
    // One vector per chunk, computed on the chunk's contextual text (title prefix) as a document.
    expect(embedCalls).toHaveLength(1);
    expect(embedCalls[0]!.kind).toBe('document');
    expect(embedCalls[0]!.texts).toHaveLength(n);
    // Stored as int8 with one scale: each value within half a step (scale / 2) of what the embedder gave.
    rows.vectors.forEach((v, i) => {
      expect(v.chunkId).toBe(rows.chunks[i]!.id);
      expect(v).toMatchObject({ bits: 8, dims: DIMS });
      expect(v.data.byteLength).toBe(DIMS);
      const want = new Float32Array(fakeVector(embedCalls[0]!.texts[i]!));
      expect(v.scale).toBeCloseTo(Math.max(...want.map(Math.abs)) / 127, 7);
      const got = vectorValues(v)!;
      want.forEach((x, j) => expect(Math.abs(got[j]! - x)).toBeLessThanOrEqual(v.scale! / 2 + 1e-7));
    });
    // Token vectors are stored as int6 with their model id, one row per encoder token, each within half a step.
    expect(rows.tokenVectors).toHaveLength(n);
    expect(rows.tokenVectors.every((t) => t.bits === 6 && t.modelId === 'late-model')).toBe(true);
    rows.tokenVectors.forEach((t, i) => {
      const want = fakeTokens(rows.chunks[i]!.text);
      expect(t).toMatchObject({ tokens: want.tokens, tokenTexts: want.tokenTexts });
      const unpacked = storedToInt8(t);
      want.data.forEach((x, j) => {
        const scale = unpacked.scales[Math.floor(j / DIMS)]!;
        expect(Math.abs(unpacked.data[j]! * scale - x)).toBeLessThanOrEqual(scale / 2 + 1e-7);
      });
    });
    expect(rows.keywords.map((k) => k.chunkId)).toEqual(rows.chunks.map((c) => c.id));

    // The index gets the same ids, the vectors and keyword counts; nothing was removed.
    expect(log.added).toHaveLength(1);
    expect(log.added[0]!.ids).toEqual(rows.chunks.map((c) => c.id));
    expect(log.added[0]!.vectors).toHaveLength(n * DIMS);
    expect(log.added[0]!.meta).toEqual({ docId: 'doc-1', kind: 'markdown', addedAt: rows.doc.addedAt });
    expect(log.removed).toEqual([]);

    // What comes back is what was stored, without the text.
    expect(out).toMatchObject({ kind: 'added', replaced: null, warnings: [] });
    if (out.kind === 'skipped') throw new Error('skipped');
    expect(out.doc).toEqual((({ text: _t, ...rest }) => rest)(rows.doc));
  });

  it('passes on what parsing gave up on, for the user to read', async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode(MARKDOWN), 0xff, 0xfe, 0x41]);
    const out = await importFile(
      request(bytes, { name: 'notes.txt', mimeType: 'text/plain' }),
      { store: new MemoryStore(), models: async () => fakeModels(newLog()) },
      hooks(),
    );
    expect(out).toMatchObject({ kind: 'added', warnings: ['FILE_DECODE_WARNING'] });
  });

  it('without a reranker stores no token vectors and skips that stage', async () => {
    const store = new MemoryStore();
    const h = hooks();
    await importFile(request(MARKDOWN), { store, models: async () => fakeModels(newLog(), false) }, h);
    expect(h.run.stages).not.toContain('tokens');
    expect(store.docs.get('doc-1')!.tokenVectors).toEqual([]);
  });

  it('refuses empty, oversized and duplicate files before waiting for the models', async () => {
    const store = new MemoryStore();
    let waited = 0;
    const ports = {
      store,
      models: async () => {
        waited++;
        return fakeModels(newLog());
      },
    };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (e: AppError) => e.code,
      );
    expect(await code(importFile(request(''), ports, hooks()))).toBe('FILE_EMPTY');
    const big = new Uint8Array(1024 * 1024 + 1).fill(65);
    expect(await code(importFile(request(big), ports, hooks()))).toBe('FILE_TOO_LARGE');
    expect(waited).toBe(0);
    await importFile(request(MARKDOWN), ports, hooks());
    const again = importFile(request(MARKDOWN, { docId: 'doc-2', name: 'copy.md' }), ports, hooks());
    await expect(again).rejects.toMatchObject({
      code: 'FILE_DUPLICATE',
      message: expect.stringContaining('lighthouses.md'),
    });
    expect(waited).toBe(1);
  });

  it("passes on the models' failure (no embedder: nothing can be imported)", async () => {
    const ports = {
      store: new MemoryStore(),
      models: async () => {
        throw new AppError('MODEL_HUB_UNREACHABLE');
      },
    };
    await expect(importFile(request(MARKDOWN), ports, hooks())).rejects.toMatchObject({
      code: 'MODEL_HUB_UNREACHABLE',
    });
    expect(ports.store.saves).toBe(0);
  });

  it('asks before replacing a file of the same name: no skips it, yes replaces it in the same save', async () => {
    const store = new MemoryStore();
    const log = newLog();
    const ports = { store, models: async () => fakeModels(log) };
    await importFile(request(MARKDOWN), ports, hooks());
    const oldIds = await store.chunkIdsOf('doc-1');
    const changed = MARKDOWN.replace('Fresnel', 'Argand');

    const no = hooks([{ kind: 'replace', replace: false }]);
    expect(await importFile(request(changed, { docId: 'doc-2' }), ports, no)).toEqual({ kind: 'skipped' });
    expect(no.run.prompts).toEqual([{ kind: 'replace', existing: 'lighthouses.md' }]);
    expect(store.saves).toBe(1);

    const yes = hooks([{ kind: 'replace', replace: true }]);
    const out = await importFile(request(changed, { docId: 'doc-3' }), ports, yes);
    expect(out).toMatchObject({ kind: 'replaced', replaced: 'doc-1' });
    expect([...store.docs.keys()]).toEqual(['doc-3']);
    expect(log.removed).toEqual([oldIds]);
  });

  it("asks for a PDF's password, again when wrong, and gives up when none is given", async () => {
    const pdf = readFixture('password.pdf');
    const ports = { store: new MemoryStore(), models: async () => fakeModels(newLog()), parseOptions: { loadPdfjs } };
    const pdfRequest = request(pdf, { name: 'password.pdf', mimeType: 'application/pdf' });
    const h = hooks([
      { kind: 'password', password: 'nope' },
      { kind: 'password', password: 'password' },
    ]);
    const out = await importFile(pdfRequest, ports, h);
    expect(h.run.prompts).toEqual([
      { kind: 'password', wrong: false },
      { kind: 'password', wrong: true },
    ]);
    expect(out).toMatchObject({ kind: 'added', doc: { kind: 'pdf' } });

    const cancel = hooks([{ kind: 'password', password: null }]);
    const other = request(pdf, { docId: 'doc-9', name: 'other.pdf', mimeType: 'application/pdf' });
    await expect(importFile(other, { ...ports, store: new MemoryStore() }, cancel)).rejects.toMatchObject({
      code: 'PDF_PASSWORD_REQUIRED',
    });
  });

  describe('a scanned PDF', () => {
    /** What the fake recogniser reads on every page: one table row, as tesseract reports it (1000 × 1000 pixels). */
    const READ = {
      blocks: [
        {
          paragraphs: [
            {
              lines: [
                {
                  text: 'Chipper 20,843 96.20',
                  bbox: { x0: 100, y0: 150, x1: 700, y1: 180 },
                  words: ['Chipper', '20,843', '96.20'].map((text, i) => ({
                    text,
                    confidence: 90,
                    bbox: { x0: 100 + i * 200, y0: 150, x1: 280 + i * 200, y1: 180 },
                  })),
                },
              ],
            },
          ],
        },
      ],
    };
    const scan = () =>
      request(readFixture('single_table.pdf'), { name: 'single_table.pdf', mimeType: 'application/pdf' });

    function ocrPort(cache: RecognisedPage[] = []): OcrPort & { calls: number; languages: string[][] } {
      const port = {
        calls: 0,
        available: () => true,
        render: async () => ({
          image: new Blob(['the page as png']),
          preview: new Blob(['the page as jpeg']),
          width: 1000,
          height: 1000,
        }),
        languages: [] as string[][],
        recognise: async (_image: Blob, languages: readonly string[], signal: AbortSignal) => {
          port.calls++;
          port.languages.push([...languages]);
          if (signal.aborted) throw new AppError('ABORTED');
          return READ;
        },
        cached: async (hash: string) => cache.find((p) => p.hash === hash),
        model: 'fake-ocr',
        secondsPerPage: 6.5,
        drawImage: async (image: Blob) => ({
          image: new Blob([`${await image.text()} as png`]),
          preview: new Blob(['the picture as jpeg']),
          width: 1000,
          height: 1000,
        }),
      };
      return port;
    }

    it('asks first, with the estimate, then recognises the page and saves its lines and image with the document', async () => {
      const store = new MemoryStore();
      const ocr = ocrPort();
      const h = hooks([{ kind: 'ocr', recognise: true }]);
      const out = await importFile(
        scan(),
        { store, models: async () => fakeModels(newLog()), parseOptions: { loadPdfjs }, ocr },
        h,
      );
      expect(h.run.prompts).toEqual([{ kind: 'ocr', source: 'scans', pages: 1, seconds: 7 }]);
      expect(h.run.stages).toContain('recognising');
      expect(h.run.stages.indexOf('recognising')).toBeLessThan(h.run.stages.indexOf('chunking'));
      expect(ocr.calls).toBe(1);
      expect(out).toMatchObject({ kind: 'added', doc: { kind: 'pdf', pageCount: 1 } });
      const saved = store.docs.get('doc-1') as {
        chunks: { text: string; pageStart: number | null }[];
        ocrPages?: unknown[];
      };
      expect(saved.chunks.map((c) => c.text).join(' ')).toContain('Chipper 20,843 96.20');
      expect(saved.chunks[0]!.pageStart).toBe(1);
      expect(saved.ocrPages).toEqual([
        expect.objectContaining({
          id: 'doc-1#1',
          docId: 'doc-1',
          page: 1,
          hash: expect.stringMatching(/^[0-9a-f]{64}:fake-ocr eng layout 1$/),
          width: 1000,
          height: 1000,
          lines: [expect.objectContaining({ text: 'Chipper 20,843 96.20' })],
        }),
      ]);
      expect(await (saved.ocrPages![0] as { image: Blob }).image.text()).toBe('the page as jpeg');
    });

    it('takes a page recognised before (same page hash) from the cache instead of recognising it again', async () => {
      const first = new MemoryStore();
      await importFile(
        scan(),
        { store: first, models: async () => fakeModels(newLog()), parseOptions: { loadPdfjs }, ocr: ocrPort() },
        hooks([{ kind: 'ocr', recognise: true }]),
      );
      const stored = (first.docs.get('doc-1') as unknown as { ocrPages: RecognisedPage[] }).ocrPages;
      const again = ocrPort(stored);
      const out = await importFile(
        request(readFixture('single_table.pdf'), { docId: 'doc-2', name: 'copy.pdf', mimeType: 'application/pdf' }),
        { store: new MemoryStore(), models: async () => fakeModels(newLog()), parseOptions: { loadPdfjs }, ocr: again },
        hooks([{ kind: 'ocr', recognise: true }]),
      );
      expect(again.calls).toBe(0);
      expect(out).toMatchObject({ kind: 'added' });
      // Other languages read the page differently: the cached English reading is not used for them.
      const german = ocrPort(stored);
      await importFile(
        request(readFixture('single_table.pdf'), {
          docId: 'doc-3',
          name: 'copy.pdf',
          mimeType: 'application/pdf',
          ocrLanguages: ['eng', 'deu'],
        }),
        {
          store: new MemoryStore(),
          models: async () => fakeModels(newLog()),
          parseOptions: { loadPdfjs },
          ocr: german,
        },
        hooks([{ kind: 'ocr', recognise: true }]),
      );
      expect(german.calls).toBe(1);
      expect(german.languages).toEqual([['eng', 'deu']]);
    });

    it('declined, the file is refused as having no text; cancelled while recognising, nothing is saved', async () => {
      const store = new MemoryStore();
      const ports = { store, models: async () => fakeModels(newLog()), parseOptions: { loadPdfjs }, ocr: ocrPort() };
      await expect(importFile(scan(), ports, hooks([{ kind: 'ocr', recognise: false }]))).rejects.toMatchObject({
        code: 'PDF_NO_TEXT',
      });
      expect(ports.ocr.calls).toBe(0);
      const controller = new AbortController();
      const h = hooks([{ kind: 'ocr', recognise: true }], controller.signal);
      const progress = h.progress;
      h.progress = (stage, fraction) => {
        if (stage === 'recognising') controller.abort();
        progress(stage, fraction);
      };
      await expect(importFile(scan(), ports, h)).rejects.toMatchObject({ code: 'ABORTED' });
      expect(store.saves).toBe(0);
    });

    it('a deck’s pictures: asked about as pictures, their text indexed on their slide, each stored once for the cache', async () => {
      const shot = markedPicture('a screenshot');
      const deck = makePptx([
        { title: 'Results', body: ['See the table.'], pictures: [{ name: 'table.png', bytes: shot }] },
        { title: 'Again', pictures: [{ name: 'copy.png', bytes: shot }] },
      ]);
      const pptx = (docId: string) => request(deck, { docId, name: `${docId}.pptx`, mimeType: '', ocrPictures: true });
      // Unless Settings say to offer it, pictures are not looked at and nothing is asked.
      const quiet = hooks([]);
      await importFile(
        { ...pptx('doc-0'), ocrPictures: false },
        { store: new MemoryStore(), models: async () => fakeModels(newLog()), ocr: ocrPort() },
        quiet,
      );
      expect(quiet.run.prompts).toEqual([]);
      const store = new MemoryStore();
      const ocr = ocrPort();
      const h = hooks([{ kind: 'ocr', recognise: true }]);
      await importFile(pptx('doc-1'), { store, models: async () => fakeModels(newLog()), ocr }, h);
      expect(h.run.prompts).toEqual([{ kind: 'ocr', source: 'pictures', pages: 2, seconds: 13 }]);
      // Two parts with the same bytes: recognised once, the second taken from this import's own results.
      expect(ocr.calls).toBe(1);
      const saved = store.docs.get('doc-1') as unknown as {
        chunks: { text: string; pageStart: number | null }[];
        ocrPages: (RecognisedPage & { id: string; page: number })[];
      };
      const text = saved.chunks.map((c) => c.text).join(' ');
      expect(text).toContain('Text in picture: Chipper 20,843 96.20');
      expect(saved.chunks.find((c) => c.text.includes('Chipper'))!.pageStart).toBe(1);
      expect(saved.ocrPages.map((r) => [r.id, r.page])).toEqual([
        ['doc-1#picture-1', 1],
        ['doc-1#picture-2', 2],
      ]);
      expect(saved.ocrPages[0]!.hash).toMatch(/^[0-9a-f]{64}:fake-ocr eng layout 1$/);
      // A picture's image is never shown (the citation view shows pages): none is kept.
      expect(saved.ocrPages[0]!.image.size).toBe(0);
      // Imported again elsewhere, the stored recognition is used: nothing is drawn or read again.
      const again = ocrPort(saved.ocrPages);
      await importFile(
        pptx('doc-2'),
        { store: new MemoryStore(), models: async () => fakeModels(newLog()), ocr: again },
        hooks([{ kind: 'ocr', recognise: true }]),
      );
      expect(again.calls).toBe(0);
    });
  });

  it('stops when cancelled: nothing is saved or indexed', async () => {
    const store = new MemoryStore();
    const log = newLog();
    const controller = new AbortController();
    const h = hooks([], controller.signal);
    const progress = h.progress;
    h.progress = (stage, fraction) => {
      progress(stage, fraction);
      if (stage === 'embedding') controller.abort();
    };
    await expect(
      importFile(request(MARKDOWN), { store, models: async () => fakeModels(log) }, h),
    ).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect(store.saves).toBe(0);
    expect(log.added).toEqual([]);
  });

  it('leaves the index alone when the save fails (the document is fully out)', async () => {
    const store = new MemoryStore();
    store.failNextSave = new AppError('STORAGE_QUOTA');
    const log = newLog();
    const h = hooks();
    await expect(
      importFile(request(MARKDOWN), { store, models: async () => fakeModels(log) }, h),
    ).rejects.toMatchObject({
      code: 'STORAGE_QUOTA',
    });
    expect(h.run.saved).toBe(0);
    expect(log.added).toEqual([]);
  });

  it('removes a document from storage, then its chunks from the index', async () => {
    const store = new MemoryStore();
    const log = newLog();
    await importFile(request(MARKDOWN), { store, models: async () => fakeModels(log) }, hooks());
    const ids = await store.chunkIdsOf('doc-1');
    await removeDocument('doc-1', store, fakeIndex(log));
    expect(store.docs.size).toBe(0);
    expect(log.removed).toEqual([ids]);
  });
});
