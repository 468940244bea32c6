// Vite build for the static app (served from any path), the self-hosted ORT binaries, and Vitest.
import { createReadStream, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { VitePWA } from 'vite-plugin-pwa';
import { contentSecurityPolicy, headersFile, parseConnectSrc, securityHeaders } from './tools/security-headers.mjs';
import { OCR_LANGUAGES } from './src/lib/config/ocr-languages';

const require = createRequire(import.meta.url);
// The exact onnxruntime-web build transformers.js imports, so its wasm matches its JS.
const ortDist = dirname(
  require.resolve('onnxruntime-web/webgpu', { paths: [dirname(require.resolve('@huggingface/transformers'))] }),
);
const ORT_FILES = ['ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];

/**
 * Serves (dev) and emits (build) third-party runtime files under `folder/` at fixed names, so the app never fetches
 * them from a CDN. `files` maps each served name to its path on disk.
 */
function selfHosted(
  name: string,
  folder: string,
  files: Record<string, string>,
  afterCopy?: (outDir: string) => void,
): Plugin {
  let outDir: string | null = null;
  const types: Record<string, string> = { wasm: 'application/wasm', js: 'text/javascript', mjs: 'text/javascript' };
  return {
    name,
    configResolved(config) {
      // Vitest also runs build hooks, with a dummy outDir: copy only in real builds.
      outDir = config.command === 'build' && !process.env.VITEST ? resolve(config.root, config.build.outDir) : null;
    },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const file = req.url?.split('?')[0]?.split(`/${folder}/`)[1];
        const source = file === undefined ? undefined : files[file];
        if (!file || !source || !Object.hasOwn(files, file)) return next();
        res.setHeader('Content-Type', types[file.split('.').pop()!] ?? 'application/octet-stream');
        createReadStream(source).pipe(res);
      });
    },
    closeBundle() {
      if (!outDir) return;
      for (const [file, source] of Object.entries(files)) {
        mkdirSync(dirname(join(outDir, folder, file)), { recursive: true });
        copyFileSync(source, join(outDir, folder, file));
      }
      afterCopy?.(outDir);
    },
  };
}

/** ONNX Runtime's WASM under ort/. */
const selfHostedOrt = () =>
  selfHosted(
    'lectern-self-hosted-ort',
    'ort',
    Object.fromEntries(ORT_FILES.map((f) => [f, join(ortDist, f)])),
    (outDir) => {
      // onnxruntime-web's `new URL('…wasm', import.meta.url)` makes Vite emit a hashed 27 MB copy too; the app
      // always sets wasmPaths to ort/, so that copy is never fetched and only bloats the deploy.
      const assets = join(outDir, 'assets');
      if (existsSync(assets))
        for (const f of readdirSync(assets)) if (/^ort-wasm-.*\.wasm$/.test(f)) rmSync(join(assets, f));
    },
  );

/**
 * Text recognition under ocr/ (src/lib/models/ocr/tesseract.ts names the files): tesseract.js's worker, its LSTM-only
 * WASM core with and without SIMD, and the language data. Outside assets/, so the offline copy does not precache
 * them: the first visit stays small, and they are fetched when a scanned PDF is first recognised.
 */
const tesseractDir = dirname(require.resolve('tesseract.js/package.json'));
const tesseractCoreDir = dirname(require.resolve('tesseract.js-core/package.json'));
const OCR_LANGS = OCR_LANGUAGES.map((l) => l.code);
const selfHostedOcr = () =>
  selfHosted('lectern-self-hosted-ocr', 'ocr', {
    'worker.min.js': join(tesseractDir, 'dist', 'worker.min.js'),
    'tesseract-core-simd-lstm.wasm.js': join(tesseractCoreDir, 'tesseract-core-simd-lstm.wasm.js'),
    'tesseract-core-lstm.wasm.js': join(tesseractCoreDir, 'tesseract-core-lstm.wasm.js'),
    ...Object.fromEntries(
      OCR_LANGS.map((code) => [
        `lang/${code}.traineddata.gz`,
        join(
          dirname(require.resolve(`@tesseract.js-data/${code}/package.json`)),
          '4.0.0_best_int',
          `${code}.traineddata.gz`,
        ),
      ]),
    ),
  });

