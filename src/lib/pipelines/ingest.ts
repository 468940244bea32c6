// The ingest pipeline: one file → checks → parse → chunk → embed → token vectors → one transaction → the indexes.
import type { EmbedderSpec } from '../config/registry-types';
import { AppError, toAppError, type ErrorCode } from '../errors';
import { chunkDocument, contextualText, parseFile, type ParseOptions } from '../ingest';
import { sha256Hex } from '../ingest/hash';
import { OCR_LAYOUT_VERSION, ocrLinesOf, type OcrLine, type TesseractBlocks } from '../ingest/ocr-layout';
import type { ImageOcr } from '../ingest/image-text';
import type { PageImage, PageRenderer, PdfOcr } from '../ingest/pdf';
import type { ChunkDraft, ParsedDocument } from '../ingest/types';
import type { EmbedderMethods } from '../models/embedder/types';
import type { LateInteractionMethods } from '../models/late-interaction/types';
import type { TokenCounter } from '../models/tokenizer';
import { ocrPageId, ocrPictureId } from '../persistence/ocr-repo';
import type { DocumentRecord, OcrPageRecord } from '../persistence/schema';
import { keywordCounts } from '../retrieval/keywords';
import type { Caller } from '../rpc';
import type { SearchMethods } from '../retrieval/search-types';
import { chunkId, documentRows, type DocumentRows, type RowsInput } from './records';

/** A stored document as lists show it: everything but its text. */
export type DocumentSummary = Omit<DocumentRecord, 'text'>;

export type QueueStage =
  | 'waiting'
  | 'reading'
  | 'asking'
  | 'parsing'
  | 'recognising'
  | 'chunking'
  | 'embedding'
  | 'tokens'
  | 'saving'
  | 'done'
  | 'error'
  | 'cancelled'
  | 'skipped';

/** A question the pipeline needs answered before a file can go on. */
export type QueuePrompt =
  | { kind: 'replace'; existing: string }
  | { kind: 'password'; wrong: boolean }
  /**
   * Recognise the text (about `seconds` s on this device) of a PDF's `pages` pages without a text layer (`scans`), or
   * of `pages` pictures inside a DOCX, PPTX or EPUB file (`pictures`)?
   */
  | { kind: 'ocr'; source: 'scans' | 'pictures'; pages: number; seconds: number };

export type PromptAnswer =
  | { kind: 'replace'; replace: boolean }
  | { kind: 'password'; password: string | null }
  | { kind: 'ocr'; recognise: boolean };

/** Where each stage starts within a file's whole work (0..1); embedding and token vectors fill their spans. */
export const STAGE_START: Record<QueueStage, number> = {
  waiting: 0,
  reading: 0.02,
  asking: 0.04,
  parsing: 0.05,
  recognising: 0.06,
  chunking: 0.15,
  embedding: 0.2,
  tokens: 0.6,
  saving: 0.95,
  done: 1,
  error: 1,
  cancelled: 1,
  skipped: 1,
};

/** The storage calls ingest needs. */
export interface LibraryStore {
  findByHash(hash: string): Promise<{ name: string } | undefined>;
  findByName(name: string): Promise<{ id: string; name: string } | undefined>;
  chunkIdsOf(docId: string): Promise<string[]>;
  /**
   * One transaction: the document with every derived row, the removal of the one it replaces, and of the file's
   * pending-import row (`pending`), so a file is never both saved and still waiting to be imported.
   */
  save(rows: DocumentRows & { ocrPages?: OcrPageRecord[] }, replaces?: string, pending?: string): Promise<void>;
  remove(docId: string): Promise<void>;
}

/** The models and the index a file is embedded with and added to, known once they have loaded. */
export interface IngestModels {
  /** The embedder and its model key (config/provenance.ts); null when none loaded: files are indexed by keywords only. */
  embedder: { caller: Caller<Pick<EmbedderMethods, 'embed'>>; key: string } | null;
  /** The late-interaction encoder and its model key; null when no reranker loaded. */
  late: { caller: Caller<Pick<LateInteractionMethods, 'encodeDocuments'>>; modelId: string } | null;
  index: Caller<Pick<SearchMethods, 'add' | 'remove'>>;
  /** Counts tokens with the embedder's tokenizer (an overestimate when it cannot load), for chunk sizes. */
  tokenCounter(spec: EmbedderSpec): Promise<TokenCounter>;
}

/** A page as recognised, held until the document is saved with it. */
export interface RecognisedPage {
  hash: string;
  width: number;
  height: number;
  lines: OcrLine[];
  image: Blob;
}

