// Text recognition (OCR) with tesseract.js, self-hosted: its worker, WASM core and language data come from the app's ocr/ folder, loaded on first use.
import type { Page } from 'tesseract.js';
import { AppError, causeOf } from '../../errors';
import { LoadOnce } from '../load-once';
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

/**
 * A recognizer over tesseract.js workers loaded from `baseUrl` (the app's ocr/ folder, absolute). Nothing is fetched
 * until the first page, and only from the app's own folder.
 */
export function tesseractRecognizer(baseUrl: string, idleMs = IDLE_MS): Recognizer {
  const once = new LoadOnce<TesseractWorker>();
  /** The languages of the worker loaded (or loading), so that a change ends it. */
  let loadedKey: string | null = null;
  let idle: ReturnType<typeof setTimeout> | undefined;
  /** Ends a worker and forgets its load (unless another replaced it meanwhile). */
  const end = (loading: Promise<TesseractWorker>, worker: TesseractWorker) => {
    if (once.forget(loading)) loadedKey = null;
    void worker.terminate().catch(() => {});
  };
  /** Ends the worker (its memory is the language model's) once no page came for idleMs. */
  const rest = (loading: Promise<TesseractWorker>, worker: TesseractWorker) => {
    clearTimeout(idle);
    idle = setTimeout(() => end(loading, worker), idleMs);
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
  return {
    async recognise(image, languages, signal) {
      if (signal?.aborted) throw new AppError('ABORTED');
      clearTimeout(idle);
      const key = languages.join('+');
      // Other languages need another worker: the one loaded for the old ones is ended.
      const previous = loadedKey !== null && loadedKey !== key ? once.current : null;
      if (previous) void previous.then((w) => w.terminate()).catch(() => {});
      loadedKey = key;
      const loading = once.get(key, () => start(languages));
      const worker = await loading.catch((err: unknown) => {
        if (err instanceof AppError) throw err;
        throw new AppError('OCR_UNAVAILABLE', undefined, { reason: causeOf(err).slice(0, 200) });
      });
      // Cancelled while the worker loaded: it stays for the next page.
      if (signal?.aborted) {
        rest(loading, worker);
        throw new AppError('ABORTED');
      }
      // tesseract.js cannot stop one job: a cancel ends its worker, and the next page starts a fresh one.
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => {
          end(loading, worker);
          reject(new AppError('ABORTED'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      const started = performance.now();
      try {
        const { data } = await Promise.race([worker.recognize(image, {}, { blocks: true, text: false }), aborted]);
        rest(loading, worker);
        return { page: data, ms: performance.now() - started };
      } catch (err) {
        // A job that failed may have left the worker broken: the next page gets a fresh one.
        if (!(err instanceof AppError && err.code === 'ABORTED')) end(loading, worker);
        throw err;
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
    },
  };
}
