// The tesseract.js recognizer with tesseract.js mocked: loaded once from the app's ocr/ folder, a cancel ends its worker, an idle worker is ended, a load failure is OCR_UNAVAILABLE.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface FakeWorker {
  setParameters: ReturnType<typeof vi.fn>;
  recognize: ReturnType<typeof vi.fn>;
  terminate: ReturnType<typeof vi.fn>;
}
const made: { langs: unknown; options: Record<string, unknown>; worker: FakeWorker }[] = [];
let failLoad: Error | null = null;
/** When set, loads wait for it. */
let loadGate: Promise<void> | null = null;
/** Each recognize waits for the test to release it. */
let pending: ((v: unknown) => void)[] = [];

vi.mock('tesseract.js', () => ({
  OEM: { LSTM_ONLY: 1 },
  PSM: { AUTO: '3' },
  createWorker: vi.fn(async (langs: unknown, _oem: unknown, options: Record<string, unknown>) => {
    if (loadGate) await loadGate;
    if (failLoad) throw failLoad;
    const worker: FakeWorker = {
      setParameters: vi.fn(async () => ({})),
      recognize: vi.fn(() => new Promise((resolve) => pending.push(resolve))),
      terminate: vi.fn(async () => ({})),
    };
    made.push({ langs, options, worker });
    return worker;
  }),
}));

const { tesseractRecognizer } = await import('../../../src/lib/models/ocr/tesseract');
const BASE = 'http://localhost/app/ocr/';
const PAGE = { blocks: [] };
const flush = () => new Promise((r) => setTimeout(r, 0));

