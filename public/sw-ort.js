// Imported by the offline copy's service worker (sw.js): keeps ONNX Runtime's files and serves them only while offline.
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