/** Text recognition (OCR) for scanned PDF pages: drawing pages, recognising them, and the cache of earlier pages. */
export interface OcrPort {
  /** Whether OCR can run in this worker at all (see PdfOcr.available). */
  available(): boolean;
  render: PageRenderer;
  /** getDocument parameters drawing needs (a worker's canvas factory). */
  documentParams?: Record<string, unknown>;
  recognise(image: Blob, languages: readonly string[], signal: AbortSignal): Promise<TesseractBlocks>;
  /** A page recognised before (in a stored document) under this hash. */
  cached(hash: string): Promise<RecognisedPage | undefined>;
  /** Names the recogniser and its settings: part of each page's hash (with the languages), so others recognise again. */
  model: string;
  /** The estimate shown before recognising: seconds per page on this device. */
  secondsPerPage: number;
  /** Draws a picture on white for recognition (transparent parts would read as black). */
  drawImage(image: Blob): Promise<PageImage>;
}

export interface IngestPorts {
  store: LibraryStore;
  /** Text recognition; without it scanned pages are left out with a warning. */
  ocr?: OcrPort;
  /** Resolves once every model that will load has (throws the reason when the index cannot be used). */
  models(): Promise<IngestModels>;
  /** Extra parser options, e.g. a pdf.js loader where no module worker exists (Node tests). */
  parseOptions?: Omit<ParseOptions, 'maxBytes' | 'password'>;
}

export interface ImportRequest {
  docId: string;
  file: Blob;
  name: string;
  mimeType: string;
  embedder: EmbedderSpec;
  chunk: { maxTokens: number; overlapTokens: number };
  maxFileMB: number;
  /** The file's pending-import row, removed with the save (none when the tab could not store it). */
  pendingId?: string;
  /** The languages scanned pages are recognised in (tesseract codes); default English. */
  ocrLanguages?: readonly string[];
  /** Offer to recognise the text in a DOCX, PPTX or EPUB file's pictures (Settings; off unless true). */
  ocrPictures?: boolean;
}

export interface IngestHooks {
  signal: AbortSignal;
  /** Stage changes, and progress within a stage as a fraction of the file's whole work. */
  progress(stage: QueueStage, fraction: number): void;
  ask(prompt: QueuePrompt): Promise<PromptAnswer>;
  /** The document is stored: from here on a closed tab does not lose it. */
  saved(): void;
  /** The pipeline waits on something outside this worker (the models loading): no stall clock should run. */
  waiting(): void;
}

export type ImportOutcome =
  | { kind: 'skipped' }
  | {
      kind: 'added' | 'replaced';
      doc: DocumentSummary;
      replaced: string | null;
      /** What parsing had to give up on (undecodable bytes, unreadable PDF pages), for the user to read. */
      warnings: ErrorCode[];
    };

