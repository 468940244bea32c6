// Text recognition (OCR) with tesseract.js, self-hosted: its worker, WASM core and language data come from the app's ocr/ folder, loaded on first use.
import type { Page } from 'tesseract.js';
import { AppError, causeOf } from '../../errors';
import { version as tesseractVersion } from 'tesseract.js/package.json';

/** The files under the app's ocr/ folder (vite.config.ts emits them; their names are fixed). */
export const OCR_FILES = {
  worker: 'worker.min.js',
  core: 'tesseract-core-simd-lstm.wasm.js',
  coreNoSimd: 'tesseract-core-lstm.wasm.js',
  /** `lang/<code>.traineddata.gz`, the LSTM "best_int" models of @tesseract.js-data. */
  langDir: 'lang/',
} as const;

/**
 * Names the recogniser and its settings in each recognised page's cache key (the languages are added to it): another
 * version recognises again.
 */
export const OCR_MODEL = `tesseract.js@${tesseractVersion} 4.0.0_best_int psm3`;

export interface Recognizer {
  /**
   * Recognises one page image in `languages` (tesseract codes, each shipped under ocr/lang/), with the milliseconds the
   * recognition took (loading the worker not counted); a cancel ends the recognition (and the worker, started again on
   * next use).
   */
  recognise(image: Blob, languages: readonly string[], signal?: AbortSignal): Promise<{ page: Page; ms: number }>;
}

// A tiny module using one SIMD instruction (v128.const): WebAssembly.validate says whether this browser has SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 11,
]);

/** How long a worker with nothing to read is kept: an import's pages come back to back. */
const IDLE_MS = 60_000;

interface TesseractWorker {
  setParameters(params: Record<string, string>): Promise<unknown>;
  recognize(image: Blob, options: object, output: { blocks: boolean; text: boolean }): Promise<{ data: Page }>;
  terminate(): Promise<unknown>;
}

/** A tesseract worker loaded (or loading) for one set of languages, with the pages it is reading. */
interface Loaded {
  key: string;
  loading: Promise<TesseractWorker>;
  /** Pages being read on it: it is ended only when none is (tesseract.js's terminate never settles a running job). */
  jobs: number;
  /** No new page goes to it (another language, a cancel, a failure, idleness); it ends once its jobs are done. */
  retired: boolean;
  idle?: ReturnType<typeof setTimeout>;
}

/**
 * A recognizer over tesseract.js workers loaded from `baseUrl` (the app's ocr/ folder, absolute). Nothing is fetched
 * until the first page, and only from the app's own folder. One worker at a time takes new pages; a worker that stops
 * taking them (other languages asked, a cancel, a failed page, or idleMs without a page) ends when its pages are read.
 */
export function tesseractRecognizer(baseUrl: string, idleMs = IDLE_MS): Recognizer {
  let current: Loaded | null = null;
  const retire = (l: Loaded) => {
    l.retired = true;
    clearTimeout(l.idle);
    if (current === l) current = null;
    if (l.jobs === 0) void l.loading.then((w) => w.terminate()).catch(() => {});
  };
  const start = async (languages: readonly string[]): Promise<TesseractWorker> => {
    if (typeof Worker === 'undefined' || typeof WebAssembly === 'undefined')
      throw new AppError('OCR_UNAVAILABLE', undefined, { reason: 'it has no workers or WebAssembly here' });
    const { createWorker, OEM, PSM } = await import('tesseract.js');
    const core = WebAssembly.validate(SIMD_PROBE) ? OCR_FILES.core : OCR_FILES.coreNoSimd;
    const worker = (await createWorker([...languages], OEM.LSTM_ONLY, {
      workerPath: new URL(OCR_FILES.worker, baseUrl).href,
      corePath: new URL(core, baseUrl).href,
      // `<code>.traineddata.gz` from the app's folder, fetched by tesseract's worker; the HTTP cache keeps them.
      langPath: new URL(OCR_FILES.langDir, baseUrl).href,
      workerBlobURL: false,
      cacheMethod: 'none',
      gzip: true,
      // Without a handler tesseract.js rethrows a failed job inside its message handler, an uncaught error that
      // would take the ingest worker down; the job's promise still rejects with it.
      errorHandler: () => {},
    })) as unknown as TesseractWorker;
    // Full page layout analysis (PSM 3): the API's default (one uniform block) reads two columns across as one.
    await worker.setParameters({ tessedit_pageseg_mode: PSM.AUTO });
    return worker;
  };
  /** The worker for `languages`: the current one, or a new one (the current, for other languages, is retired). */
  const take = (languages: readonly string[]): Loaded => {
    const key = languages.join('+');
    if (current && current.key !== key) retire(current);
    if (!current) {
      const l: Loaded = { key, loading: start(languages), jobs: 0, retired: false };
      // A load that failed is forgotten, so the next page tries again.
      l.loading.catch(() => {
        l.retired = true;
        if (current === l) current = null;
      });
      current = l;
    }
    return current;
  };
  return {
    async recognise(image, languages, signal) {
      if (signal?.aborted) throw new AppError('ABORTED');
      const l = take(languages);
      clearTimeout(l.idle);
      l.jobs++;
      let onAbort: (() => void) | undefined;
      try {
        const worker = await l.loading.catch((err: unknown) => {
          if (err instanceof AppError) throw err;
          throw new AppError('OCR_UNAVAILABLE', undefined, { reason: causeOf(err).slice(0, 200) });
        });
        if (signal?.aborted) throw new AppError('ABORTED');
        // tesseract.js cannot stop one job: a cancel retires the worker, which ends once its pages are read, and
        // the next page starts a fresh one.
        const aborted = new Promise<never>((_, reject) => {
          onAbort = () => {
            retire(l);
            reject(new AppError('ABORTED'));
          };
          signal?.addEventListener('abort', onAbort, { once: true });
        });
        const started = performance.now();
        try {
          const { data } = await Promise.race([worker.recognize(image, {}, { blocks: true, text: false }), aborted]);
          return { page: data, ms: performance.now() - started };
        } catch (err) {
          // A page that failed may have left the worker broken: the next page gets a fresh one.
          if (!(err instanceof AppError && err.code === 'ABORTED')) retire(l);
          throw err;
        }
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        l.jobs--;
        if (l.jobs === 0) {
          if (l.retired) void l.loading.then((w) => w.terminate()).catch(() => {});
          // Its memory is the language model's: an idle worker ends after idleMs.
          else l.idle = setTimeout(() => retire(l), idleMs);
        }
      }
    },
  };
}
