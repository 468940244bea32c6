// Imported by the offline copy's service worker (sw.js): keeps ONNX Runtime's files and serves them only while offline, and keeps text recognition's files once used.
// Online the browser fetches them itself: serving the 27 MB wasm through the worker to every model worker of a tab
// made Chromium 156 stall reloads of the page for minutes (see vite.config.ts).
const ORT_CACHE = 'lectern-ort';
const ORT_FILES = ['ort/ort-wasm-simd-threaded.asyncify.mjs', 'ort/ort-wasm-simd-threaded.asyncify.wasm'];

self.addEventListener('install', (event) => {
  // Fresh copies with each version of the worker, so they always match the app's code.
  event.waitUntil(
    caches.open(ORT_CACHE).then((cache) => cache.addAll(ORT_FILES.map((f) => new Request(f, { cache: 'reload' })))),
  );
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || navigator.onLine) return;
  if (!ORT_FILES.some((f) => url.pathname.endsWith(`/${f}`))) return;
  event.respondWith(
    caches
      .open(ORT_CACHE)
      .then((cache) => cache.match(event.request, { ignoreSearch: true }))
      .then((hit) => hit ?? fetch(event.request)),
  );
});

// Text recognition's files (the app's ocr/ folder: tesseract's worker, WASM core and language data) are fetched only
// when a scan is first read, never precached. Each one fetched is kept here, so recognition works offline afterwards;
// online they are fetched as usual, offline (or when the server fails) the kept copy answers. Their names are fixed, so
// a new version of this worker (a new app) drops the old copies when it takes over: they belong to the old tesseract.
const OCR_CACHE = 'lectern-ocr';

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.delete(OCR_CACHE));
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  const ocr = new URL('ocr/', self.registration.scope);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(ocr.pathname)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(OCR_CACHE);
      const kept = () => cache.match(event.request, { ignoreSearch: true });
      try {
        const response = await fetch(event.request);
        if (response.ok) event.waitUntil(cache.put(event.request, response.clone()).catch(() => {}));
        return response.ok ? response : ((await kept()) ?? response);
      } catch (err) {
        const copy = await kept();
        if (copy) return copy;
        throw err;
      }
    })(),
  );
});