/** Imports one file, or throws an AppError naming why not. */
export async function importFile(req: ImportRequest, ports: IngestPorts, hooks: IngestHooks): Promise<ImportOutcome> {
  const { name, file, docId, embedder } = req;
  const { signal } = hooks;
  const stage = (s: QueueStage) => hooks.progress(s, STAGE_START[s]);
  if (file.size === 0) throw new AppError('FILE_EMPTY', undefined, { fileName: name });
  const maxBytes = req.maxFileMB * 1024 * 1024;
  if (file.size > maxBytes) throw new AppError('FILE_TOO_LARGE', undefined, { fileName: name, limitMB: req.maxFileMB });
  stage('reading');
  const bytes = await file.arrayBuffer();
  const hash = await sha256Hex(bytes);
  const existing = await ports.store.findByHash(hash);
  if (existing) throw new AppError('FILE_DUPLICATE', undefined, { fileName: name, existing: existing.name });
  // Index with every model that will load, so no document misses its token vectors.
  hooks.waiting();
  const models = await ports.models();
  if (signal.aborted) throw new AppError('ABORTED');
  let replaces: string | undefined;
  const sameName = await ports.store.findByName(name);
  if (sameName) {
    const a = await hooks.ask({ kind: 'replace', existing: sameName.name });
    if (a.kind !== 'replace' || !a.replace) return { kind: 'skipped' };
    replaces = sameName.id;
  }
  const recognised = new Map<string, RecognisedPage>();
  const languages = req.ocrLanguages ?? ['eng'];
  const parseOptions: ParseOptions = {
    ...ports.parseOptions,
    maxBytes,
    ...(ports.ocr && {
      ocr: pdfOcr(ports.ocr, languages, hooks, recognised),
      ...(req.ocrPictures && { imageOcr: imageOcr(ports.ocr, languages, hooks, recognised) }),
    }),
  };
  const parsed = await parseWithPassword(new Uint8Array(bytes), req, parseOptions, hooks);
  if (signal.aborted) throw new AppError('ABORTED');
  stage('chunking');
  const drafts = await chunkParsed(parsed, embedder, req.chunk, await models.tokenCounter(embedder));
  if (drafts.length === 0) throw new AppError('NO_TEXT', undefined, { fileName: name });
  const keywords = drafts.map((c) => keywordCounts(chunkId(docId, c.ordinal), c.text));
  let dense: RowsInput['dense'] = null;
  if (models.embedder) {
    stage('embedding');
    const vectors = await models.embedder.caller.call(
      'embed',
      { texts: drafts.map((c) => contextualText(c, parsed.title)), kind: 'document' },
      { signal, onProgress: (p) => hooks.progress('embedding', span('embedding', 'tokens', p)) },
    );
    dense = { key: models.embedder.key, dims: embedder.dims, vectors };
  }
  let tokens: RowsInput['tokens'] = null;
  if (models.late) {
    stage('tokens');
    const encoded = await models.late.caller.call(
      'encodeDocuments',
      { texts: drafts.map((c) => c.text) },
      { signal, onProgress: (p) => hooks.progress('tokens', span('tokens', 'saving', p)) },
    );
    tokens = { modelId: models.late.modelId, vectors: encoded };
  }
  if (signal.aborted) throw new AppError('ABORTED');
  stage('saving');
  const rows = documentRows({
    docId,
    file: { name, size: file.size, hash },
    parsed,
    drafts,
    keywords,
    dense,
    tokens,
    addedAt: Date.now(),
  });
  const ocrPages = [
    ...ocrRows(docId, parsed.ocrPages ?? [], recognised, (r) => ocrPageId(docId, r.page)),
    ...ocrRows(docId, parsed.ocrImages ?? [], recognised, (_r, i) => ocrPictureId(docId, i + 1)),
  ];
  const replacedChunks = replaces ? await ports.store.chunkIdsOf(replaces) : [];
  await ports.store.save(ocrPages.length > 0 ? { ...rows, ocrPages } : rows, replaces, req.pendingId);
  hooks.saved();
  if (replacedChunks.length) await models.index.call('remove', { ids: replacedChunks });
  await models.index.call(
    'add',
    {
      ids: rows.chunks.map((c) => c.id),
      meta: { docId, kind: parsed.kind, addedAt: rows.doc.addedAt },
      vectors: dense?.vectors ?? null,
      keywords,
    },
    { transfer: dense ? [dense.vectors.buffer] : [] },
  );
  stage('done');
  const { text: _text, ...doc } = rows.doc;
  return { kind: replaces ? 'replaced' : 'added', doc, replaced: replaces ?? null, warnings: parsed.warnings };
}

/**
 * The PDF reader's OCR hooks for one import: the user is asked first (with the estimate), then each page is recognised,
 * or taken from the cache when a stored document has the same page, and held in `recognised` for the save.
 */
function pdfOcr(
  port: OcrPort,
  languages: readonly string[],
  hooks: IngestHooks,
  recognised: Map<string, RecognisedPage>,
): PdfOcr {
  const recognise = recogniser(port, languages, hooks, recognised, true);
  return {
    available: () => port.available(),
    render: port.render,
    ...(port.documentParams && { documentParams: port.documentParams }),
    offer: (pages) => offerOcr(port, hooks, 'scans', pages.length),
    recognise: (image, _page, done, total) => recognise(image.image, async () => image, done, total),
  };
}

/** The DOCX, PPTX and EPUB readers' OCR hooks for one import: their pictures, asked about and cached as pages are. */
function imageOcr(
  port: OcrPort,
  languages: readonly string[],
  hooks: IngestHooks,
  recognised: Map<string, RecognisedPage>,
): ImageOcr {
  const recognise = recogniser(port, languages, hooks, recognised, false);
  return {
    available: () => port.available(),
    offer: (count) => offerOcr(port, hooks, 'pictures', count),
    // A picture is named by its own bytes, so it is drawn only when no stored document has it.
    recognise: (image, done, total) => recognise(image, () => port.drawImage(image), done, total),
  };
}

async function offerOcr(port: OcrPort, hooks: IngestHooks, source: 'scans' | 'pictures', count: number) {
  const seconds = Math.max(1, Math.round(count * port.secondsPerPage));
  const a = await hooks.ask({ kind: 'ocr', source, pages: count, seconds });
  return a.kind === 'ocr' && a.recognise;
}