// Extra model hosts (self-hosted registries on another origin), added to connect-src at build time.
const connectSrc = parseConnectSrc(process.env.LECTERN_CONNECT_SRC);
const headers = securityHeaders({ connectSrc });

/**
 * Puts the CSP into index.html as a meta tag (for static hosts that send no headers; no frame-ancestors there) and
 * emits dist/_headers (Netlify / Cloudflare Pages) with every header, both from tools/security-headers.mjs.
 */
function securityHeadersPlugin(): Plugin {
  return {
    name: 'lectern-security-headers',
    // The page holds a placeholder, so the policy sits right after the charset, before anything it governs.
    transformIndexHtml: (html) => html.replace('%LECTERN_CSP%', contentSecurityPolicy({ connectSrc, forMeta: true })),
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: '_headers', source: headersFile(headers) });
    },
  };
}

/**
 * The offline copy: a Workbox service worker (sw.js, generated at build time; the app registers it only in production
 * builds, src/lib/offline/register.ts) that precaches the app shell (index.html, the hashed assets and workers, Voy's
 * wasm) and answers every visit to the app's own page (its folder or index.html) with the cached index.html. ONNX Runtime's files under ort/ are kept
 * by public/sw-ort.js, imported into it, and served only while the browser is offline: serving the 27 MB wasm through
 * the worker online (precached, to every model worker of a tab) made Chromium 156 stall reloads of the controlled page
 * for minutes, 4 times in 4 runs, and not once in 8 reloads without it. runtime.ts turns transformers.js's own copy
 * of them off (env.useWasmCache), so they are stored once. Model files are not in the precache: transformers.js keeps them in its own Cache API cache
 * (`transformers-cache`, env.useBrowserCache). The published-library reader keeps its shards in `lectern-published`.
 * No skipWaiting: a new version takes over once every tab of the old one is closed, so a running tab never loses the
 * files it was built with.
 */
function offlineCopy(): Plugin[] {
  return VitePWA({
    injectRegister: false,
    manifest: false,
    filename: 'sw.js',
    // After the ort/ copy above (closeBundle, sync), so its files exist when Workbox globs dist/ and the hashed
    // ort wasm copy it deletes is not listed.
    integration: { closeBundleOrder: 'post' },
    workbox: {
      cacheId: 'lectern',
      globPatterns: ['index.html', 'favicon.svg', 'assets/**/*.{js,css,wasm}'],
      importScripts: ['sw-ort.js'],
      // The app's page is its own precached index.html, whatever the query (?registry=, ?library=): the precache
      // lookup drops every parameter and maps the app's folder to index.html. No navigation fallback, so deeper pages
      // in scope (a published library's original index.html files, another app's pages) stay themselves.
      ignoreURLParametersMatching: [/.*/],
      directoryIndex: 'index.html',
      clientsClaim: true,
      skipWaiting: false,
      cleanupOutdatedCaches: true,
      inlineWorkboxRuntime: true,
      sourcemap: false,
    },
  });
}

export default defineConfig({
  root: 'src',
  base: './',
  publicDir: '../public',
  plugins: [
    svelte({ configFile: resolve(import.meta.dirname, 'svelte.config.js') }),
    selfHostedOrt(),
    selfHostedOcr(),
    securityHeadersPlugin(),
    offlineCopy(),
  ],
  worker: { format: 'es' },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
  },
  preview: { port: 4173, headers },
  server: { headers },
  test: {
    root: '.',
    include: ['test/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    benchmark: { include: ['test/bench/**/*.bench.ts'] },
  },
});