describe('tesseractRecognizer', () => {
  beforeEach(() => {
    made.length = 0;
    pending = [];
    failLoad = null;
    loadGate = null;
    vi.stubGlobal('Worker', class {});
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  async function answer(): Promise<void> {
    for (let i = 0; i < 20 && pending.length === 0; i++) await flush();
    pending.shift()!({ data: PAGE });
  }

  it('loads one worker from the app folder, with full page layout analysis, and reuses it for the next page', async () => {
    const r = tesseractRecognizer(BASE);
    const first = r.recognise(new Blob(['a']), ['eng']);
    await answer();
    expect((await first).page).toBe(PAGE);
    const second = r.recognise(new Blob(['b']), ['eng']);
    await answer();
    await second;
    expect(made).toHaveLength(1);
    const { langs, options, worker } = made[0]!;
    expect(langs).toEqual(['eng']);
    expect(options).toMatchObject({
      workerPath: 'http://localhost/app/ocr/worker.min.js',
      langPath: 'http://localhost/app/ocr/lang/',
      workerBlobURL: false,
      cacheMethod: 'none',
    });
    expect(String(options.corePath)).toMatch(/^http:\/\/localhost\/app\/ocr\/tesseract-core(-simd)?-lstm\.wasm\.js$/);
    expect(options.errorHandler).toBeTypeOf('function');
    expect(worker.setParameters).toHaveBeenCalledWith({ tessedit_pageseg_mode: '3' });
    expect(worker.recognize).toHaveBeenCalledTimes(2);
  });

  it('a cancel ends the running recognition and its worker; the next page starts a fresh one', async () => {
    const r = tesseractRecognizer(BASE);
    const controller = new AbortController();
    const running = r.recognise(new Blob(['a']), ['eng'], controller.signal);
    for (let i = 0; i < 20 && pending.length === 0; i++) await flush();
    controller.abort();
    await expect(running).rejects.toMatchObject({ code: 'ABORTED' });
    expect(made[0]!.worker.terminate).toHaveBeenCalled();
    const next = r.recognise(new Blob(['b']), ['eng']);
    pending = [];
    await answer();
    await next;
    expect(made).toHaveLength(2);
    await expect(r.recognise(new Blob(['c']), ['eng'], AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('a cancel while the worker loads ends that page; a failed page ends the worker, the next page gets a fresh one', async () => {
    let open!: () => void;
    loadGate = new Promise((r) => (open = r));
    const r = tesseractRecognizer(BASE);
    const controller = new AbortController();
    const loading = r.recognise(new Blob(['a']), ['eng'], controller.signal);
    await flush();
    controller.abort();
    open();
    await expect(loading).rejects.toMatchObject({ code: 'ABORTED' });
    expect(made[0]!.worker.recognize).not.toHaveBeenCalled();
    // The loaded worker is kept for the next page.
    const next = r.recognise(new Blob(['b']), ['eng']);
    for (let i = 0; i < 20 && pending.length === 0; i++) await flush();
    made[0]!.worker.recognize.mockImplementationOnce(() => Promise.reject(new Error('memory access out of bounds')));
    pending.shift()!({ data: PAGE });
    await next;
    expect(made).toHaveLength(1);
    await expect(r.recognise(new Blob(['c']), ['eng'])).rejects.toThrow('memory access out of bounds');
    expect(made[0]!.worker.terminate).toHaveBeenCalled();
    const fresh = r.recognise(new Blob(['d']), ['eng']);
    await answer();
    await fresh;
    expect(made).toHaveLength(2);
  });

  it('a worker with a page still being read is never ended under it: a cancel or other languages end it after', async () => {
    const r = tesseractRecognizer(BASE, 1000);
    const controller = new AbortController();
    const first = r.recognise(new Blob(['a']), ['eng'], controller.signal);
    const second = r.recognise(new Blob(['b']), ['eng']);
    for (let i = 0; i < 20 && pending.length < 2; i++) await flush();
    controller.abort();
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' });
    // The other import's page is still on that worker: it is not ended until that page is read.
    await flush();
    expect(made[0]!.worker.terminate).not.toHaveBeenCalled();
    // Pages for other languages meanwhile go to a new worker.
    const german = r.recognise(new Blob(['c']), ['deu']);
    for (let i = 0; i < 20 && pending.length < 3; i++) await flush();
    expect(made).toHaveLength(2);
    expect(made[0]!.worker.terminate).not.toHaveBeenCalled();
    pending[1]!({ data: PAGE });
    expect((await second).page).toBe(PAGE);
    await flush();
    expect(made[0]!.worker.terminate).toHaveBeenCalled();
    pending[2]!({ data: PAGE });
    await german;
    expect(made[1]!.worker.terminate).not.toHaveBeenCalled();
  });

  it('other languages end the loaded worker and load one for them; the same ones reuse it', async () => {
    const r = tesseractRecognizer(BASE);
    const first = r.recognise(new Blob(['a']), ['eng']);
    await answer();
    await first;
    const german = r.recognise(new Blob(['b']), ['eng', 'deu']);
    await answer();
    await german;
    const again = r.recognise(new Blob(['c']), ['eng', 'deu']);
    await answer();
    await again;
    expect(made.map((m) => m.langs)).toEqual([['eng'], ['eng', 'deu']]);
    expect(made[0]!.worker.terminate).toHaveBeenCalled();
    expect(made[1]!.worker.terminate).not.toHaveBeenCalled();
  });

  it('ends a worker left idle, and says OCR is unavailable when tesseract cannot load', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const r = tesseractRecognizer(BASE, 1000);
    const page = r.recognise(new Blob(['a']), ['eng']);
    await vi.waitFor(() => expect(pending).toHaveLength(1));
    pending.shift()!({ data: PAGE });
    await page;
    expect(made[0]!.worker.terminate).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    expect(made[0]!.worker.terminate).toHaveBeenCalled();
    vi.useRealTimers();

    failLoad = new Error('Failed to load TesseractCore');
    const broken = tesseractRecognizer(BASE);
    await expect(broken.recognise(new Blob(['a']), ['eng'])).rejects.toMatchObject({
      code: 'OCR_UNAVAILABLE',
      details: { reason: 'Failed to load TesseractCore' },
    });
  });
});

describe('ocrLanguagesOf', () => {
  it('keeps known codes once, in the shipped order, and falls back to English', async () => {
    const { ocrLanguagesOf } = await import('../../../src/lib/config/ocr-languages');
    expect(ocrLanguagesOf(['fra', 'eng', 'fra'])).toEqual(['eng', 'fra']);
    expect(ocrLanguagesOf(['klingon', '../../etc'])).toEqual(['eng']);
    expect(ocrLanguagesOf('deu')).toEqual(['eng']);
    expect(ocrLanguagesOf(undefined)).toEqual(['eng']);
    expect(ocrLanguagesOf([])).toEqual(['eng']);
  });
});