/**
 * Recognises one image named by `source`'s bytes (and the settings), or takes it from this import or a stored document
 * with the same image; `draw` gives the image as recognised, drawn only when it is not found.
 */
function recogniser(
  port: OcrPort,
  languages: readonly string[],
  hooks: IngestHooks,
  recognised: Map<string, RecognisedPage>,
  /** Whether the image is kept for the citation view (a scanned page's); a picture's is never shown. */
  keepImage: boolean,
) {
  const model = `${port.model} ${languages.join('+')} layout ${OCR_LAYOUT_VERSION}`;
  return async (
    source: Blob,
    draw: () => Promise<PageImage>,
    done: number,
    total: number,
  ): Promise<{ key: string; lines: OcrLine[] }> => {
    if (hooks.signal.aborted) throw new AppError('ABORTED');
    hooks.progress('recognising', between('recognising', 'chunking', done / total));
    const hash = `${await sha256Hex(await source.arrayBuffer())}:${model}`;
    const hit = recognised.get(hash) ?? (await port.cached(hash));
    if (hooks.signal.aborted) throw new AppError('ABORTED');
    let page = hit;
    if (!page) {
      const image = await draw();
      page = {
        hash,
        width: image.width,
        height: image.height,
        lines: ocrLinesOf(await port.recognise(image.image, languages, hooks.signal), image.width, image.height),
        image: keepImage ? image.preview : new Blob([], { type: 'image/jpeg' }),
      };
    }
    recognised.set(hash, page);
    hooks.progress('recognising', between('recognising', 'chunking', (done + 1) / total));
    return { key: hash, lines: page.lines };
  };
}

/** The stored rows of a document's recognised pages or pictures, each under the id `idOf` gives it. */
function ocrRows(
  docId: string,
  refs: readonly { page: number; key: string }[],
  recognised: ReadonlyMap<string, RecognisedPage>,
  idOf: (ref: { page: number; key: string }, index: number) => string,
): OcrPageRecord[] {
  return refs.flatMap((ref, i) => {
    const { page, key } = ref;
    const r = recognised.get(key);
    return r
      ? [
          {
            id: idOf(ref, i),
            docId,
            page,
            hash: r.hash,
            width: r.width,
            height: r.height,
            lines: r.lines,
            image: r.image,
          },
        ]
      : [];
  });
}

/** Cuts a parsed document into passages that fit the embedder, counted with its own tokenizer. */
export function chunkParsed(
  parsed: ParsedDocument,
  embedder: EmbedderSpec,
  sizes: { maxTokens: number; overlapTokens: number },
  countTokens: TokenCounter,
): Promise<ChunkDraft[]> {
  return chunkDocument(parsed, {
    maxTokens: Math.min(sizes.maxTokens, embedder.maxTokens),
    overlapTokens: sizes.overlapTokens,
    countTokens,
    // The embedded text carries a title prefix: leave room for it in the budget.
    contextTitle: parsed.title,
  });
}

/** The fraction within [from, to) stage starts that `done / total` of this stage's work reaches. */
function span(from: QueueStage, to: QueueStage, p: { done: number; total: number }): number {
  return between(from, to, p.done / p.total);
}

function between(from: QueueStage, to: QueueStage, part: number): number {
  return STAGE_START[from] + (STAGE_START[to] - STAGE_START[from]) * Math.min(1, Math.max(0, part));
}

/** Parses, asking for the PDF's password (again, when wrong) until it opens or the user gives up. */
async function parseWithPassword(
  bytes: Uint8Array,
  req: ImportRequest,
  options: ParseOptions,
  hooks: IngestHooks,
): Promise<ParsedDocument> {
  let password: string | undefined;
  for (;;) {
    hooks.progress('parsing', STAGE_START.parsing);
    try {
      // pdf.js may detach the buffer it is given: each try parses its own copy.
      return await parseFile(bytes.slice(), req.name, req.mimeType, { ...options, password });
    } catch (err) {
      const e = toAppError(err);
      if (e.code !== 'PDF_PASSWORD_REQUIRED' && e.code !== 'PDF_PASSWORD_INCORRECT') throw e;
      const a = await hooks.ask({ kind: 'password', wrong: e.code === 'PDF_PASSWORD_INCORRECT' });
      if (a.kind !== 'password' || a.password === null) throw e;
      password = a.password;
    }
  }
}

/** Deletes a document from storage, then its chunks from the indexes. */
export async function removeDocument(
  docId: string,
  store: LibraryStore,
  index: Caller<Pick<SearchMethods, 'remove'>>,
): Promise<void> {
  const ids = await store.chunkIdsOf(docId);
  await store.remove(docId);
  await index.call('remove', { ids });
}
